// Package states is the model of what herald has sent: one record per
// delivery key, with its outcome and Kaleyra's ids.
//
// It is pure data. The file format lives in statefile; storage, locking and
// the journal live in statemgr.
package states

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/delivery"
)

// Status is the recorded outcome of a delivery.
type Status string

const (
	// Sent: Kaleyra accepted it.
	Sent Status = "sent"
	// Failed: Kaleyra refused it; nothing went out; a plan retries it.
	Failed Status = "failed"
	// Unknown: it may have gone out (interrupted, timed out, ambiguous
	// answer); a plan never sends it again without -replace.
	Unknown Status = "unknown"
)

// Delivery is the record of one delivery key.
type Delivery struct {
	Key delivery.Key `json:"key"`
	// Address is the message instance that last sent it, for display only:
	// renaming a block does not change which record a delivery matches.
	Address   string          `json:"address"`
	Digest    delivery.Digest `json:"digest"`
	Status    Status          `json:"status"`
	RequestID string          `json:"request_id,omitempty"`
	MessageID string          `json:"message_id,omitempty"`
	ErrorCode string          `json:"error_code,omitempty"`
	ErrorText string          `json:"error_text,omitempty"`
	// Attempts counts requests made for this key over all runs.
	Attempts  int       `json:"attempts"`
	FirstSent time.Time `json:"first_attempt_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// Receipt is what Kaleyra's delivery callbacks last said of the
	// message after it was accepted, or nil when none has come. A pointer,
	// so that the many records without one cost a word each.
	Receipt *Receipt `json:"receipt,omitempty"`
}

// ReceiptStatus is what the phone's side reported of a sent message. It
// only moves forward: Delivered and Read win over Failed and NotSent, Read
// over Delivered, and Accepted (Kaleyra passed it on) is the weakest.
type ReceiptStatus string

const (
	// Accepted: Kaleyra reported the message sent on to WhatsApp
	// (Kaleyra's callback status "sent").
	Accepted  ReceiptStatus = "sent"
	Delivered ReceiptStatus = "delivered"
	Read      ReceiptStatus = "read"
	// ReceiptFailed: WhatsApp could not deliver it (ErrorCode says why).
	ReceiptFailed ReceiptStatus = "failed"
	// NotSent: Kaleyra never passed it on.
	NotSent ReceiptStatus = "not-sent"
)

// KnownReceiptStatus reports whether s is one of the statuses above.
func KnownReceiptStatus(s ReceiptStatus) bool {
	switch s {
	case Accepted, Delivered, Read, ReceiptFailed, NotSent:
		return true
	}
	return false
}

// Receipt is the strongest status the callbacks reported for a delivery.
type Receipt struct {
	Status    ReceiptStatus `json:"status"`
	ErrorCode string        `json:"error_code,omitempty"`
	ErrorText string        `json:"error_text,omitempty"`
	// At is when the reported event happened, by Kaleyra's timestamp, or
	// when herald recorded it when the callback carried none.
	At time.Time `json:"at"`
}

// NeverArrived reports whether the receipt says the message did not reach
// the phone (failed or not sent on), so that a plan sends it again. A nil
// receipt has said nothing.
func (r *Receipt) NeverArrived() bool {
	return r != nil && (r.Status == ReceiptFailed || r.Status == NotSent)
}

// InboundKey names one conversation: a recipient writing to one of the
// team's sender numbers. Both are E.164 with the leading "+".
type InboundKey struct {
	Sender    string `json:"sender"`
	Recipient string `json:"recipient"`
}

// State is everything herald knows it has sent.
type State struct {
	// Lineage is a random ID fixed when the state is first created; a saved
	// plan is applied only to the lineage it was made against.
	Lineage string
	// Serial increases by one on every write that changes the deliveries.
	Serial uint64
	// Deliveries by key.
	Deliveries *DeliverySet
	// Inbound is when each recipient last wrote to each sender number, as
	// incoming-message callbacks reported it: WhatsApp delivers free-form
	// text only within 24 hours of it. Never what they wrote. May be nil.
	Inbound map[InboundKey]time.Time
	// Contents holds what non-sensitive messages rendered when they were
	// sent, once per digest, so that a plan can show what changed since.
	// Sensitive content is never kept. May be nil.
	Contents map[delivery.Digest]delivery.Content
}

// New returns an empty state with the given lineage.
func New(lineage string) *State {
	return &State{Lineage: lineage, Deliveries: NewDeliverySet(0)}
}

// KeepContent records that non-sensitive content c, of digest d, was
// sent, so that a later plan can show what changed since. Content kept
// once is kept as it is.
func (s *State) KeepContent(d delivery.Digest, c delivery.Content) {
	if _, ok := s.Contents[d]; ok {
		return
	}
	if s.Contents == nil {
		s.Contents = make(map[delivery.Digest]delivery.Content)
	}
	s.Contents[d] = c
}

// Get returns the record for k, or nil.
func (s *State) Get(k delivery.Key) *Delivery { return s.Deliveries.Get(k) }

// Set stores d under its key.
func (s *State) Set(d *Delivery) { s.Deliveries.Put(d) }

// Sorted returns the records ordered by address, then key, for stable
// output.
func (s *State) Sorted() []*Delivery {
	out := make([]*Delivery, 0, s.Deliveries.Len())
	for d := range s.Deliveries.All() {
		out = append(out, d)
	}
	SortDeliveries(out)
	return out
}

// SortDeliveries orders records by address, then key, as Sorted does.
//
// A million records sorted through their pointers cost seconds: each
// comparison reads two records and their strings from all over the heap.
// So the sort runs over a compact slice instead, one entry a record with
// what decides nearly every comparison as numbers: the rank of its
// address, channel and sender among the few distinct ones, and its
// recipient's digits packed in order. Only records of one recipient and
// rank are compared by their refs.
func SortDeliveries(out []*Delivery) {
	type prefix struct{ address, channel, sender string }
	// The distinct prefixes, found by their index in prefixes: a state
	// has few, and comparing the strings (interned, so equal ones mostly
	// share their bytes) beats hashing them while they are few.
	var prefixes []prefix
	index := make(map[prefix]uint32)
	find := func(p prefix) uint32 {
		if len(prefixes) <= 16 {
			for i := range prefixes {
				if prefixes[i] == p {
					return uint32(i)
				}
			}
		} else if i, ok := index[p]; ok {
			return i
		}
		index[p] = uint32(len(prefixes))
		prefixes = append(prefixes, p)
		return uint32(len(prefixes) - 1)
	}
	entries := make([]sortEntry, len(out))
	for i, d := range out {
		num, ok := packNumber(d.Key.Recipient)
		if !ok {
			sortByPointers(out)
			return
		}
		entries[i] = sortEntry{rank: find(prefix{d.Address, d.Key.Channel, d.Key.Sender}), num: num, d: d}
	}
	// Rank the prefixes in order.
	order := make([]uint32, len(prefixes))
	for i := range order {
		order[i] = uint32(i)
	}
	slices.SortFunc(order, func(i, j uint32) int {
		a, b := prefixes[i], prefixes[j]
		if c := strings.Compare(a.address, b.address); c != 0 {
			return c
		}
		if c := strings.Compare(a.channel, b.channel); c != 0 {
			return c
		}
		return strings.Compare(a.sender, b.sender)
	})
	rank := make([]uint32, len(prefixes))
	for r, i := range order {
		rank[i] = uint32(r)
	}
	for i := range entries {
		entries[i].rank = rank[entries[i].rank]
	}
	slices.SortFunc(entries, func(a, b sortEntry) int {
		if a.rank != b.rank {
			return cmp.Compare(a.rank, b.rank)
		}
		if a.num != b.num {
			return cmp.Compare(a.num, b.num)
		}
		return compareKeys(a.d.Key, b.d.Key)
	})
	for i := range entries {
		out[i] = entries[i].d
	}
}

type sortEntry struct {
	rank uint32
	num  uint64
	d    *Delivery
}

// packNumber packs an E.164 number's digits into a number that orders as
// the text does: four bits a digit, digit+1 so that a shorter number,
// padded with zeros, orders before the longer ones it begins. ok is false
// for anything but "+" and 1 to 15 digits.
func packNumber(s string) (n uint64, ok bool) {
	if len(s) < 2 || len(s) > 16 || s[0] != '+' {
		return 0, false
	}
	for i := 1; i < 16; i++ {
		n <<= 4
		if i < len(s) {
			c := s[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			n |= uint64(c-'0') + 1
		}
	}
	return n, true
}

// sortByPointers is SortDeliveries for records whose recipients are not
// numbers as herald writes them, which only tests make.
func sortByPointers(out []*Delivery) {
	// strings.Compare reads each pair of strings once, where "!=" then "<"
	// reads equal ones twice; most pairs share their address.
	slices.SortFunc(out, func(a, b *Delivery) int {
		if c := strings.Compare(a.Address, b.Address); c != 0 {
			return c
		}
		return compareKeys(a.Key, b.Key)
	})
}

// compareKeys orders keys field by field, in the order of Key's fields.
func compareKeys(a, b delivery.Key) int {
	if c := strings.Compare(a.Channel, b.Channel); c != 0 {
		return c
	}
	if c := strings.Compare(a.Sender, b.Sender); c != 0 {
		return c
	}
	if c := strings.Compare(a.Recipient, b.Recipient); c != 0 {
		return c
	}
	if c := strings.Compare(a.Ref, b.Ref); c != 0 {
		return c
	}
	if c := strings.Compare(a.Ref1, b.Ref1); c != 0 {
		return c
	}
	return strings.Compare(a.Ref2, b.Ref2)
}
