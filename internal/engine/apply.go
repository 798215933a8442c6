package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/hcl/v2"

	"github.com/heraldhq/herald/internal/addrs"
	"github.com/heraldhq/herald/internal/delivery"
	"github.com/heraldhq/herald/internal/kaleyra"
	"github.com/heraldhq/herald/internal/plans"
	"github.com/heraldhq/herald/internal/states"
	"github.com/heraldhq/herald/internal/states/statemgr"
)

// Sender sends one batch; *kaleyra.Client is one. See kaleyra.Client.Send for
// the contract: ready is called once just before the request leaves, and
// ctx only aborts waiting, never a request in flight.
type Sender interface {
	Send(ctx context.Context, b kaleyra.Batch, ready func() error) ([]kaleyra.Outcome, error)
}

var _ Sender = (*kaleyra.Client)(nil)

// Provider is a configured account as apply uses it.
type Provider struct {
	Sender Sender
	// RecipientsPerRequest is the largest batch; at least 1.
	RecipientsPerRequest int
}

// ApplyOptions configure an apply.
type ApplyOptions struct {
	// Providers by address ("kaleyra", "kaleyra.eu").
	Providers map[string]Provider
	// Parallelism bounds the batches being sent at once; default 10.
	Parallelism int
	Hooks       Hooks
	Logger      hclog.Logger
	// Now is the clock, for tests; time.Now when nil.
	Now func() time.Time
}

// Apply sends every change of p whose action sends, honouring depends_on,
// and records each send in st and in the journal: in flight before its
// request leaves, and its outcome when the answer comes.
//
// Cancelling ctx stops new sends from starting; sends already in flight
// finish and are recorded. Apply returns an error diagnostic when a send
// could not be recorded, or could not be made at all: then it stops
// starting sends at once, since a send it cannot record must not happen.
func Apply(ctx context.Context, p *plans.Plan, st *states.State, j statemgr.Journal, opts ApplyOptions) (Result, hcl.Diagnostics) {
	a := &applier{
		st:      st,
		journal: j,
		opts:    opts,
		now:     opts.Now,
		logger:  opts.Logger,
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.logger == nil {
		a.logger = hclog.NewNullLogger()
	}
	if a.opts.Parallelism <= 0 {
		a.opts.Parallelism = kaleyra.DefaultParallelism
	}
	// Room for every first send, so that the state's index is rebuilt
	// once, not at each doubling as the records come.
	first := 0
	for _, ic := range p.Instances {
		for _, c := range ic.Changes {
			if c.Action == plans.Send {
				first++
			}
		}
	}
	st.Deliveries.Reserve(st.Deliveries.Len() + first)
	return a.run(ctx, p)
}

type applier struct {
	st      *states.State
	journal statemgr.Journal
	opts    ApplyOptions
	now     func() time.Time
	logger  hclog.Logger

	mu       sync.Mutex // guards st, result, fatal, failedBy
	result   Result
	fatal    *hcl.Diagnostic
	failedBy map[addrs.Message]bool // messages with a send not sent
	// refused holds, by provider, the account-wide code (wrong
	// credentials, no balance) Kaleyra refused a request with: every
	// further request through it would be refused the same way.
	refused map[string]string
	total   int
	started time.Time
	rate    rateMeter
	// outcomes carries answered batches to writeOutcomes.
	outcomes chan answered
	// claimRecs holds the records of the window claimAhead is claiming, kept
	// from one window to the next: gathering each window into fresh
	// memory cost an apply of a million deliveries 0.7 s in that append
	// alone (18 times what 100,000 cost), and reusing the buffer took
	// 0.8 s off the whole apply.
	claimRecs []states.Delivery
}

// answered is a batch whose request was answered: its records, to be
// journalled, and what the PostSend hook is told once they are.
type answered struct {
	inst    *delivery.Instance
	changes []*plans.Change
	recs    []states.Delivery
	found   []kaleyra.Outcome
}

// batch is one request's worth of one instance's changes.
type batch struct {
	inst    *delivery.Instance
	changes []*plans.Change
	// done is called when every change of the batch has an outcome.
	done func()
	// recs are the batch's records in flight, once claimed at claimedAt.
	recs      []states.Delivery
	claimedAt time.Time
}

// messageWork is everything one message block sends.
type messageWork struct {
	message   addrs.Message
	dependsOn []addrs.Message
	batches   []*batch
	done      chan struct{}
}

func (a *applier) run(ctx context.Context, p *plans.Plan) (Result, hcl.Diagnostics) {
	work, order := a.group(p)
	a.failedBy = make(map[addrs.Message]bool)
	a.refused = make(map[string]string)
	a.started = a.now()
	a.rate.start(a.started)

	// Batches flow from the feeders through claimAhead, which records a
	// window of them in flight at a time, to a fixed pool of workers; a
	// message's batches enter the queue only once every message it depends
	// on is done.
	queue := make(chan *batch, a.opts.Parallelism)
	// Room for a claimed window behind the requests on the wire: a
	// claim's round trip to a database outlasts a fraction of a window's
	// requests, and workers with nothing claimed would wait for it.
	claimed := make(chan *batch, a.opts.Parallelism)
	// Room for a few windows of answers: while writeOutcomes waits for a
	// commit (behind a claim's fsync, say), workers go on to their next
	// requests instead of waiting to hand over their answers.
	a.outcomes = make(chan answered, 4*a.opts.Parallelism)
	written := make(chan struct{})
	go a.writeOutcomes(written)
	go a.claimAhead(ctx, queue, claimed)
	var workers sync.WaitGroup
	for i := 0; i < a.opts.Parallelism; i++ {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for b := range claimed {
				a.send(ctx, b)
				b.done()
			}
		}()
	}

	// Once apply is interrupted, what was claimed and not yet sent is
	// given back at once, not when a worker is free: a second interrupt
	// exits without waiting for the requests in flight, and would leave
	// the claims in flight, to be read as unknown.
	finished := make(chan struct{})
	var withdrawing sync.WaitGroup
	withdrawing.Go(func() {
		select {
		case <-ctx.Done():
		case <-finished:
			return
		}
		for b := range claimed {
			a.withdraw(b)
			a.skip(b, Skip{Cause: Interrupted})
			b.done()
		}
	})

	stopProgress := a.reportProgress()
	var feeders sync.WaitGroup
	for _, m := range order {
		w := work[m]
		feeders.Add(1)
		go func() {
			defer feeders.Done()
			defer close(w.done)
			a.feed(ctx, w, work, queue)
		}()
	}
	feeders.Wait()
	close(queue)
	workers.Wait()
	close(finished)
	withdrawing.Wait()
	close(a.outcomes)
	<-written
	stopProgress()

	a.mu.Lock()
	defer a.mu.Unlock()
	if a.fatal != nil {
		return a.result, hcl.Diagnostics{a.fatal}
	}
	return a.result, nil
}

