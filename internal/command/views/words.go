package views

import (
	"strconv"
	"strings"

	"github.com/heraldhq/herald/internal/engine"
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
	case plans.ReplaceSent:
		return "-replace asks to send again (was sent)"
	case plans.ReplaceChanged:
		return "-replace asks to send again (was sent, content changed since)"
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
