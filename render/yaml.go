package render

import (
	"bytes"
	"fmt"
)

// obj is an unstructured object, used for custom resources.
type obj = map[string]any

// toYAML marshals one object to YAML, as sigs.k8s.io/yaml would (through
// JSON, so an empty status is dropped), with the fast encoder.
func toYAML(o any) ([]byte, error) {
	m, err := normalize(o)
	if err != nil {
		return nil, err
	}
	return encodeYAML(m)
}

// yamlStream marshals objects into one multi-document YAML stream.
func yamlStream(objs ...any) ([]byte, error) {
	var b bytes.Buffer
	for i, o := range objs {
		y, err := toYAML(o)
		if err != nil {
			return nil, fmt.Errorf("marshalling object %d: %w", i, err)
		}
		if i > 0 {
			b.WriteString("---\n")
		}
		b.Write(y)
	}
	return b.Bytes(), nil
}
