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
	"github.com/hashicorp/hcl/v2"

	"github.com/heraldhq/herald/internal/addrs"
	"github.com/heraldhq/herald/internal/delivery"
	"github.com/heraldhq/herald/internal/kaleyra"
	"github.com/heraldhq/herald/internal/lang"
	"github.com/heraldhq/herald/internal/plans"
	"github.com/heraldhq/herald/internal/states"
	"github.com/heraldhq/herald/internal/states/statemgr"
)

// instance builds message name (instance key optional) with n
// +1202555020x-style recipients.
func instance(name, key string, n int, body string, deps ...string) *delivery.Instance {
	addr := addrs.Message{Name: name}.Instance(addrs.NoKey)
	if key != "" {
		addr = addrs.Message{Name: name}.Instance(addrs.StringKey(key))
	}
	content := delivery.Content{Type: delivery.Text, Body: body}
	in := &delivery.Instance{
		Address:  addr,
		Channel:  "whatsapp",
		Sender:   "+12025550100",
		Ref:      name + key,
		Content:  content,
		Digest:   content.Digest(),
		Provider: "kaleyra",
	}
	for i := 0; i < n; i++ {
		in.Recipients = append(in.Recipients, fmt.Sprintf("+1202555%04d", 200+i))
	}
	for _, dep := range deps {
		in.DependsOn = append(in.DependsOn, addrs.Message{Name: dep})
	}
	return in
}

// keys are the keys of in's deliveries, in order.
func keys(in *delivery.Instance) []delivery.Key {
	out := make([]delivery.Key, len(in.Recipients))
	for i, r := range in.Recipients {
		out[i] = in.Key(r)
	}
	return out
}

func record(in *delivery.Instance, i int, status states.Status, digest delivery.Digest) *states.Delivery {
	return &states.Delivery{Key: in.Key(in.Recipients[i]), Address: in.Address.String(), Digest: digest, Status: status, Attempts: 1}
}

func actions(p *plans.Plan) []string {
	var out []string
	for _, ic := range p.Instances {
		for _, c := range ic.Changes {
			out = append(out, c.Recipient+" "+c.Action.String())
		}
	}
	return out
}

