package pipeline

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/palisade-gitops/palisade/internal/estate"
)

// Tree is the rendered tree the outcome makes of the baseline's: the
// rendered files, and the baseline's files under the directories it keeps
// (tenants held back or not selected). Its TreeDigest is a record's render
// digest.
func (o *Outcome) Tree(base *MapBaseline) map[string][]byte {
	files := map[string][]byte{}
	for path, data := range o.Files {
		if !underAny(path, o.Keep) {
			files[path] = data
		}
	}
	for path, data := range base.Under(o.Keep) {
		files[path] = data
	}
	return files
}

// Replay is an image stage that answers with the facts a decision record
// holds: the digests the render pinned and the keys that verified them, as
// they were then. Reproducing a render needs what the registry said at the
// time, not what it says now (a tag moves, a signature is added).
type Replay struct {
	Facts []ImageFact
}

// Verify implements ImageStage. A reference the record has no fact about
// stays unseen: the supply-chain policies deny it.
func (s Replay) Verify(_ context.Context, _ *estate.Estate, refs []string) (*ImageReport, error) {
	rep := &ImageReport{Facts: []ImageFact{}}
	for _, f := range s.Facts {
		if slices.Contains(refs, f.Ref) {
			rep.Facts = append(rep.Facts, f)
		}
	}
	return rep, nil
}

// ReproduceError says why a render could not be done again: its policies
// denied it, or the estate did not load.
type ReproduceError struct {
	Reason string
}

func (e *ReproduceError) Error() string { return e.Reason }

// Reproduce renders the estate at root again as the record says it was
// rendered (the instant, target, layout and tenant selection, the image
// facts) against prev, the files of the environment repository's tree the
// render was committed on, and returns the rendered tree it makes: a full
// render, whatever the original skipped as unchanged. policyDirs are the
// user policy directories; the caller checks them against the record's
// policy digest. The estate at root failing to load, or the policies
// denying the render, is a *ReproduceError. prevMsg is the message of the
// commit the render was made on, and load reads the estate at an estate
// commit: a tenant the render removed is judged by its own calendar as
// the render judged it (Commit.Previous).
func Reproduce(ctx context.Context, rec *Record, root string, policyDirs []string, prev map[string][]byte, prevMsg string, load EstateLoader) (map[string][]byte, error) {
	o := Options{
		Root: root, Tenants: rec.Selected, KeepOthers: len(rec.Selected) > 0, Target: rec.Target, Layout: rec.Layout,
		At: rec.At, PolicyDirs: policyDirs, Images: Replay{Facts: rec.Images},
	}
	if len(rec.Images) == 0 {
		// A render without an image stage (tests and benchmarks; the
		// command line always has one) pinned nothing: neither does its
		// reproduction. A record stripped of its facts gains nothing by
		// it: its tree pins digests a render without them does not.
		o.Images = nil
	}
	p, err := Prepare(ctx, o)
	if err != nil {
		if _, ok := err.(*OutsideError); ok || ctx.Err() != nil {
			return nil, err
		}
		return nil, &ReproduceError{Reason: "the estate does not render: " + err.Error()}
	}
	base := NewMapBaseline(prev)
	if len(rec.UnreadEstates) > 0 && load != nil {
		// What the render could not read (a shallow clone), it judged
		// without: so does its reproduction, whatever this clone holds.
		all := load
		load = func(c string, beside *estate.Estate) (*estate.Estate, error) {
			if slices.Contains(rec.UnreadEstates, c) {
				return nil, errors.New("the render could not read it")
			}
			return all(c, beside)
		}
	}
	rb, _, _ := p.previousFromTip(base, prevMsg, rec.Source.Clean(), load)
	out, err := p.Render(ctx, rb)
	if err != nil {
		return nil, &ReproduceError{Reason: "the estate does not render: " + err.Error()}
	}
	if out.Report.Denied {
		var denials []string
		for _, r := range out.Report.Results {
			if r.Severity == "deny" && !r.Waived {
				denials = append(denials, r.PolicyID+" "+r.Tenant)
			}
		}
		slices.Sort(denials)
		denials = slices.Compact(denials)
		if len(denials) > 3 {
			denials = append(denials[:3], fmt.Sprintf("and %d more", len(denials)-3))
		}
		return nil, &ReproduceError{Reason: "the policies deny it: " + strings.Join(denials, ", ")}
	}
	return out.Tree(base), nil
}
