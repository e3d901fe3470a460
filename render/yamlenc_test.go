package render

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	yamlv2 "go.yaml.in/yaml/v2"
)

// fromYAMLv2 turns what yaml.v2 decodes into the normalised form encodeYAML
// takes: map[string]any, []any, int64, float64, bool, string and nil.
func fromYAMLv2(v any) (any, error) {
	switch v := v.(type) {
	case map[any]any:
		m := make(map[string]any, len(v))
		for k, x := range v {
			ks, ok := k.(string)
			if !ok {
				return nil, fmt.Errorf("non-string key %#v", k)
			}
			y, err := fromYAMLv2(x)
			if err != nil {
				return nil, err
			}
			m[ks] = y
		}
		return m, nil
	case []any:
		s := make([]any, len(v))
		for i, x := range v {
			y, err := fromYAMLv2(x)
			if err != nil {
				return nil, err
			}
			s[i] = y
		}
		return s, nil
	case int:
		return int64(v), nil
	case int64, float64, bool, string, nil:
		return v, nil
	}
	return nil, fmt.Errorf("unexpected %T", v)
}

// requireEncodesLikeYAMLv2 fails unless encodeYAML(doc) is exactly what
// yaml.v2 prints (or both fail).
func requireEncodesLikeYAMLv2(t testing.TB, doc map[string]any) {
	t.Helper()
	want, werr := yamlv2.Marshal(doc)
	got, gerr := encodeYAML(doc)
	if (gerr != nil) != (werr != nil) {
		t.Fatalf("encodeYAML error %v, yaml.v2 error %v, for %#v", gerr, werr, doc)
	}
	if d := firstDiff(got, want); d != "" {
		t.Fatalf("encodeYAML differs from yaml.v2 for %#v:\n%s\ngot:\n%s\nwant:\n%s", doc, d, got, want)
	}
}

// fastPath reports whether encodeYAML's own writer (not its yaml.v2
// fallback) handles doc.
func fastPath(doc map[string]any) bool {
	var b bytes.Buffer
	return writeMap(&b, doc, 0, false)
}

// TestEncodeYAMLMatchesYAMLv2 re-encodes every object of synthetic renders
// (both targets, every hydrated manifest and every kustomize-layout
// resource file) and requires encodeYAML to print exactly what yaml.v2
// prints for it.
func TestEncodeYAMLMatchesYAMLv2(t *testing.T) {
	e := firstSyntheticEstate(t)
	docs, fast := 0, 0
	for _, target := range []string{TargetArgoCD, TargetFlux} {
		r := mustRender(t, e, Options{Target: target})
		streams := map[string][]byte{}
		for p, data := range r.Bases {
			streams[p] = data
		}
		for _, u := range r.Units {
			streams[u.Dir+" (manifest)"] = u.Manifest
			for name, data := range u.Files {
				streams[u.Dir+"/"+name] = data
			}
		}
		for _, name := range slices.Sorted(func(yield func(string) bool) {
			for k := range streams {
				if !yield(k) {
					return
				}
			}
		}) {
			dec := yamlv2.NewDecoder(bytes.NewReader(streams[name]))
			for i := 0; ; i++ {
				var raw any
				if err := dec.Decode(&raw); err != nil {
					if err.Error() == "EOF" {
						break
					}
					t.Fatalf("%s: document %d: %v", name, i, err)
				}
				v, err := fromYAMLv2(raw)
				if err != nil {
					t.Fatalf("%s: document %d: %v", name, i, err)
				}
				doc, ok := v.(map[string]any)
				if !ok {
					t.Fatalf("%s: document %d is a %T", name, i, v)
				}
				docs++
				if fastPath(doc) {
					fast++
				}
				want, err := yamlv2.Marshal(doc)
				if err != nil {
					t.Fatal(err)
				}
				got, err := encodeYAML(doc)
				if err != nil {
					t.Fatalf("%s: document %d: encodeYAML: %v", name, i, err)
				}
				if d := firstDiff(got, want); d != "" {
					t.Errorf("%s: document %d: encodeYAML differs from yaml.v2: %s", name, i, d)
				}
			}
		}
	}
	t.Logf("%d documents, %d (%.0f%%) on encodeYAML's own path", docs, fast, 100*float64(fast)/float64(docs))
	if docs == 0 {
		t.Fatal("no documents rendered")
	}
	// The encoder exists to be fast on rendered objects: most must not fall
	// back to yaml.v2 (else this test compares yaml.v2 with itself).
	if fast*2 < docs {
		t.Errorf("only %d of %d rendered documents on encodeYAML's own path", fast, docs)
	}
}

