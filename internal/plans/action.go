package plans

import "fmt"

// Action is what apply will do with one delivery. The package doc says
// which state leads to which.
type Action uint8

// The zero Action is no action at all: a decoded plan that holds one is
// refused.
const (
	Send    Action = iota + 1 // not sent before: send
	Retry                     // refused last time, nothing went out: send
	None                      // already sent with the same content
	Changed                   // sent, but the content differs now; not sent
	Unknown                   // outcome unknown; not sent without -replace
	Resend                    // -replace on a sent, changed or unknown delivery: send
)

// Actions lists every action in the order views present them: the three
// that send, then the three that do not.
var Actions = []Action{Send, Retry, Resend, None, Changed, Unknown}

var actionTokens = [...]string{Send: "send", Retry: "retry", None: "none", Changed: "changed", Unknown: "unknown", Resend: "resend"}

// Sends reports whether apply sends a delivery with this action.
func (a Action) Sends() bool { return a == Send || a == Retry || a == Resend }

// String is the action's stable token, as saved plans and the JSON plan
// store it: "send", "retry", "none", "changed", "unknown" or "resend".
func (a Action) String() string { return token(actionTokens[:], int(a), "action") }

func (a Action) MarshalText() ([]byte, error) { return marshalToken(actionTokens[:], int(a), "action") }

func (a *Action) UnmarshalText(b []byte) error {
	n, err := parseToken(actionTokens[:], string(b), "action")
	*a = Action(n)
	return err
}

// Reason is why a delivery got its action. The package doc lists them
// beside the actions; views put them into words.
type Reason uint8

const (
	NotInState     Reason = iota + 1 // send
	FailedBefore                     // retry
	ReplaceSent                      // resend of a delivery sent with this content
	ReplaceChanged                   // resend of a delivery sent with other content
	ReplaceUnknown                   // resend of a delivery whose outcome is unknown
	ResendUnknown                    // resend by -replace-unknown, which names only unknown outcomes
	OutcomeUnknown                   // unknown
	ContentChanged                   // changed
	AlreadySent                      // none
)

var reasonTokens = [...]string{
	NotInState: "not_in_state", FailedBefore: "failed_before",
	ReplaceSent: "replace_sent", ReplaceChanged: "replace_changed", ReplaceUnknown: "replace_unknown",
	ResendUnknown:  "resend_unknown",
	OutcomeUnknown: "outcome_unknown", ContentChanged: "content_changed", AlreadySent: "already_sent",
}

// Reasons lists every reason, for schema tests and documentation.
var Reasons = []Reason{NotInState, FailedBefore, ReplaceSent, ReplaceChanged, ReplaceUnknown, ResendUnknown, OutcomeUnknown, ContentChanged, AlreadySent}

// String is the reason's stable token, such as "not_in_state".
func (r Reason) String() string { return token(reasonTokens[:], int(r), "reason") }

func (r Reason) MarshalText() ([]byte, error) { return marshalToken(reasonTokens[:], int(r), "reason") }

func (r *Reason) UnmarshalText(b []byte) error {
	n, err := parseToken(reasonTokens[:], string(b), "reason")
	*r = Reason(n)
	return err
}

func token(tokens []string, n int, what string) string {
	if n > 0 && n < len(tokens) {
		return tokens[n]
	}
	return fmt.Sprintf("%s(%d)", what, n)
}

func marshalToken(tokens []string, n int, what string) ([]byte, error) {
	if n > 0 && n < len(tokens) {
		return []byte(tokens[n]), nil
	}
	return nil, fmt.Errorf("no %s %d", what, n)
}

func parseToken(tokens []string, s, what string) (int, error) {
	for n, t := range tokens {
		if n > 0 && t == s {
			return n, nil
		}
	}
	return 0, fmt.Errorf("unknown %s %q", what, s)
}
