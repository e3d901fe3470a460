package evidence

// This file reproduces renders: the source commit a record names is
// rendered again, as the record says it was rendered, against the tree the
// render was committed on, and the tree it makes is compared with the
// committed one. The other checks prove that the committed tree is the one
// the policies judged; this one, that the reviewed source makes it — that
// nothing the record does not show (an edit an incremental render kept, a
// tampered render state, a modified build) shaped what runs.

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	udiff "github.com/aymanbagabas/go-udiff"

	"github.com/palisade-gitops/palisade/internal/envrepo"
	"github.com/palisade-gitops/palisade/internal/gitsrc"
	"github.com/palisade-gitops/palisade/internal/pipeline"
)

// notReproduced is the kind of the note about a render that was not
// reproduced because it cannot be: another version made it, or other
// policies judged it.
const notReproduced = "not-reproducible"

// reproduceRender renders the source commit sc of the render commit c
// again. It reports whether the committed tree was reproduced, and the
// findings and notes about it.
func (e *exporter) reproduceRender(c *envrepo.HistoryCommit, rec *pipeline.Record, sc *gitsrc.Commit, finding func(kind, msg string, paths []string) Finding) (bool, []Finding, []Finding, error) {
	if rec.Palisade != e.reproduce.Version {
		return false, nil, []Finding{finding(notReproduced,
			fmt.Sprintf("rendered by Palisade %s, and this is %s: only the version that made a render reproduces it", rec.Palisade, e.reproduce.Version), nil)}, nil
	}
	if e.policyDigest == "" {
		d, err := pipeline.PolicyDigest(e.reproduce.PolicyDirs)
		if err != nil {
			return false, nil, nil, err
		}
		e.policyDigest = d
	}
	if rec.PolicyDigest != e.policyDigest {
		return false, nil, []Finding{finding(notReproduced,
			fmt.Sprintf("the record's policy digest %s is not that of the built-in policies with the --policy directories given (%s): give --policy the directories the render used", rec.PolicyDigest, e.policyDigest), nil)}, nil
	}
	tmp, err := os.MkdirTemp("", "palisade-reproduce-")
	if err != nil {
		return false, nil, nil, err
	}
	defer os.RemoveAll(tmp)
	root, err := e.source.Extract(sc, tmp)
	if err != nil {
		return false, nil, nil, err
	}
	ed, err := pipeline.EstateDigest(root)
	if err != nil {
		return false, nil, nil, err
	}
	if ed != rec.EstateDigest {
		return false, []Finding{finding(FindingSourceMismatch,
			fmt.Sprintf("the estate at source commit %s hashes to %s, the record says %s: the render did not render the commit it names", short(sc.Hash), ed, rec.EstateDigest), nil)}, nil, nil
	}
	prev := map[string][]byte{}
	if !c.Parent.Empty() {
		if prev, err = c.Parent.Files(""); err != nil {
			return false, nil, nil, err
		}
	}
	prevMsg := ""
	if !c.Parent.Empty() {
		prevMsg = c.Parent.Message()
	}
	again, err := pipeline.Reproduce(e.ctx, rec, root, e.reproduce.PolicyDirs, prev, prevMsg, e.source.LoadEstateBeside)
	var rerr *pipeline.ReproduceError
	if errors.As(err, &rerr) {
		return false, []Finding{finding(FindingNotReproduced,
			fmt.Sprintf("rendering source commit %s again at %s fails: %s", short(sc.Hash), stamp(rec.At), rerr.Reason), nil)}, nil, nil
	}
	if err != nil {
		return false, nil, nil, err
	}
	// The committed tree's digest is known already (render-digest): its
	// files are read again only to show what differs.
	digest, err := e.renderDigest(c.Snapshot)
	if err != nil {
		return false, nil, nil, err
	}
	if pipeline.TreeDigest(again) == digest {
		return true, nil, nil, nil
	}
	committed, err := renderedFiles(c.Snapshot)
	if err != nil {
		return false, nil, nil, err
	}
	differ := differing(committed, again)
	f := finding(FindingNotReproduced,
		fmt.Sprintf("rendering source commit %s again at %s, against the tree before this commit, makes another tree: %d file(s) differ. What runs is not what the reviewed source makes (an edit an incremental render kept, a tampered render state, or another build of the same version)",
			short(sc.Hash), stamp(rec.At), len(differ)), differ)
	f.Diff = excerpt(differ, committed, again)
	return false, []Finding{f}, nil, nil
}

// Bounds of the diff a not-reproduced finding shows: enough to see what
// differs, not the whole tree.
const (
	diffFiles = 3
	diffLines = 40
)

// excerpt is the unified diff, from the committed file to the reproduced
// one, of the first few paths, each cut to diffLines lines.
func excerpt(paths []string, committed, again map[string][]byte) string {
	var sb strings.Builder
	for i, p := range paths {
		if i == diffFiles {
			fmt.Fprintf(&sb, "… and %d more file(s)\n", len(paths)-diffFiles)
			break
		}
		d := udiff.Unified("committed/"+p, "reproduced/"+p, string(committed[p]), string(again[p]))
		lines := strings.SplitAfter(strings.TrimSuffix(d, "\n"), "\n")
		if len(lines) > diffLines {
			lines = append(lines[:diffLines], fmt.Sprintf("… %d more line(s)\n", len(lines)-diffLines))
		}
		for _, l := range lines {
			sb.WriteString(strings.TrimSuffix(l, "\n") + "\n")
		}
	}
	return sb.String()
}

// differing lists the paths whose content a and b disagree on, one
// missing included, sorted.
func differing(a, b map[string][]byte) []string {
	var out []string
	for p, data := range a {
		if other, ok := b[p]; !ok || !bytes.Equal(data, other) {
			out = append(out, p)
		}
	}
	for p := range b {
		if _, ok := a[p]; !ok {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}