// words builds a string of n-letter words separated by single spaces,
// exactly length runes long.
func words(length int) string {
	var b strings.Builder
	for b.Len() < length {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("lorem")
	}
	return b.String()[:length]
}

// edgeValues are scalars and collections whose rendering is easy to get
// wrong.
func edgeValues() []any {
	vals := []any{
		// Strings that resolve to something else when plain.
		"1", "0", "-1", "+1", "012", "0.8", ".5", "1e3", "1E3", "0x1F", "0o17", "0b101", "1_000",
		"12:30", "1:20:30", "190:20:30", "2026-11-20", "2026-11-20T10:00:00Z", "2026-11-20 10:00:00",
		".inf", "-.Inf", ".nan", "NaN", "true", "True", "TRUE", "false", "yes", "Yes", "no", "No", "on", "On", "off",
		"y", "Y", "n", "N", "~", "null", "Null", "NULL", "",
		// Indicators and quoting.
		"a: b", "a:b", "a:", ":", "a #b", "a#b", "#a", "- a", "-", "--", "---", "...", "? a", "?", "@a", "`a",
		"!a", "&a", "*a", "|", "|a", ">", ">a", "%a", "{a}", "[a]", "a,b", "a, b", "'a'", `"a"`, "it's",
		`say "hi"`, `back\slash`, "=", "<<",
		// Spaces and control characters.
		" lead", "trail ", " both ", "a  b", " ", "  ", "a\tb", "\t", "\ttab", "a\rb", "a\x00b", "\x7f", "a\x1bb",
		// Unicode.
		"é", "café au lait", "Ünïcödé", "😀", "emoji 😀 text", "\u00a0nbsp", "a\u2028b", "a\u0085b", "\ufeffbom",
		"日本語のテキスト", "\xff\xfe", "mixed \xff bytes",
		// Multi-line strings.
		"a\nb", "a\nb\n", "a\n\nb", "a\n\nb\n", "a\n  b\n", "a\n\tb\n", "a\n b", "  a\nb", " a\nb\n", "\na", "\n", "\n\n",
		"a\nb\n\n", "a\n\n\n", "a\r\nb", "é\nü\n", "#!/bin/sh\nset -e\n", "a\n- b\n", "key: value\nother: x\n",
		"---\nx", "a\n...\n", "a \nb", "a\n \nb", "a\n\n", "[options]\ndb_host = False\n",
		"x\n" + strings.Repeat("long line with spaces ", 10) + "\n",
		// Long strings, without and with spaces, plain and quoted.
		strings.Repeat("x", 200), strings.Repeat("x", 100) + " y", "y " + strings.Repeat("x", 100),
		words(78), words(79), words(80), words(81), words(120), words(300),
		"true " + words(90), "a: " + words(90), words(90) + " #c", "é " + words(90), words(60) + " 😀 " + words(30),
		"Host(`www.example.com`) && PathPrefix(`/websocket`) && Headers(`X-Forwarded-Proto`, `https`)",
		// Other scalars.
		int64(0), int64(-5), int64(math.MaxInt64), int64(math.MinInt64), 7, int32(3), true, false, nil,
		0.5, 1.0, 100.0, -0.0, 1e21, 1e-7, math.Inf(1), math.Inf(-1), math.NaN(), 3.14159, uint(5), int8(-3),
		// Collections.
		map[string]any{}, []any{}, []any{[]any{}}, []any{[]any{int64(1), "a"}, []any{}},
		[]any{map[string]any{}}, []any{"a", []any{"b", []any{"c"}}},
		map[string]any{"x": map[string]any{}, "y": []any{}},
		[]any{map[string]any{"a": []any{}, "b": map[string]any{}}, map[string]any{"c": []any{[]any{}}}},
		[]any{nil, "", int64(0), false},
		[]any{map[string]any{"a": "x\ny\n"}, "p\nq"},
	}
	// Plain strings right around the fold width, for every position below.
	for n := 60; n <= 86; n++ {
		vals = append(vals, strings.Repeat("w", n)+" end", "s "+strings.Repeat("w", n), words(n))
	}
	return vals
}

