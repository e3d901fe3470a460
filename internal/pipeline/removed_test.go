package pipeline

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/palisade-gitops/palisade/internal/estate"
)

func TestRemovedFacts(t *testing.T) {
	ns := func(zone string) []byte {
		s := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n"
		if zone != "" {
			s += "  annotations:\n    palisade.io/time-zone: " + zone + "\n"
		}
		return []byte(s + "  labels:\n    palisade.io/segment: fashion-eu\n    palisade.io/tenant: kids\n    palisade.io/tier: segmented\n  name: kids-prod\n")
	}
	base := NewMapBaseline(map[string][]byte{
		"clusters/west/tenants/kids/production/resources.yaml":     ns("Europe/Helsinki"),
		"clusters/west/tenants/kids/production/kustomization.yaml": []byte("resources:\n- resources.yaml\n"),
		"clusters/west/tenants/kids/staging/resources.yaml":        ns(""),
		"clusters/west/tenants/other/production/resources.yaml":    []byte("kind: Namespace\nmetadata:\n  labels:\n    palisade.io/tenant: other\n    palisade.io/tier: shared\n"),
	})
	r, err := removedFacts(base, "kids")
	if err != nil {
		t.Fatal(err)
	}
	if r.Tier != "segmented" || r.Segment != "fashion-eu" || r.TimeZone != "Europe/Helsinki" || !slices.Equal(r.Environments, []string{"production", "staging"}) {
		t.Errorf("got %+v", r)
	}

	// A tree rendered before the time-zone annotation: the platform's
	// zone decides, and its windows still apply.
	base = NewMapBaseline(map[string][]byte{"clusters/west/tenants/kids/staging/resources.yaml": ns("")})
	e := &estate.Estate{Platform: estate.Platform{TimeZone: "Europe/Paris", Calendar: map[string]estate.Window{
		"close": {Kind: "financial-close", Fixed: &estate.FixedRange{Start: "2026-10-29", End: "2026-11-02"}},
	}}}
	in, err := removedInput(e, base, "kids", time.Date(2026, 10, 30, 12, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if in.Tenant.TimeZone != "Europe/Paris" || len(in.Windows) != 1 || in.Windows[0].EndLocal != "2026-11-03 00:00 Europe/Paris" ||
		!in.Change.Removed || !slices.Equal(in.Change.Environments, []string{"staging"}) || len(in.Environments) != 0 {
		t.Errorf("got %+v", in)
	}
}

// TestPreviousFromTip: a removed tenant's previous definition comes from
// the commit its held-back removal names, else from the tip's estate
// commit; each commit is loaded once; what cannot be read is noted.
func TestPreviousFromTip(t *testing.T) {
	files := map[string][]byte{}
	for _, n := range []string{"stays", "gone", "held", "missing"} {
		files["clusters/west/tenants/"+n+"/production/kustomization.yaml"] = []byte("resources: []\n")
	}
	base := NewMapBaseline(files)
	p := &Prepared{Estate: &estate.Estate{Tenants: map[string]*estate.Tenant{"stays": {Name: "stays"}}}}
	sale := map[string]estate.Window{"sale": {Name: "sale", Kind: estate.KindPromotion}}
	estates := map[string]*estate.Estate{
		"aaaa": {Tenants: map[string]*estate.Tenant{"gone": {Name: "gone", Calendar: sale}}},
		"bbbb": {Tenants: map[string]*estate.Tenant{"held": {Name: "held", Calendar: sale}}},
	}
	var loads []string
	load := func(c string, beside *estate.Estate) (*estate.Estate, error) {
		if beside != p.Estate {
			t.Errorf("loading %s beside %v, want the estate being rendered", c, beside)
		}
		loads = append(loads, c)
		if e := estates[c]; e != nil {
			return e, nil
		}
		return nil, errors.New("object not found")
	}
	msg := "render\n\nPalisade-Source-Commit: aaaa\nPalisade-Held-Removal-Calendar: held bbbb\n"
	got, notes, unread := p.previousFromTip(base, msg, "", load)
	if len(unread) != 0 {
		t.Errorf("unread %v, want none", unread)
	}
	note := strings.Join(notes, "\n")
	for _, n := range []string{"gone", "held"} {
		if r, err := removedFacts(got, n); err != nil || r.Calendar["sale"].Name != "sale" {
			t.Errorf("%s: calendar %v (%v), want its previous one", n, r.Calendar, err)
		}
	}
	if calendarFrom(got, "held") != "bbbb" || calendarFrom(got, "gone") != "aaaa" {
		t.Errorf("calendar from %q and %q", calendarFrom(got, "held"), calendarFrom(got, "gone"))
	}
	slices.Sort(loads)
	if !slices.Equal(loads, []string{"aaaa", "bbbb"}) {
		t.Errorf("loaded %v, want each commit once", loads)
	}
	if want := "the removal of missing: the estate as of commit aaaa does not define it: judged by the platform's and the tier's freeze calendars only, not by the tenant's own"; note != want {
		t.Errorf("note %q\nwant %q", note, want)
	}
	if pb, ok := got.(previousBaseline); !ok || pb.est != estates["aaaa"] {
		t.Errorf("the estate the baseline was rendered from is not the tip's estate commit: %T", got)
	}

	// Rendering the tip's own estate commit again reads nothing: the
	// estate rendered is that commit's.
	loads = nil
	got, notes, _ = p.previousFromTip(NewMapBaseline(nil), "render\n\nPalisade-Source-Commit: dddd\n", "dddd", load)
	if pb, ok := got.(previousBaseline); !ok || pb.est != p.Estate || len(loads) != 0 || len(notes) != 0 {
		t.Errorf("same commit: baseline %T, loads %v, notes %q", got, loads, notes)
	}

	loads = nil
	_, notes, unread = p.previousFromTip(base, "render\n\nPalisade-Source-Commit: cccc\n", "", load)
	if len(unread) != 1 || unread[0].commit != "cccc" || unread[0].err == nil {
		t.Errorf("unread %v, want cccc and why: the commit the render judged without", unread)
	}
	err := unreadError(unread)
	if oe := (*OutsideError)(nil); !errors.As(err, &oe) || !strings.Contains(err.Error(), "cannot read estate commit cccc (object not found), which the render judges against") || !strings.Contains(err.Error(), "--allow-unread-estate") {
		t.Errorf("refusal %v: want an outside failure naming cccc and the way out", err)
	}
	if len(notes) != 2 || !strings.Contains(notes[0], "the removal of gone: the estate as of commit cccc cannot be read (object not found); a shallow clone lacks it: fetch the estate's history; the removal of held: ") ||
		notes[1] != "the estate the last render was made from (commit cccc) cannot be read (object not found): a change that ends a freeze window early is not judged (freeze.window-lifted); a shallow clone lacks it: fetch the estate's history" {
		t.Errorf("notes %q", notes)
	}
	if !slices.Equal(loads, []string{"cccc"}) {
		t.Errorf("loaded %v, want cccc once, failure included", loads)
	}
	if b, notes, _ := p.previousFromTip(base, "hand-made commit\n", "", load); b != Baseline(base) || len(notes) != 1 || !strings.Contains(notes[0], "names no estate commit") {
		t.Errorf("no trailer: baseline %T, notes %q", b, notes)
	}
}

// fakeSource is a PreviousSource that records what it loads, and whose
// commits differ in tenant files only when same says so.
type fakeSource struct {
	same  bool
	loads []string
}

func (f *fakeSource) LoadEstate(c string) (*estate.Estate, error) {
	f.loads = append(f.loads, "full "+c)
	return &estate.Estate{Platform: estate.Platform{Name: c}}, nil
}

func (f *fakeSource) LoadEstateBeside(c string, beside *estate.Estate) (*estate.Estate, error) {
	f.loads = append(f.loads, "beside "+beside.Platform.Name+" "+c)
	return &estate.Estate{Platform: estate.Platform{Name: c}}, nil
}

func (f *fakeSource) SameBesideTenants(a, b string) bool { return f.same }

// TestPrefetchPrevious: the estate the prefetched tip was rendered from
// is loaded ahead, once, and handed out for that commit — unless it
// differs from the commit being rendered in tenant files only: it then
// loads when asked, beside the estate being rendered. Other commits load
// on demand, beside it; the commit being rendered is not loaded at all.
func TestPrefetchPrevious(t *testing.T) {
	done := make(chan struct{})
	close(done)
	pf := &Prefetch{done: done, msg: "render\n\nPalisade-Source-Commit: aaaa\n"}
	rendering := &estate.Estate{Platform: estate.Platform{Name: "bbbb"}}
	src := &fakeSource{}
	get := pf.Previous("bbbb", src)
	for range 2 {
		if e, err := get("aaaa", rendering); err != nil || e.Platform.Name != "aaaa" {
			t.Fatalf("aaaa: %v %v", e, err)
		}
	}
	if e, err := get("cccc", rendering); err != nil || e.Platform.Name != "cccc" {
		t.Fatalf("cccc: %v %v", e, err)
	}
	if want := []string{"full aaaa", "beside bbbb cccc"}; !slices.Equal(src.loads, want) {
		t.Errorf("loaded %q, want %q: aaaa ahead and once, then cccc", src.loads, want)
	}

	src = &fakeSource{same: true}
	get = pf.Previous("bbbb", src)
	if e, err := get("aaaa", rendering); err != nil || e.Platform.Name != "aaaa" {
		t.Fatalf("aaaa: %v %v", e, err)
	}
	if want := []string{"beside bbbb aaaa"}; !slices.Equal(src.loads, want) {
		t.Errorf("tenant files apart: loaded %q, want %q", src.loads, want)
	}

	src = &fakeSource{}
	if _, err := pf.Previous("aaaa", src)("dddd", rendering); err != nil || !slices.Equal(src.loads, []string{"beside bbbb dddd"}) {
		t.Errorf("rendering the tip's own commit: loaded %q (%v), want nothing ahead", src.loads, err)
	}
	if got := (*Prefetch)(nil).Previous("aaaa", src); got == nil {
		t.Error("no prefetch: want a loader")
	}
	if got := pf.Previous("aaaa", nil); got != nil {
		t.Error("no source: want no loader")
	}
}
