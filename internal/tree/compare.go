package tree

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// State is how a directory of the new tree compares with what is on disk.
type State int

// States of a directory.
const (
	// Absent: the directory does not exist on disk (a new environment).
	Absent State = iota
	// Same: the directory holds exactly the new files.
	Same
	// Changed: files differ, were added or were removed.
	Changed
)

func (s State) String() string {
	return [...]string{"absent", "same", "changed"}[s]
}

// Compare compares the files under the directory prefix (slash-separated,
// relative) of the new tree with the directory on disk below root.
func Compare(root string, files map[string][]byte, prefix string) (State, error) {
	base := filepath.Join(root, filepath.FromSlash(prefix))
	fi, err := os.Stat(base)
	if errors.Is(err, fs.ErrNotExist) {
		return Absent, nil
	}
	if err != nil {
		return Changed, err
	}
	if !fi.IsDir() {
		return Changed, nil
	}
	want := 0
	for p := range files {
		if strings.HasPrefix(p, prefix+"/") {
			want++
		}
	}
	seen := 0
	state := Same
	err = filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		data, ok := files[filepath.ToSlash(rel)]
		if !ok {
			state = Changed
			return fs.SkipAll
		}
		seen++
		old, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if !bytes.Equal(old, data) {
			state = Changed
			return fs.SkipAll
		}
		return nil
	})
	if err != nil {
		return Changed, err
	}
	if state == Same && seen != want {
		state = Changed
	}
	return state, nil
}
