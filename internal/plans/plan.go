// Package plans holds a plan as data: the action chosen for each delivery
// and a summary. It does no I/O but reading and writing saved plan files;
// the engine computes plans and the views render them.
package plans

import (
	"github.com/zclconf/go-cty/cty"

	"github.com/heraldhq/herald/internal/addrs"
	"github.com/heraldhq/herald/internal/delivery"
	"github.com/heraldhq/herald/internal/states"
)

// Action is what apply will do with one delivery.
type Action string

const (
	Send    Action = "send"    // key not in state
	Retry   Action = "retry"   // state says failed: nothing went out before
	None    Action = "none"    // already sent with the same content
	Changed Action = "changed" // sent, but the content differs now; not sent
	Unknown Action = "unknown" // outcome unknown; not sent without -replace
	Resend  Action = "resend"  // -replace on a sent, changed or unknown delivery
)

// Sends reports whether apply sends a delivery with this action.
func (a Action) Sends() bool { return a == Send || a == Retry || a == Resend }

// Change is the plan for one delivery.
type Change struct {
	Delivery delivery.Delivery
	Action   Action
	// Reason says in a sentence why this action was chosen.
	Reason string
	// Prior is the state's record of the key, nil for Send.
	Prior *states.Delivery
}

// Variable is an input variable as the plan was made with it.
type Variable struct {
	Name string
	// Value is cty.NilVal when Sensitive: a sensitive value is never kept
	// in a plan, and apply of a saved plan reads it again.
	Value     cty.Value
	Sensitive bool
}

// Plan is the whole plan: every declared delivery's change, in declaration
// order, and what the state holds that the configuration no longer declares.
type Plan struct {
	Variables []Variable
	Changes   []Change
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

// Summary counts a plan's changes by action.
type Summary struct {
	Send             int `json:"send"`
	Retry            int `json:"retry"`
	Resend           int `json:"resend"`
	None             int `json:"already_sent"`
	Changed          int `json:"changed"`
	Unknown          int `json:"unknown"`
	NoLongerDeclared int `json:"no_longer_declared"`
}

// Summary counts the plan's changes.
func (p *Plan) Summary() Summary {
	s := Summary{NoLongerDeclared: len(p.NoLongerDeclared)}
	// By index: a Change holds a whole delivery, too big to copy per
	// iteration in a plan of many thousands.
	for i := range p.Changes {
		s.Add(p.Changes[i].Action)
	}
	return s
}

// Add counts one change with action a, for views that summarise part of a
// plan, such as one message instance.
func (s *Summary) Add(a Action) {
	switch a {
	case Send:
		s.Send++
	case Retry:
		s.Retry++
	case Resend:
		s.Resend++
	case None:
		s.None++
	case Changed:
		s.Changed++
	case Unknown:
		s.Unknown++
	}
}

// Sends is the number of deliveries apply would send.
func (s Summary) Sends() int { return s.Send + s.Retry + s.Resend }
