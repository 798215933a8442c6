package listen

import (
	"sync"
	"time"

	"github.com/heraldhq/herald/internal/receipts"
	"github.com/heraldhq/herald/internal/states"
)

// StateIndex knows the deliveries of a state: the message ids of those
// Kaleyra accepted, and the recipient and ref fields of those whose
// outcome is unknown (a receipt settles them by those). It is built from
// one read of the state and read again when a receipt names something it
// does not know, at most once per interval: an apply running beside the
// listener adds message ids, and a receipt can come before the state
// that holds its id is written. It only counts: a receipt it does not
// know is recorded all the same.
//
// The wait between reads is at least the interval given, and at least ten
// times as long as the last read took, so that a flood of receipts for
// messages herald never sent costs at most a tenth of a core in reads of
// a large state.
type StateIndex struct {
	read     func() (*states.State, error)
	interval time.Duration
	now      func() time.Time

	mu       sync.RWMutex
	ids      map[string]bool
	unknowns map[unknownKey]bool
	readAt   time.Time
	took     time.Duration
	refresh  sync.Mutex
}

type unknownKey struct{ recipient, ref, ref1, ref2 string }

// NewStateIndex reads the state once through read and indexes it.
// interval is the least wait between reads that a miss makes.
func NewStateIndex(read func() (*states.State, error), interval time.Duration) (*StateIndex, error) {
	x := &StateIndex{read: read, interval: interval, now: time.Now}
	if err := x.load(); err != nil {
		return nil, err
	}
	return x, nil
}

// Reload reads the state again now, whatever the interval.
func (x *StateIndex) Reload() error {
	x.refresh.Lock()
	defer x.refresh.Unlock()
	return x.load()
}

func (x *StateIndex) load() error {
	start := x.now()
	st, err := x.read()
	if err != nil {
		return err
	}
	ids := make(map[string]bool, st.Deliveries.Len())
	unknowns := map[unknownKey]bool{}
	for d := range st.Deliveries.All() {
		k := d.Key
		if d.MessageID != "" {
			ids[d.MessageID] = true
		}
		if d.Status == states.Unknown {
			unknowns[unknownKey{k.Recipient, k.Ref, k.Ref1, k.Ref2}] = true
		}
	}
	x.mu.Lock()
	x.ids, x.unknowns, x.readAt = ids, unknowns, x.now()
	x.took = x.readAt.Sub(start)
	x.mu.Unlock()
	return nil
}

// Len is the number of message ids indexed.
func (x *StateIndex) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.ids)
}

// Known tells whether e names a delivery of the state, reading the state
// again first when it does not and the last read is older than the
// interval.
func (x *StateIndex) Known(e *receipts.Event) bool {
	if x.has(e) {
		return true
	}
	x.refresh.Lock()
	defer x.refresh.Unlock()
	// Another miss may have read it again while this one waited.
	x.mu.RLock()
	stale := x.now().Sub(x.readAt) >= max(x.interval, 10*x.took)
	x.mu.RUnlock()
	if stale {
		if err := x.load(); err != nil {
			return false
		}
	}
	return x.has(e)
}

func (x *StateIndex) has(e *receipts.Event) bool {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.ids[e.MessageID] {
		return true
	}
	return e.Recipient != "" && x.unknowns[unknownKey{e.Recipient, e.Ref, e.Ref1, e.Ref2}]
}
