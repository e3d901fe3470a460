package policy

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"
)

// value converts the input into the AST value OPA evaluates, once. The
// small typed parts go through JSON; the objects, most of the input, are
// converted directly from their maps, which is several times faster.
func (in *Input) value() (ast.Value, error) {
	c := getConverter()
	defer putConverter(c)
	shell := *in
	shell.Environments = nil
	// Lists the rules iterate are [] rather than null when empty.
	shell.Images = orEmpty(shell.Images)
	shell.Windows = orEmpty(shell.Windows)
	shell.Waivers = orEmpty(shell.Waivers)
	shell.Change.Environments = orEmpty(shell.Change.Environments)
	shell.Platform.Registries.Allowed = orEmpty(shell.Platform.Registries.Allowed)
	shell.Platform.Keys = orEmpty(shell.Platform.Keys)
	shell.Platform.Namespaces = orEmpty(shell.Platform.Namespaces)
	shell.Tier.SigningKeys = orEmpty(shell.Tier.SigningKeys)
	tierEnvs := make(map[string]TierEnvironment, len(shell.Tier.Environments))
	for class, te := range shell.Tier.Environments {
		te.Autoscaling.Signals = orEmpty(te.Autoscaling.Signals)
		if te.Autoscaling.MaxReplicas == nil {
			te.Autoscaling.MaxReplicas = map[string]int{}
		}
		tierEnvs[class] = te
	}
	shell.Tier.Environments = tierEnvs
	b, err := json.Marshal(shell)
	if err != nil {
		return nil, err
	}
	v, err := ast.ValueFromReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	obj, ok := v.(ast.Object)
	if !ok {
		return nil, fmt.Errorf("input is %T, not an object", v)
	}
	envs := make([]*ast.Term, len(in.Environments))
	for i := range in.Environments {
		env := &in.Environments[i]
		objs, err := c.objects(env.Objects)
		if err != nil {
			return nil, fmt.Errorf("environment %q: %w", env.Name, err)
		}
		pobjs, err := c.objects(env.PlatformObjects)
		if err != nil {
			return nil, fmt.Errorf("environment %q: platform objects: %w", env.Name, err)
		}
		envs[i] = ast.ObjectTerm(
			ast.Item(ast.InternedTerm("name"), ast.StringTerm(env.Name)),
			ast.Item(ast.InternedTerm("class"), ast.StringTerm(env.Class)),
			ast.Item(ast.InternedTerm("namespace"), ast.StringTerm(env.Namespace)),
			ast.Item(ast.InternedTerm("cluster"), ast.StringTerm(env.Cluster)),
			ast.Item(ast.InternedTerm("region"), ast.StringTerm(env.Region)),
			ast.Item(ast.InternedTerm("standby"), ast.BooleanTerm(env.Standby)),
			ast.Item(ast.InternedTerm("objects"), objs),
			ast.Item(ast.InternedTerm("platformObjects"), pobjs),
			ast.Item(ast.InternedTerm("kinds"), index(env.Objects, kindOf)),
			ast.Item(ast.InternedTerm("namespaces"), index(env.Objects, namespaceOf)),
		)
	}
	obj.Insert(ast.InternedTerm("environments"), ast.ArrayTerm(envs...))
	return obj, nil
}

// Document is the input as the rules read it, exactly: the value the
// engine evaluates (the environments' kinds and namespaces indexes
// included), as JSON would hold it — for `palisade policy input`, to write
// and try rules against.
func (in *Input) Document() (any, error) {
	v, err := in.value()
	if err != nil {
		return nil, err
	}
	return ast.JSON(v)
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// index maps a property of the objects (kind, namespace) to the indexes
// of the objects that have it, in order. The rules look objects up by kind
// and namespace rather than scanning them all; these indexes cost far less
// to build here than in Rego (policies/lib.rego computes them when an input
// lacks them).
func index(objs []map[string]any, key func(map[string]any) string) *ast.Term {
	idx := map[string][]*ast.Term{}
	var keys []string
	for j, o := range objs {
		k := key(o)
		if _, seen := idx[k]; !seen {
			keys = append(keys, k)
		}
		idx[k] = append(idx[k], ast.InternedTerm(j))
	}
	items := make([][2]*ast.Term, 0, len(keys))
	for _, k := range keys {
		items = append(items, ast.Item(ast.StringTerm(k), ast.ArrayTerm(idx[k]...)))
	}
	return ast.ObjectTerm(items...)
}

func kindOf(o map[string]any) string {
	k, _ := o["kind"].(string)
	return k
}

// namespaceOf is an object's metadata.namespace, "" when it has none.
func namespaceOf(o map[string]any) string {
	md, _ := o["metadata"].(map[string]any)
	ns, _ := md["namespace"].(string)
	return ns
}
