package kaleyra

import "github.com/heraldhq/herald/internal/delivery"

// Batch is one API request: one message from one sender to one or more
// recipients (at most the provider's recipients_per_request).
type Batch struct {
	Channel     string
	From        string   // E.164 with "+"
	To          []string // E.164 with "+"
	Content     delivery.Content
	Ref         string
	Ref1        string
	Ref2        string
	CallbackURL string
	// Sensitive is true when the content derives from sensitive values:
	// the trace log then withholds it, and the answers that may echo it.
	Sensitive bool
}

// Status is what became of one recipient of a request.
type Status int

const (
	// Sent: Kaleyra accepted it and gave it a message_id.
	Sent Status = iota + 1
	// Failed: Kaleyra refused it; nothing was sent, so it may be tried again.
	Failed
	// Unknown: it may or may not have gone out; it must never be sent again
	// without the user asking (-replace).
	Unknown
)

func (s Status) String() string {
	switch s {
	case Sent:
		return "sent"
	case Failed:
		return "failed"
	case Unknown:
		return "unknown"
	}
	return "invalid"
}

// Outcome is what became of one recipient of a Batch.
type Outcome struct {
	Recipient string // E.164 with "+", as in Batch.To
	Status    Status
	// RequestID is Kaleyra's "id" of the request; MessageID is the
	// recipient's "message_id". Both are set when Status is Sent, and
	// RequestID may be set for Unknown when the answer named it.
	RequestID string
	MessageID string
	// Code and Text describe a Failed or Unknown outcome: Kaleyra's error
	// code (e.g. "E13009") or herald's own (e.g. "TIMEOUT"), and a
	// plain-language explanation.
	Code string
	Text string
	// Attempts is how many requests were made, counting automatic retries.
	Attempts int
}
