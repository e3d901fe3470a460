package images_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/random"

	"github.com/palisade-gitops/palisade/internal/images"
)

const mirrorHost = "registry.palisade.example"

func TestMirrorOffline(t *testing.T) {
	a, b, other := newKey(t), newKey(t), newKey(t)
	dir := filepath.Join(t.TempDir(), mirrorHost)
	mw, err := images.OpenMirror(dir, mirrorHost)
	if err != nil {
		t.Fatal(err)
	}
	write := func(ref string) string {
		img, err := random.Image(128, 1)
		if err != nil {
			t.Fatal(err)
		}
		d, err := mw.WriteImage(ref, img)
		if err != nil {
			t.Fatal(err)
		}
		return d.String()
	}
	signed := write(mirrorHost + "/odoo/enterprise:18.0")
	twice := write(mirrorHost + "/odoo/enterprise:17.0")
	write(mirrorHost + "/platform/redis:7.4") // unsigned
	foreign := write(mirrorHost + "/platform/postgresql:16")
	for _, s := range []struct {
		ref string
		k   key
	}{{signed, a}, {twice, a}, {twice, b}, {foreign, other}} {
		d := mustDigest(t, s.ref)
		if err := mw.Sign(d, s.k.sv); err != nil {
			t.Fatal(err)
		}
	}
	// Writing to another host's mirror is refused.
	if _, err := mw.WriteImage("elsewhere.example/x:1", nil); err == nil {
		t.Error("want an error writing another host's image")
	}

	for _, offline := range []bool{false, true} {
		v := verifier(t, map[string]key{"alpha": a, "beta": b}, images.Options{
			Offline:   offline,
			Mirrors:   map[string]string{mirrorHost: dir},
			Transport: &noNetwork{t: t}, // the mirror must never touch the network
		})
		res, err := verify(t, v, images.Refs(
			mirrorHost+"/odoo/enterprise:18.0",
			signed,
			mirrorHost+"/odoo/enterprise:17.0",
			mirrorHost+"/platform/redis:7.4",
			mirrorHost+"/platform/postgresql:16",
			mirrorHost+"/odoo/enterprise:19.0",
		)...)
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range [][]string{{"alpha"}, {"alpha"}, {"alpha", "beta"}} {
			if !reflect.DeepEqual(res[i].VerifiedBy, want) || res[i].Kind != "" {
				t.Errorf("offline=%v %+v: want verified by %v", offline, res[i], want)
			}
		}
		if res[0].Digest != mustDigest(t, signed).DigestStr() {
			t.Errorf("digest %s, want %s", res[0].Digest, signed)
		}
		wantKind(t, res[3], images.KindUnsigned, "no signature found")
		wantKind(t, res[4], images.KindUntrusted, "tried: alpha, beta")
		wantKind(t, res[5], images.KindNotFound, "tag 19.0 not found in "+mirrorHost+"/odoo/enterprise")
		if s := v.Stats(); s.Requests != 0 || s.Resolutions != 5 || s.Lookups != 4 {
			t.Errorf("offline=%v stats %+v: want 5 resolutions, 4 look-ups, no network request", offline, s)
		}
	}
}

func TestMirrorUnreadable(t *testing.T) {
	dir := t.TempDir() // empty: not a layout
	v := verifier(t, map[string]key{"alpha": newKey(t)}, images.Options{
		Mirrors: map[string]string{mirrorHost: dir}, Transport: &noNetwork{t: t}})
	res, err := verify(t, v, images.Refs(mirrorHost+"/odoo/enterprise:18.0")...)
	if !images.IsUnreachable(err) {
		t.Fatalf("err = %v, want an outside failure", err)
	}
	wantKind(t, res[0], images.KindUnreachable, "mirror of "+mirrorHost+" at "+dir+" cannot be read")
}

// The example mirror in the repository verifies the example estate's images
// with the keys in keys/, with no network.
func TestExampleMirror(t *testing.T) {
	root := filepath.Join("..", "..")
	dir := filepath.Join(root, "mirror", mirrorHost)
	if _, err := os.Stat(filepath.Join(dir, "index.json")); err != nil {
		t.Skip("no example mirror: go run ./internal/cmd/examplemirror")
	}
	keys := map[string][]byte{}
	for _, k := range []string{"palisade-example", "nordlys-release"} {
		b, err := os.ReadFile(filepath.Join(root, "keys", k+".pub"))
		if err != nil {
			t.Fatal(err)
		}
		keys[k] = b
	}
	v, err := images.New(keys, images.Options{NoCache: true, Offline: true, Keychain: anonymous,
		Mirrors: map[string]string{mirrorHost: dir}, Transport: &noNetwork{t: t}})
	if err != nil {
		t.Fatal(err)
	}
	var refs []string
	for _, rel := range []string{"platform.cue", "tenants", "tiers"} {
		refs = append(refs, grepImages(t, filepath.Join(root, rel))...)
	}
	if len(refs) < 9 {
		t.Fatalf("found %d image references, want at least 9", len(refs))
	}
	res, err := v.Verify(t.Context(), images.Refs(refs...))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		want := "palisade-example"
		if strings.HasSuffix(r.Ref, "/odoo/enterprise:18.0-20261110") {
			want = "nordlys-release"
		}
		if !reflect.DeepEqual(r.VerifiedBy, []string{want}) {
			t.Errorf("%s: verified by %v (%s), want %s", r.Ref, r.VerifiedBy, r.Reason, want)
		}
	}
	// Well under 200 KB.
	var size int64
	_ = filepath.Walk(filepath.Join(root, "mirror"), func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			size += fi.Size()
		}
		return nil
	})
	if size > 200<<10 {
		t.Errorf("mirror is %d bytes", size)
	}
}

// grepImages finds quoted registry.palisade.example references in CUE
// files.
func grepImages(t *testing.T, path string) []string {
	t.Helper()
	var files []string
	if fi, err := os.Stat(path); err != nil {
		t.Fatal(err)
	} else if fi.IsDir() {
		files, _ = filepath.Glob(filepath.Join(path, "*.cue"))
	} else {
		files = []string{path}
	}
	var out []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, part := range strings.Split(string(b), `"`) {
			if strings.HasPrefix(part, mirrorHost+"/") && strings.ContainsAny(part, ":@") {
				out = append(out, part)
			}
		}
	}
	return out
}
