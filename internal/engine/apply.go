package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

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
// finish and are recorded. Apply returns an error only when recording
// failed: then it stops at once, since a send it cannot record must not
// happen.
func Apply(ctx context.Context, p *plans.Plan, st *states.State, j statemgr.Journal, opts ApplyOptions) (Result, error) {
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
	fatal    error
	failedBy map[addrs.Message]bool // messages with a send not sent
	// refused holds, by provider, the account-wide code (wrong
	// credentials, no balance) Kaleyra refused a request with: every
	// further request through it would be refused the same way.
	refused map[string]string
	total   int
	started time.Time
	rate    rateMeter
}

// batch is one request's worth of changes: same message instance, provider,
// sender, content and ref fields.
type batch struct {
	provider string
	changes  []*plans.Change
	// done is called when every change of the batch has an outcome.
	done func()
}

// messageWork is everything one message block sends.
type messageWork struct {
	message   addrs.Message
	dependsOn []addrs.Message
	batches   []*batch
	done      chan struct{}
}

func (a *applier) run(ctx context.Context, p *plans.Plan) (Result, error) {
	work, order := a.group(p)
	a.failedBy = make(map[addrs.Message]bool)
	a.refused = make(map[string]string)
	a.started = a.now()
	a.rate.start(a.started)

	// Batches flow to a fixed pool of workers; a message's batches enter the
	// queue only once every message it depends on is done.
	queue := make(chan *batch)
	var workers sync.WaitGroup
	for i := 0; i < a.opts.Parallelism; i++ {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for b := range queue {
				a.send(ctx, b)
				b.done()
			}
		}()
	}

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
	stopProgress()

	a.mu.Lock()
	defer a.mu.Unlock()
	return a.result, a.fatal
}

// feed waits for w's dependencies, then queues its batches and waits for
// them, so that w.done means every send of w has an outcome.
func (a *applier) feed(ctx context.Context, w *messageWork, work map[addrs.Message]*messageWork, queue chan<- *batch) {
	for _, dep := range w.dependsOn {
		if d, ok := work[dep]; ok {
			<-d.done
		}
	}
	var blockedBy []string
	a.mu.Lock()
	for _, dep := range w.dependsOn {
		if a.failedBy[dep] {
			blockedBy = append(blockedBy, dep.String())
		}
	}
	a.mu.Unlock()
	if len(blockedBy) > 0 {
		reason := fmt.Sprintf("not sent because %s, which it depends on, did not send everything", strings.Join(blockedBy, ", "))
		for _, b := range w.batches {
			a.skip(w.message, b.changes, reason)
		}
		return
	}

	var pending sync.WaitGroup
	for _, b := range w.batches {
		pending.Add(1)
		b.done = pending.Done
		if why := a.stopped(ctx, b.provider); why != "" {
			a.skip(w.message, b.changes, why)
			pending.Done()
			continue
		}
		select {
		case queue <- b:
		case <-ctx.Done():
			a.skip(w.message, b.changes, reasonInterrupted)
			pending.Done()
		}
	}
	pending.Wait()
}

// reasonInterrupted is the one reason given for every send an interrupt
// kept from starting, so that one Ctrl-C is reported once per message.
const reasonInterrupted = "not sent: apply was interrupted"

