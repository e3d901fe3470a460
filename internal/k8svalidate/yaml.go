package k8svalidate

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// document is one non-empty document of a YAML stream.
type document struct {
	index int    // 1-based position in the stream, counting empty documents
	raw   []byte // the YAML text
	json  []byte // lenient JSON conversion (duplicate keys: last wins)
	head  typeHead
	err   error // set if the document is not a YAML object
}

// typeHead identifies an object.
type typeHead struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
}

// splitDocuments splits a YAML stream at "---" lines and drops documents that
// hold only comments or whitespace. A document that is not an object is
// returned with err set.
func splitDocuments(data []byte) ([]document, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var docs []document
	for index := 1; ; index++ {
		raw, err := r.Read()
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return docs, fmt.Errorf("reading document %d: %w", index, err)
		}
		j := bytes.TrimSpace(raw)
		if len(j) == 0 || j[0] != '{' || !json.Valid(j) {
			// YAML (JSON, a subset of YAML, is used as is: it is much
			// faster to decode, which matters for large CRDs).
			if j, err = yaml.YAMLToJSON(raw); err != nil {
				docs = append(docs, document{index: index, raw: raw, err: err})
				continue
			}
			j = bytes.TrimSpace(j)
		}
		if bytes.Equal(j, []byte("null")) {
			continue
		}
		d := document{index: index, raw: raw, json: j}
		if len(j) == 0 || j[0] != '{' {
			d.err = errors.New("not a YAML object")
		} else if err := json.Unmarshal(j, &d.head); err != nil {
			// A wrongly typed metadata.name etc.; identify what we can.
			var loose struct {
				APIVersion any `json:"apiVersion"`
				Kind       any `json:"kind"`
			}
			_ = json.Unmarshal(j, &loose)
			d.head.APIVersion, _ = loose.APIVersion.(string)
			d.head.Kind, _ = loose.Kind.(string)
			d.err = fmt.Errorf("decoding type and object metadata: %w", err)
		}
		docs = append(docs, d)
	}
}

// describe names the object of d for error messages, e.g.
// `apps/v1 Deployment "ns/name"`.
func (d *document) describe() string {
	h := d.head
	if h.APIVersion == "" && h.Kind == "" {
		return fmt.Sprintf("document %d", d.index)
	}
	s := h.APIVersion + " " + h.Kind
	switch {
	case h.Metadata.Name == "":
		return fmt.Sprintf("%s (document %d)", s, d.index)
	case h.Metadata.Namespace == "":
		return fmt.Sprintf("%s %q", s, h.Metadata.Name)
	default:
		return fmt.Sprintf("%s %q", s, h.Metadata.Namespace+"/"+h.Metadata.Name)
	}
}
