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
//	failed (nothing went out)   either    retry    failed_before
//	unknown                     yes       resend   replace_unknown
//	sent, other digest          yes       resend   replace_changed
//	sent, same digest           yes       resend   replace_sent
//	unknown, -replace-unknown   no        resend   resend_unknown
//	unknown                     no        unknown  outcome_unknown
//	sent, other digest          no        changed  content_changed
//	sent, same digest           no        none     already_sent
//
// The first row that fits decides. The digest is the content's: what the
// recipient would see now against what they were sent.
//
// -replace-unknown names deliveries like -replace but resends only those
// whose outcome is unknown; it must match at least one.
//
// send, retry and resend send; none, changed and unknown do not. A failed
// record is retried whether or not -replace names it, since Kaleyra refused
// it and no one received it. Nothing else ever sends twice: a changed
// content or an unknown outcome is reported and left for a person to decide
// with -replace, because a message that reached someone cannot be taken
// back.
//
// State records that no declared delivery matches are listed as no longer
// declared and kept as history; a plan never deletes or sends them.
//
// Actions and reasons are small enums with stable tokens ("send",
// "already_sent"): saved plans and the JSON plan store the tokens, and only
// the views put them into words.
package plans
