package pipeline

import (
	"strings"
	"testing"
	"time"
)

// TestRecordPathsDiffer: records of the same rendered tree at the same
// instant but of different renders have different paths; the same record
// always has the same one.
func TestRecordPathsDiffer(t *testing.T) {
	at := time.Date(2026, 10, 14, 7, 0, 0, 0, time.UTC)
	a := &Record{Schema: "v1", At: at, RenderDigest: "sha256:" + strings.Repeat("ab", 32), Source: Source{Repo: "estate", Commit: "1111"}}
	b := *a
	b.Source.Commit = "2222"
	if a.Path() == b.Path() {
		t.Fatalf("two sources' records of one tree share %s", a.Path())
	}
	if !strings.HasPrefix(a.Path(), RecordsDir+"/20261014T070000Z-") || !strings.HasSuffix(a.Path(), ".json") {
		t.Errorf("path %s", a.Path())
	}
	c := *a
	if c.Path() != a.Path() {
		t.Error("equal records have different paths")
	}
}