// positions place a value at different depths and in different kinds of
// parent, so that its starting column and block indentation vary.
var positions = []struct {
	name  string
	place func(v any) map[string]any
}{
	{"top", func(v any) map[string]any { return map[string]any{"k": v} }},
	{"deep", func(v any) map[string]any {
		return map[string]any{"a": map[string]any{"b": map[string]any{"c": map[string]any{"d": v}}}}
	}},
	{"long-key", func(v any) map[string]any {
		return map[string]any{"a-rather-long-key-that-pushes-its-value-to-the-right": v}
	}},
	{"seq", func(v any) map[string]any { return map[string]any{"l": []any{v, v}} }},
	{"seq-map", func(v any) map[string]any {
		return map[string]any{"l": []any{map[string]any{"x": v, "y": v}}}
	}},
	{"seq-map-seq", func(v any) map[string]any {
		return map[string]any{"s": []any{map[string]any{"t": map[string]any{"u": []any{map[string]any{"v": v}}}}}}
	}},
	{"siblings", func(v any) map[string]any {
		return map[string]any{"a": v, "b": map[string]any{"c": v, "d": []any{}}, "e": []any{}, "f": map[string]any{}}
	}},
}

func TestEncodeYAMLEdgeCases(t *testing.T) {
	for i, v := range edgeValues() {
		if isKnownEncoderBug(v) {
			continue // see the TestEncodeYAMLBug* tests
		}
		for _, p := range positions {
			t.Run(fmt.Sprintf("%d/%s", i, p.name), func(t *testing.T) {
				requireEncodesLikeYAMLv2(t, p.place(v))
			})
		}
	}
}

// isKnownEncoderBug reports the edge values of the known mismatches, which
// have tests of their own so that this table stays green for the rest.
func isKnownEncoderBug(v any) bool {
	s, ok := v.(string)
	return ok && (strings.Contains(s, "\n") && strings.HasSuffix(s, " ") || strings.ContainsAny(s, "\u2028\u2029"))
}

// strictlyOrdered reports whether keyLess (yaml.v2's key order, copied) is
// a strict total order on keys. yaml.v2's order is not transitive for some
// keys mixing digit runs and letters ("v1beta1" < "v2alpha1" < "v10" <
// "v1beta1"; "k8s" < "k08s" < "k80s" < "k8s"): yaml.v2 then prints such a
// map in an order that depends on Go's map iteration, so no encoder can
// match it byte for byte (and neither is deterministic).
func strictlyOrdered(keys []string) bool {
	for _, a := range keys {
		for _, b := range keys {
			if a != b && keyLess(a, b) == keyLess(b, a) {
				return false
			}
			for _, c := range keys {
				if keyLess(a, b) && keyLess(b, c) && !keyLess(a, c) {
					return false
				}
			}
		}
	}
	return true
}

// allStrictlyOrdered applies strictlyOrdered to every map of a tree.
func allStrictlyOrdered(v any) bool {
	switch v := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k, x := range v {
			if !allStrictlyOrdered(x) {
				return false
			}
			keys = append(keys, k)
		}
		return strictlyOrdered(keys)
	case []any:
		for _, x := range v {
			if !allStrictlyOrdered(x) {
				return false
			}
		}
	}
	return true
}

func TestYAMLv2KeyOrderIsNotStrict(t *testing.T) {
	// Documents why the ordering cases and the fuzzer avoid such keys.
	for _, keys := range [][]string{{"k8s", "k08s", "k80s"}, {"v1beta1", "v2alpha1", "v10"}, {"a10", "a1b", "a9"}} {
		if strictlyOrdered(keys) {
			t.Errorf("keyLess orders %q strictly; yaml.v2's order does not", keys)
		}
	}
}

func keysDoc(keys []string) map[string]any {
	m := map[string]any{}
	for i, k := range keys {
		m[k] = int64(i)
	}
	return m
}

