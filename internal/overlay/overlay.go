// Package overlay is a file system of files in memory over a directory on
// disk: an estate read as a commit has it, or as it would be with an edit,
// without writing to the working tree.
package overlay

import (
	"errors"
	"io"
	"io/fs"
	"maps"
	"slices"
	"strings"
	"testing/fstest"
)

// FS is a file system of files in memory (Mem) over another, such as a
// directory on disk (Disk): a file in Mem hides the one of the same name
// in Disk, and a directory lists both.
type FS struct {
	Mem  fstest.MapFS
	Disk fs.FS
}

func (o FS) Open(name string) (fs.File, error) {
	if _, ok := o.Mem[name]; ok {
		return o.Mem.Open(name)
	}
	info, err := fs.Stat(o.Disk, name)
	switch {
	case err == nil && !info.IsDir():
		return o.Disk.Open(name)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return nil, err
	case err != nil:
		// A directory only the in-memory files are in, or nothing.
		if info, err = o.Mem.Stat(name); err != nil {
			return nil, err
		}
	}
	entries, err := o.ReadDir(name)
	if err != nil {
		return nil, err
	}
	return &dirFile{info: info, entries: entries}, nil
}

// dirFile is an open directory of an FS.
type dirFile struct {
	info    fs.FileInfo
	entries []fs.DirEntry
}

func (d *dirFile) Stat() (fs.FileInfo, error) { return d.info, nil }
func (d *dirFile) Close() error               { return nil }
func (d *dirFile) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.info.Name(), Err: errors.New("is a directory")}
}

func (d *dirFile) ReadDir(n int) ([]fs.DirEntry, error) {
	if n <= 0 {
		out := d.entries
		d.entries = nil
		return out, nil
	}
	if len(d.entries) == 0 {
		return nil, io.EOF
	}
	n = min(n, len(d.entries))
	out := d.entries[:n]
	d.entries = d.entries[n:]
	return out, nil
}

func (o FS) ReadFile(name string) ([]byte, error) {
	if f, ok := o.Mem[name]; ok {
		return slices.Clone(f.Data), nil
	}
	return fs.ReadFile(o.Disk, name)
}

func (o FS) ReadDir(name string) ([]fs.DirEntry, error) {
	disk, derr := fs.ReadDir(o.Disk, name)
	mem, merr := o.Mem.ReadDir(name)
	if derr != nil && merr != nil {
		return nil, derr
	}
	// An entry is what Open gives: a file in memory hides the one on
	// disk, and a directory on disk is opened from there.
	byName := map[string]fs.DirEntry{}
	for _, e := range disk {
		byName[e.Name()] = e
	}
	for _, e := range mem {
		if d, ok := byName[e.Name()]; !ok || !e.IsDir() || !d.IsDir() {
			byName[e.Name()] = e
		}
	}
	out := slices.Collect(maps.Values(byName))
	slices.SortFunc(out, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return out, nil
}
