package kaleyra

import "sort"

// Codes herald gives outcomes that Kaleyra did not name.
const (
	// CodeConnect: the connection could not be made, even after retries.
	CodeConnect = "CONNECT"
	// CodeTimeout: the request was written but no answer came in time.
	CodeTimeout = "TIMEOUT"
	// CodeNoAnswer: the connection broke after the request was written.
	CodeNoAnswer = "NO_ANSWER"
	// CodeBadAnswer: a 2xx answer whose body could not be read.
	CodeBadAnswer = "BAD_ANSWER"
	// CodeNotInAnswer: a 2xx answer that did not list the recipient.
	CodeNotInAnswer = "NOT_IN_ANSWER"
	// CodeInterrupted: herald stopped while waiting to retry a request
	// that had done nothing.
	CodeInterrupted = "INTERRUPTED"
)

// CodeWindowClosed is Meta's code for a free-form message refused because
// the recipient had not written to the sender number in the last 24
// hours; only templates go through then.
const CodeWindowClosed = "131047"

// explanations say, for people, what a code means and what to do about it.
var explanations = map[string]string{
	"E13008": "Kaleyra rejected the sender (from) number as invalid, so nothing was sent. Check that the sender's number is in E.164 form (+ and country code) and is the WhatsApp Business number registered with this Kaleyra account.",
	"E13009": "Kaleyra rejected a recipient (to) number as invalid, so nothing was sent. Check that every recipient number is in E.164 form (+ and country code) and is a real WhatsApp number.",
	"E413":   "Kaleyra refuses HTML tags in any field but the body, so nothing was sent. Remove anything that looks like <tag> from the template parameters, refs and callback URL.",
	"RBC001": "Kaleyra did not accept the credentials, so nothing was sent. Check the provider's sid and api_key: they must belong to the same Kaleyra account and region.",
	"E110":   "The Kaleyra account's balance is too low to send, so nothing was sent. Top up the account, then run apply again to retry.",
	"WA429":  "Kaleyra is rate limiting this account, so nothing was sent. Lower messages_per_second or -parallelism, then run apply again to retry.",
	"WA500":  "Kaleyra had an internal error. The message may or may not have gone out; check Kaleyra's delivery reports before sending again with -replace.",

	// Codes that come after Kaleyra accepted a message, in its delivery
	// callbacks: Meta's own, and Kaleyra's for its account limits. The
	// message reached no one, and the next plan retries it.
	CodeWindowClosed: "WhatsApp did not deliver it: more than 24 hours have passed since the recipient last wrote to this sender number, and outside that window WhatsApp delivers only templates. Send a template instead.",
	"131026":         "WhatsApp could not deliver it to this number: it is not on WhatsApp, or its app is too old or has not accepted WhatsApp's current terms. Check the number with the recipient.",
	"131049":         "WhatsApp chose not to deliver it, to keep the recipient from getting too many marketing messages. Wait a day or more before sending again, or send something the recipient asked for.",
	"131056":         "WhatsApp refused it: this sender number sent too many messages to this recipient in a short time. Wait a while, then apply again to retry.",
	"130429":         "WhatsApp refused it: the sender number reached its throughput limit (messages per second). Lower messages_per_second or -parallelism, then apply again to retry.",
	"WAV2101":        "Kaleyra did not pass it on: the account reached its daily messaging limit. Apply again after the limit resets, or ask Kaleyra to raise it.",

	CodeConnect:     "herald could not connect to the Kaleyra API, so nothing was sent. Check the network, the region or endpoint, and any proxy, then run apply again.",
	CodeTimeout:     "The request was sent but Kaleyra did not answer within the provider's timeout. The message may or may not have gone out; check Kaleyra's delivery reports before sending again with -replace.",
	CodeNoAnswer:    "The connection broke after the request was sent and before Kaleyra answered. The message may or may not have gone out; check Kaleyra's delivery reports before sending again with -replace.",
	CodeBadAnswer:   "Kaleyra answered with success but herald could not read the answer. The message has probably gone out; check Kaleyra's delivery reports before sending again with -replace.",
	CodeNotInAnswer: "Kaleyra accepted the request but its answer did not list this recipient. The message may or may not have gone out; check Kaleyra's delivery reports before sending again with -replace.",
	CodeInterrupted: "herald was interrupted while waiting to retry a request that Kaleyra had not accepted, so nothing was sent. Run apply again to retry.",
	"HTTP429":       "Kaleyra is rate limiting this account and kept refusing after several tries, so nothing was sent. Lower messages_per_second or -parallelism, then run apply again.",
	"HTTP503":       "Kaleyra was unavailable and kept refusing after several tries, so nothing was sent. Run apply again later.",
}

// AccountWide reports whether code refuses the account rather than one
// request (wrong credentials, no balance): every further request would be
// refused the same way, so apply stops sending through that account.
func AccountWide(code string) bool { return code == "RBC001" || code == "E110" }

// Explain returns a plain-language sentence saying what an error code means
// and what to do, or "" for a code herald does not know.
func Explain(code string) string { return explanations[code] }

// KnownCodes lists the codes Explain knows, sorted, for documentation.
func KnownCodes() []string {
	codes := make([]string, 0, len(explanations))
	for c := range explanations {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	return codes
}

// speaker is who said the words an outcome quotes.
type speaker int

const (
	// byKaleyra: Kaleyra, in its answer.
	byKaleyra speaker = iota
	// byClient: herald's HTTP client, for a request that failed or an
	// answer it could not read; Kaleyra may never have seen the request.
	byClient
	// byCheck: herald's own check of Kaleyra's rules, before sending.
	byCheck
)

// quote puts words in the mouth of who said them.
func (by speaker) quote(said string) string {
	switch by {
	case byClient:
		return "herald's HTTP client reported: " + said
	case byCheck:
		return "herald's check before sending: " + said
	}
	return "Kaleyra said: " + said
}

// describe builds an Outcome's Text from a code and the words that came
// with it: the explanation for a known code (with those words, naming who
// said them), or the words as they came for an unknown one.
func describe(code, said string, by speaker) string {
	explained := Explain(code)
	switch {
	case explained != "" && said != "":
		return explained + " (" + by.quote(said) + ")"
	case explained != "":
		return explained
	case said != "":
		return said
	}
	return "Kaleyra answered with error code " + code + " and no explanation."
}
