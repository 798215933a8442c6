package delivery

import "github.com/heraldhq/herald/internal/addrs"

// Instance is one evaluated message instance: a message block, or one of
// its for_each instances, with everything it sends and the recipients it
// sends it to. Each of its deliveries is the instance and one recipient:
// the instance carries what they share once, so that a message to 10,000
// people is one Instance and 10,000 strings.
//
// It is what the configuration yields, what a plan decides about and what
// apply sends in batches.
type Instance struct {
	Address addrs.MessageInstance
	// Provider is the provider configuration's address: "kaleyra" or
	// "kaleyra.ALIAS".
	Provider string
	// SenderName is the sender block's name, for display.
	SenderName string

	// Channel, Sender and the refs are the delivery key's fields but the
	// recipient; Key adds one.
	Channel string
	// Sender is the sending number, E.164 with the leading "+".
	Sender string
	Ref    string
	Ref1   string
	Ref2   string

	Content Content
	// Digest is Content.Digest(), computed once; for sensitive content it
	// is empty until KeyDigest sets the keyed digest.
	Digest Digest
	// Sensitive is true when the content derives from a sensitive variable;
	// views then show "(sensitive)" in place of the body and params.
	Sensitive   bool
	CallbackURL string
	// DependsOn lists the messages whose sends must all finish, and
	// succeed, before any of this instance's deliveries is sent.
	DependsOn []addrs.Message

	// Recipients are E.164 numbers in the order the configuration lists
	// them, each once. Instances to one recipients block share its slice,
	// so it is never modified.
	Recipients []string
}

// Key is the key of the instance's delivery to recipient.
func (in *Instance) Key(recipient string) Key {
	return Key{Channel: in.Channel, Sender: in.Sender, Recipient: recipient, Ref: in.Ref, Ref1: in.Ref1, Ref2: in.Ref2}
}

// SameKeyFields reports whether in and other share every key field but the
// recipient, so that a recipient of both would be one delivery twice.
func (in *Instance) SameKeyFields(other *Instance) bool {
	return in.Channel == other.Channel && in.Sender == other.Sender &&
		in.Ref == other.Ref && in.Ref1 == other.Ref1 && in.Ref2 == other.Ref2
}
