package views

import (
	"bytes"
	"strings"
	"testing"

	"github.com/heraldhq/herald/internal/delivery"
	"github.com/heraldhq/herald/internal/states"
)

// fxState records n deliveries of address with the given status, to
// recipients from, from+1, ...
func fxState(s *states.State, address, ref string, status states.Status, from, n int) {
	for i := range n {
		d := &states.Delivery{
			Key:     delivery.Key{Channel: "whatsapp", Sender: "+12025550100", Recipient: fxNumber(from + i), Ref: ref},
			Address: address, Digest: fxText("x").Digest(), Status: status, Attempts: 1, FirstSent: fxTime, UpdatedAt: fxTime,
		}
		switch status {
		case states.Sent:
			d.RequestID, d.MessageID = "req-1", "msg-1"
		case states.Failed:
			d.ErrorCode, d.ErrorText = "E13009", "to number invalid"
		case states.Unknown:
			d.ErrorCode, d.ErrorText = "TIMEOUT", "no answer within 30s"
		}
		s.Set(d)
	}
}

func TestStateSummaryTextGolden(t *testing.T) {
	mixed := states.New("5f0c1d2e-7a3b-4c5d-9e8f-0a1b2c3d4e5f")
	mixed.Serial = 12
	fxState(mixed, "message.announce", "release-v1", states.Sent, 0, 12)
	fxState(mixed, "message.announce", "release-v1", states.Failed, 12, 1)
	fxState(mixed, "message.announce", "release-v1", states.Unknown, 13, 2)
	fxState(mixed, `message.done["wave-1"]`, "done-1", states.Sent, 0, 40)
	fxState(mixed, `message.done["wave-2"]`, "done-2", states.Failed, 0, 25)
	fxState(mixed, "message.old", "release-v0", states.Sent, 0, 3)

	sentOnly := states.New("lineage-2")
	sentOnly.Serial = 1
	fxState(sentOnly, "message.hello", "hello", states.Sent, 0, 1)

	receipted := states.New("lineage-4")
	receipted.Serial = 30
	fxState(receipted, "message.announce", "release-v1", states.Sent, 0, 9)
	fxState(receipted, "message.announce", "release-v1", states.Failed, 9, 1)
	fxState(receipted, "message.reminder", "reminder-1", states.Sent, 0, 4)
	for i, r := range []states.Receipt{
		{Status: states.Delivered}, {Status: states.Delivered}, {Status: states.Read}, {Status: states.Read}, {Status: states.Read},
		{Status: states.Accepted}, {Status: states.ReceiptFailed, ErrorCode: "131026", ErrorText: "Message undeliverable"},
		{Status: states.NotSent, ErrorCode: "WAV2101"}, {Status: states.ReceiptFailed, ErrorCode: "999", ErrorText: "odd\x1b[31m"},
	} {
		r.At = fxTime
		receipted.Get(delivery.Key{Channel: "whatsapp", Sender: "+12025550100", Recipient: fxNumber(i), Ref: "release-v1"}).Receipt = &r
	}
	receipted.Get(delivery.Key{Channel: "whatsapp", Sender: "+12025550100", Recipient: fxNumber(0), Ref: "reminder-1"}).Receipt = &states.Receipt{Status: states.Read, At: fxTime}

	tests := []struct {
		name  string
		state *states.State
	}{
		{"mixed", mixed},
		{"receipts", receipted},
		{"sent_only", sentOnly},
		{"empty", states.New("lineage-3")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			StateSummaryText(&buf, tt.state)
			fxGolden(t, "state_text_"+tt.name+".golden", buf.Bytes())
		})
	}
}

func TestStateSummaryTextCounts(t *testing.T) {
	s := states.New("l")
	fxState(s, "message.a", "a", states.Sent, 0, 3)
	fxState(s, "message.a", "a", states.Unknown, 3, 1)
	// A second release to two of them: more deliveries than recipients.
	fxState(s, "message.a", "b", states.Sent, 0, 2)
	var buf bytes.Buffer
	StateSummaryText(&buf, s)
	for _, want := range []string{
		"6 deliveries recorded: 5 sent, 1 unknown.",
		"  message.a: 6 deliveries to 4 recipients: 5 sent, 1 unknown",
		"    unknown +12025551003  (TIMEOUT: no answer within 30s)",
	} {
		if !strings.Contains(buf.String(), want+"\n") {
			t.Errorf("no line %q in:\n%s", want, buf.String())
		}
	}
}
