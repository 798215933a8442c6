package command

import (
	"bufio"
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/heraldhq/herald/internal/delivery"
	"github.com/heraldhq/herald/internal/states"
)

func receiptState() *states.State {
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	st := states.New("L")
	for i, r := range []*states.Receipt{
		nil,
		{Status: states.Read, At: at},
		{Status: states.ReceiptFailed, ErrorCode: "131026", ErrorText: "Message undeliverable", At: at},
		{Status: states.NotSent, At: at},
	} {
		st.Set(&states.Delivery{
			Key:     delivery.Key{Channel: "whatsapp", Sender: "+12025550100", Recipient: "+1202555012" + string(rune('0'+i)), Ref: "r"},
			Address: "message.hello", Status: states.Sent, Attempts: 1, Receipt: r,
		})
	}
	st.Inbound = map[states.InboundKey]time.Time{{Sender: "+12025550100", Recipient: "+12025550122"}: at.Add(-time.Hour)}
	return st
}

// state list shows each record's receipt after its ref fields, and
// nothing for a record without one.
func TestStateListReceipts(t *testing.T) {
	st := receiptState()
	var stdout bytes.Buffer
	env := &Env{Stdout: &stdout, Stderr: &bytes.Buffer{}, Logger: hclog.NewNullLogger()}
	if err := writeStateListText(env, st.Sorted()); err != nil {
		t.Fatal(err)
	}
	want := `message.hello:+12025550120  sent     ref="r"
message.hello:+12025550121  sent     ref="r" receipt=read
message.hello:+12025550122  sent     ref="r" receipt=failed code="131026"
message.hello:+12025550123  sent     ref="r" receipt=not-sent
`
	if stdout.String() != want {
		t.Errorf("state list:\n%s\nwant:\n%s", stdout.String(), want)
	}
}

// state show adds the receipt's fields, the code in plain words, and when
// the recipient last wrote to the sender, to a record that has them.
func TestStateShowReceipts(t *testing.T) {
	st := receiptState()
	show := func(recipient string) string {
		var buf bytes.Buffer
		w := bufio.NewWriter(&buf)
		writeDeliveryFields(w, st.Get(delivery.Key{Channel: "whatsapp", Sender: "+12025550100", Recipient: recipient, Ref: "r"}), st)
		w.Flush()
		return buf.String()
	}
	failed := show("+12025550122")
	for _, want := range []string{
		`receipt          = "failed"` + "\n",
		`receipt_code     = "131026"` + "\n",
		`receipt_text     = "Message undeliverable"` + "\n",
		`receipt_at       = "2026-03-01T09:00:00Z"` + "\n",
		"# 131026: WhatsApp could not deliver it to this number",
		`last_inbound_at  = "2026-03-01T08:00:00Z"` + "\n",
	} {
		if !strings.Contains(failed, want) {
			t.Errorf("no %q in:\n%s", want, failed)
		}
	}
	if none := show("+12025550120"); strings.Contains(none, "receipt") || strings.Contains(none, "last_inbound") {
		t.Errorf("a record without a receipt shows one:\n%s", none)
	}
}
