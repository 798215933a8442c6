package views

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/heraldhq/herald/internal/engine"
	"github.com/heraldhq/herald/internal/kaleyra"
	"github.com/heraldhq/herald/internal/plans"
	"github.com/heraldhq/herald/internal/states"
)

// The plan, apply and state views all write English sentences about counts
// of things; these choose the words, so that every view agrees on them.

// plural is one for exactly one thing, many otherwise.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// countNoun is "1 delivery" or "3 deliveries". The Markdown view has its
// own, mdPlural, which separates thousands.
func countNoun(n int, one, many string) string {
	return strconv.Itoa(n) + " " + plural(n, one, many)
}

func isAre(n int) string    { return plural(n, "is", "are") }
func itThey(n int) string   { return plural(n, "it", "they") }
func itThem(n int) string   { return plural(n, "it", "them") }
func itsTheir(n int) string { return plural(n, "its", "their") }

// actionPhrases word a count of deliveries with each action, as in "2 to
// send" or "12 already sent": the one list of action labels every plan
// view uses, in plans.Actions order.
var actionPhrases = map[plans.Action]string{
	plans.Send:    "to send",
	plans.Retry:   "to retry",
	plans.Resend:  "to resend",
	plans.None:    "already sent",
	plans.Changed: "changed after sending",
	plans.Unknown: "unknown",
}

// summaryPhrases is every count of s, zero or not: the sends, then the
// rest: "2 to send, 0 to retry, 0 to resend. 12 already sent, 0 changed
// after sending, 0 unknown".
func summaryPhrases(s plans.Summary) string {
	var sends, rest []string
	for _, a := range plans.Actions {
		phrase := strconv.Itoa(s.Count(a)) + " " + actionPhrases[a]
		if a.Sends() {
			sends = append(sends, phrase)
		} else {
			rest = append(rest, phrase)
		}
	}
	return strings.Join(sends, ", ") + ". " + strings.Join(rest, ", ")
}

