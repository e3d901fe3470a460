package pipeline

import (
	"context"
	"errors"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/palisade-gitops/palisade/internal/envrepo"
)

// Commit says who commits a render into the environment repository.
type Commit struct {
	Source  Source
	Version string
	Author  object.Signature
}

// Published is the outcome of a render into an environment repository.
type Published struct {
	Report  *Report
	Record  *Record
	Outcome envrepo.Outcome
}

// errDenied stops a publish: the policies denied the change.
var errDenied = errors.New("policies denied the change")

// Publish renders the prepared estate against the tip of the environment
// repository's branch and commits the result, with a decision record and
// provenance trailers. A render whose tree equals the tip's commits
// nothing. When a push is rejected because another renderer moved the
// branch, the render is redone against the new tip: freeze hold-backs and
// change detection always judge against what is really committed.
func (p *Prepared) Publish(ctx context.Context, repo *envrepo.Repo, c Commit) (*Published, error) {
	pub := &Published{}
	out, err := repo.Publish(ctx, func(tip *envrepo.Snapshot) (envrepo.Change, error) {
		all, err := tip.Files("")
		if err != nil {
			return envrepo.Change{}, err
		}
		base := NewMapBaseline(all)
		o, err := p.Render(ctx, base)
		if err != nil {
			return envrepo.Change{}, err
		}
		pub.Report = o.Report
		if o.Report.Denied {
			return envrepo.Change{}, errDenied
		}
		files := map[string][]byte{}
		for path, data := range o.Files {
			if !underAny(path, o.Keep) {
				files[path] = data
			}
		}
		for path, data := range base.Under(o.Keep) {
			files[path] = data
		}
		rendered := TreeDigest(files)
		prev := map[string][]byte{}
		for path, data := range all {
			if strings.HasPrefix(path, RecordsDir+"/") {
				files[path] = data // the history of records is kept
			} else if underAny(path, Owned) {
				prev[path] = data
			}
		}
		rec, err := p.NewRecord(o, c.Source, c.Version, files)
		if err != nil {
			return envrepo.Change{}, err
		}
		rec.RenderDigest = rendered
		pub.Record = rec
		if rendered == TreeDigest(prev) {
			// Nothing to apply: no new record either, so the tree
			// equals the tip's and nothing is committed.
			return envrepo.Change{Files: files, Message: "unchanged", Author: c.Author}, nil
		}
		data, err := rec.JSON()
		if err != nil {
			return envrepo.Change{}, err
		}
		files[rec.Path()] = data
		return envrepo.Change{Files: files, Message: rec.CommitMessage(), Author: c.Author}, nil
	})
	pub.Outcome = out
	if errors.Is(err, errDenied) {
		return pub, nil
	}
	if err != nil {
		if envrepo.IsOutside(err) {
			return nil, &OutsideError{Op: "environment repository", Err: err}
		}
		return nil, err
	}
	return pub, nil
}
