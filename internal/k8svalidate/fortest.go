package k8svalidate

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

var forTest struct {
	once sync.Once
	v    *Validator
	err  error
}

// ForTest returns a Validator for the built-in kinds and the CRDs of
// [Upstream]. The CRDs are loaded once per process (downloading the modules
// through the module proxy if needed) and the Validator is shared. If loading
// fails, ForTest calls t.Fatal: the test is never skipped.
func ForTest(t testing.TB) *Validator {
	t.Helper()
	forTest.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		crds, err := LoadCRDs(ctx, Upstream)
		if err != nil {
			forTest.err = err
			return
		}
		forTest.v, forTest.err = New(crds)
		if forTest.err != nil {
			forTest.err = fmt.Errorf("compiling upstream CRDs: %w", forTest.err)
		}
	})
	if forTest.err != nil {
		t.Fatal(forTest.err)
	}
	return forTest.v
}
