package statemgr

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/internal/receipts"
	"github.com/heraldhq/herald/internal/states"
	"github.com/heraldhq/herald/internal/states/statefile"
)

// The events table keeps, per state name, the events of Kaleyra's
// callbacks: status receipts and incoming messages. A listener inserts
// them at once, on a connection of its own and without the state lock, so
// that receipts flow while an apply runs; Read folds them into the state
// it returns (receipts.Fold), and the lock holder's Write compacts them:
// the events it read are replaced by one per receipt and conversation the
// state then holds, plus those that matched nothing yet, so the table
// grows with the deliveries, not with the callbacks. Each event's id is a
// hash of what it says, so that Kaleyra's retry of a callback inserts
// nothing new.
//
// Keeping receipts as events rather than as columns of the deliveries
// keeps the listener's writes out of the rows an apply claims: an insert
// never waits on an apply's row locks, nor an apply on a listener.

// receiptRecorder is the events' own connection, apart from the run's
// (which holds the lock and breaks for good on a lost connection, so
// that nothing more is sent): a listener reconnects after a loss, and
// the callback that failed is answered 5xx and retried by Kaleyra.
type receiptRecorder struct {
	mu   sync.Mutex
	conn *pgx.Conn
}

// RecordReceipts implements ReceiptStore: one insert, committed before it
// returns.
func (p *Postgres) RecordReceipts(ctx context.Context, events []receipts.Event) error {
	if len(events) == 0 {
		return nil
	}
	if p.cfgErr != nil {
		return p.cfgErr
	}
	r := &p.recorder
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.conn == nil {
		conn, err := pgx.ConnectConfig(ctx, p.pgcfg)
		if err != nil {
			return fmt.Errorf("connecting to the %s: %s", p.Where(), p.describe(err))
		}
		if err := p.migrate(ctx, conn); err != nil {
			conn.Close(context.Background())
			return err
		}
		r.conn = conn
	}
	cols := eventColumns(events)
	_, err := r.conn.Exec(ctx, p.insertEventsSQL(), append([]any{p.cfg.StateName}, cols...)...)
	if err != nil {
		r.conn.Close(context.Background())
		r.conn = nil
		return fmt.Errorf("recording receipts in the %s: %s", p.Where(), p.describe(err))
	}
	return nil
}

// insertEventsSQL inserts events laid out by eventColumns, leaving out
// those already there.
func (p *Postgres) insertEventsSQL() string {
	return "INSERT INTO " + p.table("events") + ` (state_name, id, kind, message_id, status, recipient, sender, ref, ref1, ref2, error_code, error_text, at, received)
		SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::timestamptz[], $14::timestamptz[])
		ON CONFLICT (state_name, id) DO NOTHING`
}

// closeRecorder closes the events' connection, if open.
func (p *Postgres) closeRecorder() {
	r := &p.recorder
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.conn != nil {
		r.conn.Close(context.Background())
		r.conn = nil
	}
}

// eventColumns lays events out as the insert's arrays, id first.
func eventColumns(events []receipts.Event) []any {
	n := len(events)
	var (
		id, kind, messageID, status, recipient, sender = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		ref, ref1, ref2, code, text                    = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		at, received                                   = make([]time.Time, n), make([]time.Time, n)
	)
	for i := range events {
		e := &events[i]
		id[i], kind[i], messageID[i], status[i] = eventID(e), string(e.Kind), e.MessageID, string(e.Status)
		recipient[i], sender[i], ref[i], ref1[i], ref2[i] = e.Recipient, e.Sender, e.Ref, e.Ref1, e.Ref2
		code[i], text[i] = e.ErrorCode, e.ErrorText
		at[i], received[i] = e.At.UTC().Truncate(time.Microsecond), e.Received.UTC().Truncate(time.Microsecond)
	}
	return []any{id, kind, messageID, status, recipient, sender, ref, ref1, ref2, code, text, at, received}
}

