package policy

import (
	"encoding/json"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
)

// jsonValue is the input as OPA would see it through its JSON encoding,
// with the engine's indexes added as value() adds them.
func jsonValue(t *testing.T, in *Input) ast.Value {
	t.Helper()
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var x map[string]any
	if err := json.Unmarshal(b, &x); err != nil {
		t.Fatal(err)
	}
	envs, _ := x["environments"].([]any)
	for i, e := range envs {
		env := e.(map[string]any)
		for _, k := range []string{"objects", "platformObjects"} {
			if env[k] == nil {
				env[k] = []any{}
			}
		}
		env["kinds"] = indexJSON(in.Environments[i].Objects, kindOf)
		env["namespaces"] = indexJSON(in.Environments[i].Objects, namespaceOf)
	}
	v, err := ast.InterfaceToValue(x)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func indexJSON(objs []map[string]any, key func(map[string]any) string) map[string]any {
	idx := map[string]any{}
	for j, o := range objs {
		k := key(o)
		l, _ := idx[k].([]any)
		idx[k] = append(l, json.Number(itoa(j)))
	}
	return idx
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

// TestValueMatchesJSON: the converter, with its shared terms, gives the
// value the input's JSON encoding gives, for tenants converted one after
// the other (sharing terms with those before) and with values of every
// kind the objects hold.
func TestValueMatchesJSON(t *testing.T) {
	ins := []Input{testInput("tenant-a", "dedicated"), testInput("tenant-b", "shared"), testInput("tenant-c", "dedicated")}
	odd := map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": "odd", "namespace": ins[1].Environments[0].Namespace, "labels": map[string]string{"a": "b"}},
		"data": map[string]any{
			"float": 1.5, "big": int64(1) << 40, "neg": -7, "null": nil, "no": false, "strings": []string{"x", "y", "x"},
			"nested": []any{map[string]any{"a": []any{}}, map[string]any{"a": []any{}}, []any{1, "1", true}},
			"number": json.Number("12.50"), "uint": uint64(3),
		},
	}
	ins[1].Environments[0].Objects = append(ins[1].Environments[0].Objects, odd)
	for round := range 2 {
		for i := range ins {
			got, err := ins[i].value()
			if err != nil {
				t.Fatal(err)
			}
			want := jsonValue(t, &ins[i])
			if got.Compare(want) != 0 {
				t.Fatalf("round %d, tenant %s: the converted input differs from its JSON encoding's", round, ins[i].Tenant.Name)
			}
			if got.Hash() != want.Hash() {
				t.Fatalf("round %d, tenant %s: equal values with different hashes", round, ins[i].Tenant.Name)
			}
		}
	}
}

// TestSharingChecksContent: two different values whose hashes collide are
// not shared; equal ones are.
func TestSharingChecksContent(t *testing.T) {
	c := newConverter()
	a, b := c.str("a"), c.str("b")
	one := c.composite([][2]*ast.Term{{a.t, a.t}}, 42, 3)
	two := c.composite([][2]*ast.Term{{a.t, b.t}}, 42, 3)
	if one.t == two.t || one.t.Value.Compare(two.t.Value) == 0 {
		t.Fatal("objects with colliding hashes were shared")
	}
	if again := c.composite([][2]*ast.Term{{a.t, b.t}}, 42, 3); again.t != two.t {
		t.Fatal("an equal object was not shared")
	}
	x := c.array([]*ast.Term{a.t, b.t}, 7, 3)
	y := c.array([]*ast.Term{b.t, a.t}, 7, 3)
	if x.t == y.t || x.t.Value.Compare(y.t.Value) == 0 {
		t.Fatal("arrays with colliding hashes were shared")
	}
}

// TestLargeValuesAreNotKept: values too large to be worth sharing are
// neither shared nor kept by the converter, which would otherwise keep
// whole tenants' inputs alive from one tenant to the next.
func TestLargeValuesAreNotKept(t *testing.T) {
	c := newConverter()
	big := map[string]any{}
	for i := range maxSharedNodes {
		big[itoa(i)] = map[string]any{"x": "y"}
	}
	small := map[string]any{"a": "b"}
	before := c.shared
	one, err := c.value(map[string]any{"big": big, "small": small})
	if err != nil {
		t.Fatal(err)
	}
	kept := c.shared - before
	two, err := c.value(map[string]any{"big": big, "small": small})
	if err != nil {
		t.Fatal(err)
	}
	if one.t == two.t || one.t.Get(ast.StringTerm("big")) == two.t.Get(ast.StringTerm("big")) {
		t.Error("a large value was shared")
	}
	if one.t.Get(ast.StringTerm("small")) != two.t.Get(ast.StringTerm("small")) {
		t.Error("a small value was not shared")
	}
	if kept != 2 || c.shared-before != kept {
		t.Errorf("the converter kept %d values, then %d more; want 2 ({x: y} and {a: b}), then none", kept, c.shared-before-kept)
	}
}
