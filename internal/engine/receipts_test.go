package engine

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/heraldhq/herald/internal/addrs"
	"github.com/heraldhq/herald/internal/delivery"
	"github.com/heraldhq/herald/internal/kaleyra"
	"github.com/heraldhq/herald/internal/lang"
	"github.com/heraldhq/herald/internal/plans"
	"github.com/heraldhq/herald/internal/states"
)

func withReceipt(d *states.Delivery, status states.ReceiptStatus, code string) *states.Delivery {
	d.MessageID = "msg-" + d.Key.Recipient
	d.Receipt = &states.Receipt{Status: status, ErrorCode: code, At: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	return d
}

// A receipt that says the message never reached the phone makes a sent
// delivery a retry; one that says it did never causes a send.
func TestPlanReceipts(t *testing.T) {
	in := instance("a", "", 1, "hello")
	other := delivery.Content{Type: delivery.Text, Body: "old"}.Digest()
	tests := []struct {
		name    string
		prior   *states.Delivery
		replace bool
		action  plans.Action
		reason  plans.Reason
	}{
		{"accepted", withReceipt(record(in, 0, states.Sent, in.Digest), states.Accepted, ""), false, plans.None, plans.AlreadySent},
		{"delivered", withReceipt(record(in, 0, states.Sent, in.Digest), states.Delivered, ""), false, plans.None, plans.AlreadySent},
		{"read", withReceipt(record(in, 0, states.Sent, in.Digest), states.Read, ""), false, plans.None, plans.AlreadySent},
		{"read, content changed", withReceipt(record(in, 0, states.Sent, other), states.Read, ""), false, plans.Changed, plans.ContentChanged},
		{"failed", withReceipt(record(in, 0, states.Sent, in.Digest), states.ReceiptFailed, "131026"), false, plans.Retry, plans.FailedAfterSend},
		{"not sent", withReceipt(record(in, 0, states.Sent, in.Digest), states.NotSent, "WAV2101"), false, plans.Retry, plans.FailedAfterSend},
		{"failed, content changed", withReceipt(record(in, 0, states.Sent, other), states.ReceiptFailed, "131047"), false, plans.Retry, plans.FailedAfterSend},
		{"failed, -replace", withReceipt(record(in, 0, states.Sent, in.Digest), states.ReceiptFailed, "131047"), true, plans.Retry, plans.FailedAfterSend},
		{"delivered, -replace", withReceipt(record(in, 0, states.Sent, in.Digest), states.Delivered, ""), true, plans.Resend, plans.ReplaceSent},
		{"unknown settled as failed by its receipt", withReceipt(record(in, 0, states.Failed, in.Digest), states.ReceiptFailed, "131026"), false, plans.Retry, plans.FailedAfterSend},
		{"refused", record(in, 0, states.Failed, in.Digest), false, plans.Retry, plans.FailedBefore},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := states.New("L")
			st.Set(tt.prior)
			var opts PlanOptions
			if tt.replace {
				opts.Replace = []addrs.Target{mustTarget(t, "message.a")}
			}
			p, diags := Plan(&lang.Result{Instances: []*delivery.Instance{in}}, st, opts)
			if diags.HasErrors() {
				t.Fatal(diags.Error())
			}
			c := p.Instances[0].Changes[0]
			if c.Action != tt.action || c.Reason != tt.reason {
				t.Errorf("planned %s (%s), want %s (%s)", c.Action, c.Reason, tt.action, tt.reason)
			}
		})
	}
}

func TestPlanSummaryCountsReceipts(t *testing.T) {
	in := instance("a", "", 6, "hello")
	st := states.New("L")
	st.Set(withReceipt(record(in, 0, states.Sent, in.Digest), states.Delivered, ""))
	st.Set(withReceipt(record(in, 1, states.Sent, in.Digest), states.Delivered, ""))
	st.Set(withReceipt(record(in, 2, states.Sent, in.Digest), states.Read, ""))
	st.Set(withReceipt(record(in, 3, states.Sent, in.Digest), states.ReceiptFailed, "131026"))
	st.Set(withReceipt(record(in, 4, states.Sent, in.Digest), states.Accepted, ""))
	want := plans.Summary{Send: 1, Retry: 1, None: 4, Delivered: 2, Read: 1, FailedAfterSend: 1}
	if diff := cmp.Diff(want, planFor(t, st, in).Summary()); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
}

