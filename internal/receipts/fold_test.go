package receipts

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/heraldhq/herald/internal/delivery"
	"github.com/heraldhq/herald/internal/states"
	"github.com/heraldhq/herald/internal/states/statestest"
)

var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

const sender = "+12025550100"

func key(recipient string) delivery.Key {
	return delivery.Key{Channel: "whatsapp", Sender: sender, Recipient: recipient, Ref: "release-v1"}
}

// ledger holds a delivery sent with message id "m1" to +12025550101, one
// whose outcome was unknown to +12025550102, and one Kaleyra refused at
// send time to +12025550103.
func ledger() *states.State {
	st := states.New("lineage")
	st.Set(&states.Delivery{Key: key("+12025550101"), Status: states.Sent, MessageID: "m1", UpdatedAt: t0})
	st.Set(&states.Delivery{Key: key("+12025550102"), Status: states.Unknown, ErrorCode: "STOPPED_IN_FLIGHT", UpdatedAt: t0})
	st.Set(&states.Delivery{Key: key("+12025550103"), Status: states.Failed, ErrorCode: "E413", UpdatedAt: t0})
	return st
}

func status(id string, s states.ReceiptStatus, minute int) Event {
	at := t0.Add(time.Duration(minute) * time.Minute)
	return Event{Kind: StatusKind, MessageID: id, Status: s, At: at, Received: at}
}

// about names the recipient and refs, as Kaleyra's callbacks do.
func about(e Event, recipient string) Event {
	e.Recipient, e.Ref = recipient, "release-v1"
	return e
}

