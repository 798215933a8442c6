// Package statemgr stores state: reading and atomically replacing it, the
// lock that keeps two herald runs apart, and the journal that makes every
// send durable before and after its request.
//
// It decides nothing about deliveries: what to send is the engine's, and
// the file format is statefile's. The only status it gives meaning to is
// InFlight, which it turns into Unknown when a run died before the answer.
package statemgr

import (
	"context"
	"fmt"
	"time"

	"github.com/heraldhq/herald/internal/receipts"
	"github.com/heraldhq/herald/internal/states"
)

// Backend is where state lives. Every implementation must pass the
// conformance suite in statemgrtest.
type Backend interface {
	// Lock takes the state lock for operation (e.g. "apply"), retrying until
	// timeout has passed (0: one try). A failure to take it is a *LockError
	// naming the holder.
	Lock(ctx context.Context, operation string, timeout time.Duration) (*LockInfo, error)
	// Unlock releases a lock this process holds.
	Unlock(id string) error
	// ForceUnlock clears a lock another process left behind, when its ID
	// matches.
	ForceUnlock(id string) error

	// Read returns the current state, with any journal an interrupted run
	// left folded in: entries in flight without an outcome become Unknown.
	// A missing state is an empty one with a new lineage.
	Read() (*states.State, error)
	// Write replaces the state atomically. The first Write by a Backend
	// keeps the replaced state as a backup. It clears the journal it folds.
	Write(*states.State) error
	// OpenJournal starts recording the sends of one apply over the state s
	// (as returned by Read).
	OpenJournal(s *states.State) (Journal, error)
}

// Journal is an append-only log of one apply's sends.
type Journal interface {
	// Record appends records. A record whose Status is InFlight marks a
	// request about to leave: Record returns once it is durable (it
	// survives a power loss). An outcome (any other status) may be kept
	// with less: once Record returns it survives the process, and it is
	// durable by the next record in flight or Close, so that a power loss
	// can at most leave its delivery in flight, which reads as unknown.
	// Concurrent callers share writes and fsyncs (group commit). Record
	// keeps nothing of records once it returns, so that callers may reuse
	// them.
	Record(records ...states.Delivery) error
	// Close flushes and closes the journal; it stays on disk until the next
	// Write folds it.
	Close() error
}

// InFlight is the journal-only status of a delivery whose request is about
// to leave. Read turns it into states.Unknown when no outcome follows.
const InFlight states.Status = "in_flight"

// LockInfo is what the lock file says about its holder.
type LockInfo struct {
	ID        string    `json:"ID"`
	Operation string    `json:"Operation"`
	Who       string    `json:"Who"`
	Created   time.Time `json:"Created"`
	Path      string    `json:"Path"`
}

// LockError is the error of a lock that could not be taken.
type LockError struct {
	Holder *LockInfo // nil when the lock file could not be read
	Err    error
}

func (e *LockError) Error() string {
	if e.Holder == nil {
		return fmt.Sprintf("the state is locked: %v", e.Err)
	}
	h := e.Holder
	return fmt.Sprintf("the state is locked by %s for %q since %s (lock ID %s); wait for it to finish, use -lock-timeout to wait longer, or if that process is gone, run: herald force-unlock %s",
		h.Who, h.Operation, h.Created.Format(time.RFC3339), h.ID, h.ID)
}

func (e *LockError) Unwrap() error { return e.Err }

// ReceiptStore keeps the events of Kaleyra's callbacks (status receipts
// and incoming messages) until Read folds them into the state. Recording
// never waits for the state lock, so that a callback listener never blocks
// an apply, nor an apply the listener.
type ReceiptStore interface {
	// RecordReceipts stores events and returns once they are durable.
	// Recording an event twice is harmless: folding is idempotent.
	// The local backend's concurrent callers share fsyncs (group
	// commit); PostgreSQL commits each call on its own.
	RecordReceipts(ctx context.Context, events []receipts.Event) error
}