// eventID is the hash of what an event says, its time of receipt aside:
// the same callback received twice has one id.
func eventID(e *receipts.Event) string {
	h := sha256.New()
	for _, s := range []string{string(e.Kind), e.MessageID, string(e.Status), e.Recipient, e.Sender, e.Ref, e.Ref1, e.Ref2, e.ErrorCode, e.ErrorText} {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	var t [8]byte
	binary.BigEndian.PutUint64(t[:], uint64(e.At.UTC().Truncate(time.Microsecond).UnixMicro()))
	h.Write(t[:])
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// readEvents folds this state's events into st and remembers the last
// ids read, which the next Write compacts, and the events that matched
// nothing, which it keeps. Ids, not a high-water mark of seq: a bigserial
// is drawn when an insert starts, not when it commits, so an event of a
// lower seq can become visible after a Read has seen a higher one.
func (p *Postgres) readEvents(ctx context.Context, conn *pgx.Conn, st *states.State) error {
	rows, err := conn.Query(ctx, `SELECT id, seq, kind, message_id, status, recipient, sender, ref, ref1, ref2, error_code, error_text, at, received
		FROM `+p.table("events")+` WHERE state_name = $1 ORDER BY seq`, p.cfg.StateName)
	if err != nil {
		return p.fail("reading the state", err)
	}
	var (
		events       []receipts.Event
		ids          []string
		id           string
		seq          int64
		e            receipts.Event
		kind, status string
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &seq, &kind, &e.MessageID, &status, &e.Recipient, &e.Sender, &e.Ref, &e.Ref1, &e.Ref2, &e.ErrorCode, &e.ErrorText, &e.At, &e.Received}, func() error {
		e.Kind, e.Status = receipts.Kind(kind), states.ReceiptStatus(status)
		for _, n := range []struct{ field, number string }{{"recipient", e.Recipient}, {"sender", e.Sender}} {
			if n.number != "" && !statefile.IsE164(n.number) {
				return fmt.Errorf("the event row %d in the %s has the %s %q, which is not an E.164 number as herald writes them; delete the row", seq, p.Where(), n.field, n.number)
			}
		}
		events = append(events, e)
		ids = append(ids, id)
		return nil
	})
	if err != nil {
		return p.fail("reading the state", err)
	}
	result := receipts.Fold(st, events, time.Now())
	p.eventsRead, p.pendingEvents = ids, result.Unmatched
	return nil
}

// compactEvents, within tx, replaces the events Read folded by what s
// holds of them: one event per receipt and per conversation, and the
// events that matched nothing yet. Events recorded since that Read are
// left as they are, for the next Read to fold.
func (p *Postgres) compactEvents(ctx context.Context, tx pgx.Tx, s *states.State) error {
	var keep []receipts.Event
	for d := range s.Deliveries.All() {
		if r := d.Receipt; r != nil && d.MessageID != "" {
			keep = append(keep, receipts.Event{Kind: receipts.StatusKind, MessageID: d.MessageID, Status: r.Status,
				ErrorCode: r.ErrorCode, ErrorText: r.ErrorText, At: r.At, Received: r.At})
		}
	}
	for k, at := range s.Inbound {
		keep = append(keep, receipts.Event{Kind: receipts.InboundKind, Sender: k.Sender, Recipient: k.Recipient, At: at, Received: at})
	}
	keep = append(keep, p.pendingEvents...)
	if _, err := tx.Exec(ctx, "DELETE FROM "+p.table("events")+" WHERE state_name = $1 AND id = ANY($2::text[])", p.cfg.StateName, p.eventsRead); err != nil {
		return p.fail("writing the state", err)
	}
	if len(keep) == 0 {
		return nil
	}
	cols := eventColumns(keep)
	if _, err := tx.Exec(ctx, p.insertEventsSQL(), append([]any{p.cfg.StateName}, cols...)...); err != nil {
		return p.fail("writing the state", err)
	}
	return nil
}
