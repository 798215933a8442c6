package engine

import (
	"fmt"
	"time"

	"github.com/heraldhq/herald/internal/addrs"
	"github.com/heraldhq/herald/internal/delivery"
	"github.com/heraldhq/herald/internal/kaleyra"
	"github.com/heraldhq/herald/internal/plans"
)

// Hooks are told what apply does as it does it, a batch at a time: one
// instance and some of its changes. The views implement them (live
// progress, JSON event lines); calls may come from many goroutines at once
// and must not block for long.
type Hooks interface {
	// PreSend: the deliveries are recorded in flight and their request is
	// about to leave.
	PreSend(in *delivery.Instance, changes []*plans.Change)
	// PostSend: the deliveries' outcomes are recorded; outcomes[i] is
	// changes[i]'s.
	PostSend(in *delivery.Instance, changes []*plans.Change, outcomes []kaleyra.Outcome)
	// Skipped: the deliveries were not sent, for the reason why gives.
	Skipped(in *delivery.Instance, changes []*plans.Change, why Skip)
	// Progress is called about once a second while sends are under way,
	// and once at the end.
	Progress(p Progress)
}

// SkipCause is why apply did not send a delivery it planned to. Its String
// is a stable token for machine-readable output; views put it into words.
type SkipCause uint8

const (
	// DependencyFailed: a message it depends on had a failed, unknown or
	// skipped send. Skip.BlockedBy names them.
	DependencyFailed SkipCause = iota + 1
	// Interrupted: apply was interrupted before the send started.
	Interrupted
	// Stopped: apply stopped after an error it could not go on from (a
	// record that could not be written) before the send started.
	Stopped
	// NoClient: no client was set up for the provider, Skip.Provider.
	NoClient
	// SendFailed: the client refused the request before it left; Skip.Err
	// says why.
	SendFailed
	// Claimed: another run has claimed or sent some of the request's
	// deliveries, so none of it was sent; Skip.Err names them. The next
	// run plans the rest again.
	Claimed
	// AccountRefused: Kaleyra refused the account of Skip.Provider on an
	// earlier request, with Skip.Code (wrong credentials, no balance), so
	// apply sends nothing more through it.
	AccountRefused
)

var skipCauseTokens = [...]string{
	DependencyFailed: "dependency_failed", Interrupted: "interrupted", Stopped: "stopped",
	NoClient: "no_client", SendFailed: "send_failed", Claimed: "claimed",
	AccountRefused: "account_refused",
}

// SkipCauses lists every cause, for schema tests and documentation.
var SkipCauses = []SkipCause{DependencyFailed, Interrupted, Stopped, NoClient, SendFailed, Claimed, AccountRefused}

// String is the cause's token, such as "dependency_failed".
func (c SkipCause) String() string {
	if int(c) > 0 && int(c) < len(skipCauseTokens) {
		return skipCauseTokens[c]
	}
	return fmt.Sprintf("SkipCause(%d)", c)
}

// Skip says why deliveries were not sent.
type Skip struct {
	Cause SkipCause
	// BlockedBy are the dependencies that did not send everything, for
	// DependencyFailed.
	BlockedBy []addrs.Message
	// Provider is the provider address without a client, for NoClient, or
	// whose account was refused, for AccountRefused.
	Provider string
	// Code is Kaleyra's account-wide error code, for AccountRefused.
	Code string
	// Err is the client's error, for SendFailed, or the claim refused, for
	// Claimed.
	Err error
}

// Progress is a snapshot of a running apply.
type Progress struct {
	Total   int // sends planned
	Sent    int
	Failed  int
	Unknown int
	Skipped int
	Elapsed time.Duration
	// Rate is deliveries finished per second over the last few seconds.
	Rate float64
	// Remaining estimates the time left; 0 when unknown.
	Remaining time.Duration
}

// Done is how many deliveries have finished one way or another.
func (p Progress) Done() int { return p.Sent + p.Failed + p.Unknown + p.Skipped }

// Result counts what an apply did.
type Result struct {
	Sent    int
	Failed  int
	Unknown int
	// Skipped were not sent: a dependency failed, or apply was interrupted.
	Skipped int
}
