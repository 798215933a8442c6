package engine

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/kaleyra"
	"github.com/heraldhq/herald/internal/states"
)

// brokenSender breaks the Sender contract after ready succeeded: it answers
// for the first recipient only, or in reverse order, or returns an error
// instead of outcomes.
type brokenSender struct {
	err     error
	reverse bool
}

func (s brokenSender) Send(ctx context.Context, b kaleyra.Batch, ready func() error) ([]kaleyra.Outcome, error) {
	if err := ready(); err != nil {
		return nil, err
	}
	if s.err != nil {
		return nil, s.err
	}
	if s.reverse {
		var out []kaleyra.Outcome
		for i := len(b.To) - 1; i >= 0; i-- {
			out = append(out, kaleyra.Outcome{Recipient: b.To[i], Status: kaleyra.Sent, RequestID: "req", MessageID: "req:" + b.To[i], Attempts: 1})
		}
		return out, nil
	}
	return []kaleyra.Outcome{{Recipient: b.To[0], Status: kaleyra.Sent, RequestID: "req", MessageID: "req:0", Attempts: 1}}, nil
}

// Once a batch is recorded in flight its request may have left, so
// whatever the sender returns, each delivery ends with an outcome in the
// state: never dropped, which would let the next run send it again.
func TestApplyRecordsEveryDeliveryThatWasInFlight(t *testing.T) {
	for name, tt := range map[string]struct {
		sender      brokenSender
		sent, unkwn int
	}{
		"short answer":      {brokenSender{}, 1, 1},
		"error after ready": {brokenSender{err: errors.New("boom")}, 0, 2},
		"reverse order":     {brokenSender{reverse: true}, 2, 0},
	} {
		t.Run(name, func(t *testing.T) {
			st := states.New("L")
			ds := instance("a", "", 2, "x")
			res, _ := Apply(context.Background(), planFor(t, st, ds), st, &memJournal{}, ApplyOptions{
				Providers: map[string]Provider{"kaleyra": {Sender: tt.sender, RecipientsPerRequest: 2}},
			})
			if res.Sent != tt.sent || res.Unknown != tt.unkwn {
				t.Errorf("result %+v, want %d sent and %d unknown", res, tt.sent, tt.unkwn)
			}
			for _, k := range keys(ds) {
				if rec := st.Get(k); rec == nil || (rec.Status != states.Sent && rec.Status != states.Unknown) {
					t.Errorf("state for %s: %+v; want sent or unknown", k.Recipient, rec)
				}
			}
		})
	}
}

// A first send's record keeps the time its request was made ready as its
// first attempt, not the time the answer came.
func TestApplyFirstAttemptIsWhenTheRequestLeft(t *testing.T) {
	st := states.New("L")
	ds := instance("a", "", 1, "x")
	var mu sync.Mutex
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tick := func() time.Time { // every reading is a second later
		mu.Lock()
		defer mu.Unlock()
		clock = clock.Add(time.Second)
		return clock
	}
	var journal memJournal
	if _, diags := Apply(context.Background(), planFor(t, st, ds), st, &journal, ApplyOptions{
		Providers: map[string]Provider{"kaleyra": {Sender: &fakeSender{}}},
		Now:       tick,
	}); diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	inFlight := journal.records[0]
	rec := st.Get(keys(ds)[0])
	if !rec.FirstSent.Equal(inFlight.FirstSent) || !rec.FirstSent.Before(rec.UpdatedAt) {
		t.Errorf("first attempt %v, in flight at %v, answered %v; want the first attempt when it went in flight", rec.FirstSent, inFlight.FirstSent, rec.UpdatedAt)
	}
}
