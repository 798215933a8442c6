package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/heraldhq/herald/internal/addrs"
	"github.com/heraldhq/herald/internal/delivery"
	"github.com/heraldhq/herald/internal/kaleyra"
	"github.com/heraldhq/herald/internal/lang"
	"github.com/heraldhq/herald/internal/plans"
	"github.com/heraldhq/herald/internal/states"
	"github.com/heraldhq/herald/internal/states/statemgr"
)

// deliveries builds n deliveries of message name (instance key optional)
// to +1202555010x-style recipients.
func deliveries(name, key string, n int, body string, deps ...string) []delivery.Delivery {
	inst := addrs.Message{Name: name}.Instance(addrs.NoKey)
	if key != "" {
		inst = addrs.Message{Name: name}.Instance(addrs.StringKey(key))
	}
	content := delivery.Content{Type: delivery.Text, Body: body}
	var out []delivery.Delivery
	for i := 0; i < n; i++ {
		d := delivery.Delivery{
			Address: inst,
			Key: delivery.Key{Channel: "whatsapp", Sender: "+12025550100",
				Recipient: fmt.Sprintf("+1202555%04d", 200+i), Ref: name + key},
			Content:  content,
			Digest:   content.Digest(),
			Provider: "kaleyra",
		}
		for _, dep := range deps {
			d.DependsOn = append(d.DependsOn, addrs.Message{Name: dep})
		}
		out = append(out, d)
	}
	return out
}

func record(d delivery.Delivery, status states.Status, digest delivery.Digest) *states.Delivery {
	return &states.Delivery{Key: d.Key, Address: d.Address.String(), Digest: digest, Status: status, Attempts: 1}
}

func actions(p *plans.Plan) []string {
	var out []string
	for _, c := range p.Changes {
		out = append(out, c.Delivery.Key.Recipient+" "+string(c.Action))
	}
	return out
}

func TestPlanActions(t *testing.T) {
	ds := deliveries("a", "", 6, "hello")
	other := delivery.Content{Type: delivery.Text, Body: "old"}.Digest()
	st := states.New("L")
	st.Serial = 7
	st.Set(record(ds[1], states.Failed, ds[1].Digest))
	st.Set(record(ds[2], states.Sent, ds[2].Digest))
	st.Set(record(ds[3], states.Sent, other))
	st.Set(record(ds[4], states.Unknown, ds[4].Digest))
	gone := deliveries("gone", "", 1, "x")[0]
	st.Set(record(gone, states.Sent, gone.Digest))
	cfg := &lang.Result{Deliveries: ds}

	tests := []struct {
		name    string
		opts    PlanOptions
		want    []string
		summary plans.Summary
		wantErr string
	}{
		{
			name: "no flags",
			want: []string{"+12025550200 send", "+12025550201 retry", "+12025550202 none",
				"+12025550203 changed", "+12025550204 unknown", "+12025550205 send"},
			summary: plans.Summary{Send: 2, Retry: 1, None: 1, Changed: 1, Unknown: 1, NoLongerDeclared: 1},
		},
		{
			name: "replace whole message",
			opts: PlanOptions{Replace: []addrs.Target{mustTarget(t, "message.a")}},
			want: []string{"+12025550200 send", "+12025550201 retry", "+12025550202 resend",
				"+12025550203 resend", "+12025550204 resend", "+12025550205 send"},
			summary: plans.Summary{Send: 2, Retry: 1, Resend: 3, NoLongerDeclared: 1},
		},
		{
			name:    "replace one recipient",
			opts:    PlanOptions{Replace: []addrs.Target{mustTarget(t, "message.a:+12025550204")}},
			want:    []string{"+12025550200 send", "+12025550201 retry", "+12025550202 none", "+12025550203 changed", "+12025550204 resend", "+12025550205 send"},
			summary: plans.Summary{Send: 2, Retry: 1, Resend: 1, None: 1, Changed: 1, NoLongerDeclared: 1},
		},
		{
			name:    "target one recipient",
			opts:    PlanOptions{Targets: []addrs.Target{mustTarget(t, "message.a:+12025550205")}},
			want:    []string{"+12025550205 send"},
			summary: plans.Summary{Send: 1, NoLongerDeclared: 1},
		},
		{
			name:    "exclude one recipient",
			opts:    PlanOptions{Excludes: []addrs.Target{mustTarget(t, "message.a:+12025550200")}},
			want:    []string{"+12025550201 retry", "+12025550202 none", "+12025550203 changed", "+12025550204 unknown", "+12025550205 send"},
			summary: plans.Summary{Send: 1, Retry: 1, None: 1, Changed: 1, Unknown: 1, NoLongerDeclared: 1},
		},
		{
			name: "replace-unknown resends only the unknown",
			opts: PlanOptions{ReplaceUnknown: []addrs.Target{mustTarget(t, "message.a")}},
			want: []string{"+12025550200 send", "+12025550201 retry", "+12025550202 none",
				"+12025550203 changed", "+12025550204 resend", "+12025550205 send"},
			summary: plans.Summary{Send: 2, Retry: 1, Resend: 1, None: 1, Changed: 1, NoLongerDeclared: 1},
		},
		{
			name:    "replace-unknown of a sent delivery is an error",
			opts:    PlanOptions{ReplaceUnknown: []addrs.Target{mustTarget(t, "message.a:+12025550202")}},
			wantErr: "matches no delivery whose outcome is unknown",
		},
		{
			name:    "replace of nothing is an error",
			opts:    PlanOptions{Replace: []addrs.Target{mustTarget(t, "message.nope")}},
			wantErr: "matches no declared delivery",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _, err := Plan(cfg, st, tt.opts)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, actions(p)); diff != "" {
				t.Errorf("actions (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.summary, p.Summary()); diff != "" {
				t.Errorf("summary (-want +got):\n%s", diff)
			}
			if p.Lineage != "L" || p.Serial != 7 {
				t.Errorf("plan made against %s/%d, want L/7", p.Lineage, p.Serial)
			}
		})
	}
}

