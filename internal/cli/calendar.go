package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/palisade-gitops/palisade/internal/calendar"
	"github.com/palisade-gitops/palisade/internal/estate"
	"github.com/palisade-gitops/palisade/internal/policy"
)

// CalendarOptions are the options of `palisade calendar`.
type CalendarOptions struct {
	Estate  EstateOptions
	Output  OutputOptions
	At      AtOptions
	Tenants []string
	Days    int
}

// AddFlags registers the command's flags.
func (o *CalendarOptions) AddFlags(cmd *cobra.Command) {
	o.Estate.AddFlags(cmd)
	o.Output.AddFlags(cmd, "text", "json")
	o.At.AddFlags(cmd)
	cmd.Flags().StringSliceVar(&o.Tenants, "tenant", nil, "show only this tenant (repeatable)")
	cmd.Flags().IntVar(&o.Days, "days", 30, "how many days ahead to list the windows that begin")
}

func newCalendarCommand() *cobra.Command {
	o := &CalendarOptions{}
	cmd := &cobra.Command{
		Use:   "calendar",
		Short: "Show which freeze windows apply to each tenant now, until when, and which come next",
		Long: `Calendar reads the estate's freeze calendar (platform, tier, segment and
tenant windows) and prints, for each tenant at --at (default: now): the
windows that apply, each with its kind, scope and end, when the tenant is
next free of them all, and the windows that begin within --days. Times are
in the tenant's time zone. A change to a frozen tenant is held back by
'palisade render' until then, unless a break-glass waiver lets it through.

Exit 0, whatever the calendar says; 2 when the estate or an option is wrong.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.Output.Validate(); err != nil {
				return err
			}
			if o.Days < 0 || o.Days > 366 {
				return fmt.Errorf("invalid --days %d: want 0 to 366", o.Days)
			}
			at, err := o.At.Time()
			if err != nil {
				return err
			}
			e, err := estate.Load(o.Estate.Root)
			if err != nil {
				return err
			}
			rep, err := freezeReport(e, o.Tenants, at, o.Days)
			if err != nil {
				return err
			}
			if o.Output.Format == "json" {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(rep)
			}
			printFreeze(cmd.OutOrStdout(), rep)
			return nil
		},
	}
	o.AddFlags(cmd)
	return cmd
}

// FreezeReport is what `palisade calendar` prints.
type FreezeReport struct {
	At      time.Time      `json:"at"`
	Until   time.Time      `json:"until"`
	Tenants []TenantFreeze `json:"tenants"`
}

// TenantFreeze is one tenant's calendar at the report's instant.
type TenantFreeze struct {
	Tenant   string `json:"tenant"`
	Tier     string `json:"tier"`
	Segment  string `json:"segment,omitempty"`
	TimeZone string `json:"timeZone"`
	Frozen   bool   `json:"frozen"`
	// FreeAt is when the tenant is next free of every window (the
	// report's instant when it is free); FreeLocal is it in the tenant's
	// time zone. Both are absent when NotFree: the windows, followed one
	// after another, leave the tenant no free instant within
	// calendar.NextFreeHorizon.
	FreeAt    *time.Time `json:"freeAt,omitempty"`
	FreeLocal string     `json:"freeLocal,omitempty"`
	NotFree   bool       `json:"notFree,omitempty"`
	// Active are the windows that apply now; Upcoming those that begin
	// before the report's Until.
	Active   []FreezeWindow `json:"active"`
	Upcoming []FreezeWindow `json:"upcoming"`
}

// FreezeWindow is one occurrence of a window, as the policies see it, with
// its start in the tenant's time zone too.
type FreezeWindow struct {
	policy.Window
	StartLocal string `json:"startLocal"`
	// OpenStart is true when the window's occurrences went on without a
	// gap before StartLocal, as far back as the calendar follows them:
	// StartLocal is where it stopped, not a start.
	OpenStart bool `json:"openStart,omitempty"`
}

func freezeReport(e *estate.Estate, only []string, at time.Time, days int) (*FreezeReport, error) {
	names := e.TenantNames()
	if len(only) > 0 {
		for _, n := range only {
			if _, ok := e.Tenants[n]; !ok {
				return nil, fmt.Errorf("--tenant: %w", e.UnknownTenant(n))
			}
		}
		names = slices.DeleteFunc(names, func(n string) bool { return !slices.Contains(only, n) })
	}
	rep := &FreezeReport{At: at, Until: at.AddDate(0, 0, days), Tenants: []TenantFreeze{}}
	for _, n := range names {
		t := e.Tenants[n]
		loc, err := time.LoadLocation(t.TimeZone)
		if err != nil {
			return nil, fmt.Errorf("tenant %q: time zone %q: %w", n, t.TimeZone, err)
		}
		local := func(x time.Time) string { return x.In(loc).Format("2006-01-02 15:04") + " " + t.TimeZone }
		active, err := calendar.ActiveAt(e, t, at)
		if err != nil {
			return nil, err
		}
		upcoming, err := calendar.Upcoming(e, t, at, rep.Until)
		if err != nil {
			return nil, err
		}
		tf := TenantFreeze{Tenant: n, Tier: t.Tier, Segment: t.Segment, TimeZone: t.TimeZone, Frozen: len(active) > 0}
		switch free, err := calendar.NextFree(e, t, at); {
		case errors.Is(err, calendar.ErrNotFree):
			tf.NotFree = true
		case err != nil:
			return nil, err
		default:
			tf.FreeAt, tf.FreeLocal = &free, local(free)
		}
		for _, list := range []struct {
			from []calendar.Active
			to   *[]FreezeWindow
		}{{active, &tf.Active}, {upcoming, &tf.Upcoming}} {
			ws, err := policy.Windows(list.from, t)
			if err != nil {
				return nil, err
			}
			*list.to = make([]FreezeWindow, len(ws))
			for i, w := range ws {
				(*list.to)[i] = FreezeWindow{Window: w, StartLocal: local(list.from[i].Start), OpenStart: list.from[i].OpenStart}
			}
		}
		rep.Tenants = append(rep.Tenants, tf)
	}
	return rep, nil
}

func printFreeze(out io.Writer, rep *FreezeReport) {
	frozen := 0
	for _, t := range rep.Tenants {
		if t.Frozen {
			frozen++
		}
	}
	fmt.Fprintf(out, "at %s: %d of %d tenants frozen; windows beginning before %s listed\n",
		rep.At.Format(time.RFC3339), frozen, len(rep.Tenants), rep.Until.Format(time.RFC3339))
	for _, t := range rep.Tenants {
		where := t.Tier
		if t.Segment != "" {
			where += ", segment " + t.Segment
		}
		state := "free"
		switch {
		case t.NotFree:
			state = fmt.Sprintf("frozen for %d years or more: its windows, one after another, leave it no free instant", calendar.NextFreeHorizon)
		case t.Frozen:
			state = "frozen until " + t.FreeLocal
		}
		fmt.Fprintf(out, "\n%s (%s, %s): %s\n", t.Tenant, where, t.TimeZone, state)
		for _, w := range t.Active {
			fmt.Fprintf(out, "  now   %s\n", windowLine(w))
		}
		for _, w := range t.Upcoming {
			fmt.Fprintf(out, "  next  %s\n", windowLine(w))
		}
	}
}

// windowLine describes an occurrence: kind, name, scope and its span in
// the tenant's time zone.
func windowLine(w FreezeWindow) string {
	scope := w.Scope.Level
	if w.Scope.Name != "" {
		scope += " " + w.Scope.Name
	}
	start, _, _ := strings.Cut(w.StartLocal, " "+zoneOf(w.EndLocal))
	span := start + " to " + w.EndLocal
	switch {
	case w.OpenStart:
		span = "since before " + start + ", " + w.Until()
	case w.Endless:
		span = "from " + start + " " + w.Until()
	}
	return fmt.Sprintf("%s window %q (%s): %s", w.Kind, w.Name, scope, span)
}

// zoneOf is the zone name a local time ("2006-01-02 15:04 Zone") ends with.
func zoneOf(local string) string {
	if i := strings.LastIndex(local, " "); i >= 0 {
		return local[i+1:]
	}
	return ""
}
