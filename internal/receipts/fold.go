package receipts

import (
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/states"
)

// PendingFor is how long an event that matches no delivery is kept, to be
// tried again by later folds, before it is dropped. A receipt often comes
// before the apply that sent its message has written the message_id, and an
// interrupted apply's ids reach the state only when its journal is folded;
// a week covers a weekend without a run. Events about messages herald never
// sent (another tool on the same account) are dropped after it.
const PendingFor = 7 * 24 * time.Hour

// FoldResult tells what a fold did with each event.
type FoldResult struct {
	// Matched counts status events that named a delivery by message_id
	// and moved its receipt forward; Settled those that settled a
	// delivery whose outcome was unknown.
	Matched, Settled int
	// Ignored counts events that changed nothing: duplicates, statuses
	// that would move a receipt backward, inbound times older than the
	// one recorded, and events missing what they would be matched by.
	Ignored int
	// Inbound counts incoming-message events that moved a conversation's
	// last time forward.
	Inbound int
	// Ambiguous counts status events that could settle more than one
	// unknown delivery (same recipient and ref fields); they are kept in
	// Unmatched, never guessed.
	Ambiguous int
	// Expired counts unmatched events dropped for being older than
	// PendingFor.
	Expired int
	// Unmatched are the status events no delivery matched (yet), to be
	// kept and folded again later.
	Unmatched []Event
}

// Fold applies events to st and reports what each did. It is idempotent
// and the order of events does not matter: folding a set of events, in
// any order and any number of times, gives the same state.
//
// Status events match a delivery by Kaleyra's message_id. One that
// matches none may settle a delivery whose outcome was unknown (herald
// never learned its message_id): when exactly one such delivery has the
// event's recipient and ref fields (and sender, when the event names it),
// it becomes sent with that message_id, or failed when the event says the
// message failed or was never sent. A receipt only moves forward (see
// stronger). now is the time events are kept pending against.
func Fold(st *states.State, events []Event, now time.Time) FoldResult {
	var r FoldResult
	f := folder{st: st}
	pending := make([]*Event, 0)
	for i := range events {
		e := &events[i]
		switch e.Kind {
		case InboundKind:
			f.inbound(e, &r)
		case StatusKind:
			if !states.KnownReceiptStatus(e.Status) || (e.MessageID == "" && e.Recipient == "") {
				r.Ignored++
				continue
			}
			pending = append(pending, e)
		default:
			r.Ignored++
		}
	}
	// Settling an unknown delivery gives it a message_id that other events
	// name, so fold what is left again while a pass makes progress: the
	// result is then the same whatever order the events came in.
	for len(pending) > 0 {
		var left []*Event
		progress := false
		for _, e := range pending {
			switch f.status(e, &r) {
			case applied:
				progress = true
			case noMatch:
				left = append(left, e)
			}
		}
		pending = left
		if !progress {
			break
		}
	}
	for _, e := range pending {
		if f.ambiguous(e) {
			r.Ambiguous++
		} else if e.MessageID == "" {
			// Without a message_id an event can only settle an unknown
			// delivery, and none is there to settle (it was settled
			// already): keeping it would match nothing, ever.
			r.Ignored++
			continue
		}
		if now.Sub(e.Received) > PendingFor {
			r.Expired++
			continue
		}
		r.Unmatched = append(r.Unmatched, *e)
	}
	return r
}

// folder holds the indexes of one fold, built on first need: most folds
// are of a handful of events over a large state.
type folder struct {
	st        *states.State
	byID      map[string]*states.Delivery
	unknownBy map[unknownKey][]*states.Delivery
}

// unknownKey is what a status event can name an unknown delivery by.
type unknownKey struct {
	recipient, ref, ref1, ref2 string
}

type outcome int

const (
	applied outcome = iota
	unchanged
	noMatch
)

func (f *folder) inbound(e *Event, r *FoldResult) {
	if e.Sender == "" || e.Recipient == "" {
		r.Ignored++
		return
	}
	k := states.InboundKey{Sender: e.Sender, Recipient: e.Recipient}
	if last, ok := f.st.Inbound[k]; ok && !e.At.After(last) {
		r.Ignored++
		return
	}
	if f.st.Inbound == nil {
		f.st.Inbound = make(map[states.InboundKey]time.Time)
	}
	f.st.Inbound[k] = e.At
	r.Inbound++
}