// feed waits for w's dependencies, then queues its batches and waits for
// them, so that w.done means every send of w has an outcome.
func (a *applier) feed(ctx context.Context, w *messageWork, work map[addrs.Message]*messageWork, queue chan<- *batch) {
	for _, dep := range w.dependsOn {
		if d, ok := work[dep]; ok {
			<-d.done
		}
	}
	var blockedBy []addrs.Message
	a.mu.Lock()
	for _, dep := range w.dependsOn {
		if a.failedBy[dep] {
			blockedBy = append(blockedBy, dep)
		}
	}
	a.mu.Unlock()
	if len(blockedBy) > 0 {
		for _, b := range w.batches {
			a.skip(b, Skip{Cause: DependencyFailed, BlockedBy: blockedBy})
		}
		return
	}

	var pending sync.WaitGroup
	for _, b := range w.batches {
		pending.Add(1)
		b.done = pending.Done
		if why := a.stopped(ctx, b.inst.Provider); why.Cause != 0 {
			a.skip(b, why)
			pending.Done()
			continue
		}
		select {
		case queue <- b:
		case <-ctx.Done():
			a.skip(b, Skip{Cause: Interrupted})
			pending.Done()
		}
	}
	pending.Wait()
}

// stopped says why no new send may start through provider, or has no
// Cause when one may: interrupted, a record could not be written, or
// Kaleyra refused the provider's account, which every further request
// would repeat. Every send an interrupt kept from starting gets the same
// Skip, so that one Ctrl-C is reported once per message.
func (a *applier) stopped(ctx context.Context, provider string) Skip {
	if ctx.Err() != nil {
		return Skip{Cause: Interrupted}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.fatal != nil {
		return Skip{Cause: Stopped}
	}
	if code := a.refused[provider]; code != "" {
		return Skip{Cause: AccountRefused, Provider: provider, Code: code}
	}
	return Skip{}
}

// group splits the plan's sends into batches per message, in the order the
// messages first appear. A batch is a run of one instance's sends, at most
// as many as its provider takes in one request.
func (a *applier) group(p *plans.Plan) (map[addrs.Message]*messageWork, []addrs.Message) {
	work := make(map[addrs.Message]*messageWork)
	var order []addrs.Message
	for i := range p.Instances {
		ic := &p.Instances[i]
		in := ic.Instance
		size := a.batchSize(in.Provider)
		var b *batch
		for j := range ic.Changes {
			c := &ic.Changes[j]
			if !c.Action.Sends() {
				continue
			}
			a.total++
			m := in.Address.Message
			w := work[m]
			if w == nil {
				w = &messageWork{message: m, dependsOn: in.DependsOn, done: make(chan struct{})}
				work[m] = w
				order = append(order, m)
			}
			if b == nil || len(b.changes) >= size {
				b = &batch{inst: in, changes: make([]*plans.Change, 0, min(size, len(ic.Changes)-j))}
				w.batches = append(w.batches, b)
			}
			b.changes = append(b.changes, c)
		}
	}
	return work, order
}

func (a *applier) batchSize(provider string) int {
	if n := a.opts.Providers[provider].RecipientsPerRequest; n > 0 {
		return n
	}
	return 1
}

// claimAhead records batches in flight before the workers send them, all
// the batches waiting at once in one Record, and hands them on in order.
// A record must be durable before its request leaves; made by each worker
// just before its request, it cost every request an fsync of its own to
// wait for (shared with at most the few other workers waiting then), and
// the workers spent as long waiting for the disk as for Kaleyra. Claimed
// a window ahead, the records of up to Parallelism requests share one
// fsync, which is done while the requests before them are on the wire.
//
// A batch claimed and then not sent (apply stopped meanwhile) is given
// back by withdraw. claimAhead closes claimed when queue is drained.
func (a *applier) claimAhead(ctx context.Context, queue <-chan *batch, claimed chan<- *batch) {
	defer close(claimed)
	window := make([]*batch, 0, a.opts.Parallelism)
	for first := range queue {
		window = append(window[:0], first)
	fill:
		for len(window) < cap(window) {
			select {
			case b, ok := <-queue:
				if !ok {
					break fill
				}
				window = append(window, b)
			default:
				break fill
			}
		}
		for _, b := range a.claim(ctx, window) {
			claimed <- b
		}
	}
}

// claim records window's batches in flight and returns those whose
// records are durable; the rest it reports skipped, and done.
func (a *applier) claim(ctx context.Context, window []*batch) []*batch {
	var ready []*batch
	recs := a.claimRecs[:0]
	// Record keeps none of recs once it returns.
	defer func() { a.claimRecs = recs[:0] }()
	for _, b := range window {
		if why := a.stopped(ctx, b.inst.Provider); why.Cause != 0 {
			a.skip(b, why)
			b.done()
			continue
		}
		if prov, ok := a.opts.Providers[b.inst.Provider]; !ok || prov.Sender == nil {
			a.setFatal(&hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "No client for provider",
				Detail:   fmt.Sprintf("No client was set up for provider %q, which %s sends through.", b.inst.Provider, b.inst.Address),
			})
			a.skip(b, Skip{Cause: NoClient, Provider: b.inst.Provider})
			b.done()
			continue
		}
		b.recs = a.inFlight(b)
		recs = append(recs, b.recs...)
		ready = append(ready, b)
	}
	if len(ready) == 0 {
		return nil
	}
	err := a.journal.Record(recs...)
	var lost *statemgr.ClaimError
	if errors.As(err, &lost) && len(ready) > 1 {
		// A shared backend writes a call's claims all or none, so one
		// batch that another run claimed held back the window: each batch
		// on its own finds out which.
		kept := ready[:0]
		for _, b := range ready {
			if err := a.journal.Record(b.recs...); err != nil {
				a.refuseClaim(b, err)
				continue
			}
			kept = append(kept, b)
		}
		return kept
	}
	if err != nil {
		for _, b := range ready {
			a.refuseClaim(b, err)
		}
		return nil
	}
	return ready
}

