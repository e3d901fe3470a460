package policy

import (
	"encoding/json"
	"errors"
	"strings"
	"sync"

	"github.com/invopop/jsonschema"
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/xeipuuv/gojsonschema"

	"github.com/palisade-gitops/palisade/internal/estate"
)

// InputSchema is the JSON Schema of the input document, generated from
// Input: every field the engine provides, objects closed. The engine gives
// it to OPA's type checker, so that a rule reading a field the input does
// not have (input.tenant.nmae), or handing a field to a built-in function
// that takes another type (startswith(input.change.environments, "prod")),
// fails to compile with its file, line and column instead of never
// firing. The Kubernetes objects of the environments are open objects:
// the rules may read any field of them.
//
// `palisade policy schema` prints it, for editors and `opa check --schema
// FILE`.
func InputSchema() []byte { return inputSchema().json }

type schemaDoc struct {
	json []byte
	// raw is json decoded, as OPA's schema set holds schemas.
	raw any
}

var inputSchema = sync.OnceValue(func() schemaDoc {
	r := &jsonschema.Reflector{Anonymous: true, DoNotReference: true, ExpandedStruct: true}
	s := r.Reflect(&Input{})
	// OPA's checker reads drafts 4 to 7; the structure the reflector
	// writes means the same in each.
	s.Version = "http://json-schema.org/draft-07/schema#"
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		panic("policy: the input schema does not marshal: " + err.Error())
	}
	var raw any
	if err := json.Unmarshal(b, &raw); err != nil {
		panic("policy: the input schema does not unmarshal: " + err.Error())
	}
	return schemaDoc{json: append(b, '\n'), raw: raw}
})

// JSONSchemaExtend adds to an environment's schema the indexes the engine
// adds to its value (Input.value): the objects' indexes per kind and per
// namespace.
func (Environment) JSONSchemaExtend(s *jsonschema.Schema) {
	index := func(what string) *jsonschema.Schema {
		return &jsonschema.Schema{
			Type:                 "object",
			Description:          "the indexes in objects of the objects of each " + what,
			AdditionalProperties: &jsonschema.Schema{Type: "array", Items: &jsonschema.Schema{Type: "integer"}},
		}
	}
	s.Properties.Set("kinds", index("kind"))
	s.Properties.Set("namespaces", index("namespace (\"\" for none)"))
	s.Required = append(s.Required, "kinds", "namespaces")
}

// JSONSchemaExtend types the tier's environments by class: the estate's
// schema gives every tier exactly these (schema/tier.cue), so that a rule
// naming another, or reading a field a tier environment does not have,
// fails to compile like any other.
func (Tier) JSONSchemaExtend(s *jsonschema.Schema) {
	closeMap(s, "environments", estate.EnvironmentClasses...)
}

// JSONSchemaExtend types a tier environment's replica bounds by workload
// class and its autoscaling bounds by the workloads that scale, as the
// estate's schema closes them.
func (TierEnvironment) JSONSchemaExtend(s *jsonschema.Schema) {
	closeMap(s, "replicas", estate.WorkloadClasses...)
	if as, ok := s.Properties.Get("autoscaling"); ok {
		closeMap(as, "maxReplicas", estate.Web, estate.Worker)
	}
}

// closeMap replaces the schema of s's map property name, which allows any
// key, by an object with just keys, each holding what the map holds. OPA
// types an object with properties and ignores additionalProperties, so a
// map's values are not checked until its keys are named. The keys are
// not required: a removed tenant's input has no tier environments.
func closeMap(s *jsonschema.Schema, name string, keys ...string) {
	m, ok := s.Properties.Get(name)
	if !ok || m.AdditionalProperties == nil {
		panic("policy: input schema: " + name + " is not a map")
	}
	obj := &jsonschema.Schema{Type: "object", Properties: jsonschema.NewProperties(), AdditionalProperties: jsonschema.FalseSchema}
	for _, k := range keys {
		obj.Properties.Set(k, m.AdditionalProperties)
	}
	s.Properties.Set(name, obj)
}

// schemaSet is the schema set the compiler type-checks input against.
func schemaSet() *ast.SchemaSet {
	ss := ast.NewSchemaSet()
	ss.Put(ast.SchemaRootRef, inputSchema().raw)
	return ss
}

// CheckDocument validates an input document, as Document returns it,
// against InputSchema, and returns what does not match, one problem a
// line: the tests hold every input the engine builds to the schema the
// rules are checked against.
func CheckDocument(doc any) error {
	res, err := gojsonschema.Validate(gojsonschema.NewBytesLoader(InputSchema()), gojsonschema.NewGoLoader(doc))
	if err != nil {
		return err
	}
	if res.Valid() {
		return nil
	}
	lines := make([]string, len(res.Errors()))
	for i, e := range res.Errors() {
		lines[i] = e.String()
	}
	return errors.New(strings.Join(lines, "\n"))
}
