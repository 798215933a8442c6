// Package plans holds a plan as data: for every message instance the
// configuration declares, the action chosen for each of its recipients, and
// a summary. It does no I/O but reading and writing saved plan files; the
// engine computes plans and the views render them.
//
// # Choosing an action
//
// A delivery is one message instance to one recipient, identified by its key
// (channel, sender, recipient, ref, ref1, ref2). The plan looks the key up in
// the state and chooses, in this order:
//
//	state has                   -replace  action   reason
//	no record                   either    send     not_in_state
//	sent or failed, receipt     either    retry    failed_after_send
//	  failed or not-sent
//	failed (nothing went out)   either    retry    failed_before
//	unknown                     yes       resend   replace_unknown
//	sent, other digest          yes       resend   replace_changed
//	sent, same digest           yes       resend   replace_sent
//	unknown, -replace-unknown   no        resend   resend_unknown
//	unknown                     no        unknown  outcome_unknown
//	sent, other digest          no        changed  content_changed
//	sent, same digest           no        none     already_sent
//
// The first row that fits decides. A failed record with a receipt is an
// unknown outcome that a receipt settled: Kaleyra had accepted it. The digest is the content's: what the
// recipient would see now against what they were sent.
//
// -replace-unknown names deliveries like -replace but resends only those
// whose outcome is unknown; it must match at least one.
//
// send, retry and resend send; none, changed and unknown do not. A failed
// record is retried whether or not -replace names it, since Kaleyra refused
// it and no one received it; so is a sent one whose delivery receipt later
// said failed or not-sent, since it never reached the phone. A receipt that
// says delivered or read never causes a send. Nothing else ever sends twice: a changed
// content or an unknown outcome is reported and left for a person to decide
// with -replace, because a message that reached someone cannot be taken
// back.
//
// State records that no declared delivery matches are listed as no longer
// declared and kept as history; a plan never deletes or sends them.
//
// # The 24-hour window
//
// WhatsApp delivers free-form messages (text and media, anything but a
// template) only within 24 hours of the recipient's last message to the
// sender number. Once the state records incoming messages for a sender, a
// planned send of free-form content from it to a recipient whose last
// message is older than 24 hours at plan time, or who never wrote, gets
// the OutsideWindow warning. It stays a send: the window may open before
// apply, and only WhatsApp knows for sure. Templates are never warned of.
// A sender with no recorded incoming message is not judged at all, since
// herald cannot tell a closed window from a listener that never ran.
//
// Actions and reasons are small enums with stable tokens ("send",
// "already_sent"): saved plans and the JSON plan store the tokens, and only
// the views put them into words.
package plans
