package render

import (
	"bytes"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	yamlv2 "go.yaml.in/yaml/v2"
)

// encodeYAML serialises a normalised object exactly as yaml.v2 (and so
// Kustomize) does, several times faster. It handles the shapes rendered
// objects have — block maps and sequences of strings, integers, booleans
// and nested maps — and hands anything else (floats, nested sequences,
// multi-line strings, a string yaml.v2 might fold at its 80-column width)
// to yaml.v2 itself. How a string is quoted is yaml.v2's own decision,
// asked once per distinct string and cached. Tests compare it with yaml.v2
// on every rendered object and on random trees.
func encodeYAML(o map[string]any) ([]byte, error) {
	var b bytes.Buffer
	if len(o) > 0 && writeMap(&b, o, 0, false) {
		return b.Bytes(), nil
	}
	return yamlv2.Marshal(o)
}

// bestWidth is yaml.v2's preferred line width: plain and quoted scalars
// are folded at a space past it.
const bestWidth = 80

// scalars caches yaml.v2's rendering of strings ("" when it is not a
// single line).
var scalars sync.Map

func scalar(s string) string {
	if v, ok := scalars.Load(s); ok {
		return v.(string)
	}
	out, err := yamlv2.Marshal(s)
	r := ""
	// yaml.v2 breaks lines at these too, so their rendering depends on
	// where they are written: leave such strings to it.
	if err == nil && !strings.ContainsAny(s, "\r\u0085\u2028\u2029") {
		r = strings.TrimSuffix(string(out), "\n")
		if strings.Contains(r, "\n") {
			r = ""
		}
	}
	scalars.Store(s, r)
	return r
}

// writeString writes a string scalar starting at column col, its block
// content (for a multi-line string) indented by indent; false when yaml.v2
// would write it in a way this encoder does not reproduce.
func writeString(b *bytes.Buffer, s string, col, indent int) bool {
	if strings.Contains(s, "\n") {
		return writeLiteral(b, s, indent)
	}
	r := scalar(s)
	if r == "" {
		return false
	}
	if strings.ContainsRune(r, ' ') && col+utf8.RuneCountInString(r) > bestWidth {
		return false
	}
	b.WriteString(r)
	return true
}

// writeLiteral writes a multi-line string as yaml.v2 does: a literal block
// ("|" or "|-") with its lines indented. Strings yaml.v2 would write
// otherwise (leading spaces, trailing spaces on a line, characters outside
// printable ASCII, several trailing newlines) are refused.
func writeLiteral(b *bytes.Buffer, s string, indent int) bool {
	if s == "" || s[0] == ' ' || s[0] == '\n' || strings.HasSuffix(s, "\n\n") || strings.HasSuffix(s, " ") || strings.Contains(s, " \n") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != '\n' && (c < 0x20 || c > 0x7e) {
			return false
		}
	}
	body := s
	if strings.HasSuffix(s, "\n") {
		b.WriteString("|\n")
		body = s[:len(s)-1]
	} else {
		b.WriteString("|-\n")
	}
	pad := strings.Repeat(" ", indent+2)
	for i, line := range strings.Split(body, "\n") {
		if i > 0 {
			b.WriteByte('\n')
		}
		if line != "" {
			b.WriteString(pad)
			b.WriteString(line)
		}
	}
	return true
}

// writeInline writes a scalar or an empty collection inline, returning
// false when v needs a block or is unsupported.
func writeInline(b *bytes.Buffer, v any, col, indent int) (done, ok bool) {
	switch v := v.(type) {
	case nil:
		b.WriteString("null")
	case string:
		return true, writeString(b, v, col, indent)
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case int64:
		b.WriteString(strconv.FormatInt(v, 10))
	case int:
		b.WriteString(strconv.Itoa(v))
	case int32:
		b.WriteString(strconv.FormatInt(int64(v), 10))
	case map[string]any:
		if len(v) > 0 {
			return false, true
		}
		b.WriteString("{}")
	case []any:
		if len(v) > 0 {
			return false, true
		}
		b.WriteString("[]")
	default:
		return true, false
	}
	return true, true
}

// writeMap writes a non-empty block mapping at indent; with inSeq the first
// key follows a "- " already written.
func writeMap(b *bytes.Buffer, m map[string]any, indent int, inSeq bool) bool {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keyLess(keys[i], keys[j]) })
	for i, k := range keys {
		if i > 0 || !inSeq {
			b.WriteString(strings.Repeat(" ", indent))
		}
		kr := scalar(k)
		if kr != k || len(k) > 128 {
			// A key that needs quoting, or so long that yaml.v2 writes it
			// as a complex key ("? key"): leave it to yaml.v2.
			return false
		}
		b.WriteString(k)
		b.WriteByte(':')
		v := m[k]
		col := indent + utf8.RuneCountInString(k) + 2
		b.WriteByte(' ')
		done, ok := writeInline(b, v, col, indent)
		if !ok {
			return false
		}
		if done {
			b.WriteByte('\n')
			continue
		}
		// A block value: drop the space written after the colon.
		b.Truncate(b.Len() - 1)
		b.WriteByte('\n')
		switch v := v.(type) {
		case map[string]any:
			if !writeMap(b, v, indent+2, false) {
				return false
			}
		case []any:
			if !writeSeq(b, v, indent) {
				return false
			}
		}
	}
	return true
}

// writeSeq writes a non-empty block sequence whose dashes are at indent
// (yaml.v2 does not indent sequences inside mappings).
func writeSeq(b *bytes.Buffer, s []any, indent int) bool {
	for _, v := range s {
		b.WriteString(strings.Repeat(" ", indent))
		b.WriteString("- ")
		done, ok := writeInline(b, v, indent+2, indent)
		if !ok {
			return false
		}
		if done {
			b.WriteByte('\n')
			continue
		}
		switch v := v.(type) {
		case map[string]any:
			if !writeMap(b, v, indent+2, true) {
				return false
			}
		default:
			return false // a sequence in a sequence
		}
	}
	return true
}

// keyLess is yaml.v2's order of string map keys: runs of digits compare
// as numbers, letters before other characters.
func keyLess(a, b string) bool {
	ar, br := []rune(a), []rune(b)
	for i := 0; i < len(ar) && i < len(br); i++ {
		if ar[i] == br[i] {
			continue
		}
		al := unicode.IsLetter(ar[i])
		bl := unicode.IsLetter(br[i])
		if al && bl {
			return ar[i] < br[i]
		}
		if al || bl {
			return bl
		}
		var ai, bi int
		var an, bn int64
		if ar[i] == '0' || br[i] == '0' {
			for j := i - 1; j >= 0 && unicode.IsDigit(ar[j]); j-- {
				if ar[j] != '0' {
					an = 1
					bn = 1
					break
				}
			}
		}
		for ai = i; ai < len(ar) && unicode.IsDigit(ar[ai]); ai++ {
			an = an*10 + int64(ar[ai]-'0')
		}
		for bi = i; bi < len(br) && unicode.IsDigit(br[bi]); bi++ {
			bn = bn*10 + int64(br[bi]-'0')
		}
		if an != bn {
			return an < bn
		}
		if ai != bi {
			return ai < bi
		}
		return ar[i] < br[i]
	}
	return len(ar) < len(br)
}