func TestPlanWarnsOfAddressesThatMatchNothing(t *testing.T) {
	cfg := &lang.Result{Deliveries: append(deliveries("a", "", 2, "x"), deliveries("b", "", 2, "y")...)}
	tests := []struct {
		name string
		opts PlanOptions
		want []string
	}{
		{"exclude outside the target is not a typo",
			PlanOptions{Targets: []addrs.Target{mustTarget(t, "message.a")}, Excludes: []addrs.Target{mustTarget(t, "message.b")}},
			nil},
		{"target of nothing",
			PlanOptions{Targets: []addrs.Target{mustTarget(t, "message.c")}},
			[]string{"-target=message.c matches no declared delivery."}},
		{"exclude of nothing",
			PlanOptions{Excludes: []addrs.Target{mustTarget(t, "message.a:+19999999999")}},
			[]string{"-exclude=message.a:+19999999999 matches no declared delivery."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, warnings, err := Plan(cfg, states.New("L"), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, warnings); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPlanRenamedBlockSendsNothing(t *testing.T) {
	before := deliveries("old_name", "", 3, "hi")
	st := states.New("L")
	for _, d := range before {
		st.Set(record(d, states.Sent, d.Digest))
	}
	after := deliveries("new_name", "", 3, "hi")
	for i := range after {
		after[i].Key.Ref = before[i].Key.Ref // the ref is what identifies it
	}
	p, _, err := Plan(&lang.Result{Deliveries: after}, st, PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s := p.Summary(); s.Sends() != 0 || s.None != 3 || s.NoLongerDeclared != 0 {
		t.Errorf("renaming a block planned %+v, want 3 already sent and nothing to send", s)
	}
}

func mustTarget(t *testing.T, s string) addrs.Target {
	t.Helper()
	tg, err := addrs.ParseTarget(s)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

// fakeSender records requests and answers from a per-recipient script.
type fakeSender struct {
	mu       sync.Mutex
	requests []kaleyra.Batch
	order    []string // message refs in the order requests left
	status   map[string]kaleyra.Status
	delay    time.Duration
	inFlight int
	maxSeen  int
}

func (f *fakeSender) Send(ctx context.Context, b kaleyra.Batch, ready func() error) ([]kaleyra.Outcome, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := ready(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.requests = append(f.requests, b)
	f.order = append(f.order, b.Ref)
	f.inFlight++
	if f.inFlight > f.maxSeen {
		f.maxSeen = f.inFlight
	}
	f.mu.Unlock()
	time.Sleep(f.delay)
	f.mu.Lock()
	f.inFlight--
	f.mu.Unlock()
	var out []kaleyra.Outcome
	for i, to := range b.To {
		st := kaleyra.Sent
		if s, ok := f.status[to]; ok {
			st = s
		}
		o := kaleyra.Outcome{Recipient: to, Status: st, Attempts: 1}
		if st == kaleyra.Sent {
			o.RequestID, o.MessageID = "req", fmt.Sprintf("req:%d", i)
		} else {
			o.Code = "E13009"
		}
		out = append(out, o)
	}
	return out, nil
}

// memJournal keeps records in memory, failing on demand.
type memJournal struct {
	mu      sync.Mutex
	records []states.Delivery
	fail    error
}

func (j *memJournal) Record(recs ...states.Delivery) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.fail != nil {
		return j.fail
	}
	j.records = append(j.records, recs...)
	return nil
}

func (j *memJournal) Close() error { return nil }

var _ statemgr.Journal = (*memJournal)(nil)

func planFor(t *testing.T, st *states.State, ds ...[]delivery.Delivery) *plans.Plan {
	t.Helper()
	var all []delivery.Delivery
	for _, d := range ds {
		all = append(all, d...)
	}
	p, _, err := Plan(&lang.Result{Deliveries: all}, st, PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestApplySendsAndRecords(t *testing.T) {
	st := states.New("L")
	a := deliveries("a", "", 5, "one")
	b := deliveries("b", "", 3, "two", "a")
	p := planFor(t, st, b, a) // b first in the file; it must still wait for a
	f := &fakeSender{delay: 5 * time.Millisecond}
	j := &memJournal{}
	res, err := Apply(context.Background(), p, st, j, ApplyOptions{
		Providers:   map[string]Provider{"kaleyra": {Sender: f, RecipientsPerRequest: 2}},
		Parallelism: 4,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res != (Result{Sent: 8}) {
		t.Errorf("result %+v, want 8 sent", res)
	}
	// a's 5 recipients in batches of 2 → 3 requests, then b's 3 → 2.
	if len(f.requests) != 5 {
		t.Errorf("%d requests, want 5", len(f.requests))
	}
	seenB := false
	for _, ref := range f.order {
		if ref == "b" {
			seenB = true
		} else if seenB {
			t.Fatalf("message a sent after message b started: %v", f.order)
		}
	}
	for _, d := range append(a, b...) {
		rec := st.Get(d.Key)
		if rec == nil || rec.Status != states.Sent || rec.MessageID == "" || rec.Digest != d.Digest {
			t.Errorf("state for %s: %+v", d.Key.Recipient, rec)
		}
	}
	// Each delivery is journalled in flight, then with its outcome.
	inflight, outcomes := 0, 0
	for _, r := range j.records {
		if r.Status == statemgr.InFlight {
			inflight++
		} else {
			outcomes++
		}
	}
	if inflight != 8 || outcomes != 8 {
		t.Errorf("journal has %d in flight and %d outcomes, want 8 and 8", inflight, outcomes)
	}
	// Re-planning over the new state sends nothing.
	if s := planFor(t, st, a, b).Summary(); s.Sends() != 0 || s.None != 8 {
		t.Errorf("re-plan after apply: %+v", s)
	}
}

func TestApplySkipsDependentsOfFailures(t *testing.T) {
	st := states.New("L")
	a := deliveries("a", "", 2, "one")
	b := deliveries("b", "", 2, "two", "a")
	c := deliveries("c", "", 1, "three")
	f := &fakeSender{status: map[string]kaleyra.Status{a[1].Key.Recipient: kaleyra.Failed}}
	var h recordingHooks
	res, err := Apply(context.Background(), planFor(t, st, a, b, c), st, &memJournal{}, ApplyOptions{
		Providers: map[string]Provider{"kaleyra": {Sender: f}},
		Hooks:     &h,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := Result{Sent: 2, Failed: 1, Skipped: 2}
	if res != want {
		t.Errorf("result %+v, want %+v", res, want)
	}
	if st.Get(b[0].Key) != nil {
		t.Error("a skipped delivery was recorded in state")
	}
	if len(h.skipped) != 2 || !strings.Contains(h.skipped[0], "message.a") {
		t.Errorf("skipped reasons %v", h.skipped)
	}
	if got := st.Get(a[1].Key); got == nil || got.Status != states.Failed || got.ErrorCode != "E13009" {
		t.Errorf("failed delivery recorded as %+v", got)
	}
}

func TestApplyHonoursParallelism(t *testing.T) {
	st := states.New("L")
	f := &fakeSender{delay: 10 * time.Millisecond}
	_, err := Apply(context.Background(), planFor(t, st, deliveries("a", "", 40, "x")), st, &memJournal{}, ApplyOptions{
		Providers:   map[string]Provider{"kaleyra": {Sender: f}},
		Parallelism: 3,
	})
	if err != nil {
		t.Fatal(err)
	}
	if f.maxSeen > 3 || f.maxSeen < 2 {
		t.Errorf("saw %d requests in flight at once, want at most 3 (and some overlap)", f.maxSeen)
	}
}

func TestApplyStopsWhenInterrupted(t *testing.T) {
	st := states.New("L")
	ctx, cancel := context.WithCancel(context.Background())
	f := &fakeSender{delay: 5 * time.Millisecond}
	h := &recordingHooks{onPost: func(n int) {
		if n == 3 {
			cancel()
		}
	}}
	res, err := Apply(ctx, planFor(t, st, deliveries("a", "", 50, "x")), st, &memJournal{}, ApplyOptions{
		Providers:   map[string]Provider{"kaleyra": {Sender: f}},
		Parallelism: 1,
		Hooks:       h,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent < 3 || res.Sent > 4 || res.Sent+res.Skipped != 50 {
		t.Errorf("after interrupt: %+v; want the 3 or 4 begun sent and the rest skipped", res)
	}
	if len(st.Deliveries) != res.Sent {
		t.Errorf("state has %d records, want %d", len(st.Deliveries), res.Sent)
	}
}

func TestApplyStopsWhenJournalFails(t *testing.T) {
	st := states.New("L")
	f := &fakeSender{}
	j := &memJournal{fail: errors.New("disk full")}
	res, err := Apply(context.Background(), planFor(t, st, deliveries("a", "", 5, "x")), st, j, ApplyOptions{
		Providers: map[string]Provider{"kaleyra": {Sender: f}},
	})
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("got %v, want the journal's error", err)
	}
	if len(f.requests) != 0 {
		t.Errorf("%d requests left although nothing could be recorded", len(f.requests))
	}
	if res.Sent != 0 || res.Skipped != 5 {
		t.Errorf("result %+v", res)
	}
}

type recordingHooks struct {
	mu       sync.Mutex
	skipped  []string
	posts    int
	onPost   func(n int)
	progress []Progress
}

func (h *recordingHooks) PreSend(*plans.Change) {}
func (h *recordingHooks) PostSend(*plans.Change, kaleyra.Outcome) {
	h.mu.Lock()
	h.posts++
	n := h.posts
	h.mu.Unlock()
	if h.onPost != nil {
		h.onPost(n)
	}
}
func (h *recordingHooks) Skipped(c *plans.Change, reason string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.skipped = append(h.skipped, reason)
}
func (h *recordingHooks) Progress(p Progress) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.progress = append(h.progress, p)
}
