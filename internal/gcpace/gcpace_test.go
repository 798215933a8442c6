package gcpace

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

func TestPercent(t *testing.T) {
	const mib = 1 << 20
	tests := []struct {
		headroom, live uint64
		want           int
	}{
		{128 * mib, 0, 400},        // before the first collection
		{128 * mib, 1 * mib, 400},  // capped at five times the live heap
		{128 * mib, 64 * mib, 200}, // the headroom past what is live
		{128 * mib, 128 * mib, 100},
		{128 * mib, 1 << 30, 100}, // never below the default
	}
	for _, tt := range tests {
		if got := percent(tt.headroom, tt.live); got != tt.want {
			t.Errorf("percent(%d MiB, %d MiB) = %d; want %d", tt.headroom/mib, tt.live/mib, got, tt.want)
		}
	}
}

// gcPercent is the collector's current GOGC.
func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

func TestRelaxKeepsTheUsersChoice(t *testing.T) {
	Relax(DefaultHeadroom) // pacing, which the next call must end
	t.Setenv("GOGC", "123")
	defer debug.SetGCPercent(debug.SetGCPercent(123))
	Relax(DefaultHeadroom)
	for range 3 {
		runtime.GC()
		time.Sleep(10 * time.Millisecond) // for the finalizers
	}
	if got := gcPercent(); got != 123 {
		t.Errorf("with GOGC=123 set, GOGC became %d", got)
	}
}

// TestRelaxFollowsTheLiveHeap: the pace is set again after each
// collection, from what it found live.
func TestRelaxFollowsTheLiveHeap(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	const headroom = 16 << 20
	runtime.GC()
	Relax(headroom)
	if got := gcPercent(); got != maxPercent {
		t.Fatalf("on a small heap GOGC is %d; want %d", got, maxPercent)
	}
	live := make([][]byte, 64)
	for i := range live {
		live[i] = make([]byte, 1<<20) // 64 MiB, four times the headroom
	}
	waitFor(t, func() bool { runtime.GC(); return gcPercent() == 100 }, "GOGC to fall to 100 under a heap larger than the headroom")
	runtime.KeepAlive(live)
	live = nil
	waitFor(t, func() bool { runtime.GC(); return gcPercent() == maxPercent }, "GOGC to rise again once the heap is freed")
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s; GOGC is %d", what, gcPercent())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