func TestEncodeYAMLKeys(t *testing.T) {
	// Keys yaml.v2 orders deterministically: digit runs compare as numbers,
	// non-letters before letters.
	ordering := []string{
		"a10", "a9", "a1", "a0", "a", "b", "B", "Z", "_x", "1", "10", "2", "x.y", "x-y",
		"x_y", "xy", "é", "z9z", "z10a", "app.kubernetes.io/name", "app.kubernetes.io/part-of",
		"palisade.io/tenant", "pod-security.kubernetes.io/enforce", "v1", "v10", "v2", "ab0", "k8s", "k80s",
		"web.workers", "web.db_host", "longpolling.workers", "odoo.conf", "requests.cpu", "limits.memory",
	}
	if !strictlyOrdered(ordering) {
		t.Fatal("ordering keys are not strictly ordered by keyLess")
	}
	groups := [][]string{
		{"a1", "a01", "a001"}, {"a00b", "a01", "a1"}, {"0", "00", "000", "1", "02"}, {"a9", "a09", "a10"},
		{"a1b", "a1b2", "a1b10", "a1"}, {"v1", "v1beta1", "v2"}, {"v1", "v2alpha1", "v2beta1", "v10"},
	}
	tests := []struct {
		name string
		doc  map[string]any
	}{
		{"ordering", keysDoc(ordering)},
		{"ordering-nested", map[string]any{"l": []any{map[string]any{"a10": "x", "a9": "y", "a": map[string]any{"b2": 1, "b10": 2}}}}},
		{"key-128-bytes", map[string]any{strings.Repeat("k", 128): "v"}},
		{"key-long-spaces", map[string]any{words(100): "v"}},
		{"key-long-value", map[string]any{strings.Repeat("k", 70): words(40)}},
	}
	for i, g := range groups {
		tests = append(tests, struct {
			name string
			doc  map[string]any
		}{fmt.Sprintf("ordering-%d", i), keysDoc(g)})
	}
	for _, k := range []string{
		"on", "yes", "no", "true", "null", "~", "1", "1.5", "2026-11-20", "a: b", "", "-x", "#c", "key with space",
		"é", "😀", "a\tb", "a\nb", "'q'", `"q"`, "? x", "[x]", "{x}", "*x", "&x", "!x", "%x", "@x", " x", "x ",
	} {
		tests = append(tests,
			struct {
				name string
				doc  map[string]any
			}{fmt.Sprintf("key=%q", k), map[string]any{k: "v", "plain": map[string]any{k: []any{k}}}})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !allStrictlyOrdered(tt.doc) {
				t.Fatal("test keys are not strictly ordered by keyLess")
			}
			requireEncodesLikeYAMLv2(t, tt.doc)
		})
	}
}

// Regression: encodeYAML(map[string]any{}) returns no bytes; yaml.v2 (and
// Kustomize) print "{}\n". writeMap writes nothing for an empty map and
// encodeYAML returns that. Fix: in encodeYAML, fall back to yaml.v2 (or
// write "{}\n") when len(o) == 0.
func TestEncodeYAMLBugEmptyDocument(t *testing.T) {
	requireEncodesLikeYAMLv2(t, map[string]any{})
	requireEncodesLikeYAMLv2(t, map[string]any(nil))
}

// Regression: a multi-line string whose last character is a space is written as a
// literal block ("|-" with a trailing space on its last line), but yaml.v2
// does not allow block style for a scalar with a trailing space and writes
// it double-quoted. Fix: in writeLiteral, also refuse strings ending in a
// space (strings.HasSuffix(s, " ")), and more generally any whitespace
// yaml.v2's analyzer treats as trailing space.
func TestEncodeYAMLBugLiteralTrailingSpace(t *testing.T) {
	for _, s := range []string{"line1\nline2 ", "a\nb\n ", "a\n\nb  ", "#!/bin/sh\nexec x "} {
		for _, p := range positions {
			t.Run(fmt.Sprintf("%q/%s", s, p.name), func(t *testing.T) {
				requireEncodesLikeYAMLv2(t, p.place(s))
			})
		}
	}
}

// Regression: yaml.v2 writes a mapping key longer than 128 bytes as a complex key
// ("? key\n: value"), but writeMap writes every key that needs no quoting
// as "key: value". Fix: in writeMap, fall back to yaml.v2 when len(k) > 128
// (bytes, not runes: yaml_emitter_check_simple_key counts bytes).
func TestEncodeYAMLBugLongKey(t *testing.T) {
	for _, k := range []string{strings.Repeat("k", 129), strings.Repeat("é", 65), "annotations.example.com/" + strings.Repeat("x", 110)} {
		for _, p := range positions {
			t.Run(fmt.Sprintf("%d-bytes/%s", len(k), p.name), func(t *testing.T) {
				requireEncodesLikeYAMLv2(t, map[string]any{"m": p.place("v"), k: "v"})
			})
		}
	}
}

// Regression: a string holding U+2028 or U+2029 (Unicode line and paragraph
// separators) is a line break to yaml.v2, which writes it single-quoted
// with the break and then the indentation of the current block. scalar()
// caches yaml.v2's rendering at the top level (indentation 2) and only
// treats renderings containing "\n" as multi-line, so at any other depth
// the continuation line is indented wrongly. Fix: in scalar(), treat a
// rendering containing any YAML line break ("\r", "\u0085", "\u2028",
// "\u2029") like one containing "\n" (return "", fall back to yaml.v2).
func TestEncodeYAMLBugUnicodeLineBreak(t *testing.T) {
	for _, s := range []string{"a\u2028b", "a\u2029b", "para one\u2029para two"} {
		for _, p := range positions {
			t.Run(fmt.Sprintf("%q/%s", s, p.name), func(t *testing.T) {
				requireEncodesLikeYAMLv2(t, p.place(s))
			})
		}
	}
}

