package k8svalidate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
)

// Source is one module release and the CRD files inside its module zip.
type Source struct {
	// Module is the module path, e.g. "github.com/kedacore/keda/v2".
	Module string
	// Version is the exact module version, e.g. "v2.21.0".
	Version string
	// Globs are slash-separated filepath.Match patterns relative to the module
	// root. Each must match at least one file.
	Globs []string
}

// String returns "module@version".
func (s Source) String() string { return s.Module + "@" + s.Version }

// Upstream lists the releases the project targets and where their CRDs live
// inside the module zips. Non-CRD documents in matched files are skipped.
var Upstream = []Source{
	{
		Module:  "github.com/cloudnative-pg/cloudnative-pg",
		Version: "v1.30.0",
		Globs:   []string{"config/crd/bases/postgresql.cnpg.io_*.yaml"},
	},
	{
		Module:  "github.com/kedacore/keda/v2",
		Version: "v2.21.0",
		Globs:   []string{"config/crd/bases/keda.sh_*.yaml"},
	},
	{
		Module:  "github.com/external-secrets/external-secrets",
		Version: "v0.16.2",
		Globs:   []string{"config/crds/bases/*.yaml"},
	},
	{
		Module:  "github.com/prometheus-operator/prometheus-operator",
		Version: "v0.85.0",
		Globs:   []string{"example/prometheus-operator-crd-full/monitoring.coreos.com_*.yaml"},
	},
	{
		Module:  "github.com/argoproj/argo-cd/v3",
		Version: "v3.3.19",
		Globs: []string{
			"manifests/crds/application-crd.yaml",
			"manifests/crds/appproject-crd.yaml",
		},
	},
	{
		Module:  "github.com/fluxcd/kustomize-controller",
		Version: "v1.9.6",
		Globs:   []string{"config/crd/bases/kustomize.toolkit.fluxcd.io_kustomizations.yaml"},
	},
	{
		Module:  "github.com/fluxcd/source-controller",
		Version: "v1.9.6",
		Globs:   []string{"config/crd/bases/source.toolkit.fluxcd.io_gitrepositories.yaml"},
	},
	{
		Module:  "github.com/traefik/traefik/v3",
		Version: "v3.7.13",
		Globs:   []string{"docs/content/reference/dynamic-configuration/traefik.io_*.yaml"},
	},
}

// LoadCRDs fetches every source module into the module cache with
// `go mod download -json` and returns the CustomResourceDefinition documents
// found in the files matched by its globs, in source, glob and file name
// order. The documents are returned as JSON, which [New] reads much faster
// than YAML.
//
// The go command runs in an empty temporary directory with GOWORK=off, so no
// go.mod or go.sum is read or changed; downloads are verified against the
// checksum database as usual.
func LoadCRDs(ctx context.Context, sources []Source) ([][]byte, error) {
	if len(sources) == 0 {
		return nil, nil
	}
	dirs, err := downloadModules(ctx, sources)
	if err != nil {
		return nil, err
	}
	type crdFile struct {
		src  Source
		dir  string
		path string
		docs [][]byte
		err  error
	}
	var files []*crdFile
	for _, src := range sources {
		dir := dirs[src.String()]
		if len(src.Globs) == 0 {
			return nil, fmt.Errorf("loading CRDs from %s: no globs", src)
		}
		for _, glob := range src.Globs {
			matches, err := filepath.Glob(filepath.Join(dir, filepath.FromSlash(glob)))
			if err != nil {
				return nil, fmt.Errorf("loading CRDs from %s: %w", src, err)
			}
			if len(matches) == 0 {
				return nil, fmt.Errorf("loading CRDs from %s: no file matches %s", src, glob)
			}
			slices.Sort(matches)
			for _, m := range matches {
				files = append(files, &crdFile{src: src, dir: dir, path: m})
			}
		}
	}

	// Converting large YAML files is CPU-bound: use all CPUs.
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for _, f := range files {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			data, err := os.ReadFile(f.path)
			if err == nil {
				f.docs, err = crdDocuments(data)
			}
			if err != nil {
				rel, _ := filepath.Rel(f.dir, f.path)
				f.err = fmt.Errorf("loading CRDs from %s: %s: %w", f.src, filepath.ToSlash(rel), err)
			}
		})
	}
	wg.Wait()

	var crds [][]byte
	for _, f := range files {
		if f.err != nil {
			return nil, f.err
		}
		crds = append(crds, f.docs...)
	}
	return crds, nil
}

// moduleDownload is the subset of `go mod download -json` output used here.
type moduleDownload struct {
	Path    string
	Version string
	Dir     string
	Error   string
}

// downloadModules runs one `go mod download -json` for all sources and
// returns the module directories keyed by "module@version".
func downloadModules(ctx context.Context, sources []Source) (map[string]string, error) {
	args := []string{"mod", "download", "-json"}
	for _, src := range sources {
		if src.Module == "" || src.Version == "" {
			return nil, fmt.Errorf("downloading CRD modules: source %q needs a module and a version", src)
		}
		args = append(args, src.String())
	}
	tmp, err := os.MkdirTemp("", "k8svalidate-")
	if err != nil {
		return nil, fmt.Errorf("downloading CRD modules: %w", err)
	}
	defer os.RemoveAll(tmp)

	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = tmp
	cmd.Env = append(os.Environ(), "GOWORK=off")
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	runErr := cmd.Run()

	dirs := map[string]string{}
	var errs []error
	dec := json.NewDecoder(&stdout)
	for {
		var m moduleDownload
		if err := dec.Decode(&m); err == io.EOF {
			break
		} else if err != nil {
			errs = append(errs, fmt.Errorf("reading go mod download output: %w", err))
			break
		}
		key := m.Path + "@" + m.Version
		switch {
		case m.Error != "":
			errs = append(errs, fmt.Errorf("%s: %s", key, m.Error))
		case m.Dir == "":
			errs = append(errs, fmt.Errorf("%s: no directory in go mod download output", key))
		default:
			dirs[key] = m.Dir
		}
	}
	for _, src := range sources {
		if _, ok := dirs[src.String()]; !ok && len(errs) == 0 {
			errs = append(errs, fmt.Errorf("%s: not downloaded", src))
		}
	}
	if len(errs) > 0 {
		if runErr != nil {
			errs = append(errs, fmt.Errorf("go %s: %w: %s", strings.Join(args, " "), runErr, strings.TrimSpace(stderr.String())))
		}
		return nil, fmt.Errorf("downloading CRD modules: %w", errors.Join(errs...))
	}
	return dirs, nil
}

// crdDocuments returns the CustomResourceDefinition documents of a YAML
// stream, skipping empty and non-CRD documents.
func crdDocuments(data []byte) ([][]byte, error) {
	docs, err := splitDocuments(data)
	if err != nil {
		return nil, err
	}
	var crds [][]byte
	for _, d := range docs {
		if d.head.group() == crdGroup && d.head.Kind == crdKind {
			crds = append(crds, d.json)
		}
	}
	return crds, nil
}

const (
	crdGroup = "apiextensions.k8s.io"
	crdKind  = "CustomResourceDefinition"
)

// group returns the API group of h.APIVersion ("" for core or malformed).
func (h typeHead) group() string {
	g, _, ok := strings.Cut(h.APIVersion, "/")
	if !ok {
		return ""
	}
	return g
}
