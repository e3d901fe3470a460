package policy

import (
	"os"
	"runtime/debug"
	"sync"
)

// evalGCPercent is the garbage collector's target while policies are
// evaluated. Evaluating a tenant allocates about a megabyte that is
// garbage as soon as its results are read, while the render around it
// keeps a large heap live (the estate, the rendered objects, the inputs):
// at the default of 100, every collection during the evaluation marks
// that whole live heap again, for a fraction of it freed. At 400 the
// evaluation of 1,000 tenants fits between two collections; the heap
// grows by at most what the evaluation allocates.
const evalGCPercent = 400

var gc struct {
	sync.Mutex
	users int
	old   int
}

// relaxGC raises the GC percent to evalGCPercent until the returned
// function is called, unless GOGC is set (the user's choice stands) or
// the percent is higher already. Concurrent evaluations share one raise.
func relaxGC() (restore func()) {
	if os.Getenv("GOGC") != "" {
		return func() {}
	}
	gc.Lock()
	defer gc.Unlock()
	if gc.users == 0 {
		gc.old = debug.SetGCPercent(evalGCPercent)
		if gc.old < 0 || gc.old > evalGCPercent {
			debug.SetGCPercent(gc.old)
		}
	}
	gc.users++
	return func() {
		gc.Lock()
		defer gc.Unlock()
		gc.users--
		if gc.users == 0 {
			debug.SetGCPercent(gc.old)
		}
	}
}