// The 24-hour window is judged only for senders the state has incoming
// messages for, only for free-form content, and only for sends.
func TestPlanWindow(t *testing.T) {
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	text := instance("text", "", 4, "hello")
	media := instance("media", "", 4, "x")
	media.Content = delivery.Content{Type: delivery.Media, MediaURL: "https://example.com/a.png"}
	media.Digest = media.Content.Digest()
	tmpl := instance("tmpl", "", 4, "x")
	tmpl.Content = delivery.Content{Type: delivery.Template, TemplateName: "release", Language: "en"}
	tmpl.Digest = tmpl.Content.Digest()
	mtmpl := instance("mtmpl", "", 4, "x")
	mtmpl.Content = delivery.Content{Type: delivery.MediaTemplate, TemplateName: "release", Language: "en", Header: "image", MediaURL: "https://example.com/a.png"}
	mtmpl.Digest = mtmpl.Content.Digest()
	elsewhere := instance("elsewhere", "", 4, "hello")
	elsewhere.Sender = "+12025550111"

	// Recipient 0 wrote an hour ago, 1 25 hours ago, 2 exactly 24 hours
	// ago, 3 never.
	inbound := map[states.InboundKey]time.Time{}
	for i, ago := range []time.Duration{time.Hour, 25 * time.Hour, 24 * time.Hour} {
		inbound[states.InboundKey{Sender: "+12025550100", Recipient: text.Recipients[i]}] = now.Add(-ago)
	}
	flags := func(st *states.State, ins ...*delivery.Instance) map[string][]bool {
		p, diags := Plan(&lang.Result{Instances: ins}, st, PlanOptions{Now: now})
		if diags.HasErrors() {
			t.Fatal(diags.Error())
		}
		out := map[string][]bool{}
		for _, ic := range p.Instances {
			for _, c := range ic.Changes {
				out[ic.Instance.Address.Message.Name] = append(out[ic.Instance.Address.Message.Name], c.Warning == plans.OutsideWindow)
			}
		}
		return out
	}

	st := states.New("L")
	st.Inbound = inbound
	got := flags(st, text, media, tmpl, mtmpl, elsewhere)
	want := map[string][]bool{
		"text":      {false, true, false, true},
		"media":     {false, true, false, true},
		"tmpl":      {false, false, false, false},
		"mtmpl":     {false, false, false, false},
		"elsewhere": {false, false, false, false}, // no inbound recorded for its sender
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("outside the window (-want +got):\n%s", diff)
	}

	// Without any inbound, nothing is judged.
	if diff := cmp.Diff(map[string][]bool{"text": {false, false, false, false}}, flags(states.New("L"), text)); diff != "" {
		t.Errorf("with no inbound recorded (-want +got):\n%s", diff)
	}

	// Deliveries that do not send are not warned of.
	st = states.New("L")
	st.Inbound = inbound
	for i := range text.Recipients {
		st.Set(record(text, i, states.Sent, text.Digest))
	}
	if diff := cmp.Diff(map[string][]bool{"text": {false, false, false, false}}, flags(st, text)); diff != "" {
		t.Errorf("already sent (-want +got):\n%s", diff)
	}
	// A free-form retry of a send refused for the window is warned of
	// even without any inbound recorded; a template's is not.
	st = states.New("L")
	st.Set(withReceipt(record(text, 0, states.Sent, text.Digest), states.ReceiptFailed, kaleyra.CodeWindowClosed))
	st.Set(withReceipt(record(tmpl, 0, states.Sent, tmpl.Digest), states.ReceiptFailed, kaleyra.CodeWindowClosed))
	if diff := cmp.Diff(map[string][]bool{"text": {true, false, false, false}, "tmpl": {false, false, false, false}}, flags(st, text, tmpl)); diff != "" {
		t.Errorf("retry after 131047 (-want +got):\n%s", diff)
	}
	p, _ := Plan(&lang.Result{Instances: []*delivery.Instance{text}}, func() *states.State { s := states.New("L"); s.Inbound = inbound; return s }(), PlanOptions{Now: now})
	if n := p.Summary().OutsideWindow; n != 2 {
		t.Errorf("summary counts %d outside the window, want 2", n)
	}
}

