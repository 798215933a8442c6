// Package addrs holds herald's typed addresses: the names by which a user
// points at a message, one instance of a message, or one recipient of it.
//
// It knows nothing of configuration, state or plans; everything else imports it.
package addrs

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// Message is a message block: message.NAME.
type Message struct {
	Name string
}

func (m Message) String() string { return "message." + m.Name }

// Instance returns the instance of m with the given for_each key.
func (m Message) Instance(key InstanceKey) MessageInstance {
	return MessageInstance{Message: m, Key: key}
}

// InstanceKey is the for_each key of a message instance. NoKey marks a
// message without for_each.
type InstanceKey struct {
	value string
	set   bool
}

// NoKey is the key of a message that has no for_each.
var NoKey = InstanceKey{}

// StringKey returns the instance key for a for_each key.
func StringKey(k string) InstanceKey { return InstanceKey{value: k, set: true} }

// IsSet reports whether the key names a for_each instance.
func (k InstanceKey) IsSet() bool { return k.set }

// Value is the key's string, "" for NoKey.
func (k InstanceKey) Value() string { return k.value }

func (k InstanceKey) String() string {
	if !k.set {
		return ""
	}
	return "[" + strconv.Quote(k.value) + "]"
}

// MessageInstance is one instance of a message block: message.NAME or
// message.NAME["KEY"].
type MessageInstance struct {
	Message Message
	Key     InstanceKey
}

func (i MessageInstance) String() string { return i.Message.String() + i.Key.String() }

// Target is what -target, -exclude and -replace name: a message (all its
// instances), one instance, or either narrowed to one recipient with
// ":+NUMBER".
type Target struct {
	Message Message
	// Key narrows the target to one instance when set.
	Key InstanceKey
	// Recipient narrows the target to one E.164 number when not empty.
	Recipient string
}

func (t Target) String() string {
	s := t.Message.String() + t.Key.String()
	if t.Recipient != "" {
		s += ":" + t.Recipient
	}
	return s
}

// Contains reports whether the delivery of instance i to recipient falls
// within the target.
func (t Target) Contains(i MessageInstance, recipient string) bool {
	if t.Message != i.Message {
		return false
	}
	if t.Key.IsSet() && t.Key != i.Key {
		return false
	}
	return t.Recipient == "" || t.Recipient == recipient
}

// ParseTarget parses an address given on the command line:
// message.NAME, message.NAME["KEY"], either optionally followed by :+NUMBER.
func ParseTarget(s string) (Target, error) {
	var t Target
	addr := s
	if i := strings.LastIndex(s, ":+"); i >= 0 && !strings.Contains(s[i:], `"`) {
		addr, t.Recipient = s[:i], s[i+1:]
		if len(t.Recipient) < 2 || strings.TrimLeft(t.Recipient[1:], "0123456789") != "" {
			return Target{}, fmt.Errorf("invalid address %q: the recipient after \":\" must be an E.164 number such as +12025550123", s)
		}
	}
	trav, diags := hclsyntax.ParseTraversalAbs([]byte(addr), "", hcl.InitialPos)
	if diags.HasErrors() {
		return Target{}, fmt.Errorf("invalid address %q: expected message.NAME, message.NAME[\"KEY\"], optionally followed by :+NUMBER", s)
	}
	m, key, err := parseMessageTraversal(trav)
	if err != nil {
		return Target{}, fmt.Errorf("invalid address %q: %s", s, err)
	}
	t.Message, t.Key = m, key
	return t, nil
}

// ParseMessageInstance parses message.NAME or message.NAME["KEY"], as stored
// in state and plan files.
func ParseMessageInstance(s string) (MessageInstance, error) {
	trav, diags := hclsyntax.ParseTraversalAbs([]byte(s), "", hcl.InitialPos)
	if diags.HasErrors() {
		return MessageInstance{}, fmt.Errorf("invalid message address %q", s)
	}
	m, key, err := parseMessageTraversal(trav)
	if err != nil {
		return MessageInstance{}, fmt.Errorf("invalid message address %q: %s", s, err)
	}
	return m.Instance(key), nil
}

func parseMessageTraversal(trav hcl.Traversal) (Message, InstanceKey, error) {
	if len(trav) < 2 || trav.RootName() != "message" {
		return Message{}, NoKey, fmt.Errorf("only message addresses can be targeted, as message.NAME")
	}
	attr, ok := trav[1].(hcl.TraverseAttr)
	if !ok {
		return Message{}, NoKey, fmt.Errorf("expected message.NAME")
	}
	m := Message{Name: attr.Name}
	switch len(trav) {
	case 2:
		return m, NoKey, nil
	case 3:
		idx, ok := trav[2].(hcl.TraverseIndex)
		if !ok || idx.Key.Type() != cty.String {
			return Message{}, NoKey, fmt.Errorf("an instance key must be a quoted string, as message.NAME[\"KEY\"]")
		}
		return m, StringKey(idx.Key.AsString()), nil
	default:
		return Message{}, NoKey, fmt.Errorf("too many parts; expected message.NAME or message.NAME[\"KEY\"]")
	}
}
