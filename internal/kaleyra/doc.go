// Package kaleyra talks to Kaleyra's WhatsApp messages API: it encodes a
// Batch in the wire format the provider block asks for, waits for the
// sender's rate limit and a free request slot, sends it, and classifies what
// became of each recipient as Sent, Failed or Unknown.
//
// The classification is the heart of herald's at-most-once promise. A
// request is repeated automatically only when it surely did nothing (the
// connection could not be made, or Kaleyra answered 429 or 503); anything
// that may have gone out (a timeout, a reset after the request was written,
// another 5xx, an answer that cannot be read) is Unknown and is never sent
// again by this package.
//
// This package knows nothing of plans or state: recording a delivery as in
// flight is the caller's job, done in the ready callback of Client.Send. The
// API key never leaves the request header: not in errors, logs, or
// outcomes.
package kaleyra