// stopped says why no new send may start through provider, or "" when one
// may: interrupted, a record could not be written, or Kaleyra refused the
// provider's account, which every further request would repeat.
func (a *applier) stopped(ctx context.Context, provider string) string {
	if ctx.Err() != nil {
		return reasonInterrupted
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.fatal != nil {
		return "not sent: apply stopped after an error it could not go on from"
	}
	if code := a.refused[provider]; code != "" {
		return fmt.Sprintf("not sent: Kaleyra refused the account of provider %s (%s) on an earlier request, so apply stopped sending through it", provider, code)
	}
	return ""
}

// group splits the plan's sends into batches per message, in the order the
// messages first appear.
func (a *applier) group(p *plans.Plan) (map[addrs.Message]*messageWork, []addrs.Message) {
	type batchKey struct {
		instance    addrs.MessageInstance
		provider    string
		sender      string
		digest      delivery.Digest
		ref         [3]string
		callbackURL string
	}
	work := make(map[addrs.Message]*messageWork)
	var order []addrs.Message
	open := make(map[batchKey]*batch)
	for i := range p.Changes {
		c := &p.Changes[i]
		if !c.Action.Sends() {
			continue
		}
		a.total++
		d := &c.Delivery
		m := d.Address.Message
		w := work[m]
		if w == nil {
			w = &messageWork{message: m, dependsOn: d.DependsOn, done: make(chan struct{})}
			work[m] = w
			order = append(order, m)
		}
		k := batchKey{d.Address, d.Provider, d.Key.Sender, d.Digest, [3]string{d.Key.Ref, d.Key.Ref1, d.Key.Ref2}, d.CallbackURL}
		b := open[k]
		if b == nil || len(b.changes) >= a.batchSize(d.Provider) {
			b = &batch{provider: d.Provider}
			open[k] = b
			w.batches = append(w.batches, b)
		}
		b.changes = append(b.changes, c)
	}
	return work, order
}

func (a *applier) batchSize(provider string) int {
	if n := a.opts.Providers[provider].RecipientsPerRequest; n > 0 {
		return n
	}
	return 1
}

// send sends one batch and records its outcomes.
func (a *applier) send(ctx context.Context, b *batch) {
	m := b.changes[0].Delivery.Address.Message
	if why := a.stopped(ctx, b.provider); why != "" {
		a.skip(m, b.changes, why)
		return
	}
	prov, ok := a.opts.Providers[b.provider]
	if !ok || prov.Sender == nil {
		a.setFatal(fmt.Errorf("no client for provider %q", b.provider))
		a.skip(m, b.changes, "not sent: no client for provider "+b.provider)
		return
	}
	first := &b.changes[0].Delivery
	req := kaleyra.Batch{
		Channel:     first.Key.Channel,
		From:        first.Key.Sender,
		Content:     first.Content,
		Ref:         first.Key.Ref,
		Ref1:        first.Key.Ref1,
		Ref2:        first.Key.Ref2,
		CallbackURL: first.CallbackURL,
	}
	for _, c := range b.changes {
		req.To = append(req.To, c.Delivery.Key.Recipient)
	}

	recorded := false // in flight in the journal: the request may leave
	var readyAt time.Time
	ready := func() error {
		recs := make([]states.Delivery, len(b.changes))
		now := a.now()
		readyAt = now
		for i, c := range b.changes {
			recs[i] = a.record(c, now)
			recs[i].Status = statemgr.InFlight
		}
		if err := a.journal.Record(recs...); err != nil {
			return fmt.Errorf("recording sends in flight: %w", err)
		}
		recorded = true
		if a.opts.Hooks != nil {
			for _, c := range b.changes {
				a.opts.Hooks.PreSend(c)
			}
		}
		return nil
	}
	outcomes, err := prov.Sender.Send(ctx, req, ready)
	if err != nil && recorded {
		// The Sender broke its contract: its request may have left, so the
		// deliveries are unknown, never dropped (which would send them again).
		a.logger.Error("the sender failed after its request was made ready", "error", err)
		a.recordOutcomes(m, b.changes, nil, readyAt)
		return
	}
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			a.skip(m, b.changes, reasonInterrupted)
			return
		}
		var claim *statemgr.ClaimError
		if errors.As(err, &claim) {
			// Another run sends (or sent) part of this request. Nothing of
			// it was recorded, so nothing leaves; the rest stays planned
			// and goes with the next run.
			a.logger.Warn("skipping a request whose deliveries another run claimed", "error", err)
			a.skip(m, b.changes, "not sent: "+claim.Error())
			return
		}
		a.setFatal(err)
		a.skip(m, b.changes, "not sent: "+err.Error())
		return
	}
	a.recordOutcomes(m, b.changes, outcomes, readyAt)
}

// record makes the state record of c as of now, carrying over what the
// state knew of its key.
func (a *applier) record(c *plans.Change, now time.Time) states.Delivery {
	d := &c.Delivery
	rec := states.Delivery{
		Key:       d.Key,
		Address:   d.Address.String(),
		Digest:    d.Digest,
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

// recordOutcomes records the answer to a request made ready at readyAt,
// which is a first send's first attempt.
func (a *applier) recordOutcomes(m addrs.Message, changes []*plans.Change, outcomes []kaleyra.Outcome, readyAt time.Time) {
	now := a.now()
	recs := make([]states.Delivery, len(changes))
	found := make([]kaleyra.Outcome, len(changes))
	for i, c := range changes {
		o := outcomeFor(outcomes, i, c.Delivery.Key.Recipient)
		rec := a.record(c, now)
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
	err := a.journal.Record(recs...)

	a.mu.Lock()
	for i := range recs {
		r := recs[i]
		a.st.Set(&r)
		switch r.Status {
		case states.Sent:
			a.result.Sent++
		case states.Failed:
			a.result.Failed++
			a.failedBy[m] = true
			if prov := changes[i].Delivery.Provider; kaleyra.AccountWide(r.ErrorCode) && a.refused[prov] == "" {
				a.refused[prov] = r.ErrorCode
				a.logger.Warn("Kaleyra refused the account; no further requests through this provider", "provider", prov, "code", r.ErrorCode)
			}
		default:
			a.result.Unknown++
			a.failedBy[m] = true
		}
	}
	a.rate.add(now, len(recs))
	if err != nil && a.fatal == nil {
		a.fatal = fmt.Errorf("recording outcomes: %w", err)
	}
	a.mu.Unlock()

	if a.opts.Hooks != nil {
		for i, c := range changes {
			a.opts.Hooks.PostSend(c, found[i])
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

func (a *applier) skip(m addrs.Message, changes []*plans.Change, reason string) {
	a.mu.Lock()
	a.result.Skipped += len(changes)
	a.failedBy[m] = true
	a.mu.Unlock()
	if a.opts.Hooks != nil {
		for _, c := range changes {
			a.opts.Hooks.Skipped(c, reason)
		}
	}
}

func (a *applier) setFatal(err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.fatal == nil {
		a.fatal = err
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
