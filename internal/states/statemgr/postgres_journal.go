package statemgr

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/heraldhq/herald/internal/delivery"
	"github.com/heraldhq/herald/internal/states"
)

// ClaimError is the error of a Record of deliveries in flight of which
// some were claimed or recorded by another run since this one read the
// state. None of the call's records were written: the request must not
// leave.
type ClaimError struct {
	Keys  []delivery.Key
	Where string
}

func (e *ClaimError) Error() string {
	keys := make([]string, len(e.Keys))
	for i, k := range e.Keys {
		keys[i] = k.String()
	}
	return fmt.Sprintf("another herald run claimed or recorded %s in the %s since this run read the state, so this run does not send it: %s", plural(len(e.Keys), "delivery", "deliveries"), e.Where, strings.Join(keys, ", "))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// OpenJournal implements Backend. s must be the state this value last
// read or wrote. When that state folded what an interrupted run left in
// flight, the folded rows are written first, at the serial Read gave
// them, so that this run's records move the serial on from there.
func (p *Postgres) OpenJournal(s *states.State) (Journal, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.journal != nil {
		return nil, fmt.Errorf("the journal of the %s is already open", p.Where())
	}
	if !p.read {
		if _, err := p.readLocked(); err != nil {
			return nil, err
		}
	}
	if s.Lineage != p.lineage || s.Serial != p.readSerial {
		return nil, fmt.Errorf("cannot open the journal of the %s over a state it did not read: lineage %s serial %d, but the state read is lineage %s serial %d", p.Where(), s.Lineage, s.Serial, p.lineage, p.readSerial)
	}
	if _, err := nextSerial(p.Where(), p.readSerial); err != nil {
		return nil, err
	}
	if p.readSerial != p.serial {
		if err := p.writeLocked(s, p.readSerial, false); err != nil {
			return nil, fmt.Errorf("recording the outcome of an interrupted run: %w", err)
		}
	}
	ctx, cancel := opContext()
	defer cancel()
	conn, err := p.connLocked(ctx)
	if err != nil {
		return nil, err
	}
	// Marked before any record, so that a reader sees the state differs
	// from what the last Write left, even if this run dies at once.
	_, err = conn.Exec(ctx, "INSERT INTO "+p.table("states")+" (state_name, lineage, serial, journaled) VALUES ($1, $2, $3, true) ON CONFLICT (state_name) DO UPDATE SET journaled = true",
		p.cfg.StateName, s.Lineage, int64(s.Serial))
	if err != nil {
		return nil, p.fail("starting the journal", err)
	}
	p.hasRow = true
	claim := NewLineage()
	if p.lockInfo != nil {
		claim = p.lockInfo.ID
	}
	p.journal = newPGJournal(p, claim)
	return p.journal, nil
}

// pgJournal writes an apply's records as rows. A record in flight is a
// claim: written only when the row is still as this run read it, so that
// two runs never both send one delivery.
//
// Records are written with group commit: a Record call queues its
// records; whichever caller finds no write in progress becomes the
// leader and writes everything queued, from every caller, in one round
// trip and one transaction, usually as one upsert over arrays that writes
// the outcomes and, conditionally, the claims. While it waits for the
// server, more callers queue up behind it, so the round trips grow with
// the batches of concurrent callers, not with the records.
type pgJournal struct {
	p     *Postgres
	claim string

	mu         sync.Mutex
	cond       *sync.Cond
	queue      []*pgCall
	committing bool
	closed     bool
}

// pgCall is one Record call's records, queued for a commit.
type pgCall struct {
	rows []states.Delivery // normalised
	done bool
	err  error
}

func newPGJournal(p *Postgres, claim string) *pgJournal {
	j := &pgJournal{p: p, claim: claim}
	j.cond = sync.NewCond(&j.mu)
	return j
}

// Record implements Journal. A call's records in flight are written all
// or none: when another run has claimed or recorded one of them since
// this run read the state, Record returns a *ClaimError and none of the
// call's records are written.
func (j *pgJournal) Record(records ...states.Delivery) error {
	if len(records) == 0 {
		return nil
	}
	c := &pgCall{rows: make([]states.Delivery, len(records))}
	for i := range records {
		if !journalStatus(records[i].Status) {
			return fmt.Errorf("cannot record %s with status %q", records[i].Key, records[i].Status)
		}
		c.rows[i] = normalise(records[i])
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return errors.New("the state journal is closed")
	}
	j.queue = append(j.queue, c)
	for !c.done {
		if j.committing {
			j.cond.Wait()
			continue
		}
		j.commit()
	}
	return c.err
}

// commit writes every queued call. It is called with j.mu held and
// releases it while the server works.
func (j *pgJournal) commit() {
	calls := j.queue
	j.queue = nil
	j.committing = true
	j.mu.Unlock()

	p := j.p
	p.mu.Lock()
	p.writeCalls(calls, j.claim)
	p.mu.Unlock()

	j.mu.Lock()
	j.committing = false
	for _, c := range calls {
		c.done = true
	}
	j.cond.Broadcast()
}

// Close implements Journal. The rows are already written; the next Write
// clears the mark that an apply recorded them.
func (j *pgJournal) Close() error {
	j.mu.Lock()
	for j.committing {
		j.cond.Wait()
	}
	j.closed = true
	j.mu.Unlock()
	p := j.p
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.journal == j {
		p.journal = nil
	}
	return nil
}

// pgStep is one statement's worth of a commit: rows of distinct keys,
// claims and outcomes.
type pgStep struct {
	rows []states.Delivery
	// revs are the revs the rows' claims expect (0: no row yet).
	revs []int64
	// claims counts the rows in flight.
	claims int
}

// writeCalls writes calls in one round trip, or, when a claim among them
// fails, each call on its own, so that one call's lost claim does not
// hold back the others. It sets each call's err. p.mu is held.
func (p *Postgres) writeCalls(calls []*pgCall, claim string) {
	setAll := func(err error) {
		for _, c := range calls {
			c.err = err
		}
	}
	ctx, cancel := opContext()
	defer cancel()
	conn, err := p.connLocked(ctx)
	if err != nil {
		setAll(err)
		return
	}
	err = p.writeSteps(ctx, conn, p.plan(calls), claim)
	if err == nil || len(calls) == 1 {
		setAll(err)
		return
	}
	if p.broken != nil {
		setAll(p.broken)
		return
	}
	// Some claim failed, or a row was refused: nothing was written. Each
	// call on its own finds out which.
	for _, c := range calls {
		if c.err = p.writeSteps(ctx, conn, p.plan([]*pgCall{c}), claim); p.broken != nil {
			setAll(p.broken)
			return
		}
	}
}

// plan orders the records of calls into steps, each one statement: a
// record joins the last step unless its key is written there already, so
// that a commit is usually one statement whatever the number of callers,
// and each key's records still apply in their order.
func (p *Postgres) plan(calls []*pgCall) []*pgStep {
	n := 0
	for _, c := range calls {
		n += len(c.rows)
	}
	type keyState struct {
		step int   // the last step that writes the key
		rev  int64 // the key's rev after the steps so far
	}
	keys := make(map[delivery.Key]keyState, n)
	var steps []*pgStep
	for _, c := range calls {
		for i := range c.rows {
			d := &c.rows[i]
			ks, seen := keys[d.Key]
			if len(steps) == 0 || (seen && ks.step == len(steps)-1) {
				steps = append(steps, &pgStep{})
			}
			if !seen {
				ks.rev = p.known[d.Key].rev
			}
			s := steps[len(steps)-1]
			s.rows = append(s.rows, *d)
			s.revs = append(s.revs, ks.rev)
			if d.Status == InFlight {
				s.claims++
			}
			// An outcome's write moves the rev on by one too, unless
			// another run wrote the row meanwhile; then the claim that
			// expects this rev fails, which is the safe way to be wrong.
			keys[d.Key] = keyState{step: len(steps) - 1, rev: ks.rev + 1}
		}
	}
	return steps
}

// writeSteps runs steps in one pipeline and one transaction, and on
// success records the new revs in p.known. A failed claim fails the
// transaction whole; its error is a *ClaimError naming the keys lost.
//
// The statements return no rows, only how many they wrote: each row's
// new rev is the one its step expects plus one (a claim's, or a row's as
// this run last wrote it). Were another run to claim a row between this
// run's claim and its outcome, the outcome's rev would be higher than
// that, and the next claim of the row by this run fails: the other run
// may be sending it.
func (p *Postgres) writeSteps(ctx context.Context, conn *pgx.Conn, steps []*pgStep, claim string) error {
	table := p.table("deliveries")
	batch := &pgx.Batch{}
	type chunk struct {
		step     *pgStep
		from, to int
		claims   int
	}
	var chunks []chunk
	claims := 0
	for _, s := range steps {
		for from := 0; from < len(s.rows); from += upsertChunk {
			c := chunk{step: s, from: from, to: min(from+upsertChunk, len(s.rows))}
			for r := c.from; r < c.to; r++ {
				if s.rows[r].Status == InFlight {
					c.claims++
				}
			}
			claims += c.claims
			args, shared := recordArgs(p.cfg.StateName, s.rows[c.from:c.to], s.revs[c.from:c.to], claim, c.claims)
			batch.Queue(p.recordStatement(table, shared), args...)
			chunks = append(chunks, c)
		}
	}
	what := "recording sends"
	if claims > 0 {
		what = "recording sends in flight"
	}
	br := conn.SendBatch(ctx, batch)
	var err error
	for _, c := range chunks {
		var n int64
		if err = br.QueryRow().Scan(&n); err != nil {
			break
		}
		if n != int64(c.to-c.from) {
			err = fmt.Errorf("an upsert of %d rows wrote %d", c.to-c.from, n)
			break
		}
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		if claimLost(err) {
			return p.lostClaims(ctx, conn, steps)
		}
		return p.fail(what, err)
	}
	for _, c := range chunks {
		for r := c.from; r < c.to; r++ {
			d := &c.step.rows[r]
			p.known[d.Key] = knownRow{rev: c.step.revs[r] + 1, sum: hashRow(p.seed, d)}
		}
	}
	return nil
}

// claimLostMark is in the error the claim statement raises when not every
// row it was given could be claimed.
const claimLostMark = "herald: claims lost"

// recordSQL writes a step's rows over arrays in one upsert, which finds
// each row by the primary key's index whatever the planner knows of the
// table. Outcomes are written whatever the row holds. A claim (a row in
// flight) is written only when the row is still at the rev the claim
// expects, which rides in the rev column: a row expected absent is
// inserted with rev 1, and one found is left alone; a row expected at rev
// r is updated to r+1 only when its rev is r, and when it is gone it is
// inserted with rev -r, which herald never writes. So the claims written
// are the rows in flight written with a positive rev; when they are
// fewer than $20, the statement fails (a cast of text that is no number,
// the one way plain SQL has to raise), which undoes it and the rest of
// its transaction: a commit's claims are all or none. It returns the
// number of rows written.
//
// The arrays are unnested in the select list, in step, rather than in
// FROM: there each array would be copied into a tuple store of its own
// before the first row is written, which cost the server more than the
// writes of a commit of a few dozen rows. For the same reason the rows
// written are not returned, only counted, and the rev a row is inserted
// with comes computed, so that the unnested rows go straight to the
// insert.
//
// When the rows share their channel, sender, refs, address and digest
// (the records of one message's requests do), those go as one value each
// rather than as 7 of the 17 arrays, which the server would decode and
// the client encode element by element.
func recordSQL(table string, shared bool) string {
	var sel strings.Builder
	for n, typ := range recordParams {
		if n > 0 {
			sel.WriteString(", ")
		}
		if shared && sharedParam(n+2) {
			fmt.Fprintf(&sel, "$%d::%s", n+2, typ)
		} else {
			fmt.Fprintf(&sel, "unnest($%d::%s[])", n+2, typ)
		}
	}
	return `WITH w AS (
			INSERT INTO ` + table + ` (state_name, ` + deliveryColumns + `, rev, claim)
			SELECT $1, ` + sel.String() + `, $19
			ON CONFLICT (state_name, channel, sender, recipient, ref, ref1, ref2) DO UPDATE SET
				address = EXCLUDED.address, digest = EXCLUDED.digest, status = EXCLUDED.status,
				request_id = EXCLUDED.request_id, message_id = EXCLUDED.message_id,
				error_code = EXCLUDED.error_code, error_text = EXCLUDED.error_text,
				attempts = EXCLUDED.attempts, first_attempt_at = EXCLUDED.first_attempt_at,
				updated_at = EXCLUDED.updated_at, rev = ` + table + `.rev + 1, claim = EXCLUDED.claim
			WHERE EXCLUDED.status <> 'in_flight' OR (EXCLUDED.rev < 0 AND ` + table + `.rev = -EXCLUDED.rev)
			RETURNING status = 'in_flight' AND rev > 0 AS won
		)
		SELECT CASE WHEN count(*) FILTER (WHERE won) = $20 THEN count(*)
			ELSE ('` + claimLostMark + `: ' || ($20 - count(*) FILTER (WHERE won)))::bigint END
		FROM w`
}

// recordStatement is recordSQL(table, shared), built once: a commit of
// one recipient per request runs it for every few requests. p.mu is held.
func (p *Postgres) recordStatement(table string, shared bool) string {
	i := 0
	if shared {
		i = 1
	}
	if p.recordSQLs[i] == "" {
		p.recordSQLs[i] = recordSQL(table, shared)
	}
	return p.recordSQLs[i]
}

// recordParams are the types of recordSQL's parameters $2 to $18: the
// columns of deliveryColumns, then each row's rev as inserted.
var recordParams = [...]string{"text", "text", "text", "text", "text", "text", "text", "text", "text",
	"text", "text", "text", "text", "int4", "timestamptz", "timestamptz", "int8"}

// sharedParam reports whether parameter $n of recordSQL is one of the
// columns sent once when the rows share them.
func sharedParam(n int) bool {
	switch n {
	case 2, 3, 5, 6, 7, 8, 9: // channel, sender, ref, ref1, ref2, address, digest
		return true
	}
	return false
}

// recordArgs are recordSQL's arguments, and whether the rows share the
// columns it can take once: each row's rev as inserted ($18) is 1, or -r
// for a claim that expects rev r.
func recordArgs(state string, rows []states.Delivery, revs []int64, claim string, claims int) ([]any, bool) {
	inserted := make([]int64, len(rows))
	shared := true
	for i := range rows {
		inserted[i] = 1
		if rows[i].Status == InFlight && revs[i] != 0 {
			inserted[i] = -revs[i]
		}
		a, b := &rows[i], &rows[0]
		if a.Key.Channel != b.Key.Channel || a.Key.Sender != b.Key.Sender || a.Key.Ref != b.Key.Ref ||
			a.Key.Ref1 != b.Key.Ref1 || a.Key.Ref2 != b.Key.Ref2 || a.Address != b.Address || a.Digest != b.Digest {
			shared = false
		}
	}
	args := append(columnArgs(state, rows), inserted, claim, int64(claims))
	if shared {
		for n := range args {
			if sharedParam(n + 1) {
				args[n] = args[n].([]string)[0]
			}
		}
	}
	return args, shared
}

// claimLost reports whether err is the claim statement's own failure.
func claimLost(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && strings.Contains(pgErr.Message, claimLostMark)
}

// lostClaims finds which claims of steps failed, for the error: the rows
// whose rev is not the one their claim expected. The claims were undone;
// this reads only. A key written earlier in the same steps is not looked
// at: what its claim expected rested on a write that was undone too.
func (p *Postgres) lostClaims(ctx context.Context, conn *pgx.Conn, steps []*pgStep) error {
	batch := &pgx.Batch{}
	var asked []delivery.Key
	var expect []int64
	seen := make(map[delivery.Key]bool)
	for _, s := range steps {
		for i := range s.rows {
			k := s.rows[i].Key
			first := !seen[k]
			seen[k] = true
			if !first || s.rows[i].Status != InFlight {
				continue
			}
			batch.Queue("SELECT rev FROM "+p.table("deliveries")+" WHERE state_name = $1 AND channel = $2 AND sender = $3 AND recipient = $4 AND ref = $5 AND ref1 = $6 AND ref2 = $7",
				p.cfg.StateName, k.Channel, k.Sender, k.Recipient, k.Ref, k.Ref1, k.Ref2)
			asked = append(asked, k)
			expect = append(expect, s.revs[i])
		}
	}
	br := conn.SendBatch(ctx, batch)
	var keys []delivery.Key
	for i, k := range asked {
		var rev int64
		err := br.QueryRow().Scan(&rev)
		if errors.Is(err, pgx.ErrNoRows) {
			rev, err = 0, nil
		}
		if err != nil {
			br.Close()
			return p.fail("recording sends in flight", err)
		}
		if rev != expect[i] {
			keys = append(keys, k)
		}
	}
	if err := br.Close(); err != nil {
		return p.fail("recording sends in flight", err)
	}
	if len(keys) == 0 {
		// Lost, then the row went back to the rev expected (deleted and
		// written again): still not this run's to send.
		for _, s := range steps {
			for i := range s.rows {
				if s.rows[i].Status == InFlight {
					keys = append(keys, s.rows[i].Key)
				}
			}
		}
	}
	return &ClaimError{Keys: keys, Where: p.Where()}
}
