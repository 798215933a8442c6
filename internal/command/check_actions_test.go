package command

import (
	"strings"
	"testing"

	"github.com/heraldhq/herald/internal/addrs"
	"github.com/heraldhq/herald/internal/delivery"
	"github.com/heraldhq/herald/internal/plans"
	"github.com/heraldhq/herald/internal/states"
)

// checkActions accepts the retry of a delivery whose receipt said it
// never arrived, and still refuses one whose receipt says it did.
func TestCheckActionsReceipts(t *testing.T) {
	content := delivery.Content{Type: delivery.Text, Body: "hi"}
	in := &delivery.Instance{Address: addrs.Message{Name: "hello"}.Instance(addrs.NoKey), Channel: "whatsapp", Sender: "+12025550100",
		Ref: "r", Content: content, Digest: content.Digest(), Recipients: []string{"+12025550123"}}
	tests := []struct {
		name    string
		receipt *states.Receipt
		action  plans.Action
		want    string
	}{
		{"failed after sending, retry", &states.Receipt{Status: states.ReceiptFailed, ErrorCode: "131026"}, plans.Retry, ""},
		{"not sent on, retry", &states.Receipt{Status: states.NotSent}, plans.Retry, ""},
		{"failed after sending, send", &states.Receipt{Status: states.ReceiptFailed}, plans.Send, "records it as sent"},
		{"delivered, retry", &states.Receipt{Status: states.Delivered}, plans.Retry, "records it as sent, and only -replace sends that again"},
		{"read, retry", &states.Receipt{Status: states.Read}, plans.Retry, "records it as sent"},
		{"no receipt, retry", nil, plans.Retry, "records it as sent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := states.New("L")
			st.Set(&states.Delivery{Key: in.Key("+12025550123"), Address: "message.hello", Digest: in.Digest, Status: states.Sent, Receipt: tt.receipt})
			p := &plans.Plan{Lineage: "L", Instances: []plans.InstanceChange{{Instance: in,
				Changes: []plans.Change{{Recipient: "+12025550123", Action: tt.action, Reason: plans.FailedAfterSend}}}}}
			err := checkActions(p, st)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
