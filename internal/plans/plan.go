package plans

import (
	"github.com/zclconf/go-cty/cty"

	"github.com/heraldhq/herald/internal/addrs"
	"github.com/heraldhq/herald/internal/delivery"
	"github.com/heraldhq/herald/internal/states"
)

// Change is the plan for one recipient of a message instance: a string and
// three bytes beside the state's record, so that a plan of 100,000 deliveries
// costs little more than its phone numbers.
type Change struct {
	Recipient string
	Action    Action
	Reason    Reason
	// Warning, when not zero, is something a person should know before
	// the delivery is sent: it fits in the bytes beside Reason.
	Warning Warning
	// Prior is the state's record of the delivery's key, nil for Send.
	Prior *states.Delivery
}

// InstanceChange is the plan for one message instance: the instance as the
// configuration declares it, and a change for each of its recipients the
// plan covers, in the instance's order. Recipients that -target or
// -exclude leave out have no change.
type InstanceChange struct {
	// Instance is shared with the configuration it was planned from. In a
	// plan read from a file, its Recipients are the planned ones only, and
	// a sensitive instance's Content holds only its type.
	Instance *delivery.Instance
	Changes  []Change
}

// Key is the key of the instance's delivery to c's recipient.
func (ic *InstanceChange) Key(c *Change) delivery.Key { return ic.Instance.Key(c.Recipient) }

// Summary counts the instance's changes by action.
func (ic *InstanceChange) Summary() Summary {
	var s Summary
	for i := range ic.Changes {
		s.AddChange(&ic.Changes[i])
	}
	return s
}

// Variable is an input variable as the plan was made with it.
type Variable struct {
	Name string
	// Value is cty.NilVal when Sensitive: a sensitive value is never kept
	// in a plan, and apply of a saved plan reads it again.
	Value     cty.Value
	Sensitive bool
}

// Plan is the whole plan: every declared instance's changes, in declaration
// order, and what the state holds that the configuration no longer declares.
type Plan struct {
	Variables []Variable
	// Instances in declaration order: by file, then block, then for_each
	// key. An instance the plan covers none of is left out.
	Instances []InstanceChange
	// PriorContents holds, by digest, what the state kept of the content
	// sent earlier to deliveries planned as changed after sending, so that
	// views can show what changed. Sensitive content is never among them.
	PriorContents map[delivery.Digest]delivery.Content
	// NoLongerDeclared are state records no configured delivery matches.
	// They stay in state as history.
	NoLongerDeclared []*states.Delivery
	// Lineage and Serial identify the state the plan was made against.
	Lineage string
	Serial  uint64
	// Backend identifies where that state is kept, without credentials:
	// empty for the local state file, else as statemgr's Identity gives
	// it. A plan is applied only against the backend it was made against.
	Backend string
	// Targeted is true when -target or -exclude narrowed the plan.
	Targeted bool
	// Replace and ReplaceUnknown are the -replace and -replace-unknown
	// addresses the plan was made with: applying a saved plan sends a
	// delivery the state records as sent or unknown only when one of them
	// names it, whatever the file's actions say.
	Replace, ReplaceUnknown []string
	// TargetDependencies are the messages the plan holds only because a
	// -target depends on them, for views to say so. Saved plans do not
	// keep it: their changes already hold those messages' deliveries.
	TargetDependencies []addrs.Message
	// Providers maps each provider address to where it sends
	// (kaleyra.Settings.Destination, never the key), so that applying a
	// saved plan can refuse when an account, endpoint or the emulator
	// setting changed since.
	Providers map[string]string
	// HeraldVersion is the version of herald that made the plan; a saved
	// plan records it for people reading the file and for bug reports.
	HeraldVersion string
}

// Summary counts a plan's changes by action, and what the delivery
// receipts of their earlier sends said.
type Summary struct {
	Send             int `json:"send"`
	Retry            int `json:"retry"`
	Resend           int `json:"resend"`
	None             int `json:"already_sent"`
	Changed          int `json:"changed"`
	Unknown          int `json:"unknown"`
	NoLongerDeclared int `json:"no_longer_declared"`
	// Delivered and Read count the declared deliveries whose receipt says
	// the phone got the message, and read it; a read one is not also
	// counted as delivered.
	Delivered int `json:"delivered"`
	Read      int `json:"read"`
	// FailedAfterSend counts the retries of deliveries Kaleyra accepted
	// and then reported failed or not sent on; they are among Retry.
	FailedAfterSend int `json:"failed_after_send"`
	// OutsideWindow counts the sends with the OutsideWindow warning.
	OutsideWindow int `json:"outside_window"`
}

// Summary counts the plan's changes.
func (p *Plan) Summary() Summary {
	s := Summary{NoLongerDeclared: len(p.NoLongerDeclared)}
	for i := range p.Instances {
		for j := range p.Instances[i].Changes {
			s.AddChange(&p.Instances[i].Changes[j])
		}
	}
	return s
}

// AddChange counts c: its action, its prior's receipt and its warning.
func (s *Summary) AddChange(c *Change) {
	s.Add(c.Action)
	if c.Reason == FailedAfterSend {
		s.FailedAfterSend++
	}
	if c.Warning == OutsideWindow {
		s.OutsideWindow++
	}
	if c.Prior != nil && c.Prior.Receipt != nil {
		switch c.Prior.Receipt.Status {
		case states.Delivered:
			s.Delivered++
		case states.Read:
			s.Read++
		}
	}
}

// Receipts reports whether any count of what receipts said is not zero.
func (s Summary) Receipts() bool { return s.Delivered+s.Read+s.FailedAfterSend > 0 }

// Add counts one change with action a.
func (s *Summary) Add(a Action) {
	if n := s.count(a); n != nil {
		*n++
	}
}

// Count is the number of changes with action a.
func (s Summary) Count(a Action) int {
	if n := s.count(a); n != nil {
		return *n
	}
	return 0
}

func (s *Summary) count(a Action) *int {
	switch a {
	case Send:
		return &s.Send
	case Retry:
		return &s.Retry
	case Resend:
		return &s.Resend
	case None:
		return &s.None
	case Changed:
		return &s.Changed
	case Unknown:
		return &s.Unknown
	}
	return nil
}

// Sends is the number of deliveries apply would send.
func (s Summary) Sends() int { return s.Send + s.Retry + s.Resend }