// inFlight makes b's records in flight.
func (a *applier) inFlight(b *batch) []states.Delivery {
	recs := make([]states.Delivery, len(b.changes))
	now := a.now()
	b.claimedAt = now
	address := b.inst.Address.String()
	for i, c := range b.changes {
		recs[i] = a.record(b.inst, address, c, now)
		recs[i].Status = statemgr.InFlight
	}
	return recs
}

// refuseClaim reports b not sent because the journal refused its records
// in flight, with err.
func (a *applier) refuseClaim(b *batch, err error) {
	defer b.done()
	var lost *statemgr.ClaimError
	if errors.As(err, &lost) {
		// Another run sends (or sent) part of this request. Nothing of it
		// was recorded, so nothing leaves; the rest stays planned and goes
		// with the next run.
		a.logger.Warn("skipping a request whose deliveries another run claimed", "error", err)
		a.skip(b, Skip{Cause: Claimed, Err: lost})
		return
	}
	err = &recordError{err}
	a.setFatal(sendError(err))
	a.skip(b, Skip{Cause: SendFailed, Err: err})
}

// withdraw gives back the claim of a batch whose request never left: each
// delivery's record goes back to what the state holds, or, for a first
// send, to failed with kaleyra.CodeInterrupted, which the next plan sends
// again. Were the claim left, a run that died before writing its state
// would leave the deliveries in flight, which the next run reads as
// unknown and does not send. The state itself is not changed: the request
// did nothing. The batch's records in flight are dropped with the claim.
func (a *applier) withdraw(b *batch) {
	defer func() { b.recs = nil }()
	recs := make([]states.Delivery, len(b.changes))
	a.mu.Lock()
	for i := range b.changes {
		if prior := a.st.Get(b.recs[i].Key); prior != nil {
			recs[i] = *prior
			continue
		}
		recs[i] = b.recs[i]
		recs[i].Status = states.Failed
		recs[i].ErrorCode = kaleyra.CodeInterrupted
		recs[i].ErrorText = "herald stopped before this request left, so nothing was sent"
	}
	a.mu.Unlock()
	if err := a.journal.Record(recs...); err != nil {
		a.logger.Warn("could not give back the in-flight records of a request that never left; the next run reads them as unknown", "error", err)
	}
}

