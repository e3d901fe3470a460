package policy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/palisade-gitops/palisade/internal/estate"
)

// fill sets every field of v, recursively, to a value of its type: one
// element in each list and map, so that every field of the input, those a
// later change adds included, reaches the document.
func fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString("x")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64:
		v.SetInt(1)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i))
			}
		}
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 1, 1)
		fill(s.Index(0))
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		e := reflect.New(v.Type().Elem()).Elem()
		if v.Type().Elem().Kind() == reflect.Interface {
			// A Kubernetes object's field.
			e.Set(reflect.ValueOf(map[string]any{"name": "x"}))
		} else {
			fill(e)
		}
		m.SetMapIndex(reflect.ValueOf("x"), e)
		v.Set(m)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fill(p.Elem())
		v.Set(p)
	case reflect.Interface:
	default:
		panic("fill: " + v.Type().String())
	}
}

// TestInputSchemaDescribesTheDocument holds the documents the engine
// evaluates to the schema it type-checks the rules against: a field the
// document has and the schema lacks would make a rule reading it fail to
// compile, and one the schema has and the document lacks would let a rule
// that never fires through.
func TestInputSchemaDescribesTheDocument(t *testing.T) {
	var every Input
	fill(reflect.ValueOf(&every).Elem())
	every.At = "2026-11-27T09:00:00Z"
	// The maps the schema closes to the estate's classes.
	te := every.Tier.Environments["x"]
	te.Replicas = map[string]estate.ReplicaBounds{estate.Web: te.Replicas["x"]}
	te.Autoscaling.MaxReplicas = map[string]int{estate.Worker: 1}
	every.Tier.Environments = map[string]TierEnvironment{estate.Production: te}
	inputs := map[string]Input{
		"every field set": every,
		"dedicated":       testInput("maison-laurent", estate.IsolationDedicated),
		"shared":          testInput("boutique-sol", estate.IsolationShared),
		"removed":         {Tenant: Tenant{Name: "gone"}, Change: Change{Removed: true, Environments: []string{"production"}}},
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			doc, err := in.Document()
			if err != nil {
				t.Fatal(err)
			}
			if err := CheckDocument(doc); err != nil {
				t.Errorf("the document does not match the input schema:\n%v", err)
			}
		})
	}
}

// TestCheckDocumentRejects shows that the schema is closed where the
// input is: a field it does not name, or a value of another type, fails.
func TestCheckDocumentRejects(t *testing.T) {
	in := testInput("maison-laurent", estate.IsolationShared)
	doc, err := in.Document()
	if err != nil {
		t.Fatal(err)
	}
	tenant := doc.(map[string]any)["tenant"].(map[string]any)
	tenant["nmae"] = "maison-laurent"
	doc.(map[string]any)["supplyChain"] = map[string]any{"enforced": "yes"}
	envs := doc.(map[string]any)["tier"].(map[string]any)["environments"].(map[string]any)
	envs["prodution"] = envs["production"]
	err = CheckDocument(doc)
	if err == nil {
		t.Fatal("a document with unknown fields and a string for a boolean passed")
	}
	for _, want := range []string{
		"tenant: Additional property nmae is not allowed",
		"supplyChain.enforced: Invalid type. Expected: boolean, given: string",
		"tier.environments: Additional property prodution is not allowed",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("got\n%v\nwant a line with %q", err, want)
		}
	}
}

// TestInputSchemaIsTheEngines: the schema `palisade policy schema`
// prints is JSON, stable, and the one the built-in rules compile against.
func TestInputSchemaIsTheEngines(t *testing.T) {
	var s map[string]any
	if err := json.Unmarshal(InputSchema(), &s); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(InputSchema(), InputSchema()) || !reflect.DeepEqual(s, inputSchema().raw) {
		t.Fatal("the schema printed is not the schema the engine uses")
	}
	if _, err := New(context.Background(), nil); err != nil {
		t.Fatalf("the built-in policies do not type-check against the input schema: %v", err)
	}
}

// TestUntypedEngine: NewFromUntyped compiles the rules a schema rejects,
// as OPA does without one.
func TestUntypedEngine(t *testing.T) {
	ctx := context.Background()
	dirs := []Dir{{Path: "testdata/input-typo"}}
	var ce *CompileError
	if _, err := NewFrom(ctx, dirs); !errors.As(err, &ce) {
		t.Fatalf("NewFrom: want a *CompileError, got %v", err)
	}
	e, err := NewFromUntyped(ctx, dirs)
	if err != nil {
		t.Fatalf("NewFromUntyped: %v", err)
	}
	res, err := e.Evaluate(ctx, []Input{testInput("maison-laurent", estate.IsolationShared)})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.PolicyID == "typo.rule" {
			t.Errorf("a rule reading a field the input lacks fired: %+v", r)
		}
	}
}
