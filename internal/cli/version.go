package cli

import (
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
)

// Build metadata, set with -ldflags "-X ...": the release version and the
// source commit. Unset, they come from the module's build information.
var (
	buildVersion = ""
	buildCommit  = ""
)

// coreLibraries are the modules whose versions `palisade version` reports.
var coreLibraries = []string{
	"cuelang.org/go",
	"github.com/open-policy-agent/opa",
	"sigs.k8s.io/kustomize/api",
	"github.com/go-git/go-git/v5",
	"github.com/google/go-containerregistry",
	"github.com/sigstore/cosign/v2",
}

// VersionInfo is what `palisade version` reports.
type VersionInfo struct {
	Version   string
	Commit    string
	Go        string
	Libraries map[string]string
}

// Version returns the running binary's version information.
func Version() VersionInfo {
	v := VersionInfo{Version: buildVersion, Commit: buildCommit, Go: runtime.Version(), Libraries: map[string]string{}}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	if v.Version == "" {
		v.Version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && v.Commit == "" {
			v.Commit = s.Value
		}
		if s.Key == "vcs.modified" && s.Value == "true" && v.Commit != "" && !strings.HasSuffix(v.Commit, "-dirty") {
			v.Commit += "-dirty"
		}
	}
	for _, d := range bi.Deps {
		v.Libraries[d.Path] = d.Version
	}
	return v
}

func newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of palisade and of the libraries it is built with",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			printVersion(cmd.OutOrStdout(), Version())
			return nil
		},
	}
}

func printVersion(w io.Writer, v VersionInfo) {
	orUnknown := func(s string) string {
		if s == "" {
			return "unknown"
		}
		return s
	}
	fmt.Fprintf(w, "palisade %s\n", orUnknown(v.Version))
	fmt.Fprintf(w, "commit   %s\n", orUnknown(v.Commit))
	fmt.Fprintf(w, "go       %s\n", v.Go)
	for _, lib := range coreLibraries {
		ver, ok := v.Libraries[lib]
		if !ok {
			ver = "not linked"
		}
		fmt.Fprintf(w, "  %-40s %s\n", lib, ver)
	}
}

// develVersion is the version of a build without a version: `go run`, or
// `go build` without version control information.
const develVersion = "(devel)"

// develBuild reports whether version does not change with the code: no
// version, "(devel)", or the pseudo-version `go build` stamps on a work
// tree with uncommitted changes (v0.0.0-20261127085028-ad6edd1619fc+dirty),
// the same whatever the changes are.
func develBuild(version string) bool {
	return version == "" || version == develVersion || strings.HasSuffix(version, "+dirty")
}

// stateBuild identifies the running build for the key of the environment
// repository's render state when its version does not: for a development
// build, the executable's Go build ID (which changes with the code), else
// "". ok is false when the executable could not be identified; then the
// state must not be trusted.
func stateBuild(version string) (build string, ok bool) {
	if !develBuild(version) {
		return "", true
	}
	id, err := executableID()
	if err != nil {
		return "", false
	}
	return id, true
}

// executableID identifies the running executable: its Go build ID, or
// failing that, the SHA-256 of its content.
func executableID() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	f, err := os.Open(exe)
	if err != nil {
		return "", err
	}
	defer f.Close()
	head := make([]byte, buildIDReadSize)
	n, err := io.ReadFull(f, head)
	if err != nil && err != io.ErrUnexpectedEOF {
		return "", err
	}
	if id, ok := findBuildID(head[:n]); ok {
		return "go:" + id, nil
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// buildIDReadSize is how much of the start of an executable is searched
// for the Go build ID (the go command reads 32 KiB).
const buildIDReadSize = 64 << 10

// The Go linker writes the build ID of an executable that is not ELF
// near the start of its text segment between these bytes, quoted; in an
// ELF executable it is the "Go" note of type 4, in the leading headers.
var (
	goBuildIDPrefix = []byte("\xff Go build ID: \"")
	goBuildIDEnd    = []byte("\"\n \xff")
	elfGoNote       = []byte("Go\x00\x00")
)

const elfGoBuildIDTag = 4

// findBuildID finds the Go build ID in data, the start of an executable.
func findBuildID(data []byte) (string, bool) {
	if bytes.HasPrefix(data, []byte(elf.ELFMAG)) {
		if id, ok := findELFBuildID(data); ok {
			return id, true
		}
	}
	i := bytes.Index(data, goBuildIDPrefix)
	if i < 0 {
		return "", false
	}
	j := bytes.Index(data[i+len(goBuildIDPrefix):], goBuildIDEnd)
	if j < 0 {
		return "", false
	}
	quoted := data[i+len(goBuildIDPrefix)-1 : i+len(goBuildIDPrefix)+j+1]
	id, err := strconv.Unquote(string(quoted))
	if err != nil || id == "" {
		return "", false
	}
	return id, true
}

// findELFBuildID reads the Go build ID note of the ELF executable whose
// start is data: the program headers and the note segments within data.
func findELFBuildID(data []byte) (string, bool) {
	// Without section headers, elf.NewFile decodes the program headers
	// only and does not read beyond data.
	hdr := bytes.Clone(data)
	switch {
	case len(hdr) < 64:
		return "", false
	case elf.Class(hdr[elf.EI_CLASS]) == elf.ELFCLASS32:
		clear(hdr[32:36]) // e_shoff
		clear(hdr[48:50]) // e_shnum
	case elf.Class(hdr[elf.EI_CLASS]) == elf.ELFCLASS64:
		clear(hdr[40:48]) // e_shoff
		clear(hdr[60:62]) // e_shnum
	default:
		return "", false
	}
	ef, err := elf.NewFile(bytes.NewReader(hdr))
	if err != nil {
		return "", false
	}
	for _, p := range ef.Progs {
		if p.Type != elf.PT_NOTE || p.Off+p.Filesz > uint64(len(data)) {
			continue
		}
		note := data[p.Off : p.Off+p.Filesz]
		for len(note) >= 16 {
			nameSize := uint64(ef.ByteOrder.Uint32(note))
			descSize := uint64(ef.ByteOrder.Uint32(note[4:]))
			tag := ef.ByteOrder.Uint32(note[8:])
			name := (nameSize + 3) &^ 3
			desc := (descSize + 3) &^ 3
			if 12+name+descSize > uint64(len(note)) {
				break
			}
			if nameSize == 4 && tag == elfGoBuildIDTag && bytes.Equal(note[12:16], elfGoNote) && descSize > 0 {
				return string(note[16 : 16+descSize]), true
			}
			next := 12 + name + desc
			if a := p.Align; a > 4 && a&(a-1) == 0 {
				// Notes in the segment start at its alignment.
				off := p.Off + p.Filesz - uint64(len(note))
				next = (off+next+a-1)&^(a-1) - off
			}
			if next >= uint64(len(note)) {
				break
			}
			note = note[next:]
		}
	}
	return "", false
}