// send sends one claimed batch and records its outcomes.
func (a *applier) send(ctx context.Context, b *batch) {
	// The batch lives as long as the apply; its records in flight need
	// not (a million of them were a fifth of a large apply's memory).
	defer func() { b.recs = nil }()
	if why := a.stopped(ctx, b.inst.Provider); why.Cause != 0 {
		a.withdraw(b)
		a.skip(b, why)
		return
	}
	in := b.inst
	req := kaleyra.Batch{
		Channel:     in.Channel,
		From:        in.Sender,
		Content:     in.Content,
		Ref:         in.Ref,
		Ref1:        in.Ref1,
		Ref2:        in.Ref2,
		CallbackURL: in.CallbackURL,
		Sensitive:   in.Sensitive,
		To:          make([]string, len(b.changes)),
	}
	for i, c := range b.changes {
		req.To[i] = c.Recipient
	}

	// The records are durable in flight already; ready only notes that
	// the request leaves.
	left := false
	ready := func() error {
		left = true
		if a.opts.Hooks != nil {
			a.opts.Hooks.PreSend(in, b.changes)
		}
		return nil
	}
	outcomes, err := a.opts.Providers[in.Provider].Sender.Send(ctx, req, ready)
	if err != nil && left {
		// The Sender broke its contract: its request may have left, so the
		// deliveries are unknown, never dropped (which would send them again).
		a.logger.Error("the sender failed after its request was made ready", "error", err)
		a.recordOutcomes(b, nil, b.claimedAt)
		return
	}
	if err != nil {
		a.withdraw(b)
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			a.skip(b, Skip{Cause: Interrupted})
			return
		}
		a.setFatal(sendError(err))
		a.skip(b, Skip{Cause: SendFailed, Err: err})
		return
	}
	readyAt := b.claimedAt
	if !left {
		readyAt = time.Time{} // refused before it left
	}
	a.recordOutcomes(b, outcomes, readyAt)
}