func (f *folder) status(e *Event, r *FoldResult) outcome {
	if d := f.lookupID(e.MessageID); d != nil {
		if !f.apply(d, e) {
			r.Ignored++
			return unchanged
		}
		r.Matched++
		return applied
	}
	cands := f.candidates(e)
	if len(cands) != 1 {
		return noMatch
	}
	d := cands[0]
	if d.Status != states.Unknown {
		// Settled by another event of this fold that the index already
		// held; the message_id lookup takes it from here.
		return noMatch
	}
	if e.MessageID != "" {
		d.MessageID = e.MessageID
		f.byID[e.MessageID] = d
	}
	f.apply(d, e)
	r.Settled++
	return applied
}

// apply moves d's receipt forward to e's, and settles d when its outcome
// was unknown. It reports whether d changed.
func (f *folder) apply(d *states.Delivery, e *Event) bool {
	next := &states.Receipt{Status: e.Status, ErrorCode: e.ErrorCode, ErrorText: e.ErrorText, At: e.At}
	changed := false
	if d.Receipt == nil || stronger(next, d.Receipt) {
		d.Receipt = next
		changed = true
	}
	// An unknown outcome is settled by the receipt; so is a failure that a
	// receipt settled before, when a later one says the phone got it
	// after all. A failure Kaleyra answered at send time has no
	// message_id, so no receipt reaches it.
	if d.Status == states.Unknown || (d.Status == states.Failed && d.MessageID != "") {
		before := d.Status
		if reached(d.Receipt.Status) {
			d.Status, d.ErrorCode, d.ErrorText = states.Sent, "", ""
		} else {
			d.Status, d.ErrorCode, d.ErrorText = states.Failed, d.Receipt.ErrorCode, d.Receipt.ErrorText
		}
		changed = changed || d.Status != before
	}
	if changed && e.Received.After(d.UpdatedAt) {
		d.UpdatedAt = e.Received
	}
	return changed
}

// reached reports whether a status says Kaleyra passed the message on or
// the phone got it, as opposed to failed or never sent.
func reached(s states.ReceiptStatus) bool {
	return s == states.Accepted || s == states.Delivered || s == states.Read
}

// rank orders statuses: a receipt never moves to a lower one. A failure
// outranks Kaleyra's "sent" (it came after it) but loses to delivered and
// read: the phone got the message after all.
func rank(s states.ReceiptStatus) int {
	switch s {
	case states.Accepted:
		return 1
	case states.ReceiptFailed, states.NotSent:
		return 2
	case states.Delivered:
		return 3
	case states.Read:
		return 4
	}
	return 0
}

// stronger reports whether a should replace b. Beyond rank it orders by
// time, status, code and text, so that any two receipts compare one way
// and the fold's result does not depend on the order events came in.
func stronger(a, b *states.Receipt) bool {
	if ra, rb := rank(a.Status), rank(b.Status); ra != rb {
		return ra > rb
	}
	if !a.At.Equal(b.At) {
		return a.At.After(b.At)
	}
	if c := strings.Compare(string(a.Status), string(b.Status)); c != 0 {
		return c > 0
	}
	if c := strings.Compare(a.ErrorCode, b.ErrorCode); c != 0 {
		return c > 0
	}
	return a.ErrorText > b.ErrorText
}

func (f *folder) lookupID(id string) *states.Delivery {
	if id == "" {
		return nil
	}
	f.indexIDs()
	return f.byID[id]
}

func (f *folder) indexIDs() {
	if f.byID != nil {
		return
	}
	f.byID = make(map[string]*states.Delivery)
	for d := range f.st.Deliveries.All() {
		if d.MessageID != "" {
			f.byID[d.MessageID] = d
		}
	}
}

// candidates are the unknown deliveries e could settle.
func (f *folder) candidates(e *Event) []*states.Delivery {
	if e.Recipient == "" {
		return nil
	}
	if f.unknownBy == nil {
		f.unknownBy = make(map[unknownKey][]*states.Delivery)
		for d := range f.st.Deliveries.All() {
			if d.Status == states.Unknown {
				k := unknownKey{d.Key.Recipient, d.Key.Ref, d.Key.Ref1, d.Key.Ref2}
				f.unknownBy[k] = append(f.unknownBy[k], d)
			}
		}
	}
	f.indexIDs() // settling adds to it
	var out []*states.Delivery
	for _, d := range f.unknownBy[unknownKey{e.Recipient, e.Ref, e.Ref1, e.Ref2}] {
		if e.Sender == "" || e.Sender == d.Key.Sender {
			out = append(out, d)
		}
	}
	return out
}

// ambiguous reports whether e was left because it could settle more than
// one delivery.
func (f *folder) ambiguous(e *Event) bool {
	n := 0
	for _, d := range f.candidates(e) {
		if d.Status == states.Unknown {
			n++
		}
	}
	return n > 1
}
