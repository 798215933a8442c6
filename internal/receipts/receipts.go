// Package receipts is what Kaleyra's callbacks tell herald after a send:
// status receipts (delivered, read, failed) and incoming messages (who
// wrote to which sender number, and when). It folds them into the state:
// status only moves forward, receipts match deliveries by Kaleyra's
// message_id, and a receipt for a delivery whose outcome was unknown
// settles it by recipient and ref fields.
//
// It is pure: reading callbacks off the wire is package listen's, storing
// events is statemgr's.
package receipts

import (
	"time"

	"github.com/heraldhq/herald/internal/states"
)

// Kind tells a status receipt from an incoming message.
type Kind string

const (
	StatusKind  Kind = "status"
	InboundKind Kind = "inbound"
)

// Event is one callback as herald stores it until it is folded into the
// state: a status receipt or an incoming message. Numbers are E.164 with
// the leading "+". The content of an incoming message is never kept.
type Event struct {
	Kind Kind `json:"kind"`

	// Status receipts: Kaleyra's message_id, the reported status, the
	// recipient and ref fields (to settle a delivery whose outcome was
	// unknown, which has no message_id), and the error when it failed.
	MessageID string               `json:"message_id,omitempty"`
	Status    states.ReceiptStatus `json:"status,omitempty"`
	Ref       string               `json:"ref,omitempty"`
	Ref1      string               `json:"ref1,omitempty"`
	Ref2      string               `json:"ref2,omitempty"`
	ErrorCode string               `json:"error_code,omitempty"`
	ErrorText string               `json:"error_text,omitempty"`

	// Recipient is the phone at the far end: the one a status is about,
	// or the one who wrote. Sender is the team's number (Kaleyra's
	// wanumber), when the callback names it.
	Recipient string `json:"recipient,omitempty"`
	Sender    string `json:"sender,omitempty"`

	// At is the event's time by Kaleyra's timestamp, or the time herald
	// received it when the callback had none.
	At time.Time `json:"at"`
	// Received is when herald received the callback.
	Received time.Time `json:"received"`
}
