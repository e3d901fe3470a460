// Package tree is the entry point for writing an environment tree to disk:
// the whole tree is staged beside the target directory and swapped in with
// one rename, so a failed or interrupted render leaves the directory as it
// was, and files no longer rendered disappear.
package tree

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// Marker is the file that identifies a directory Palisade writes; Write
// refuses to replace a non-empty directory without it.
const Marker = ".palisade-tree"

// Options say what of the current tree survives a write.
type Options struct {
	// Owned are the top-level entries Palisade writes ("clusters",
	// "bases"); everything else in the directory is carried over.
	Owned []string
	// Keep are directories (slash-separated, relative) whose current
	// content is carried over instead of being written: tenants held back
	// by a freeze, or not selected for this render.
	Keep []string
}

// Stats count what was written.
type Stats struct {
	Files int
	Bytes int64
}

// Write makes dir hold files (paths relative to dir, slash-separated),
// atomically.
func Write(dir string, files map[string][]byte, o Options) (Stats, error) {
	var st Stats
	dir = filepath.Clean(dir)
	parent, base := filepath.Split(dir)
	if parent == "" {
		parent = "."
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return st, err
	}
	exists, err := checkTarget(dir)
	if err != nil {
		return st, err
	}
	removeStale(parent, base)
	stage, err := os.MkdirTemp(parent, "."+base+".palisade-")
	if err != nil {
		return st, err
	}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(stage)
		}
	}()
	if exists {
		if err := carryOver(dir, stage, o); err != nil {
			return st, fmt.Errorf("carrying over %s: %w", dir, err)
		}
	}
	if st, err = writeFiles(stage, files, o.Keep); err != nil {
		return st, err
	}
	if err := os.WriteFile(filepath.Join(stage, Marker), []byte("This directory is written by palisade render; edits here are replaced.\n"), 0o644); err != nil {
		return st, err
	}
	if err := swap(stage, dir, exists); err != nil {
		return st, err
	}
	ok = true
	return st, nil
}

// CheckTarget returns the error Write would give for dir before writing
// anything: a file in its place, or a directory Palisade did not write.
// A render checks first, so that it fails before reading a baseline out
// of such a directory, not after rendering.
func CheckTarget(dir string) error {
	_, err := checkTarget(filepath.Clean(dir))
	return err
}

// checkTarget reports whether dir exists, refusing one that is not a
// directory or that holds files but was not written by Palisade.
func checkTarget(dir string) (bool, error) {
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !fi.IsDir() {
		return false, fmt.Errorf("output %q is a file, not a directory", dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false, err
	}
	if len(entries) > 0 {
		if _, err := os.Stat(filepath.Join(dir, Marker)); err != nil {
			return false, fmt.Errorf("refusing to write into %q: it is not empty and was not written by palisade (no %s); choose a new or empty directory", dir, Marker)
		}
	}
	return true, nil
}

// removeStale deletes staging directories left by an interrupted run.
func removeStale(parent, base string) {
	m, _ := filepath.Glob(filepath.Join(parent, "."+base+".palisade-*"))
	for _, p := range m {
		os.RemoveAll(p)
	}
}

func under(p string, prefixes []string) bool {
	for _, k := range prefixes {
		if p == k || strings.HasPrefix(p, k+"/") {
			return true
		}
	}
	return false
}

// carryOver links into stage what survives from dir: entries Palisade does
// not own, and the kept directories.
func carryOver(dir, stage string, o Options) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil || rel == "." {
			return err
		}
		rel = filepath.ToSlash(rel)
		top, _, _ := strings.Cut(rel, "/")
		owned := slices.Contains(o.Owned, top) || rel == Marker
		kept := under(rel, o.Keep)
		if d.IsDir() {
			if owned && !kept && !isAncestor(rel, o.Keep) {
				return fs.SkipDir
			}
			return os.MkdirAll(filepath.Join(stage, rel), 0o755)
		}
		if owned && !kept {
			return nil
		}
		return linkOrCopy(p, filepath.Join(stage, rel))
	})
}

func isAncestor(dir string, keep []string) bool {
	for _, k := range keep {
		if strings.HasPrefix(k, dir+"/") {
			return true
		}
	}
	return false
}

func linkOrCopy(src, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	if err := os.Link(src, dst); err == nil {
		return nil
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, data, 0o644)
}

// writeFiles writes the files in parallel, skipping kept directories.
func writeFiles(stage string, files map[string][]byte, keep []string) (Stats, error) {
	var st Stats
	paths := make([]string, 0, len(files))
	for p := range files {
		if strings.Contains(p, "..") || strings.HasPrefix(p, "/") {
			return st, fmt.Errorf("refusing to write %q outside the tree", p)
		}
		if !under(p, keep) {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	dirs := map[string]bool{}
	for _, p := range paths {
		dirs[filepath.Dir(filepath.Join(stage, filepath.FromSlash(p)))] = true
	}
	for d := range dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return st, err
		}
	}
	const workers = 4
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(paths); i += workers {
				if err := os.WriteFile(filepath.Join(stage, filepath.FromSlash(paths[i])), files[paths[i]], 0o644); err != nil {
					errs[w] = err
					return
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return st, err
	}
	for _, p := range paths {
		st.Files++
		st.Bytes += int64(len(files[p]))
	}
	return st, nil
}

// swap puts stage in dir's place: one atomic exchange of the two
// directories where the kernel offers it, else two renames.
func swap(stage, dir string, exists bool) error {
	if !exists {
		return os.Rename(stage, dir)
	}
	if err := unix.Renameat2(unix.AT_FDCWD, stage, unix.AT_FDCWD, dir, unix.RENAME_EXCHANGE); err == nil {
		return os.RemoveAll(stage) // now the old tree
	}
	old := stage + ".old"
	if err := os.Rename(dir, old); err != nil {
		return err
	}
	if err := os.Rename(stage, dir); err != nil {
		os.Rename(old, dir)
		return err
	}
	return os.RemoveAll(old)
}
