package engine

import (
	"time"

	"github.com/heraldhq/herald/internal/kaleyra"
	"github.com/heraldhq/herald/internal/plans"
)

// Hooks are told what apply does as it does it. The views implement them
// (live progress, JSON event lines); calls may come from many goroutines at
// once and must not block for long.
type Hooks interface {
	// PreSend: the delivery is recorded in flight and its request is about
	// to leave.
	PreSend(c *plans.Change)
	// PostSend: the delivery's outcome is recorded.
	PostSend(c *plans.Change, o kaleyra.Outcome)
	// Skipped: the delivery was not sent because a message it depends on
	// had a failed or unknown send, or because apply was interrupted.
	Skipped(c *plans.Change, reason string)
	// Progress is called about once a second while sends are under way,
	// and once at the end.
	Progress(p Progress)
}

// Progress is a snapshot of a running apply.
type Progress struct {
	Total   int // sends planned
	Sent    int
	Failed  int
	Unknown int
	Skipped int
	Elapsed time.Duration
	// Rate is deliveries finished per second over the last few seconds.
	Rate float64
	// Remaining estimates the time left; 0 when unknown.
	Remaining time.Duration
}

// Done is how many deliveries have finished one way or another.
func (p Progress) Done() int { return p.Sent + p.Failed + p.Unknown + p.Skipped }

// Result counts what an apply did.
type Result struct {
	Sent    int
	Failed  int
	Unknown int
	// Skipped were not sent: a dependency failed, or apply was interrupted.
	Skipped int
}