// outcomeLinger is how long an outcome may wait for others to share its
// commit. It bounds what a kill can turn from sent into unknown to the
// answers of a few milliseconds, and costs a run that much at its end.
const outcomeLinger = 2 * time.Millisecond

// recordError is the journal's refusal of a batch's in-flight records,
// told apart from the client's own errors in the diagnostic.
type recordError struct{ err error }

func (e *recordError) Error() string { return "recording sends in flight: " + e.err.Error() }
func (e *recordError) Unwrap() error { return e.err }

// sendError is the diagnostic for a batch that could not be sent: the
// journal refused its in-flight records, or the client refused the request
// before it left.
func sendError(err error) *hcl.Diagnostic {
	summary, detail := "Error sending", "The request could not be made: "+err.Error()
	var rec *recordError
	if errors.As(err, &rec) {
		summary, detail = "Error recording sends", "Recording sends in flight: "+rec.err.Error()
	}
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: strings.TrimSuffix(detail, ".") + "."}
}

// record makes the state record of in's delivery c as of now, carrying
// over what the state knew of its key. address is in.Address.String().
func (a *applier) record(in *delivery.Instance, address string, c *plans.Change, now time.Time) states.Delivery {
	rec := states.Delivery{
		Key:       in.Key(c.Recipient),
		Address:   address,
		Digest:    in.Digest,
		FirstSent: now,
		UpdatedAt: now,
	}
	if c.Prior != nil {
		rec.Attempts = c.Prior.Attempts
		if !c.Prior.FirstSent.IsZero() {
			rec.FirstSent = c.Prior.FirstSent
		}
	}
	return rec
}

// recordOutcomes records the answer to b's request made ready at readyAt,
// which is a first send's first attempt.
func (a *applier) recordOutcomes(b *batch, outcomes []kaleyra.Outcome, readyAt time.Time) {
	now := a.now()
	in := b.inst
	address := in.Address.String()
	recs := make([]states.Delivery, len(b.changes))
	found := make([]kaleyra.Outcome, len(b.changes))
	for i, c := range b.changes {
		o := outcomeFor(outcomes, i, c.Recipient)
		rec := a.record(in, address, c, now)
		if (c.Prior == nil || c.Prior.FirstSent.IsZero()) && !readyAt.IsZero() {
			rec.FirstSent = readyAt
		}
		rec.Attempts += o.Attempts
		rec.RequestID, rec.MessageID = o.RequestID, o.MessageID
		switch o.Status {
		case kaleyra.Sent:
			rec.Status = states.Sent
		case kaleyra.Failed:
			rec.Status = states.Failed
			rec.ErrorCode, rec.ErrorText = o.Code, o.Text
		default:
			rec.Status = states.Unknown
			rec.ErrorCode, rec.ErrorText = o.Code, o.Text
		}
		recs[i] = rec
		found[i] = o
	}
	m := in.Address.Message
	a.mu.Lock()
	if !in.Sensitive {
		// What the recipients may have seen, for a plan to compare with
		// later; sensitive content is never kept.
		a.st.KeepContent(in.Digest, in.Content)
	}
	// The state keeps the records where they are, one allocation for the
	// request rather than one a record; writeOutcomes reads them to
	// journal them, and nothing changes them after this.
	for i := range recs {
		r := &recs[i]
		a.st.Set(r)
		switch r.Status {
		case states.Sent:
			a.result.Sent++
		case states.Failed:
			a.result.Failed++
			a.failedBy[m] = true
			if prov := in.Provider; kaleyra.AccountWide(r.ErrorCode) && a.refused[prov] == "" {
				a.refused[prov] = r.ErrorCode
				a.logger.Warn("Kaleyra refused the account; no further requests through this provider", "provider", prov, "code", r.ErrorCode)
			}
		default:
			a.result.Unknown++
			a.failedBy[m] = true
		}
	}
	a.rate.add(now, len(recs))
	a.mu.Unlock()
	a.outcomes <- answered{inst: in, changes: b.changes, recs: recs, found: found}
}

