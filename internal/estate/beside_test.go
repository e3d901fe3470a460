package estate

import (
	"io/fs"
	"os"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"cuelang.org/go/cue/parser"
)

// exampleFS is the repository's example estate, in memory.
func exampleFS(t *testing.T) fstest.MapFS {
	t.Helper()
	root := os.DirFS("../..")
	mem := fstest.MapFS{}
	err := fs.WalkDir(root, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		top := !strings.Contains(p, "/")
		switch {
		case d.IsDir():
			if p != "." && p != TiersDir && p != TenantsDir && p != "keys" {
				return fs.SkipDir
			}
		case top && strings.HasSuffix(p, ".cue"), !top:
			data, err := fs.ReadFile(root, p)
			if err != nil {
				return err
			}
			mem[p] = &fstest.MapFile{Data: data}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return mem
}

func edit(t *testing.T, fsys fstest.MapFS, rel, old, new string) {
	t.Helper()
	s := string(fsys[rel].Data)
	if !strings.Contains(s, old) {
		t.Fatalf("%s has no %q", rel, old)
	}
	fsys[rel] = &fstest.MapFile{Data: []byte(strings.Replace(s, old, new, 1))}
}

// TestLoadFSBeside: an estate loaded beside another is the estate LoadFS
// loads, to the last position; the tenants whose self-contained files are
// unchanged are shared with the other, and where sharing cannot be known
// to be right (a tier or platform file changed, a file reading the
// tenants as a whole, two files for one tenant) nothing is shared.
func TestLoadFSBeside(t *testing.T) {
	head := exampleFS(t)
	beside, err := LoadFS(head, "root")
	if err != nil {
		t.Fatal(err)
	}
	if beside.entangled {
		t.Fatal("the example estate is entangled: its tenant files are not self-contained")
	}
	for _, tc := range []struct {
		name   string
		change func(fstest.MapFS)
		shared int // tenants shared with beside
	}{
		{"unchanged", func(fstest.MapFS) {}, 12},
		{"a tenant's calendar", func(m fstest.MapFS) {
			edit(t, m, "tenants/maison-laurent.cue", `end: "2026-12-01"`, `end: "2026-12-02"`)
		}, 11},
		{"a tenant removed, one added", func(m fstest.MapFS) {
			m["tenants/maison-neuve.cue"] = &fstest.MapFile{Data: []byte(strings.ReplaceAll(string(m["tenants/doree-lyon.cue"].Data), "doree-lyon", "maison-neuve"))}
			edit(t, m, "tenants/maison-neuve.cue", "erp.maison-neuve.example\"]", "erp.maison-neuve.example\", \"shop.maison-neuve.example\"]")
			delete(m, "tenants/prairie-market.cue")
		}, 11},
		{"a tier", func(m fstest.MapFS) {
			edit(t, m, "tiers/shared.cue", "// shared:", "// Shared:")
		}, 0},
		{"a tenant file reading the tenants", func(m fstest.MapFS) {
			edit(t, m, "tenants/doree-lyon.cue", `brand:`, "_peer: tenants[\"doree-bordeaux\"].brand\n\tbrand:")
		}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prev := exampleFS(t)
			tc.change(prev)
			want, err := LoadFS(prev, "root")
			if err != nil {
				t.Fatal(err)
			}
			got, err := LoadFSBeside(prev, "root", beside)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("loaded beside, the estate differs from LoadFS's")
				for n := range want.Tenants {
					if !reflect.DeepEqual(got.Tenants[n], want.Tenants[n]) {
						t.Errorf("tenant %s differs", n)
					}
				}
				for k, p := range want.positions.pos {
					if got.positions.pos[k] != p {
						t.Errorf("position of %s: %v, want %v", k, got.positions.pos[k], p)
					}
				}
				for k := range got.positions.pos {
					if _, ok := want.positions.pos[k]; !ok {
						t.Errorf("position of %s: %v, want none", k, got.positions.pos[k])
					}
				}
				if !reflect.DeepEqual(got.positions.decls, want.positions.decls) {
					t.Errorf("declarations differ")
				}
			}
			shared := 0
			for n, tn := range got.Tenants {
				if tn == beside.Tenants[n] {
					shared++
				}
			}
			if shared != tc.shared {
				t.Errorf("%d tenants shared, want %d", shared, tc.shared)
			}
		})
	}
}

// TestLoadFSBesideInvalid: an estate loaded beside another is validated
// as LoadFS validates it, the checks that span tenants included.
func TestLoadFSBesideInvalid(t *testing.T) {
	beside, err := LoadFS(exampleFS(t), "root")
	if err != nil {
		t.Fatal(err)
	}
	for name, change := range map[string]func(fstest.MapFS){
		"out of the tier's bounds": func(m fstest.MapFS) {
			edit(t, m, "tenants/maison-laurent.cue", "web: 6", "web: 1")
		},
		"a domain another tenant has": func(m fstest.MapFS) {
			edit(t, m, "tenants/doree-lyon.cue", `["erp.doree-lyon.example"]`, `["erp.doree-lyon.example", "erp.doree-bordeaux.example"]`)
		},
		"a tenant in another tenant's file": func(m fstest.MapFS) {
			m["tenants/zz-extra.cue"] = &fstest.MapFile{Data: []byte("package estate\n\ntenants: \"doree-lyon\": contacts: owner: name: _\n")}
		},
	} {
		prev := exampleFS(t)
		change(prev)
		_, want := LoadFS(prev, "root")
		_, got := LoadFSBeside(prev, "root", beside)
		if want == nil || got == nil || got.Error() != want.Error() {
			t.Errorf("%s: got %v\nwant %v", name, got, want)
		}
	}
}

func TestSelfContained(t *testing.T) {
	for _, tc := range []struct {
		src  string
		want string
	}{
		{`tenants: "a-b": brand: "A"`, "a-b"},
		{"import \"strings\"\n\nlet x = 1\n// c\ntenants: {\n\t// d\n\tab: brand: strings.ToUpper(\"a\") + \"\\(x)\"\n}", "ab"},
		{`tenants: a: peer: tenants.b.brand`, ""},
		{`tenants: a: brand: platform.tenants`, ""},
		{"let p = tenants.b\ntenants: a: brand: p.brand", ""},
		{`tenants: a: {}, tenants: b: {}`, ""},
		{`tenants: {a: {}, b: {}}`, ""},
		{`tenants: [string]: brand: "x"`, ""},
		{`tenants: (k): brand: "x"`, ""},
		{`tenants?: a: {}`, ""},
		{`_shared: 1, tenants: a: {}`, ""},
		{`tiers: a: {}`, ""},
		{`tenants: "a"`, ""},
	} {
		f, err := parser.ParseFile("tenants/x.cue", "package estate\n\n"+tc.src+"\n")
		if err != nil {
			t.Fatalf("%s: %v", tc.src, err)
		}
		if got, _ := selfContained(f); got != tc.want {
			t.Errorf("%s: self-contained as %q, want %q", tc.src, got, tc.want)
		}
	}
}

func TestTenantOf(t *testing.T) {
	for key, want := range map[string]string{
		`tenants."a-b".environments.production`: `tenants."a-b"`,
		`tenants."a-b"`:                         `tenants."a-b"`,
		`tenants.ab.brand`:                      `tenants.ab`,
		`tenants.ab`:                            `tenants.ab`,
		`tenants."a\"b".x`:                      `tenants."a\"b"`,
		`tiers.shared`:                          "",
		`tenants`:                               "",
	} {
		if got, _ := tenantOf(key); got != want {
			t.Errorf("%s: %q, want %q", key, got, want)
		}
	}
}
