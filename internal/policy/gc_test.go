package policy

import (
	"runtime/debug"
	"sync"
	"testing"
)

// TestRelaxGC: evaluations raise the GC percent together and the last
// one to finish restores it; a higher percent, GC off and a GOGC the user
// set are left alone.
func TestRelaxGC(t *testing.T) {
	t.Setenv("GOGC", "")
	old := debug.SetGCPercent(100)
	defer debug.SetGCPercent(old)

	var wg sync.WaitGroup
	start := make(chan struct{})
	restores := make(chan func(), 8)
	for range 8 {
		wg.Go(func() {
			<-start
			restores <- relaxGC()
		})
	}
	close(start)
	wg.Wait()
	close(restores)
	if got := debug.SetGCPercent(-1); got != evalGCPercent {
		t.Errorf("during evaluations: GC percent %d, want %d", got, evalGCPercent)
	}
	debug.SetGCPercent(evalGCPercent)
	n := 0
	for restore := range restores {
		restore()
		if n++; n < 8 {
			if got := debug.SetGCPercent(evalGCPercent); got != evalGCPercent {
				t.Fatalf("after %d of 8 evaluations: GC percent %d, want %d", n, got, evalGCPercent)
			}
		}
	}
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("after every evaluation: GC percent %d, want 100", got)
	}

	for _, pct := range []int{800, -1} {
		debug.SetGCPercent(pct)
		restore := relaxGC()
		if got := debug.SetGCPercent(pct); got != pct {
			t.Errorf("GC percent %d: changed to %d", pct, got)
		}
		restore()
	}

	t.Setenv("GOGC", "50")
	debug.SetGCPercent(50)
	restore := relaxGC()
	if got := debug.SetGCPercent(50); got != 50 {
		t.Errorf("GOGC=50: changed to %d", got)
	}
	restore()
}
