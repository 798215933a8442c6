package statemgr

import (
	"errors"
	"sync"
)

// groupCommit makes appends from concurrent callers durable together: a
// caller queues its bytes; whichever caller finds no commit in progress
// becomes the leader, hands everything queued so far to write in one
// call (one write, one fsync) and wakes the others. While it waits for the
// disk, more callers queue up behind it, so the number of fsyncs grows
// with the number of batches of concurrent callers, not with the number
// of callers. Both the apply journal and the receipts journal use it.
//
// An append may ask only to be written, not made durable: a batch of such
// appends alone is written without an fsync, and the next durable batch's
// fsync covers it.
type groupCommit struct {
	// write writes one batch, and makes it durable when sync is set.
	// Only one call runs at a time.
	write func(batch []byte, sync bool) error
	// final makes a failed write refuse every later append: after a
	// failed fsync what reached the disk is unknowable, and for the apply
	// journal no record after it may be reported durable. Without it only
	// the callers of the failed batch see the error.
	final bool

	mu   sync.Mutex
	cond *sync.Cond
	// next is the batch filling up while another commits; spares are the
	// buffers of batches written, reused for the next ones: two are in
	// use at a time, one filling while the other is written.
	next       *commitBatch
	spares     [][]byte
	committing bool
	err        error // the final error, when final
	closed     bool
	// queued counts appends, commits the batches written and syncs those
	// made durable, for tests and benchmarks.
	queued, commits, syncs uint64
}

type commitBatch struct {
	buf  []byte
	sync bool // some append asked for durability
	done bool
	err  error
}

var errCommitClosed = errors.New("closed")

func newGroupCommit(final bool, write func(batch []byte, sync bool) error) *groupCommit {
	g := &groupCommit{write: write, final: final}
	g.cond = sync.NewCond(&g.mu)
	return g
}

// append queues lines and returns once they are durable, or with the
// error of the write that held them. It returns errCommitClosed after
// close.
func (g *groupCommit) append(lines []byte) error {
	return g.appendWith(true, func(buf []byte) []byte { return append(buf, lines...) })
}

// appendWith is append for a caller that encodes its lines straight into
// the batch: fill appends them to buf and returns it. It runs with the
// batch locked, so it must be quick and must not call back into g; in
// return an apply's records are encoded once, into a buffer that is
// reused, instead of into one of their own that is then copied. Without
// sync it returns once the lines are written, not yet durable.
func (g *groupCommit) appendWith(sync bool, fill func(buf []byte) []byte) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return errCommitClosed
	}
	if g.err != nil {
		return g.err
	}
	if g.next == nil {
		var buf []byte
		if n := len(g.spares); n > 0 {
			buf, g.spares = g.spares[n-1][:0], g.spares[:n-1]
		}
		g.next = &commitBatch{buf: buf}
	}
	b := g.next
	b.buf = fill(b.buf)
	b.sync = b.sync || sync
	g.queued++
	for !b.done {
		switch {
		case g.err != nil:
			return g.err
		case g.committing:
			g.cond.Wait()
		default:
			g.commitLocked()
		}
	}
	return b.err
}

// commitLocked writes the queued batch. It is called with g.mu held and
// releases it while the disk works.
func (g *groupCommit) commitLocked() {
	b := g.next
	g.next = nil
	g.committing = true
	g.mu.Unlock()

	err := g.write(b.buf, b.sync)

	g.mu.Lock()
	g.committing = false
	g.commits++
	if b.sync {
		g.syncs++
	}
	b.done, b.err = true, err
	if err != nil && g.final {
		g.err = err
	}
	g.spares = append(g.spares, b.buf)
	g.cond.Broadcast()
}

// close writes what callers racing with it have queued, waits for the
// commit in progress, and refuses appends from then on. It returns the
// final error, if any.
func (g *groupCommit) close() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	for g.committing || (g.next != nil && g.err == nil) {
		if g.committing {
			g.cond.Wait()
		} else {
			g.commitLocked()
		}
	}
	g.closed = true
	return g.err
}

// counts returns the appends queued and the batches written and made
// durable so far.
func (g *groupCommit) counts() (queued, commits, syncs uint64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.queued, g.commits, g.syncs
}