// capitalFirst starts a phrase with a capital, for a table's row: "To send".
func capitalFirst(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// reasonSentence words why a delivery got its action, with the error the
// state recorded for it where that is part of the story.
func reasonSentence(r plans.Reason, prior *states.Delivery) string {
	switch r {
	case plans.NotInState:
		return "not sent before"
	case plans.FailedBefore:
		return "the last attempt was refused" + priorErrorSuffix(prior) + "; nothing was sent"
	case plans.FailedAfterSend:
		if prior != nil && prior.Receipt != nil && prior.Receipt.Status == states.NotSent {
			return "Kaleyra accepted it, then reported it not sent on to WhatsApp" + receiptErrorSuffix(prior.Receipt) + "; it never reached the phone"
		}
		return "Kaleyra accepted it, then WhatsApp reported it failed" + receiptErrorSuffix(priorReceipt(prior)) + "; it never reached the phone"
	case plans.ReplaceSent:
		return "-replace asks to send again (was sent" + receiptClause(prior) + ")"
	case plans.ReplaceChanged:
		return "-replace asks to send again (was sent" + receiptClause(prior) + ", content changed since)"
	case plans.ReplaceUnknown:
		return "-replace asks to send again (was unknown)"
	case plans.ResendUnknown:
		return "-replace-unknown asks to send again (was unknown)"
	case plans.OutcomeUnknown:
		return "the outcome of an earlier send is unknown" + priorErrorSuffix(prior) + "; use -replace to send again"
	case plans.ContentChanged:
		return "already sent, and the content has changed since; use -replace to send again"
	case plans.AlreadySent:
		return "already sent"
	}
	return r.String()
}

// priorErrorSuffix is " (E13009: to number invalid)" for a record with an
// error, and "" for one without.
func priorErrorSuffix(prior *states.Delivery) string {
	if prior == nil {
		return ""
	}
	var parts []string
	if prior.ErrorCode != "" {
		parts = append(parts, prior.ErrorCode)
	}
	if prior.ErrorText != "" {
		parts = append(parts, prior.ErrorText)
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ": ") + ")"
}

// receiptClause is " and read" or " and delivered" for a record whose
// receipt says the phone got it, so that a resend says what it repeats.
func receiptClause(d *states.Delivery) string {
	if r := priorReceipt(d); r != nil && (r.Status == states.Delivered || r.Status == states.Read) {
		return " and " + string(r.Status)
	}
	return ""
}

func priorReceipt(d *states.Delivery) *states.Receipt {
	if d == nil {
		return nil
	}
	return d.Receipt
}

// receiptWords name a receipt's status in the views: what the phone's
// side reported after Kaleyra accepted the message.
var receiptWords = map[states.ReceiptStatus]string{
	states.Accepted:      "sent on to WhatsApp",
	states.Delivered:     "delivered",
	states.Read:          "read",
	states.ReceiptFailed: "failed after sending",
	states.NotSent:       "not sent on to WhatsApp",
}

// receiptWord is the receipt's status in words, "" for no receipt.
func receiptWord(r *states.Receipt) string {
	if r == nil {
		return ""
	}
	if w, ok := receiptWords[r.Status]; ok {
		return w
	}
	return string(r.Status)
}

// receiptError is "131026: WhatsApp could not deliver it to this number:
// ..." for a receipt with an error: the code and, for a code herald knows,
// its plain words, else the words the callback carried. "" without one.
func receiptError(r *states.Receipt) string {
	if r == nil {
		return ""
	}
	words := kaleyra.Explain(r.ErrorCode)
	if words == "" {
		words = r.ErrorText
	}
	switch {
	case r.ErrorCode != "" && words != "":
		return r.ErrorCode + ": " + words
	case r.ErrorCode != "":
		return r.ErrorCode
	}
	return words
}

// receiptErrorSuffix is " (CODE: words)" for a receipt with an error.
func receiptErrorSuffix(r *states.Receipt) string {
	if e := receiptError(r); e != "" {
		return " (" + e + ")"
	}
	return ""
}

// receiptPhrases words what receipts said of a summary's deliveries, "9
// delivered, 3 read, 1 failed after sending", leaving out zeros.
func receiptPhrases(s plans.Summary) string {
	var parts []string
	for _, p := range []struct {
		n    int
		what string
	}{{s.Delivered, "delivered"}, {s.Read, "read"}, {s.FailedAfterSend, "failed after sending"}} {
		if p.n > 0 {
			parts = append(parts, strconv.Itoa(p.n)+" "+p.what)
		}
	}
	return strings.Join(parts, ", ")
}

// receiptSummaryPhrases is every receipt count of s, zero or not, for the
// plan's summary: "9 delivered, 3 read, 1 failed after sending".
func receiptSummaryPhrases(s plans.Summary) string {
	return strconv.Itoa(s.Delivered) + " delivered, " + strconv.Itoa(s.Read) + " read, " + strconv.Itoa(s.FailedAfterSend) + " failed after sending"
}

// The text plan's legend for retries when some were reported failed after
// sending: all of them, or some beside refused ones.
const (
	retryAfterSendLegend = "reported failed after sending (it never arrived): sent again"
	retryEitherLegend    = "refused last time, or reported failed after sending: sent again"
)

// windowSentence words the OutsideWindow warning of one delivery.
const windowSentence = "outside WhatsApp's 24-hour window: the recipient has not written to this sender number in the last 24 hours, as far as herald's receipts show, and WhatsApp delivers free-form messages only within 24 hours of the recipient's last message (131047); send a template instead"

// warningSentence words a change's warning.
func warningSentence(w plans.Warning) string {
	if w == plans.OutsideWindow {
		return windowSentence
	}
	return w.String()
}

// skipSentence words why deliveries were not sent.
func skipSentence(s engine.Skip) string {
	switch s.Cause {
	case engine.DependencyFailed:
		names := make([]string, len(s.BlockedBy))
		for i, m := range s.BlockedBy {
			names[i] = m.String()
		}
		return "not sent because " + strings.Join(names, ", ") + ", which it depends on, did not send everything"
	case engine.Interrupted:
		return "not sent: apply was interrupted"
	case engine.Stopped:
		return "not sent: apply stopped after an error it could not go on from"
	case engine.AccountRefused:
		return "not sent: Kaleyra refused the account of provider " + s.Provider + " (" + s.Code + ") on an earlier request, so apply stopped sending through it"
	case engine.NoClient:
		return "not sent: no client for provider " + s.Provider
	case engine.SendFailed, engine.Claimed:
		if s.Err != nil {
			return "not sent: " + s.Err.Error()
		}
	}
	return "not sent: " + s.Cause.String()
}

// foreignKeyNote says why n of the deliveries changed after sending may
// not have changed at all: their content is sensitive, and its digest was
// keyed with a digest secret the ledger no longer has.
func foreignKeyNote(n, changed int) string {
	which := plural(n, "Its", "Their")
	if n < changed {
		which = fmt.Sprintf("For %d of them, the", n)
	}
	return which + " content is sensitive, and was recorded with another digest secret than the state's backend now has (the secret, herald.state.secret beside a local state, was lost or replaced), so herald cannot tell whether it changed. Restore the secret to compare again."
}

// wrap breaks s into lines of at most width bytes, at spaces.
func wrap(s string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(s) {
		if line != "" && len(line)+1+len(w) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	return append(lines, line)
}
