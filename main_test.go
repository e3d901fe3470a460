package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"cuelang.org/go/cue/format"
	"github.com/rogpeppe/go-internal/testscript"
	"github.com/sigstore/cosign/v2/pkg/cosign"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/palisade-gitops/palisade/internal/cli"
	"github.com/palisade-gitops/palisade/internal/gittest"
	"github.com/palisade-gitops/palisade/internal/pipeline"
	"github.com/palisade-gitops/palisade/render"
)

var update = flag.Bool("update", false, "rewrite the expected output in testdata/script/*.txtar")

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"palisade": func() { os.Exit(cli.Main(os.Args[1:])) },
	})
}

// TestScript runs the end-to-end CLI scripts in testdata/script. Each runs
// the real palisade binary (this test binary, re-executed) in a fresh
// directory. Commands beyond testscript's own:
//
//	estate          copy the small valid test estate (testdata/estate) here
//	estate example  copy the repository's example estate here
//	replace F O N   replace the text O by N in file F; fails unless O occurs
//	append SRC DST  append file SRC to file DST
//	exitcode N CMD  run CMD (as exec does) and require exit status N
//	cosignkey NAME  write a cosign key pair, NAME.key (encrypted with
//	                $COSIGN_PASSWORD) and NAME.pub
//	forgerecord DIR [ESTATE-DIGEST]
//	                reseal the render commit at the HEAD of the environment
//	                repository DIR around edits to its work tree: its record
//	                takes the edited tree's digest (and the estate digest
//	                given) and the name of its new content, and the commit
//	                is amended with the message the record makes — a
//	                forgery only a reproduction (or a record signature)
//	                tells
//
// $EXAMPLE is the repository's example estate.
func TestScript(t *testing.T) {
	repo, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:           filepath.Join("testdata", "script"),
		UpdateScripts: *update,
		Setup: func(env *testscript.Env) error {
			env.Setenv("EXAMPLE", repo)
			// Verified signatures are cached per test, never in the
			// user's cache.
			env.Setenv("XDG_CACHE_HOME", filepath.Join(env.WorkDir, ".cache"))
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"estate": func(ts *testscript.TestScript, neg bool, args []string) {
				switch {
				case neg || len(args) > 1 || len(args) == 1 && args[0] != "example":
					ts.Fatalf("usage: estate [example]")
				case len(args) == 1:
					for _, p := range []string{"platform.cue", "tiers", "tenants", "keys", "mirror"} {
						ts.Check(copyTree(filepath.Join(repo, p), ts.MkAbs(p)))
					}
				default:
					ts.Check(copyTree(filepath.Join(repo, "testdata", "estate"), ts.MkAbs(".")))
					ts.Check(signFixture(ts.MkAbs(".")))
				}
			},
			"exitcode": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) < 2 {
					ts.Fatalf("usage: exitcode N command [args...]")
				}
				want, err := strconv.Atoi(args[0])
				ts.Check(err)
				got := 0
				if err := ts.Exec(args[1], args[2:]...); err != nil {
					var ee *exec.ExitError
					if !errors.As(err, &ee) {
						ts.Fatalf("%s: %v", args[1], err)
					}
					got = ee.ExitCode()
				}
				if got != want {
					ts.Fatalf("%s exited with status %d, want %d", args[1], got, want)
				}
			},
			"append": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 2 {
					ts.Fatalf("usage: append SRC DST")
				}
				src, err := os.ReadFile(ts.MkAbs(args[0]))
				ts.Check(err)
				f, err := os.OpenFile(ts.MkAbs(args[1]), os.O_APPEND|os.O_WRONLY, 0)
				ts.Check(err)
				_, err = f.Write(src)
				ts.Check(err)
				ts.Check(f.Close())
			},
			"cosignkey": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 1 {
					ts.Fatalf("usage: cosignkey NAME")
				}
				kb, err := cosign.GenerateKeyPair(func(bool) ([]byte, error) { return []byte(ts.Getenv("COSIGN_PASSWORD")), nil })
				ts.Check(err)
				ts.Check(os.WriteFile(ts.MkAbs(args[0]+".key"), kb.PrivateBytes, 0o600))
				ts.Check(os.WriteFile(ts.MkAbs(args[0]+".pub"), kb.PublicBytes, 0o644))
			},
			"pgpkey": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 1 {
					ts.Fatalf("usage: pgpkey NAME")
				}
				// Made before the scripts' --at instants.
				_, priv, pub, err := gittest.PGPKey(args[0], time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), 0, ts.Getenv("PALISADE_COMMIT_KEY_PASSPHRASE"))
				ts.Check(err)
				ts.Check(os.WriteFile(ts.MkAbs(args[0]+".asc"), priv, 0o600))
				ts.Check(os.WriteFile(ts.MkAbs(args[0]+".pub.asc"), pub, 0o644))
			},
			"kbuild": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 1 {
					ts.Fatalf("usage: kbuild DIR")
				}
				render.InitKustomize() // scripts run in parallel
				k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
				m, err := k.Run(filesys.MakeFsOnDisk(), ts.MkAbs(args[0]))
				ts.Check(err)
				out, err := m.AsYaml()
				ts.Check(err)
				_, err = ts.Stdout().Write(out)
				ts.Check(err)
			},
			"forgerecord": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) < 1 || len(args) > 2 {
					ts.Fatalf("usage: forgerecord DIR [ESTATE-DIGEST]")
				}
				estate := ""
				if len(args) == 2 {
					estate = args[1]
				}
				ts.Check(forgeRecord(ts, ts.MkAbs(args[0]), estate))
			},
			"replace": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 3 {
					ts.Fatalf("usage: replace FILE OLD NEW")
				}
				file := ts.MkAbs(args[0])
				data, err := os.ReadFile(file)
				ts.Check(err)
				old, repl := unquote(args[1]), unquote(args[2])
				if !strings.Contains(string(data), old) {
					ts.Fatalf("replace: %q not found in %s", old, args[0])
				}
				ts.Check(os.WriteFile(file, []byte(strings.Replace(string(data), old, repl, 1)), 0o644))
			},
		},
	})
}

