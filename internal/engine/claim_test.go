package engine

import (
	"context"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/delivery"
	"github.com/heraldhq/herald/internal/kaleyra"
	"github.com/heraldhq/herald/internal/states"
	"github.com/heraldhq/herald/internal/states/statemgr"
)

// heldSender holds every request until release is closed, having told
// started that one left.
type heldSender struct {
	started chan struct{}
	release chan struct{}
}

func (h *heldSender) Send(ctx context.Context, b kaleyra.Batch, ready func() error) ([]kaleyra.Outcome, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := ready(); err != nil {
		return nil, err
	}
	h.started <- struct{}{}
	<-h.release
	out := make([]kaleyra.Outcome, len(b.To))
	for i, to := range b.To {
		out[i] = kaleyra.Outcome{Recipient: to, Status: kaleyra.Sent, Attempts: 1, MessageID: "m" + to}
	}
	return out, nil
}

// Deliveries claimed ahead of their request and never sent, because apply
// was interrupted meanwhile, are given back in the journal at once: a
// first send as failed with INTERRUPTED (which the next plan sends), a
// retry as the record the state held. None is left in flight to be read
// as unknown, and the state does not change for them.
func TestApplyGivesBackClaimsNotSent(t *testing.T) {
	st := states.New("L")
	in := instance("a", "", 6, "x")
	prior := record(in, 3, states.Failed, in.Digest)
	prior.ErrorCode = "E13009"
	st.Set(prior)
	ctx, cancel := context.WithCancel(context.Background())
	s := &heldSender{started: make(chan struct{}, 10), release: make(chan struct{})}
	j := &memJournal{}
	done := make(chan Result)
	go func() {
		res, diags := Apply(ctx, planFor(t, st, in), st, j, ApplyOptions{
			Providers:   map[string]Provider{"kaleyra": {Sender: s}},
			Parallelism: 2,
		})
		if diags.HasErrors() {
			t.Error(diags.Error())
		}
		done <- res
	}()
	<-s.started
	<-s.started
	// Two requests are out; claimAhead claims what fits behind them.
	waitFor(t, "a claim ahead of the requests out", func() bool { return count(j, statemgr.InFlight) > 2 })
	cancel()
	waitFor(t, "a claim given back while the requests are out", func() bool { return count(j, states.Failed)+count(j, states.Sent) > 0 })
	close(s.release)
	res := <-done

	last := map[delivery.Key]states.Delivery{}
	claimed := 0
	for _, r := range j.records {
		if r.Status == statemgr.InFlight && last[r.Key].Status != statemgr.InFlight {
			claimed++
		}
		last[r.Key] = r
	}
	if res.Sent != 2 || res.Skipped != 4 {
		t.Errorf("result %+v, want the 2 out sent and 4 skipped", res)
	}
	if claimed <= 2 {
		t.Fatalf("only %d claimed: nothing was claimed ahead, so nothing tests giving back", claimed)
	}
	for i, k := range keys(in) {
		r, ok := last[k]
		switch {
		case i < 2:
			if r.Status != states.Sent {
				t.Errorf("%s: last record %+v, want sent", k.Recipient, r)
			}
		case !ok:
			// never claimed
		case i == 3:
			if r != *prior {
				t.Errorf("%s: last record %+v, want the state's %+v", k.Recipient, r, *prior)
			}
		default:
			if r.Status != states.Failed || r.ErrorCode != kaleyra.CodeInterrupted {
				t.Errorf("%s: last record %+v, want failed with %s", k.Recipient, r, kaleyra.CodeInterrupted)
			}
		}
		if got := st.Get(k); i >= 2 && i != 3 && got != nil {
			t.Errorf("%s: the state holds %+v for a delivery never sent", k.Recipient, got)
		}
	}
	if got := st.Get(prior.Key); got.Status != states.Failed || got.ErrorCode != "E13009" {
		t.Errorf("the prior record became %+v", got)
	}
}

// count is the number of j's records with status s.
func count(j *memJournal, s states.Status) int {
	j.mu.Lock()
	defer j.mu.Unlock()
	n := 0
	for _, r := range j.records {
		if r.Status == s {
			n++
		}
	}
	return n
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !ok(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// claimingJournal refuses, as a shared backend does, any Record whose
// claims include a key another run holds: the whole call, none of it
// written. Each Record takes a moment, as a round trip to a database
// does, so that the batches behind it queue up and every window after the
// first holds several.
type claimingJournal struct {
	memJournal
	taken   delivery.Key
	refused []int // the records in each refused call
}

func (j *claimingJournal) Record(recs ...states.Delivery) error {
	time.Sleep(20 * time.Millisecond)
	for _, r := range recs {
		if r.Key == j.taken && r.Status == statemgr.InFlight {
			j.mu.Lock()
			j.refused = append(j.refused, len(recs))
			j.mu.Unlock()
			return &statemgr.ClaimError{Keys: []delivery.Key{r.Key}, Where: "test"}
		}
	}
	return j.memJournal.Record(recs...)
}

// One batch of a window that another run claimed is skipped as Claimed;
// the others of its window are claimed on their own and sent.
func TestApplyClaimLostHoldsBackOnlyItsBatch(t *testing.T) {
	st := states.New("L")
	in := instance("a", "", 8, "x")
	j := &claimingJournal{taken: keys(in)[5]}
	h := &recordingHooks{}
	res, diags := Apply(context.Background(), planFor(t, st, in), st, j, ApplyOptions{
		Providers:   map[string]Provider{"kaleyra": {Sender: &fakeSender{}}},
		Parallelism: 4,
		Hooks:       h,
	})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	if res.Sent != 7 || res.Skipped != 1 {
		t.Errorf("result %+v, want 7 sent and the claimed one skipped", res)
	}
	if len(j.refused) == 0 || j.refused[0] < 2 {
		t.Fatalf("refused calls %v: the claimed batch never shared a window, so nothing tests the window", j.refused)
	}
	if got := st.Get(j.taken); got != nil {
		t.Errorf("the state holds %+v for the delivery another run claimed", got)
	}
	if len(h.skipped) != 1 || h.skipped[0].Cause != Claimed {
		t.Errorf("skips %+v, want one, Claimed", h.skipped)
	}
}