func TestPlanActions(t *testing.T) {
	ds := instance("a", "", 6, "hello")
	other := delivery.Content{Type: delivery.Text, Body: "old"}.Digest()
	st := states.New("L")
	st.Serial = 7
	st.Set(record(ds, 1, states.Failed, ds.Digest))
	st.Set(record(ds, 2, states.Sent, ds.Digest))
	st.Set(record(ds, 3, states.Sent, other))
	st.Set(record(ds, 4, states.Unknown, ds.Digest))
	gone := instance("gone", "", 1, "x")
	st.Set(record(gone, 0, states.Sent, gone.Digest))
	cfg := &lang.Result{Instances: []*delivery.Instance{ds}}

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
			p, diags := Plan(cfg, st, tt.opts)
			if tt.wantErr != "" {
				if !diags.HasErrors() || !strings.Contains(diags.Error(), tt.wantErr) || p != nil {
					t.Fatalf("got %v and plan %v, want no plan and an error containing %q", diags, p, tt.wantErr)
				}
				if d := diags[0]; !strings.HasPrefix(d.Summary, "Invalid -replace") {
					t.Errorf("error summary %q, want Invalid -replace or -replace-unknown", d.Summary)
				}
				return
			}
			if len(diags) > 0 {
				t.Fatal(diags.Error())
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
	cfg := &lang.Result{Instances: []*delivery.Instance{instance("a", "", 2, "x"), instance("b", "", 2, "y")}}
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
			_, diags := Plan(cfg, states.New("L"), tt.opts)
			var warnings []string
			for _, d := range diags {
				if d.Severity != hcl.DiagWarning || d.Summary != "Partial plan" {
					t.Fatalf("got severity %d %q, want only Partial plan warnings", d.Severity, d.Summary)
				}
				warnings = append(warnings, d.Detail)
			}
			if diff := cmp.Diff(tt.want, warnings); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPlanRenamedBlockSendsNothing(t *testing.T) {
	before := instance("old_name", "", 3, "hi")
	st := states.New("L")
	for i := range before.Recipients {
		st.Set(record(before, i, states.Sent, before.Digest))
	}
	after := instance("new_name", "", 3, "hi")
	after.Ref = before.Ref // the ref is what identifies it
	p, diags := Plan(&lang.Result{Instances: []*delivery.Instance{after}}, st, PlanOptions{})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
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

func planFor(t *testing.T, st *states.State, ins ...*delivery.Instance) *plans.Plan {
	t.Helper()
	p, diags := Plan(&lang.Result{Instances: ins}, st, PlanOptions{})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return p
}

func TestApplySendsAndRecords(t *testing.T) {
	st := states.New("L")
	a := instance("a", "", 5, "one")
	b := instance("b", "", 3, "two", "a")
	p := planFor(t, st, b, a) // b first in the file; it must still wait for a
	f := &fakeSender{delay: 5 * time.Millisecond}
	j := &memJournal{}
	res, diags := Apply(context.Background(), p, st, j, ApplyOptions{
		Providers:   map[string]Provider{"kaleyra": {Sender: f, RecipientsPerRequest: 2}},
		Parallelism: 4,
	})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
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
	for _, in := range []*delivery.Instance{a, b} {
		for _, k := range keys(in) {
			rec := st.Get(k)
			if rec == nil || rec.Status != states.Sent || rec.MessageID == "" || rec.Digest != in.Digest {
				t.Errorf("state for %s: %+v", k.Recipient, rec)
			}
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
	a := instance("a", "", 2, "one")
	b := instance("b", "", 2, "two", "a")
	c := instance("c", "", 1, "three")
	f := &fakeSender{status: map[string]kaleyra.Status{a.Recipients[1]: kaleyra.Failed}}
	var h recordingHooks
	res, diags := Apply(context.Background(), planFor(t, st, a, b, c), st, &memJournal{}, ApplyOptions{
		Providers: map[string]Provider{"kaleyra": {Sender: f}},
		Hooks:     &h,
	})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	want := Result{Sent: 2, Failed: 1, Skipped: 2}
	if res != want {
		t.Errorf("result %+v, want %+v", res, want)
	}
	if st.Get(keys(b)[0]) != nil {
		t.Error("a skipped delivery was recorded in state")
	}
	if len(h.skipped) != 2 || h.skipped[0].Cause != DependencyFailed || len(h.skipped[0].BlockedBy) != 1 || h.skipped[0].BlockedBy[0].String() != "message.a" {
		t.Errorf("skipped reasons %v", h.skipped)
	}
	if got := st.Get(keys(a)[1]); got == nil || got.Status != states.Failed || got.ErrorCode != "E13009" {
		t.Errorf("failed delivery recorded as %+v", got)
	}
}

func TestApplyHonoursParallelism(t *testing.T) {
	st := states.New("L")
	f := &fakeSender{delay: 10 * time.Millisecond}
	_, diags := Apply(context.Background(), planFor(t, st, instance("a", "", 40, "x")), st, &memJournal{}, ApplyOptions{
		Providers:   map[string]Provider{"kaleyra": {Sender: f}},
		Parallelism: 3,
	})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
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
	res, diags := Apply(ctx, planFor(t, st, instance("a", "", 50, "x")), st, &memJournal{}, ApplyOptions{
		Providers:   map[string]Provider{"kaleyra": {Sender: f}},
		Parallelism: 1,
		Hooks:       h,
	})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	if res.Sent < 3 || res.Sent > 4 || res.Sent+res.Skipped != 50 {
		t.Errorf("after interrupt: %+v; want the 3 or 4 begun sent and the rest skipped", res)
	}
	if st.Deliveries.Len() != res.Sent {
		t.Errorf("state has %d records, want %d", st.Deliveries.Len(), res.Sent)
	}
}

func TestApplyStopsWhenJournalFails(t *testing.T) {
	st := states.New("L")
	f := &fakeSender{}
	j := &memJournal{fail: errors.New("disk full")}
	res, diags := Apply(context.Background(), planFor(t, st, instance("a", "", 5, "x")), st, j, ApplyOptions{
		Providers: map[string]Provider{"kaleyra": {Sender: f}},
	})
	if !diags.HasErrors() || !strings.Contains(diags.Error(), "disk full") || diags[0].Summary != "Error recording sends" {
		t.Fatalf("got %v, want the journal's error as Error recording sends", diags)
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
	skipped  []Skip
	posts    int
	onPost   func(n int)
	progress []Progress
}

func (h *recordingHooks) PreSend(*delivery.Instance, []*plans.Change) {}
func (h *recordingHooks) PostSend(_ *delivery.Instance, changes []*plans.Change, _ []kaleyra.Outcome) {
	for range changes {
		h.mu.Lock()
		h.posts++
		n := h.posts
		h.mu.Unlock()
		if h.onPost != nil {
			h.onPost(n)
		}
	}
}
func (h *recordingHooks) Skipped(_ *delivery.Instance, changes []*plans.Change, why Skip) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for range changes {
		h.skipped = append(h.skipped, why)
	}
}
func (h *recordingHooks) Progress(p Progress) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.progress = append(h.progress, p)
}