// forgeRecord is the forgerecord command: what someone who can push, but
// does not hold the record key, could make of a render commit.
func forgeRecord(ts *testscript.TestScript, dir, estate string) error {
	git := func(args ...string) (string, error) {
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_COMMITTER_NAME="+ts.Getenv("GIT_COMMITTER_NAME"), "GIT_COMMITTER_EMAIL="+ts.Getenv("GIT_COMMITTER_EMAIL"),
			"GIT_COMMITTER_DATE="+ts.Getenv("GIT_COMMITTER_DATE"))
		out, err := cmd.CombinedOutput()
		if err != nil {
			return "", fmt.Errorf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out), nil
	}
	msg, err := git("log", "-1", "--format=%B")
	if err != nil {
		return err
	}
	_, after, ok := strings.Cut(msg, pipeline.RecordLine(""))
	if !ok {
		return fmt.Errorf("HEAD of %s is not a render commit", dir)
	}
	old, _, _ := strings.Cut(after, "\n")
	data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(old)))
	if err != nil {
		return err
	}
	var rec pipeline.Record
	if err := json.Unmarshal(data, &rec); err != nil {
		return err
	}
	files := map[string][]byte{}
	for _, top := range pipeline.Owned {
		err := filepath.WalkDir(filepath.Join(dir, top), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, err := filepath.Rel(dir, p)
			if err != nil {
				return err
			}
			files[filepath.ToSlash(rel)], err = os.ReadFile(p)
			return err
		})
		if err != nil {
			return err
		}
	}
	rec.RenderDigest = pipeline.TreeDigest(files)
	if estate != "" {
		rec.EstateDigest = estate
	}
	if data, err = rec.JSON(); err != nil {
		return err
	}
	if err := os.Remove(filepath.Join(dir, filepath.FromSlash(old))); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(rec.Path())), data, 0o644); err != nil {
		return err
	}
	if _, err := git("add", "-A"); err != nil {
		return err
	}
	_, err = git("commit", "-q", "--amend", "-m", rec.CommitMessage())
	return err
}

// unquote turns \n and \t in a replace argument into newline and tab.
func unquote(s string) string {
	return strings.NewReplacer(`\n`, "\n", `\t`, "\t").Replace(s)
}

func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
}

// TestExampleFormatted keeps the example estate and the test estate as
// `cue fmt` writes them.
func TestExampleFormatted(t *testing.T) {
	var files []string
	for _, pattern := range []string{"*.cue", "tiers/*.cue", "tenants/*.cue", "testdata/estate/*.cue", "testdata/estate/*/*.cue"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 10 {
		t.Fatalf("found only %d CUE files", len(files))
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		got, err := format.Source(src)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if string(got) != string(src) {
			t.Errorf("%s is not formatted: run cue fmt", f)
		}
	}
}
