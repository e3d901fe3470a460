package render

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/palisade-gitops/palisade/internal/estate"
	"github.com/palisade-gitops/palisade/internal/estategen"
)

// testAt is the instant of every test render. Early 2027, so that the
// six-month sync-window horizon covers the June and July promotion windows
// estategen gives some tenants.
var testAt = time.Date(2027, 3, 1, 9, 30, 0, 0, time.UTC)

// syntheticSeeds are the seeds of the synthetic estates the tests render:
// with 40 tenants (and with 12, the first), each gives shared, segmented
// and dedicated tenants, dedicated ones with a standby, and some tenants
// with a window of their own.
var syntheticSeeds = []uint64{1, 9, 10}

// syntheticBudget sizes the synthetic estates: three of 40 tenants, or one
// of 12 under the race detector or -short, where rendering (and krusty
// above all) is an order of magnitude slower.
func syntheticBudget() (tenants int, seeds []uint64) {
	if raceEnabled || testing.Short() {
		return 12, syntheticSeeds[:1]
	}
	return 40, syntheticSeeds
}

// namedEstate is a synthetic estate and what made it.
type namedEstate struct {
	name string
	e    *estate.Estate
}

// syntheticEstates loads the synthetic estates of the budget, each with
// tenants of every tier.
func syntheticEstates(t testing.TB) []namedEstate {
	t.Helper()
	n, seeds := syntheticBudget()
	var out []namedEstate
	for _, seed := range seeds {
		e := syntheticEstate(t, n, seed)
		requireAllTiers(t, e)
		out = append(out, namedEstate{fmt.Sprintf("tenants=%d,seed=%d", n, seed), e})
	}
	return out
}

// firstSyntheticEstate is the first of syntheticEstates.
func firstSyntheticEstate(t testing.TB) *estate.Estate {
	t.Helper()
	n, seeds := syntheticBudget()
	e := syntheticEstate(t, n, seeds[0])
	requireAllTiers(t, e)
	return e
}

// syntheticEstate writes a synthetic estate into a temporary directory and
// loads it.
func syntheticEstate(t testing.TB, tenants int, seed uint64) *estate.Estate {
	t.Helper()
	dir := t.TempDir()
	if err := estategen.Write(dir, estategen.Options{Tenants: tenants, Seed: seed}); err != nil {
		t.Fatalf("estategen.Write: %v", err)
	}
	e, err := estate.Load(dir)
	if err != nil {
		t.Fatalf("estate.Load: %v", err)
	}
	return e
}

// tiersOfEstate counts the estate's tenants by tier isolation.
func tiersOfEstate(e *estate.Estate) map[string]int {
	n := map[string]int{}
	for _, tn := range e.Tenants {
		n[e.Tiers[tn.Tier].Isolation]++
	}
	return n
}

// requireAllTiers fails unless the estate has tenants of every isolation.
func requireAllTiers(t testing.TB, e *estate.Estate) {
	t.Helper()
	n := tiersOfEstate(e)
	for _, iso := range []string{estate.IsolationShared, estate.IsolationSegmented, estate.IsolationDedicated} {
		if n[iso] == 0 {
			t.Fatalf("synthetic estate has no %s tenant (tiers %v): pick other seeds", iso, n)
		}
	}
}

func mustRender(t testing.TB, e *estate.Estate, o Options) *Result {
	t.Helper()
	if o.At.IsZero() {
		o.At = testAt
	}
	r, err := Render(e, o)
	if err != nil {
		t.Fatalf("Render(%+v): %v", o, err)
	}
	return r
}

// splitDocs splits a multi-document YAML stream at its "---" lines. Block
// scalars are indented, so such a line is always a separator.
func splitDocs(m []byte) [][]byte {
	var out [][]byte
	var cur bytes.Buffer
	for _, line := range strings.SplitAfter(string(m), "\n") {
		if line == "---\n" || line == "---" {
			out = append(out, bytes.Clone(cur.Bytes()))
			cur.Reset()
			continue
		}
		cur.WriteString(line)
	}
	if cur.Len() > 0 {
		out = append(out, bytes.Clone(cur.Bytes()))
	}
	return out
}

// decodeObjects parses every document of a manifest into a generic object
// (JSON numbers are float64).
func decodeObjects(t testing.TB, m []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	for i, d := range splitDocs(m) {
		var o map[string]any
		if err := yaml.Unmarshal(d, &o); err != nil {
			t.Fatalf("document %d: %v\n%s", i, err, d)
		}
		if o == nil {
			t.Fatalf("document %d is empty", i)
		}
		out = append(out, o)
	}
	return out
}

// firstDiff describes the first line where got and want differ, with a few
// lines of context, or returns "" when they are equal.
func firstDiff(got, want []byte) string {
	if bytes.Equal(got, want) {
		return ""
	}
	g := strings.Split(string(got), "\n")
	w := strings.Split(string(want), "\n")
	i := 0
	for i < len(g) && i < len(w) && g[i] == w[i] {
		i++
	}
	lo := max(0, i-3)
	ctx := func(lines []string) string {
		var b strings.Builder
		for j := lo; j < min(len(lines), i+4); j++ {
			mark := "  "
			if j == i {
				mark = "> "
			}
			fmt.Fprintf(&b, "%s%4d | %q\n", mark, j+1, lines[j])
		}
		if i >= len(lines) {
			fmt.Fprintf(&b, "> %4d | <end of input>\n", i+1)
		}
		return b.String()
	}
	return fmt.Sprintf("first difference at line %d (got %d lines, want %d):\ngot:\n%swant:\n%s", i+1, len(g), len(w), ctx(g), ctx(w))
}

// str walks nested maps by keys and returns the string at the end ("" when
// absent or not a string).
func str(o map[string]any, keys ...string) string {
	s, _ := dig(o, keys...).(string)
	return s
}

// dig walks nested maps by keys.
func dig(o map[string]any, keys ...string) any {
	var v any = o
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func mapAt(o map[string]any, keys ...string) map[string]any {
	m, _ := dig(o, keys...).(map[string]any)
	return m
}

func listAt(o map[string]any, keys ...string) []any {
	l, _ := dig(o, keys...).([]any)
	return l
}