func TestFold(t *testing.T) {
	failed := status("m1", states.ReceiptFailed, 2)
	failed.ErrorCode, failed.ErrorText = "131026", "Message undeliverable"
	tests := []struct {
		name   string
		events []Event
		want   map[string]states.Delivery // by recipient: the fields that matter
		result FoldResult
	}{
		{
			name:   "delivered then read",
			events: []Event{status("m1", states.Delivered, 1), status("m1", states.Read, 2)},
			want:   map[string]states.Delivery{"+12025550101": {Status: states.Sent, MessageID: "m1", Receipt: &states.Receipt{Status: states.Read, At: t0.Add(2 * time.Minute)}}},
			result: FoldResult{Matched: 2},
		},
		{
			name:   "read without delivered",
			events: []Event{status("m1", states.Read, 1)},
			want:   map[string]states.Delivery{"+12025550101": {Status: states.Sent, MessageID: "m1", Receipt: &states.Receipt{Status: states.Read, At: t0.Add(time.Minute)}}},
			result: FoldResult{Matched: 1},
		},
		{
			name:   "a status that would move backward is ignored",
			events: []Event{status("m1", states.Read, 1), status("m1", states.Delivered, 2), status("m1", states.Accepted, 3)},
			want:   map[string]states.Delivery{"+12025550101": {Status: states.Sent, MessageID: "m1", Receipt: &states.Receipt{Status: states.Read, At: t0.Add(time.Minute)}}},
			result: FoldResult{Matched: 1, Ignored: 2},
		},
		{
			name:   "delivered wins over failed",
			events: []Event{failed, status("m1", states.Delivered, 3)},
			want:   map[string]states.Delivery{"+12025550101": {Status: states.Sent, MessageID: "m1", Receipt: &states.Receipt{Status: states.Delivered, At: t0.Add(3 * time.Minute)}}},
			result: FoldResult{Matched: 2},
		},
		{
			name:   "failed after sent keeps its code",
			events: []Event{status("m1", states.Accepted, 1), failed},
			want:   map[string]states.Delivery{"+12025550101": {Status: states.Sent, MessageID: "m1", Receipt: &states.Receipt{Status: states.ReceiptFailed, ErrorCode: "131026", ErrorText: "Message undeliverable", At: t0.Add(2 * time.Minute)}}},
			result: FoldResult{Matched: 2},
		},
		{
			name:   "a duplicate changes nothing",
			events: []Event{status("m1", states.Delivered, 1), status("m1", states.Delivered, 1)},
			want:   map[string]states.Delivery{"+12025550101": {Status: states.Sent, MessageID: "m1", Receipt: &states.Receipt{Status: states.Delivered, At: t0.Add(time.Minute)}}},
			result: FoldResult{Matched: 1, Ignored: 1},
		},
		{
			name:   "an unknown settles as sent by recipient and refs",
			events: []Event{about(status("m2", states.Delivered, 1), "+12025550102")},
			want:   map[string]states.Delivery{"+12025550102": {Status: states.Sent, MessageID: "m2", Receipt: &states.Receipt{Status: states.Delivered, At: t0.Add(time.Minute)}}},
			result: FoldResult{Settled: 1},
		},
		{
			name: "an unknown settles as failed when Kaleyra never sent it",
			events: []Event{
				about(func() Event { e := status("m2", states.NotSent, 1); e.ErrorCode = "WAV2101"; return e }(), "+12025550102"),
			},
			want:   map[string]states.Delivery{"+12025550102": {Status: states.Failed, MessageID: "m2", ErrorCode: "WAV2101", Receipt: &states.Receipt{Status: states.NotSent, ErrorCode: "WAV2101", At: t0.Add(time.Minute)}}},
			result: FoldResult{Settled: 1},
		},
		{
			name:   "a settled failure becomes sent when the phone got it after all",
			events: []Event{about(status("m2", states.NotSent, 1), "+12025550102"), status("m2", states.Read, 5)},
			want:   map[string]states.Delivery{"+12025550102": {Status: states.Sent, MessageID: "m2", Receipt: &states.Receipt{Status: states.Read, At: t0.Add(5 * time.Minute)}}},
			result: FoldResult{Settled: 1, Matched: 1},
		},
		{
			name: "an event of another sender does not settle",
			events: []Event{func() Event {
				e := about(status("m2", states.Read, 1), "+12025550102")
				e.Sender = "+12025550199"
				return e
			}()},
			want: map[string]states.Delivery{"+12025550102": {Status: states.Unknown, ErrorCode: "STOPPED_IN_FLIGHT"}},
			result: FoldResult{Unmatched: []Event{func() Event {
				e := about(status("m2", states.Read, 1), "+12025550102")
				e.Sender = "+12025550199"
				return e
			}()}},
		},
		{
			name:   "an unknown message id stays pending",
			events: []Event{status("nope", states.Read, 1)},
			want:   map[string]states.Delivery{"+12025550101": {Status: states.Sent, MessageID: "m1"}},
			result: FoldResult{Unmatched: []Event{status("nope", states.Read, 1)}},
		},
		{
			name:   "an old unmatched event expires",
			events: []Event{status("nope", states.Read, -8*24*60)},
			want:   map[string]states.Delivery{"+12025550101": {Status: states.Sent, MessageID: "m1"}},
			result: FoldResult{Expired: 1},
		},
		{
			name:   "a refusal at send time is never reached",
			events: []Event{about(status("m3", states.Delivered, 1), "+12025550103")},
			want:   map[string]states.Delivery{"+12025550103": {Status: states.Failed, ErrorCode: "E413"}},
			result: FoldResult{Unmatched: []Event{about(status("m3", states.Delivered, 1), "+12025550103")}},
		},
		{
			name:   "an event without id or recipient, or of an unknown status, is ignored",
			events: []Event{status("", states.Read, 1), status("m1", "lost", 1)},
			want:   map[string]states.Delivery{"+12025550101": {Status: states.Sent, MessageID: "m1"}},
			result: FoldResult{Ignored: 2},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := ledger()
			got := Fold(st, tt.events, t0.Add(time.Hour))
			if diff := cmp.Diff(tt.result, got); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
			for recipient, want := range tt.want {
				d := st.Get(key(recipient))
				gotD := states.Delivery{Status: d.Status, MessageID: d.MessageID, ErrorCode: d.ErrorCode, Receipt: d.Receipt}
				if diff := cmp.Diff(want, gotD); diff != "" {
					t.Errorf("delivery to %s (-want +got):\n%s", recipient, diff)
				}
			}
		})
	}
}

func TestFoldSettlingEventWithoutIDIsNotKept(t *testing.T) {
	st := ledger()
	e := about(status("", states.Delivered, 1), "+12025550102")
	if r := Fold(st, []Event{e}, t0); r.Settled != 1 {
		t.Fatalf("first fold: %+v, want it settled", r)
	}
	if r := Fold(st, []Event{e}, t0); r.Ignored != 1 || len(r.Unmatched) != 0 {
		t.Errorf("folding it again: %+v, want it ignored, not kept pending", r)
	}
}

