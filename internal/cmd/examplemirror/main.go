// Command examplemirror rebuilds the example estate's offline registry
// mirror and its two demonstration signing keys.
//
//	go run ./internal/cmd/examplemirror            # from the repository root
//	go run ./internal/cmd/examplemirror -root DIR  # another estate root
//
// It loads the estate, collects every image reference it uses (the
// platform's images, each tenant's Odoo image and per-environment
// overrides), generates two fresh ECDSA P-256 key pairs, writes their public
// halves to keys/palisade-example.pub and keys/nordlys-release.pub, and
// writes a small deterministic image for each reference into
// mirror/registry.palisade.example/ (an OCI image layout, see
// internal/images), signed by nordlys-release for Nordlys's custom build and
// by palisade-example for everything else. The private keys exist only in
// memory: regenerating is how the mirror is rebuilt. The images are the same
// on every run (same digests); keys and signatures are new each time.
package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/palisade-gitops/palisade/internal/estate"
	"github.com/palisade-gitops/palisade/internal/images"
)

const (
	host = "registry.palisade.example"

	platformKey = "palisade-example"
	nordlysKey  = "nordlys-release"
	// nordlysImage is Nordlys's own build, signed with its own key.
	nordlysImage = "registry.palisade.example/odoo/enterprise:18.0-20261110"
)

func main() {
	root := flag.String("root", ".", "estate root (the repository root)")
	flag.Parse()
	if err := run(*root, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "examplemirror:", err)
		os.Exit(1)
	}
}

func run(root string, out io.Writer) error {
	e, err := estate.Load(root)
	if err != nil {
		return err
	}
	refs := estateRefs(e)
	for _, r := range refs {
		t, err := name.NewTag(r)
		if err != nil {
			return fmt.Errorf("image %q: %w", r, err)
		}
		if t.RegistryStr() != host {
			return fmt.Errorf("image %q is not in %s, the only registry the example mirror holds", r, host)
		}
	}

	signers := map[string]signature.SignerVerifier{}
	pubs := map[string][]byte{}
	for _, k := range []string{platformKey, nordlysKey} {
		sv, pub, err := images.GenerateKey()
		if err != nil {
			return err
		}
		signers[k], pubs[k] = sv, pub
	}

	mirrorRoot := filepath.Join(root, "mirror")
	dir := filepath.Join(mirrorRoot, host)
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	mw, err := images.OpenMirror(dir, host)
	if err != nil {
		return err
	}
	for _, r := range refs {
		img, err := exampleImage(r)
		if err != nil {
			return fmt.Errorf("%s: %w", r, err)
		}
		d, err := mw.WriteImage(r, img)
		if err != nil {
			return fmt.Errorf("%s: %w", r, err)
		}
		if err := mw.Sign(d, signers[signerOf(r)]); err != nil {
			return fmt.Errorf("%s: %w", r, err)
		}
		fmt.Fprintf(out, "%s  %s  signed by %s\n", d.DigestStr(), r, signerOf(r))
	}
	if err := os.WriteFile(filepath.Join(mirrorRoot, "README.md"), []byte(readme), 0o644); err != nil {
		return err
	}
	// The layout writer creates files with every permission the umask
	// allows; data files need none of the execute bits.
	if err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		return os.Chmod(p, 0o644)
	}); err != nil {
		return err
	}

	// Check the result the way the pipeline will read it, before replacing
	// the public keys the estate names.
	v, err := images.New(pubs, images.Options{NoCache: true, Offline: true, Mirrors: map[string]string{host: dir}})
	if err != nil {
		return err
	}
	res, err := v.Verify(context.Background(), images.Refs(refs...))
	if err != nil {
		return err
	}
	for _, r := range res {
		if want := signerOf(r.Ref); r.Kind != "" || len(r.VerifiedBy) != 1 || r.VerifiedBy[0] != want {
			return fmt.Errorf("self-check: %s: verified by %v, want %s (%s)", r.Ref, r.VerifiedBy, want, r.Reason)
		}
	}

	for _, k := range []string{platformKey, nordlysKey} {
		p := filepath.Join(root, "keys", k+".pub")
		if err := os.WriteFile(p, pubs[k], 0o644); err != nil {
			return err
		}
		fmt.Fprintf(out, "wrote %s\n", p)
	}
	fmt.Fprintf(out, "wrote %s (%d images)\n", dir, len(refs))
	return nil
}

// estateRefs lists, sorted and without repeats, every image reference the estate
// uses.
func estateRefs(e *estate.Estate) []string {
	set := map[string]bool{}
	add := func(s string) {
		if s != "" {
			set[s] = true
		}
	}
	pi := e.Platform.Images
	add(pi.Postgres)
	add(pi.Redis)
	add(pi.Backup)
	add(pi.RestoreTest)
	for _, t := range e.Tenants {
		add(t.Odoo.Image)
		for _, env := range t.Environments {
			if env != nil {
				add(env.Image)
			}
		}
	}
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

func signerOf(ref string) string {
	if ref == nordlysImage {
		return nordlysKey
	}
	return platformKey
}

// exampleImage is a tiny single-layer image whose only file names it. The
// same reference always gives the same bytes, hence the same digest.
func exampleImage(ref string) (v1.Image, error) {
	text := fmt.Sprintf("%s\n\nAn example image of the Palisade demonstration estate: it holds\nthis file only and runs nothing.\n", ref)
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	epoch := time.Unix(0, 0).UTC()
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: "etc/palisade/", Mode: 0o755, ModTime: epoch, Format: tar.FormatUSTAR}); err != nil {
		return nil, err
	}
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "etc/palisade/image", Mode: 0o644, Size: int64(len(text)), ModTime: epoch, Format: tar.FormatUSTAR}); err != nil {
		return nil, err
	}
	if _, err := io.WriteString(tw, text); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	var gz bytes.Buffer
	zw, err := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(tb.Bytes()); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	data := gz.Bytes()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, err
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err = mutate.ConfigFile(img, &v1.ConfigFile{
		Architecture: "amd64",
		OS:           "linux",
		Config: v1.Config{
			Cmd: []string{"cat", "/etc/palisade/image"},
			Labels: map[string]string{
				"org.opencontainers.image.title":       ref,
				"org.opencontainers.image.description": "Example image for the Palisade demonstration estate",
			},
		},
		RootFS: v1.RootFS{Type: "layers"},
	})
	if err != nil {
		return nil, err
	}
	return mutate.AppendLayers(img, layer)
}

const readme = `# Example registry mirror

` + "`registry.palisade.example/`" + ` is an OCI image layout that mirrors the example
estate's registry, so that image resolution and signature verification work
with no network. It holds a tiny placeholder image (one file naming it) for
every image the example estate references, each with a cosign signature.
Nordlys Commerce's custom build,
` + "`" + nordlysImage + "`" + `,
is signed by ` + "`nordlys-release`" + `; everything else by ` + "`palisade-example`" + `.

**The keys are for demonstration only.** Their public halves are
` + "`keys/palisade-example.pub`" + ` and ` + "`keys/nordlys-release.pub`" + `; the private
halves were never written anywhere. To rebuild the mirror (new keys, new
signatures, the same image digests), run from the repository root:

    go run ./internal/cmd/examplemirror

Layout convention (see ` + "`internal/images`" + `): one OCI layout per registry
host; index.json lists each manifest with the annotation
` + "`org.opencontainers.image.ref.name`" + ` = ` + "`<repository>:<tag>`" + ` (for example
` + "`odoo/enterprise:18.0-20261120`" + `), and each cosign signature manifest under
its cosign tag, ` + "`<repository>:sha256-<hex>.sig`" + `.
`