// treeGen builds a random normalised tree from fuzz input: each byte picks
// the next node, string piece or size.
type treeGen struct {
	data []byte
	n    int // nodes left
}

func (g *treeGen) next() byte {
	if len(g.data) == 0 {
		return 0
	}
	c := g.data[0]
	g.data = g.data[1:]
	return c
}

// fuzzPieces are fragments strings are assembled from. The inputs under
// testdata/fuzz/FuzzEncodeYAML are decoded through treeGen and this list:
// only append to it.
//
// fuzzPieces are fragments strings are assembled from: words, spaces,
// indicators, look-alikes of other types, line breaks and non-ASCII text.
var fuzzPieces = []string{
	"a", "lorem", "ipsum", "x9", "10", "9", " ", "  ", "\n", "\n\n", "\t", ": ", ":", " #", "#", "-", "- ", "'", `"`,
	"\\", "true", "no", "on", "~", "null", "1", "0.8", "1e3", "0x1F", "12:30", "2026-11-20", "é", "😀", "\u2028",
	"\r", "\x00", "\xff", "{", "}", "[", "]", ",", "?", "|", ">", "!", "&", "*", "%", "@", "`", "---", "...",
	strings.Repeat("w", 40), words(50), "http://example.com/a?b=c", "$(VAR)", "=", "é ü", "\u00a0",
}

func (g *treeGen) str() string {
	n := int(g.next() % 12)
	var b strings.Builder
	for range n {
		c := g.next()
		if c >= 0xf0 { // a raw byte now and then
			b.WriteByte(g.next())
			continue
		}
		b.WriteString(fuzzPieces[int(c)%len(fuzzPieces)])
	}
	return b.String()
}

func (g *treeGen) value(depth int) any {
	g.n--
	op := g.next() % 16
	if depth > 6 || g.n <= 0 {
		op = 6 + op%10 // scalars only
	}
	switch op {
	case 0, 1, 2:
		return g.mapping(depth + 1)
	case 3, 4, 5:
		l := make([]any, int(g.next()%4))
		for i := range l {
			l[i] = g.value(depth + 1)
		}
		return l
	case 6, 7, 8, 9:
		return g.str()
	case 10:
		return int64(int8(g.next())) * int64(g.next())
	case 11:
		return g.next()%2 == 0
	case 12:
		return nil
	case 13:
		return float64(int8(g.next())) / 4
	case 14:
		return strings.Repeat(g.str(), int(g.next()%8))
	default:
		return map[string]any{}
	}
}

func (g *treeGen) mapping(depth int) map[string]any {
	m := map[string]any{}
	for range int(g.next() % 6) {
		m[g.str()] = g.value(depth)
	}
	return m
}

// FuzzEncodeYAML holds encodeYAML to yaml.v2 on random trees. The inputs
// the fuzzer found, in testdata/fuzz/FuzzEncodeYAML, fail until the bugs
// above are fixed: dd0902de97991f47 is a key over 128 bytes
// (TestEncodeYAMLBugLongKey), a0499483321bc8fd a U+2028
// (TestEncodeYAMLBugUnicodeLineBreak), 0292745181cd1d01 a multi-line string
// ending in a space (TestEncodeYAMLBugLiteralTrailingSpace).
func FuzzEncodeYAML(f *testing.F) {
	f.Add([]byte{}) // the empty document: TestEncodeYAMLBugEmptyDocument
	f.Add([]byte("\x03\x01\x02\x06\x03\x01\x02\x03"))
	f.Add([]byte("\x05\x03\x07\x01\x02\x06\x04\x08\x08\x08\x08\x02\x00\x03\x0e\x05\x09\x09\x01\x07"))
	f.Add([]byte("\x04\x02\x01\x10\x00\x04\x03\x02\x01\x02\x03\x02\x06\x05\x06\x07\x08\x09\x0a\x0b"))
	f.Add([]byte("\x02\x01\x05\x06\x02\x3c\x3c\x0e\x04\x3d\x3d\x3d\x3d\x05\x01\x01\x0a\x07\x03"))
	f.Add([]byte("\x01\x03\x08\x01\x08\x03\x03\x03\x02\x01\x02\x01\x09\x02\x06\x02\x08\x0b\x0d"))
	f.Fuzz(func(t *testing.T, data []byte) {
		g := &treeGen{data: data, n: 200}
		doc := g.mapping(0)
		if !allStrictlyOrdered(doc) {
			t.Skip("keys yaml.v2 itself orders nondeterministically")
		}
		requireEncodesLikeYAMLv2(t, doc)
	})
}
