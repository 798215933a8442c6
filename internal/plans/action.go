package plans

import "fmt"

// Action is what apply will do with one delivery. The package doc says
// which state leads to which.
type Action uint8

// The zero Action is no action at all: a decoded plan that holds one is
// refused.
const (
	Send    Action = iota + 1 // not sent before: send
	Retry                     // refused last time, or reported failed after it, nothing reached the phone: send
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
	// FailedAfterSend is a retry of a delivery Kaleyra accepted and its
	// delivery receipt later reported failed or not sent on: it never
	// reached the phone. It is last so that the tokens saved plans store
	// keep their numbers.
	FailedAfterSend
)

var reasonTokens = [...]string{
	NotInState: "not_in_state", FailedBefore: "failed_before",
	ReplaceSent: "replace_sent", ReplaceChanged: "replace_changed", ReplaceUnknown: "replace_unknown",
	ResendUnknown:  "resend_unknown",
	OutcomeUnknown: "outcome_unknown", ContentChanged: "content_changed", AlreadySent: "already_sent",
	FailedAfterSend: "failed_after_send",
}

// Reasons lists every reason, for schema tests and documentation.
var Reasons = []Reason{NotInState, FailedBefore, FailedAfterSend, ReplaceSent, ReplaceChanged, ReplaceUnknown, ResendUnknown, OutcomeUnknown, ContentChanged, AlreadySent}

// String is the reason's stable token, such as "not_in_state".
func (r Reason) String() string { return token(reasonTokens[:], int(r), "reason") }

func (r Reason) MarshalText() ([]byte, error) { return marshalToken(reasonTokens[:], int(r), "reason") }

func (r *Reason) UnmarshalText(b []byte) error {
	n, err := parseToken(reasonTokens[:], string(b), "reason")
	*r = Reason(n)
	return err
}

// Warning is what a person should know of a planned send that does not
// change its action: the send goes ahead as planned, but may not arrive.
// The zero Warning is none.
type Warning uint8

const (
	// OutsideWindow: free-form content (text or media, not a template) to
	// a recipient who has not written to the sender number in the last 24
	// hours, as far as the receipts herald recorded show. WhatsApp delivers
	// such messages only within 24 hours of the recipient's last message,
	// and refuses them after (131047).
	OutsideWindow Warning = iota + 1
)

var warningTokens = [...]string{OutsideWindow: "outside_window"}

// Warnings lists every warning, for schema tests and documentation.
var Warnings = []Warning{OutsideWindow}

// String is the warning's stable token, such as "outside_window".
func (w Warning) String() string { return token(warningTokens[:], int(w), "warning") }

func (w Warning) MarshalText() ([]byte, error) {
	return marshalToken(warningTokens[:], int(w), "warning")
}

func (w *Warning) UnmarshalText(b []byte) error {
	n, err := parseToken(warningTokens[:], string(b), "warning")
	*w = Warning(n)
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