// writeOutcomes journals the outcomes of answered requests, many at once in
// one Record, and then tells the PostSend hook. It runs beside the
// workers, so that a worker goes on to its next request while the last
// one's outcomes are recorded: each request waits for no durable
// write of its own (its in-flight record was made by claimAhead, ahead of
// it).
//
// The first outcome of a group waits outcomeLinger for others before they
// are written together, so that they share a commit (a write to the
// journal file, or a round trip to the database) with each other and with
// the claims of the next window, instead of each taking one. An outcome
// not yet recorded when herald dies leaves its deliveries in flight,
// which the next run reads as unknown and never sends again.
func (a *applier) writeOutcomes(written chan<- struct{}) {
	defer close(written)
	// A journal may hold what it was given until its commit, which Record
	// waits for, but no longer: the buffers are reused.
	var group []answered
	var joined []states.Delivery
	for first := range a.outcomes {
		group = append(group[:0], first)
		// Sleep, then take what came meanwhile, rather than wake for each
		// answer as it comes: a wake-up per request cost as much CPU as
		// the outcome's own write.
		time.Sleep(outcomeLinger)
	gather:
		for len(group) < cap(a.outcomes) {
			select {
			case next, ok := <-a.outcomes:
				if !ok {
					break gather
				}
				group = append(group, next)
			default:
				break gather
			}
		}
		recs := first.recs
		if len(group) > 1 {
			joined = joined[:0]
			for _, d := range group {
				joined = append(joined, d.recs...)
			}
			recs = joined
		}
		if err := a.journal.Record(recs...); err != nil {
			a.mu.Lock()
			if a.fatal == nil {
				a.fatal = &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Error recording sends",
					Detail:   "Recording outcomes: " + strings.TrimSuffix(err.Error(), ".") + ".",
				}
			}
			a.mu.Unlock()
		}
		if a.opts.Hooks != nil {
			for _, d := range group {
				a.opts.Hooks.PostSend(d.inst, d.changes, d.found)
			}
		}
	}
}

// outcomeFor finds the outcome of recipient, normally at index i; a client
// that answers short or out of order makes the delivery unknown rather than
// guessing.
func outcomeFor(outcomes []kaleyra.Outcome, i int, recipient string) kaleyra.Outcome {
	if i < len(outcomes) && outcomes[i].Recipient == recipient {
		return outcomes[i]
	}
	for _, o := range outcomes {
		if o.Recipient == recipient {
			return o
		}
	}
	return kaleyra.Outcome{Recipient: recipient, Status: kaleyra.Unknown, Code: "NO_OUTCOME",
		Text: "the client returned no outcome for this recipient"}
}

// skip counts b's changes as not sent, which also holds back whatever
// depends on their message.
func (a *applier) skip(b *batch, why Skip) {
	a.mu.Lock()
	a.result.Skipped += len(b.changes)
	a.failedBy[b.inst.Address.Message] = true
	a.mu.Unlock()
	if a.opts.Hooks != nil {
		a.opts.Hooks.Skipped(b.inst, b.changes, why)
	}
}

func (a *applier) setFatal(d *hcl.Diagnostic) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.fatal == nil {
		a.fatal = d
	}
}

// reportProgress calls Hooks.Progress every second until the returned
// function is called, which reports once more.
func (a *applier) reportProgress() (stop func()) {
	if a.opts.Hooks == nil {
		return func() {}
	}
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				a.opts.Hooks.Progress(a.progress())
			case <-quit:
				return
			}
		}
	}()
	return func() {
		close(quit)
		wg.Wait()
		a.opts.Hooks.Progress(a.progress())
	}
}

func (a *applier) progress() Progress {
	now := a.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	p := Progress{
		Total:   a.total,
		Sent:    a.result.Sent,
		Failed:  a.result.Failed,
		Unknown: a.result.Unknown,
		Skipped: a.result.Skipped,
		Elapsed: now.Sub(a.started),
		Rate:    a.rate.perSecond(now),
	}
	if left := p.Total - p.Done(); left > 0 && p.Rate > 0 {
		p.Remaining = time.Duration(float64(left) / p.Rate * float64(time.Second))
	}
	return p
}