// Retrying a delivery whose receipt said failed starts afresh: the new
// record has the new message id and none of the old receipt.
func TestApplyRetryAfterReceiptDropsIt(t *testing.T) {
	in := instance("a", "", 2, "hello")
	st := states.New("L")
	failed := withReceipt(record(in, 0, states.Sent, in.Digest), states.ReceiptFailed, "131026")
	failed.FirstSent = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	st.Set(failed)
	st.Set(withReceipt(record(in, 1, states.Sent, in.Digest), states.Read, ""))
	p := planFor(t, st, in)
	if got := actions(p); !cmp.Equal(got, []string{in.Recipients[0] + " retry", in.Recipients[1] + " none"}) {
		t.Fatalf("planned %v", got)
	}
	f := &fakeSender{}
	j := &memJournal{}
	res, diags := Apply(context.Background(), p, st, j, ApplyOptions{Providers: map[string]Provider{"kaleyra": {Sender: f}}})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	if res.Sent != 1 || len(f.requests) != 1 {
		t.Fatalf("result %+v after %d requests, want 1 sent", res, len(f.requests))
	}
	rec := st.Get(in.Key(in.Recipients[0]))
	if rec.Status != states.Sent || rec.Receipt != nil || rec.MessageID == failed.MessageID || rec.Attempts != 2 || !rec.FirstSent.Equal(failed.FirstSent) {
		t.Errorf("retried record %+v (receipt %v), want sent afresh with no receipt, 2 attempts, the first attempt kept", rec, rec.Receipt)
	}
	for _, r := range j.records {
		if r.Receipt != nil {
			t.Errorf("journal record %+v carries the old receipt", r)
		}
	}
	if kept := st.Get(in.Key(in.Recipients[1])); kept.Receipt == nil || kept.Receipt.Status != states.Read {
		t.Errorf("the read delivery lost its receipt: %+v", kept)
	}
	if s := planFor(t, st, in).Summary(); s.Sends() != 0 {
		t.Errorf("re-plan after the retry sends %d", s.Sends())
	}
}

// BenchmarkPlanNoChange plans 100,000 deliveries the state records as
// sent, with and without a receipt on each, and counts the plan: the
// receipts must cost little, since most records carry one once callbacks
// flow.
func BenchmarkPlanNoChange(b *testing.B) {
	const n = 100_000
	for _, withReceipts := range []bool{false, true} {
		b.Run(fmt.Sprintf("receipts=%v", withReceipts), func(b *testing.B) {
			in := instance("a", "", 0, "hello")
			in.Recipients = make([]string, n)
			st := states.New("L")
			st.Inbound = map[states.InboundKey]time.Time{}
			for i := range n {
				in.Recipients[i] = fmt.Sprintf("+1202%07d", i)
				d := &states.Delivery{Key: in.Key(in.Recipients[i]), Address: "message.a", Digest: in.Digest, Status: states.Sent, Attempts: 1, MessageID: fmt.Sprintf("m%d", i)}
				if withReceipts {
					status := states.Delivered
					if i%3 == 0 {
						status = states.Read
					}
					d.Receipt = &states.Receipt{Status: status, At: time.Unix(int64(i), 0)}
					if i%10 == 0 {
						st.Inbound[states.InboundKey{Sender: in.Sender, Recipient: in.Recipients[i]}] = time.Unix(int64(i), 0)
					}
				}
				st.Set(d)
			}
			cfg := &lang.Result{Instances: []*delivery.Instance{in}}
			b.ResetTimer()
			for b.Loop() {
				p, diags := Plan(cfg, st, PlanOptions{})
				if diags.HasErrors() || p.Summary().None != n {
					b.Fatal("not a no-change plan")
				}
			}
		})
	}
}
