package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing/fstest"
	"time"

	"cuelang.org/go/cue/format"
	"cuelang.org/go/cue/literal"
	"github.com/natefinch/atomic"
	"github.com/spf13/cobra"

	"github.com/palisade-gitops/palisade/internal/calendar"
	"github.com/palisade-gitops/palisade/internal/estate"
	"github.com/palisade-gitops/palisade/internal/overlay"
	"github.com/palisade-gitops/palisade/internal/policy"
	checkreport "github.com/palisade-gitops/palisade/internal/report"
	"github.com/palisade-gitops/palisade/internal/suggest"
)

// DraftOptions describe the waivers `palisade waiver draft` writes.
type DraftOptions struct {
	Estate   EstateOptions
	At       AtOptions
	Tenant   string
	Platform bool
	Policy   string
	// Windows, Environment, Object, Image and ScopeTenant narrow the
	// waiver; each window gives a waiver of its own.
	Windows     []string
	Environment string
	Object      string
	Image       string
	ScopeTenant string
	Reason      string
	Ticket      string
	Approver    string
	ID          string
	For         time.Duration
	Expires     string
	Write       bool
}

func (o *DraftOptions) addFlags(cmd *cobra.Command) {
	o.Estate.AddFlags(cmd)
	o.At.AddFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&o.Tenant, "tenant", "", "the tenant whose waiver it is")
	f.BoolVar(&o.Platform, "platform", false, "a platform waiver (platform.waivers)")
	f.StringVar(&o.Policy, "policy", policy.FreezePolicy, "the id of the rule waived")
	f.StringArrayVar(&o.Windows, "window", nil, "the freeze window the waiver overrides; repeatable, a waiver each (default for "+policy.FreezePolicy+": every window active for the tenant at --at)")
	f.StringVar(&o.Environment, "environment", "", "narrow the waiver to one environment class")
	f.StringVar(&o.Object, "object", "", "narrow the waiver to one rendered object, Kind/name")
	f.StringVar(&o.Image, "image", "", "narrow the waiver to one image (a reference without tag or digest)")
	f.StringVar(&o.ScopeTenant, "scope-tenant", "", "narrow a platform waiver to one tenant the platform change reaches")
	f.StringVar(&o.Reason, "reason", "", "why the waiver is needed (at least 10 characters)")
	f.StringVar(&o.Ticket, "ticket", "", "the ticket of the change or incident")
	f.StringVar(&o.Approver, "approver", "", "the e-mail address of whoever approves the waiver")
	f.StringVar(&o.ID, "id", "", "the waiver's id (default: from the ticket and the window)")
	f.DurationVar(&o.For, "for", 0, "how long the waiver lasts from --at (default 24h for a break-glass waiver; at most 72h for one)")
	f.StringVar(&o.Expires, "expires", "", "when the waiver expires, RFC 3339 (instead of --for)")
	f.BoolVar(&o.Write, "write", false, "append the waivers to the estate file they belong in, instead of printing them")
}

