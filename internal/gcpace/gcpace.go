// Package gcpace paces Go's garbage collector for a command that runs to
// its end: on a small heap it collects less often than the default.
//
// Go's default (GOGC=100) lets the heap grow to twice what the last
// collection found live, and no less than 4 MiB. A command that loads a
// few thousand recipients and sends to each therefore collects dozens of
// times while its heap is still growing, and each request it sends leaves
// garbage behind; those collections were a tenth of a 5,000-request
// apply's CPU. Relax lets the heap instead grow by a fixed headroom past
// what is live, up to five times it, so a small run collects rarely and a
// large one, whose heap is already hundreds of megabytes, keeps the
// default. It re-reads the live heap after every collection.
package gcpace

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
)

// DefaultHeadroom is the heap growth past what is live that Relax allows
// herald's commands.
const DefaultHeadroom = 128 << 20

// maxPercent bounds GOGC, so that a nearly empty heap does not grow to
// the whole headroom for nothing.
const maxPercent = 400

// Relax paces collections by headroom (see the package comment) for the
// rest of the process, or until the next call. A GOGC or GOMEMLIMIT set
// in the environment is the user's choice: Relax then leaves the pace
// alone.
func Relax(headroom uint64) {
	g := generation.Add(1) // ends the pacing of an earlier call
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetGCPercent(percent(headroom, liveHeap()))
	rearm(headroom, g)
}

// generation counts Relax's calls; each call's pacing stops once another
// has begun.
var generation atomic.Int64

// percent is the GOGC that lets a heap of live bytes grow by headroom,
// within [100, maxPercent].
func percent(headroom, live uint64) int {
	if live == 0 {
		return maxPercent
	}
	return int(min(maxPercent, max(100, headroom*100/live)))
}

// rearm sets the pace again after the next collection. A finalizer runs
// once its object is found unreachable, that is after a collection, on
// the runtime's finalizer goroutine; it arms the next one in turn.
func rearm(headroom uint64, g int64) {
	sentinel := new([16]byte) // large enough not to be batched with tiny allocations
	runtime.SetFinalizer(sentinel, func(*[16]byte) {
		if generation.Load() != g {
			return
		}
		debug.SetGCPercent(percent(headroom, liveHeap()))
		rearm(headroom, g)
	})
}

// liveHeap is the heap the last collection found live, 0 before the
// first.
func liveHeap() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}
