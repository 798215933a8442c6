package views

import (
	"testing"

	"github.com/heraldhq/herald/internal/plans"
	"github.com/heraldhq/herald/internal/states"
)

// The reasons word what a receipt said: the code in plain words for a
// retry after sending, what a resend repeats.
func TestReasonSentenceReceipts(t *testing.T) {
	sent := func(r *states.Receipt) *states.Delivery { return &states.Delivery{Status: states.Sent, Receipt: r} }
	tests := []struct {
		reason plans.Reason
		prior  *states.Delivery
		want   string
	}{
		{plans.FailedAfterSend, sent(&states.Receipt{Status: states.ReceiptFailed, ErrorCode: "131049"}),
			"Kaleyra accepted it, then WhatsApp reported it failed (131049: WhatsApp chose not to deliver it, to keep the recipient from getting too many marketing messages. Wait a day or more before sending again, or send something the recipient asked for.); it never reached the phone"},
		{plans.FailedAfterSend, sent(&states.Receipt{Status: states.ReceiptFailed, ErrorCode: "470", ErrorText: "Message failed to send"}),
			"Kaleyra accepted it, then WhatsApp reported it failed (470: Message failed to send); it never reached the phone"},
		{plans.FailedAfterSend, sent(&states.Receipt{Status: states.NotSent}),
			"Kaleyra accepted it, then reported it not sent on to WhatsApp; it never reached the phone"},
		{plans.FailedAfterSend, nil, "Kaleyra accepted it, then WhatsApp reported it failed; it never reached the phone"},
		{plans.ReplaceSent, sent(&states.Receipt{Status: states.Read}), "-replace asks to send again (was sent and read)"},
		{plans.ReplaceChanged, sent(&states.Receipt{Status: states.Delivered}), "-replace asks to send again (was sent and delivered, content changed since)"},
		{plans.ReplaceSent, sent(&states.Receipt{Status: states.Accepted}), "-replace asks to send again (was sent)"},
	}
	for _, tt := range tests {
		if got := reasonSentence(tt.reason, tt.prior); got != tt.want {
			t.Errorf("%s with %+v:\n got %q\nwant %q", tt.reason, tt.prior, got, tt.want)
		}
	}
}

// Each receipt status reads on its own, with no code after it: a
// delivery Kaleyra never passed on says so in full, not "not sent on".
func TestReceiptWordStandsAlone(t *testing.T) {
	for status, want := range map[states.ReceiptStatus]string{
		states.Accepted:      "sent on to WhatsApp",
		states.Delivered:     "delivered",
		states.Read:          "read",
		states.ReceiptFailed: "failed after sending",
		states.NotSent:       "not sent on to WhatsApp",
	} {
		if got := receiptWord(&states.Receipt{Status: status}); got != want {
			t.Errorf("%s: %q, want %q", status, got, want)
		}
	}
}
