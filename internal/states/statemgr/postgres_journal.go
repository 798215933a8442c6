package statemgr

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

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
	p.journal = &pgJournal{p: p, claim: claim}
	return p.journal, nil
}

// pgJournal writes an apply's records as rows. A record in flight is a
// claim: written only when the row is still as this run read it, so that
// two runs never both send one delivery. Records of one call are written
// together in one round trip (claims in one transaction, all or none).
type pgJournal struct {
	p      *Postgres
	claim  string
	closed bool
}

// Record implements Journal.
func (j *pgJournal) Record(records ...states.Delivery) error {
	for i := range records {
		if !journalStatus(records[i].Status) {
			return fmt.Errorf("cannot record %s with status %q", records[i].Key, records[i].Status)
		}
	}
	p := j.p
	p.mu.Lock()
	defer p.mu.Unlock()
	if j.closed {
		return errors.New("the state journal is closed")
	}
	ctx, cancel := opContext()
	defer cancel()
	conn, err := p.connLocked(ctx)
	if err != nil {
		return err
	}
	claims := false
	for i := range records {
		claims = claims || records[i].Status == InFlight
	}
	table := p.table("deliveries")
	if !claims {
		// Outcomes of requests this run sent: written whatever the rows
		// hold now, in one statement.
		rows := make([]states.Delivery, len(records))
		for i := range records {
			rows[i] = normalise(records[i])
		}
		revs, err := upsertMany(ctx, conn, table, p.cfg.StateName, rows, j.claim)
		if err != nil {
			return p.fail("recording sends", err)
		}
		for _, d := range rows {
			p.known[d.Key] = knownRow{d: d, rev: revs[d.Key]}
		}
		return nil
	}
	batch := &pgx.Batch{}
	if claims {
		batch.Queue("BEGIN")
	}
	revs := make(map[delivery.Key]int64)
	rows := make([]states.Delivery, len(records))
	for i := range records {
		d := normalise(records[i])
		rows[i] = d
		rev, seen := revs[d.Key]
		if !seen {
			rev = p.known[d.Key].rev
		}
		switch {
		case d.Status != InFlight:
			queueUpsert(batch, table, p.cfg.StateName, d, j.claim)
		case rev == 0:
			batch.Queue("INSERT INTO "+table+" (state_name, "+deliveryColumns+`, rev, claim)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, 1, $18)
				ON CONFLICT DO NOTHING RETURNING rev`, deliveryArgs(p.cfg.StateName, d, j.claim)...)
		default:
			batch.Queue("UPDATE "+table+` SET address = $8, digest = $9, status = $10, request_id = $11, message_id = $12,
					error_code = $13, error_text = $14, attempts = $15, first_attempt_at = $16, updated_at = $17,
					rev = rev + 1, claim = $18
				WHERE state_name = $1 AND channel = $2 AND sender = $3 AND recipient = $4 AND ref = $5 AND ref1 = $6 AND ref2 = $7 AND rev = $19
				RETURNING rev`,
				append(deliveryArgs(p.cfg.StateName, d, j.claim), rev)...)
		}
		// Each write that takes moves the row's rev on by one.
		revs[d.Key] = rev + 1
	}
	br := conn.SendBatch(ctx, batch)
	var lost []delivery.Key
	if claims {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return p.fail("recording sends in flight", err)
		}
	}
	got := make([]int64, len(rows))
	for i := range rows {
		err := br.QueryRow().Scan(&got[i])
		if errors.Is(err, pgx.ErrNoRows) && rows[i].Status == InFlight {
			lost = append(lost, rows[i].Key)
			continue
		}
		if err != nil {
			br.Close()
			if claims {
				conn.Exec(context.Background(), "ROLLBACK")
			}
			return p.fail("recording sends", err)
		}
	}
	if err := br.Close(); err != nil {
		return p.fail("recording sends", err)
	}
	if claims {
		end := "COMMIT"
		if lost != nil {
			end = "ROLLBACK"
		}
		if _, err := conn.Exec(ctx, end); err != nil {
			return p.fail("recording sends in flight", err)
		}
		if lost != nil {
			return &ClaimError{Keys: lost, Where: p.Where()}
		}
	}
	for i, d := range rows {
		p.known[d.Key] = knownRow{d: d, rev: got[i]}
	}
	return nil
}

// Close implements Journal. The rows are already written; the next Write
// clears the mark that an apply recorded them.
func (j *pgJournal) Close() error {
	p := j.p
	p.mu.Lock()
	defer p.mu.Unlock()
	if !j.closed {
		j.closed = true
		p.journal = nil
	}
	return nil
}