func newWaiverDraftCommand() *cobra.Command {
	o := &DraftOptions{}
	cmd := &cobra.Command{
		Use:   "draft (--tenant NAME | --platform) --ticket T --reason TEXT --approver EMAIL [--policy ID] [--window NAME ...] [--for D | --expires T] [--at T] [--write]",
		Short: "Draft a waiver, a break-glass one by default, checked against the estate",
		Long: `Draft writes the CUE of a waiver — by default a break-glass waiver of
` + policy.FreezePolicy + ` for every freeze window active for the tenant at
--at, one waiver per window — and checks it as the estate will: the
estate, with the draft appended to the file it belongs in, must load
(the schema's rules: a reason of at least 10 characters, an e-mail
address, a known environment class...); the windows must apply to the
tenant; a break-glass waiver must expire within 72 hours of --at; the
policy id must be one the policies give; the id must be new. When the
platform names its approvers, the approver must be one of them, and the
command says how they sign the draft.

Without --write the draft is printed, to append to the file named on
stderr; with --write it is appended to that file. Nothing is written
when any check fails (exit 2).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runWaiverDraft(cmd.OutOrStdout(), cmd.ErrOrStderr(), o)
		},
	}
	o.addFlags(cmd)
	return cmd
}

// draft is the waivers drafted, where they go and what they say.
type draft struct {
	owner   string // the tenant, "" for the platform
	waivers []estate.Waiver
	// file is the estate file the waivers are appended to, relative to
	// the root; text is what is appended.
	file string
	text []byte
	// windows describes, per waiver, the window it overrides.
	windows []string
}

func runWaiverDraft(stdout, stderr io.Writer, o *DraftOptions) error {
	at, err := o.At.Time()
	if err != nil {
		return err
	}
	if err := o.validate(); err != nil {
		return err
	}
	e, err := estate.Load(o.Estate.Root)
	if err != nil {
		return err
	}
	d, err := o.draft(e, at)
	if err != nil {
		return err
	}
	old, err := os.ReadFile(filepath.Join(o.Estate.Root, d.file))
	if err != nil {
		return err
	}
	edited := appendDraft(old, d.text)
	if err := d.check(o.Estate.Root, edited, old); err != nil {
		return err
	}
	if o.Write {
		// Atomically: the file is as it was or has the whole draft.
		if err := atomic.WriteFile(filepath.Join(o.Estate.Root, d.file), bytes.NewReader(edited)); err != nil {
			return err
		}
		// The line of the first waiver, past the blank line before it.
		line := bytes.Count(edited[:len(edited)-len(bytes.TrimLeft(d.text, "\n"))], []byte("\n")) + 1
		fmt.Fprintf(stderr, "appended %s to %s:%d\n", d.what(), d.file, line)
	} else {
		if _, err := stdout.Write(bytes.TrimPrefix(d.text, []byte("\n"))); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "append %s to %s (or run again with --write)\n", d.what(), d.file)
	}
	for i, w := range d.waivers {
		fmt.Fprintf(stderr, "waiver %q, until %s, lets %s through%s\n", w.ID, w.Expires.Format(time.RFC3339), w.Policy, d.windows[i])
	}
	if len(e.Platform.Approvers) > 0 {
		ref := "--platform"
		if d.owner != "" {
			ref = "--tenant " + d.owner
		}
		for _, w := range d.waivers {
			fmt.Fprintf(stderr, "it is in force once %s signs it: palisade waiver sign %s --waiver %s --key <their cosign key>\n", w.Approver, ref, w.ID)
		}
	}
	return nil
}

func (d *draft) what() string {
	ids := make([]string, len(d.waivers))
	for i, w := range d.waivers {
		ids[i] = fmt.Sprintf("%q", w.ID)
	}
	if len(ids) == 1 {
		return "waiver " + ids[0]
	}
	return "waivers " + strings.Join(ids, ", ")
}

// validate checks the command line alone.
func (o *DraftOptions) validate() error {
	switch {
	case (o.Tenant == "") == !o.Platform:
		return errors.New("give either --tenant NAME or --platform: whose waiver to draft")
	case o.Reason == "" || o.Ticket == "" || o.Approver == "":
		return errors.New("give --ticket, --reason and --approver: every waiver is justified and owned")
	case o.For != 0 && o.Expires != "":
		return errors.New("give --for or --expires, not both")
	case o.For < 0:
		return fmt.Errorf("invalid --for %s: want a duration ahead, such as 24h", o.For)
	case o.ID != "" && len(o.Windows) > 1:
		return errors.New("--id names one waiver: give it with one --window at most")
	case o.Platform && (o.Object != "" || o.Image != ""):
		return errors.New("--object and --image narrow a tenant's waiver; a platform waiver is narrowed by --scope-tenant, --environment and --window")
	case !o.Platform && o.ScopeTenant != "":
		return errors.New("--scope-tenant narrows a platform waiver: a tenant's waiver is the tenant's already")
	}
	return nil
}

// draft builds the waivers from the options and the estate.
func (o *DraftOptions) draft(e *estate.Estate, at time.Time) (*draft, error) {
	d := &draft{owner: o.Tenant}
	zone := e.Platform.TimeZone
	var t *estate.Tenant
	existing := e.Platform.Waivers
	if o.Platform {
		if o.Policy != policy.PlatformPolicy && o.Policy != policy.LiftedPolicy {
			return nil, fmt.Errorf("a platform waiver waives %s or %s, not %q", policy.PlatformPolicy, policy.LiftedPolicy, o.Policy)
		}
		d.file = e.Position("platform").File
		if o.ScopeTenant != "" {
			if t = e.Tenants[o.ScopeTenant]; t == nil {
				return nil, fmt.Errorf("--scope-tenant: %w", e.UnknownTenant(o.ScopeTenant))
			}
		}
	} else {
		if t = e.Tenants[o.Tenant]; t == nil {
			return nil, e.UnknownTenant(o.Tenant)
		}
		if o.Policy == policy.PlatformPolicy {
			return nil, fmt.Errorf("only a platform waiver (--platform) waives %s", policy.PlatformPolicy)
		}
		if id := policy.ClosestID(o.Policy); id != "" {
			return nil, fmt.Errorf("--policy %q is no policy's id: did you mean %s?", o.Policy, id)
		}
		if t.TimeZone != "" {
			zone = t.TimeZone
		}
		d.file = e.Position("tenants", o.Tenant).File
		existing = t.Waivers
	}
	if d.file == "" {
		return nil, errors.New("cannot tell which estate file to add the waiver to")
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		loc = time.UTC
	}
	expires, err := o.expiry(at)
	if err != nil {
		return nil, err
	}
	breakGlass := policy.NeedsBreakGlass(o.Policy)
	if breakGlass && expires.Sub(at) > policy.BreakGlassLimit {
		return nil, fmt.Errorf("a break-glass waiver of %s expires at most 72 hours after --at (%s): %s is %s after it",
			o.Policy, at.Format(time.RFC3339), expires.Format(time.RFC3339), expires.Sub(at))
	}
	windows, err := o.windows(e, t, at)
	if err != nil {
		return nil, err
	}
	if o.ID != "" && len(windows) > 1 {
		names := make([]string, len(windows))
		for i, w := range windows {
			names[i] = w.name
		}
		return nil, fmt.Errorf("--id names one waiver, and %d windows are active for %q at %s (%s): give the --window it is for", len(windows), t.Name, at.Format(time.RFC3339), strings.Join(names, ", "))
	}
	for _, win := range windows {
		w := estate.Waiver{
			Policy: o.Policy,
			Scope: estate.WaiverScope{Tenant: o.ScopeTenant, Environment: o.Environment, Window: win.name,
				Object: o.Object, Image: o.Image},
			Reason: o.Reason, Ticket: o.Ticket, Approver: o.Approver,
			Expires:    expires.In(loc),
			BreakGlass: breakGlass,
		}
		w.ID = o.ID
		if w.ID == "" {
			w.ID = draftID(o.Ticket, win.name)
		}
		if _, dup := existing[w.ID]; dup || slices.ContainsFunc(d.waivers, func(x estate.Waiver) bool { return x.ID == w.ID }) {
			return nil, fmt.Errorf("there is a waiver %q already (%s): give another --id", w.ID, e.Position(policy.WaiverPath(o.Tenant, w.ID)...))
		}
		d.waivers = append(d.waivers, w)
		d.windows = append(d.windows, win.says)
	}
	if d.text, err = waiversCUE(o.Tenant, d.waivers); err != nil {
		return nil, err
	}
	return d, nil
}

// expiry is when the drafted waivers expire.
func (o *DraftOptions) expiry(at time.Time) (time.Time, error) {
	if o.Expires != "" {
		t, err := time.Parse(time.RFC3339, o.Expires)
		if err != nil {
			return time.Time{}, fmt.Errorf("invalid --expires %q: want an RFC 3339 instant such as 2026-11-28T18:00:00+01:00", o.Expires)
		}
		return expiresAfter(t, at)
	}
	d := o.For
	if d == 0 {
		if !policy.NeedsBreakGlass(o.Policy) {
			return time.Time{}, fmt.Errorf("give --for or --expires: every waiver expires, and %s is not a break-glass rule with a default", o.Policy)
		}
		d = 24 * time.Hour
	}
	return expiresAfter(at.Add(d).Truncate(time.Second), at)
}

// expiresAfter returns t when a waiver expiring then is in force at at.
func expiresAfter(t, at time.Time) (time.Time, error) {
	if !t.After(at) {
		return time.Time{}, fmt.Errorf("the waiver would expire at %s, not after --at %s: it would be expired already", t.Format(time.RFC3339Nano), at.Format(time.RFC3339Nano))
	}
	return t, nil
}

// draftWindow is a window a drafted waiver overrides ("" for none) and
// how the summary describes it.
type draftWindow struct{ name, says string }

// windows are the windows to draft a waiver for: those given, each of
// which must apply to the tenant (or, for a platform waiver, be defined);
// else, for a tenant's freeze waiver, those active at the instant.
func (o *DraftOptions) windows(e *estate.Estate, t *estate.Tenant, at time.Time) ([]draftWindow, error) {
	var scoped []calendar.Scoped
	var active []calendar.Active
	if t != nil {
		var err error
		if scoped, err = calendar.Applicable(e, t); err != nil {
			return nil, err
		}
		if active, err = calendar.ActiveAt(e, t, at); err != nil {
			return nil, err
		}
	}
	if len(o.Windows) > 0 && !strings.HasPrefix(o.Policy, "freeze.") {
		return nil, fmt.Errorf("--window narrows a waiver of a freeze rule; the results of %s name no window", o.Policy)
	}
	if len(o.Windows) == 0 {
		whose := "every tenant it reaches"
		if t != nil {
			whose = fmt.Sprintf("%q", t.Name)
		}
		switch {
		case o.Policy == policy.LiftedPolicy:
			return []draftWindow{{"", " for any window ended early for " + whose}}, nil
		case o.Platform:
			return []draftWindow{{"", " every window of " + whose}}, nil
		case o.Policy != policy.FreezePolicy:
			return []draftWindow{{}}, nil
		}
		if len(active) == 0 {
			return nil, fmt.Errorf("no freeze window applies to %q at %s: nothing to break through (give --window NAME to draft for a window ahead, with --at the time of the change)", t.Name, at.Format(time.RFC3339))
		}
		var out []draftWindow
		for _, a := range active {
			if !slices.ContainsFunc(out, func(w draftWindow) bool { return w.name == a.Window.Name }) {
				out = append(out, draftWindow{a.Window.Name, windowSays(a.Scoped, &a.Interval)})
			}
		}
		return out, nil
	}
	var out []draftWindow
	for _, name := range o.Windows {
		if slices.ContainsFunc(out, func(w draftWindow) bool { return w.name == name }) {
			continue
		}
		if o.Policy == policy.LiftedPolicy {
			// A window ended early may be gone from the calendars.
			out = append(out, draftWindow{name, fmt.Sprintf(" for window %q ended early", name)})
			continue
		}
		if t == nil { // a platform waiver without a tenant: any window
			if !definedAnywhere(e, name) {
				return nil, fmt.Errorf("--window %q: no calendar defines it", name)
			}
			out = append(out, draftWindow{name, fmt.Sprintf(" window %q wherever it applies", name)})
			continue
		}
		i := slices.IndexFunc(scoped, func(s calendar.Scoped) bool { return s.Window.Name == name })
		if i < 0 {
			names := make([]string, len(scoped))
			for j, s := range scoped {
				names[j] = s.Window.Name
			}
			msg := fmt.Sprintf("--window %q does not apply to %q", name, t.Name)
			if s := suggest.Closest(name, names); s != "" {
				msg += fmt.Sprintf(": did you mean %q?", s)
			}
			return nil, fmt.Errorf("%s (the windows that apply to it: %s)", msg, checkreport.Names(names, 8))
		}
		var iv *calendar.Interval
		for _, a := range active {
			if a.Window.Name == name {
				iv = &a.Interval
			}
		}
		out = append(out, draftWindow{name, windowSays(scoped[i], iv)})
	}
	return out, nil
}

// definedAnywhere reports whether a calendar of the estate, the
// platform's, a tier's or a tenant's, defines a window of that name.
func definedAnywhere(e *estate.Estate, name string) bool {
	if _, ok := e.Platform.Calendar[name]; ok {
		return true
	}
	for _, tr := range e.Tiers {
		if _, ok := tr.Calendar[name]; ok {
			return true
		}
	}
	for _, t := range e.Tenants {
		if _, ok := t.Calendar[name]; ok {
			return true
		}
	}
	return false
}

// windowSays describes the window a waiver overrides for the summary: its
// kind, where it is defined and, when active, its end.
func windowSays(s calendar.Scoped, iv *calendar.Interval) string {
	says := fmt.Sprintf(" %s window %q (%s scope)", s.Window.Kind, s.Window.Name, s.Calendar)
	if iv == nil {
		return says + ", not active at --at"
	}
	loc, err := time.LoadLocation(s.Zone)
	if err != nil {
		loc = time.UTC
	}
	return says + fmt.Sprintf(", which runs until %s %s", iv.End.In(loc).Format("2006-01-02 15:04"), s.Zone)
}

// draftID is a waiver id made of the ticket and the window: lower case,
// runs of other characters as one hyphen, at most 63 characters.
func draftID(ticket, window string) string {
	var b strings.Builder
	for _, part := range []string{ticket, window} {
		for _, r := range strings.ToLower(part) {
			if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
				b.WriteRune(r)
			} else if s := b.String(); s != "" && !strings.HasSuffix(s, "-") {
				b.WriteByte('-')
			}
		}
		if s := b.String(); s != "" && !strings.HasSuffix(s, "-") {
			b.WriteByte('-')
		}
	}
	id := strings.Trim(b.String(), "-")
	if len(id) > 63 {
		id = strings.TrimRight(id[:63], "-")
	}
	if id == "" {
		id = "break-glass"
	}
	return id
}

// waiversCUE is the CUE of the waivers, as they are appended to the
// estate file: one top-level field each, tenants."name".waivers."id" (or
// platform.waivers."id"), formatted as cue fmt does.
func waiversCUE(tenant string, ws []estate.Waiver) ([]byte, error) {
	q := literal.String.Quote
	var b bytes.Buffer
	for _, w := range ws {
		b.WriteString("\n")
		if tenant == "" {
			fmt.Fprintf(&b, "platform: waivers: %s: {\n", q(w.ID))
		} else {
			fmt.Fprintf(&b, "tenants: %s: waivers: %s: {\n", q(tenant), q(w.ID))
		}
		fmt.Fprintf(&b, "policy: %s\n", q(w.Policy))
		var scope []string
		for _, f := range []struct{ name, v string }{
			{"tenant", w.Scope.Tenant}, {"environment", w.Scope.Environment}, {"window", w.Scope.Window},
			{"object", w.Scope.Object}, {"image", w.Scope.Image},
		} {
			if f.v != "" {
				scope = append(scope, f.name+": "+q(f.v))
			}
		}
		switch len(scope) {
		case 0:
		case 1:
			fmt.Fprintf(&b, "scope: %s\n", scope[0])
		default:
			fmt.Fprintf(&b, "scope: {%s}\n", strings.Join(scope, ", "))
		}
		fmt.Fprintf(&b, "reason: %s\nticket: %s\napprover: %s\nexpires: %s\n",
			q(w.Reason), q(w.Ticket), q(w.Approver), q(w.Expires.Format(time.RFC3339)))
		if w.BreakGlass {
			b.WriteString("breakGlass: true\n")
		}
		b.WriteString("}\n")
	}
	out, err := format.Source(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("formatting the draft: %w", err)
	}
	return append([]byte("\n"), out...), nil
}

// appendDraft is file content with the draft appended, on a line of its
// own.
func appendDraft(old, text []byte) []byte {
	out := slices.Clip(old)
	if len(out) > 0 && out[len(out)-1] != '\n' {
		out = append(out, '\n')
	}
	return append(out, text...)
}

// check loads the estate with the draft appended to its file, as it will
// be once the draft is added, and requires it to load and to hold the
// waivers as drafted.
func (d *draft) check(root string, edited, old []byte) error {
	fsys := overlay.FS{Mem: fstest.MapFS{d.file: {Data: edited, Mode: 0o644}}, Disk: os.DirFS(root)}
	e, err := estate.LoadFS(fsys, root)
	if err != nil {
		var ie *estate.InputError
		if errors.As(err, &ie) {
			return &draftError{file: d.file, from: bytes.Count(old, []byte("\n")) + 1, err: ie, prefixes: d.paths()}
		}
		return err
	}
	loaded := e.Platform.Waivers
	if d.owner != "" {
		loaded = e.Tenants[d.owner].Waivers
	}
	for _, w := range d.waivers {
		got, ok := loaded[w.ID]
		if !ok {
			return fmt.Errorf("the draft does not load as waiver %q (waivers: %s)", w.ID, checkreport.Names(slices.Sorted(maps.Keys(loaded)), 8))
		}
		// Field for field, quoting included; whether it is approved yet
		// is the approver's business.
		got.NotApproved = ""
		if got.Expires.Equal(w.Expires) {
			got.Expires = w.Expires
		}
		if got != w {
			return fmt.Errorf("waiver %q loads other than drafted: %+v", w.ID, got)
		}
		if _, named := e.Platform.Approvers[w.Approver]; len(e.Platform.Approvers) > 0 && !named {
			return fmt.Errorf("--approver %s is not one of the platform's approvers (%s): the waiver would not be in force",
				w.Approver, checkreport.Names(slices.Sorted(maps.Keys(e.Platform.Approvers)), 8))
		}
	}
	return nil
}

// draftError is the estate's verdict on a draft that does not load.
type draftError struct {
	file string
	from int
	err  *estate.InputError
	// prefixes are the CUE paths of the waivers drafted, each followed
	// by a dot, as the estate's diagnostics name them.
	prefixes []string
}

// paths are the CUE paths of the drafted waivers, each followed by a dot.
func (d *draft) paths() []string {
	out := make([]string, len(d.waivers))
	for i, w := range d.waivers {
		out[i] = estate.PathOf(policy.WaiverPath(d.owner, w.ID)...) + "."
	}
	return out
}

// draftFlags are the options that give each field of a drafted waiver.
var draftFlags = map[string]string{
	"policy":            "--policy",
	"reason":            "--reason",
	"ticket":            "--ticket",
	"approver":          "--approver",
	"expires":           "--for/--expires",
	"scope.tenant":      "--scope-tenant",
	"scope.environment": "--environment",
	"scope.window":      "--window",
	"scope.object":      "--object",
	"scope.image":       "--image",
}

func (e *draftError) Error() string {
	// Waivers drafted for several windows share their mistakes: each is
	// said once.
	var lines []string
	positioned := false
	for _, d := range e.err.Diagnostics {
		l := d.String()
		if flag := e.flag(d); flag != "" {
			l = flag + ": " + d.Message
		} else if d.Pos.File == e.file && d.Pos.Line >= e.from {
			positioned = true
		}
		if !slices.Contains(lines, l) {
			lines = append(lines, l)
		}
	}
	where := ""
	if positioned {
		where = fmt.Sprintf(" (it would be %s from line %d on)", e.file, e.from)
	}
	return fmt.Sprintf("the draft does not load with the estate%s; nothing was written:\n  %s", where, strings.Join(lines, "\n  "))
}

// flag is the option that gave the field of the draft diagnostic d is
// about, or "" when d is not about a field the options give.
func (e *draftError) flag(d estate.Diagnostic) string {
	if d.Pos.File != e.file || d.Pos.Line < e.from {
		return ""
	}
	for _, p := range e.prefixes {
		if field, ok := strings.CutPrefix(d.Path, p); ok {
			return draftFlags[field]
		}
	}
	return ""
}