func TestFoldAmbiguousUnknownIsNotGuessed(t *testing.T) {
	st := ledger()
	other := key("+12025550102")
	other.Channel = "whatsapp-2"
	st.Set(&states.Delivery{Key: other, Status: states.Unknown})
	e := about(status("m2", states.Read, 1), "+12025550102")
	got := Fold(st, []Event{e}, t0)
	if got.Ambiguous != 1 || len(got.Unmatched) != 1 || got.Settled != 0 {
		t.Errorf("got %+v, want one ambiguous event kept unmatched", got)
	}
	if d := st.Get(key("+12025550102")); d.Status != states.Unknown {
		t.Errorf("an ambiguous receipt settled %s", d.Key)
	}
}

func TestFoldInbound(t *testing.T) {
	st := ledger()
	in := func(recipient string, minute int) Event {
		return Event{Kind: InboundKind, Sender: sender, Recipient: recipient, At: t0.Add(time.Duration(minute) * time.Minute)}
	}
	got := Fold(st, []Event{in("+12025550101", 5), in("+12025550101", 3), in("+12025550102", 1), {Kind: InboundKind, Recipient: "+12025550101"}}, t0)
	if got.Inbound != 2 || got.Ignored != 2 {
		t.Errorf("got %+v, want 2 inbound and 2 ignored (an older time, no sender)", got)
	}
	want := map[states.InboundKey]time.Time{
		{Sender: sender, Recipient: "+12025550101"}: t0.Add(5 * time.Minute),
		{Sender: sender, Recipient: "+12025550102"}: t0.Add(time.Minute),
	}
	if diff := cmp.Diff(want, st.Inbound); diff != "" {
		t.Errorf("inbound (-want +got):\n%s", diff)
	}
}

// TestFoldOrderIndependent folds every order of a set of events, twice
// each, and expects one state.
func TestFoldOrderIndependent(t *testing.T) {
	failed := status("m1", states.ReceiptFailed, 2)
	failed.ErrorCode = "131026"
	events := []Event{
		status("m1", states.Delivered, 1),
		failed,
		status("m1", states.Read, 3),
		about(status("m2", states.NotSent, 1), "+12025550102"),
		status("m2", states.Delivered, 4),
		{Kind: InboundKind, Sender: sender, Recipient: "+12025550101", At: t0},
	}
	var want *states.State
	permute(events, func(order []Event) {
		st := ledger()
		Fold(st, order, t0)
		Fold(st, order, t0)
		if want == nil {
			want = st
			return
		}
		if diff := cmp.Diff(want, st, statestest.Records); diff != "" {
			t.Fatalf("order %v gave another state (-first +this):\n%s", describe(order), diff)
		}
	})
	if d := want.Get(key("+12025550102")); d.Status != states.Sent || d.Receipt.Status != states.Delivered {
		t.Errorf("the unknown delivery ended %s with receipt %+v, want sent and delivered", d.Status, d.Receipt)
	}
}

func permute(events []Event, visit func([]Event)) {
	var rec func(k int)
	rec = func(k int) {
		if k == len(events) {
			visit(append([]Event(nil), events...))
			return
		}
		for i := k; i < len(events); i++ {
			events[k], events[i] = events[i], events[k]
			rec(k + 1)
			events[k], events[i] = events[i], events[k]
		}
	}
	rec(0)
}

func describe(events []Event) []string {
	var out []string
	for _, e := range events {
		out = append(out, fmt.Sprintf("%s:%s", e.MessageID, e.Status))
	}
	return out
}

func BenchmarkFold100k(b *testing.B) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st := states.New("l")
		events := make([]Event, 0, 100_000)
		for j := 0; j < 100_000; j++ {
			id := fmt.Sprintf("msg-%d", j)
			st.Set(&states.Delivery{Key: key(fmt.Sprintf("+1202%07d", j)), Status: states.Sent, MessageID: id})
			events = append(events, status(id, states.Read, 1))
		}
		b.StartTimer()
		if r := Fold(st, events, t0); r.Matched != 100_000 {
			b.Fatalf("matched %d", r.Matched)
		}
	}
}
