package command

import (
	"bytes"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/addrs"
	"github.com/heraldhq/herald/internal/command/views"
	"github.com/heraldhq/herald/internal/delivery"
	"github.com/heraldhq/herald/internal/engine"
	"github.com/heraldhq/herald/internal/lang"
	"github.com/heraldhq/herald/internal/states"
	"github.com/heraldhq/herald/internal/states/statefile"
)

// noChangeFixture is one message to n recipients that the state records
// as sent, each with a delivered or read receipt when withReceipts, and
// replies from a tenth of them.
func noChangeFixture(n int, withReceipts bool) (*lang.Result, *states.State) {
	content := delivery.Content{Type: delivery.Text, Body: "Rollout complete"}
	in := &delivery.Instance{Address: addrs.Message{Name: "done"}.Instance(addrs.NoKey), Channel: "whatsapp", Sender: "+12025550100",
		Ref: "release-v1", Content: content, Digest: content.Digest(), Provider: "kaleyra", SenderName: "ops", Recipients: make([]string, n)}
	st := states.New("5f0c1d2e-7a3b-4c5d-9e8f-0a1b2c3d4e5f")
	st.Serial = 3
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	if withReceipts {
		st.Inbound = make(map[states.InboundKey]time.Time)
	}
	for i := range n {
		r := fmt.Sprintf("+1202%07d", i)
		in.Recipients[i] = r
		d := &states.Delivery{Key: in.Key(r), Address: "message.done", Digest: in.Digest, Status: states.Sent,
			RequestID: "req-1", MessageID: fmt.Sprintf("msg-%d", i), Attempts: 1, FirstSent: at, UpdatedAt: at}
		if withReceipts {
			status := states.Delivered
			if i%3 == 0 {
				status = states.Read
			}
			d.Receipt = &states.Receipt{Status: status, At: at.Add(time.Duration(i) * time.Millisecond)}
			if i%10 == 0 {
				st.Inbound[states.InboundKey{Sender: in.Sender, Recipient: r}] = at
			}
		}
		st.Set(d)
	}
	return &lang.Result{Instances: []*delivery.Instance{in}}, st
}

func planAndRender(b *testing.B, cfg *lang.Result, st *states.State, n int) {
	p, diags := engine.Plan(cfg, st, engine.PlanOptions{})
	if diags.HasErrors() || p.Summary().None != n {
		b.Fatal("not a no-change plan")
	}
	views.PlanText(io.Discard, p, views.TextOptions{})
}

// BenchmarkPlanNoChange is what "herald plan" does after reading the
// state, over 100,000 deliveries already sent, with and without a receipt
// on each: receipts must cost little, since most records carry one once
// callbacks flow.
func BenchmarkPlanNoChange(b *testing.B) {
	const n = 100_000
	for _, withReceipts := range []bool{false, true} {
		b.Run(fmt.Sprintf("receipts=%v", withReceipts), func(b *testing.B) {
			cfg, st := noChangeFixture(n, withReceipts)
			for b.Loop() {
				planAndRender(b, cfg, st, n)
			}
		})
	}
}

// BenchmarkPlanNoChangeFromFile adds reading the state file, whose
// records then carry their receipts.
func BenchmarkPlanNoChangeFromFile(b *testing.B) {
	const n = 100_000
	for _, withReceipts := range []bool{false, true} {
		b.Run(fmt.Sprintf("receipts=%v", withReceipts), func(b *testing.B) {
			cfg, st := noChangeFixture(n, withReceipts)
			var file bytes.Buffer
			if err := statefile.Write(&file, st); err != nil {
				b.Fatal(err)
			}
			if back, err := statefile.Parse(file.Bytes()); err != nil {
				b.Fatal(err)
			} else if withReceipts && back.Get(st.Sorted()[0].Key).Receipt == nil {
				b.Skip("this state file format does not keep receipts")
			}
			for b.Loop() {
				read, err := statefile.Parse(file.Bytes())
				if err != nil {
					b.Fatal(err)
				}
				planAndRender(b, cfg, read, n)
			}
		})
	}
}
