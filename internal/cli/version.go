package cli

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
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
