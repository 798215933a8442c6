package statemgr

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/internal/delivery"
	"github.com/heraldhq/herald/internal/states"
	"github.com/heraldhq/herald/internal/states/statefile"
)

// knownRow is what this value last read or wrote of a row: its rev, which
// claims expect, and a hash of its content, by which Write tells the rows
// that changed. A hash rather than a copy keeps the memory of a large
// state to one set of records; two different rows share a 64-bit hash
// with odds far below those of a disk error.
type knownRow struct {
	rev int64
	sum uint64
}

// hashRow hashes the fields of d that a deliveries row stores: not its
// Receipt, which lives in the events table, so that a receipt folded in
// does not make Write rewrite the row.
func hashRow(seed maphash.Seed, d *states.Delivery) uint64 {
	var h maphash.Hash
	h.SetSeed(seed)
	var buf [8]byte
	str := func(s string) {
		// The length first, so that moving a byte from one field to the
		// next changes the hash.
		binary.LittleEndian.PutUint64(buf[:], uint64(len(s)))
		h.Write(buf[:])
		h.WriteString(s)
	}
	num := func(n int64) {
		binary.LittleEndian.PutUint64(buf[:], uint64(n))
		h.Write(buf[:])
	}
	k := &d.Key
	str(k.Channel)
	str(k.Sender)
	str(k.Recipient)
	str(k.Ref)
	str(k.Ref1)
	str(k.Ref2)
	str(d.Address)
	str(string(d.Digest))
	str(string(d.Status))
	str(d.RequestID)
	str(d.MessageID)
	str(d.ErrorCode)
	str(d.ErrorText)
	num(int64(d.Attempts))
	num(d.FirstSent.UnixMicro())
	num(d.UpdatedAt.UnixMicro())
	return h.Sum64()
}

// readColumns are the columns readDeliveries decodes, in its order.
const readColumns = deliveryColumns + ", rev, claim"

const (
	colChannel = iota
	colSender
	colRecipient
	colRef
	colRef1
	colRef2
	colAddress
	colDigest
	colStatus
	colRequestID
	colMessageID
	colErrorCode
	colErrorText
	colAttempts
	colFirstSent
	colUpdatedAt
	colRev
	colClaim
	numReadColumns
)

// allBinary asks for every column in the binary format, which
// readDeliveries decodes by hand: text is its bytes as they are, numbers
// and times fixed-width integers, with nothing to parse.
var allBinary = func() pgx.QueryResultFormats {
	f := make(pgx.QueryResultFormats, numReadColumns)
	for i := range f {
		f[i] = pgx.BinaryFormatCode
	}
	return f
}()

// recordSlab is how many records readDeliveries allocates at once: a
// state of 100,000 rows costs 100 allocations of records, not 100,000.
const recordSlab = 1024

// readDeliveries reads the rows of the state into st and known, turning
// rows in flight into Unknown (Running when their claim is running's).
// Rows are decoded from the wire's bytes: strings that repeat from row
// to row (channel, sender, ref, address, digest, status, codes) are
// interned, so that 100,000 rows of ten messages hold ten copies of each,
// and each row costs its recipient's and Kaleyra's ids' strings only.
func (p *Postgres) readDeliveries(ctx context.Context, conn *pgx.Conn, running string, st *states.State, known map[delivery.Key]knownRow) (inFlight bool, err error) {
	rows, err := conn.Query(ctx, "SELECT "+readColumns+" FROM "+p.table("deliveries")+" WHERE state_name = $1", allBinary, p.cfg.StateName)
	if err != nil {
		return false, p.fail("reading the state", err)
	}
	defer rows.Close()
	intern := make(map[string]string)
	str := func(b []byte) string {
		if s, ok := intern[string(b)]; ok {
			return s
		}
		s := string(b)
		intern[s] = s
		return s
	}
	// numbers remembers senders already checked: there are few.
	numbers := make(map[string]bool)
	var slab []states.Delivery
	for rows.Next() {
		v := rows.RawValues()
		if len(v) != numReadColumns {
			return false, fmt.Errorf("reading the state in the %s: %d columns, want %d", p.Where(), len(v), numReadColumns)
		}
		for i, c := range v {
			if c == nil {
				return false, fmt.Errorf("reading the state in the %s: a row of %s has NULL in column %s; herald's columns are never NULL, so the row was edited by hand: correct or delete it", p.Where(), p.cfg.Schema+".deliveries", rows.FieldDescriptions()[i].Name)
			}
		}
		if len(slab) == 0 {
			slab = make([]states.Delivery, recordSlab)
		}
		d := &slab[0]
		slab = slab[1:]
		d.Key = delivery.Key{
			Channel:   str(v[colChannel]),
			Sender:    str(v[colSender]),
			Recipient: string(v[colRecipient]),
			Ref:       str(v[colRef]),
			Ref1:      str(v[colRef1]),
			Ref2:      str(v[colRef2]),
		}
		d.Address = str(v[colAddress])
		d.Digest = delivery.Digest(str(v[colDigest]))
		d.Status = states.Status(str(v[colStatus]))
		d.RequestID = plainOrEmpty(v[colRequestID])
		d.MessageID = plainOrEmpty(v[colMessageID])
		d.ErrorCode = str(v[colErrorCode])
		d.ErrorText = str(v[colErrorText])
		attempts, ok1 := beInt32(v[colAttempts])
		first, ok2 := timestamptz(v[colFirstSent])
		updated, ok3 := timestamptz(v[colUpdatedAt])
		rev, ok4 := beInt64(v[colRev])
		if !ok1 || !ok2 || !ok3 || !ok4 {
			return false, fmt.Errorf("reading the state in the %s: the row of %s has in attempts, first_attempt_at, updated_at or rev a value herald never writes; correct or delete the row", p.Where(), d.Key)
		}
		d.Attempts, d.FirstSent, d.UpdatedAt = int(attempts), first, updated
		if err := p.checkRow(d, numbers); err != nil {
			return false, err
		}
		known[d.Key] = knownRow{rev: rev, sum: hashRow(p.seed, d)}
		if d.Status == InFlight {
			inFlight = true
			d.Status = states.Unknown
			d.Attempts++
			d.ErrorCode, d.ErrorText = Interrupted, interruptedText
			if claim := v[colClaim]; len(claim) > 0 && string(claim) == running {
				d.ErrorCode, d.ErrorText = Running, runningText(running)
			}
		}
		st.Set(d)
	}
	if err := rows.Err(); err != nil {
		return false, p.fail("reading the state", err)
	}
	return inFlight, nil
}

// checkRow refuses a row that herald would not have written: keys are
// compared exactly, so a number edited by hand into another form would
// match no delivery, and that number would be sent to again.
func (p *Postgres) checkRow(d *states.Delivery, senders map[string]bool) error {
	// The schema name is a plain identifier, so it reads as written.
	table := p.cfg.Schema + ".deliveries"
	ok, seen := senders[d.Key.Sender]
	if !seen {
		ok = statefile.IsE164(d.Key.Sender)
		senders[d.Key.Sender] = ok
	}
	field, number := "", ""
	switch {
	case !ok:
		field, number = "sender", d.Key.Sender
	case !statefile.IsE164(d.Key.Recipient):
		field, number = "recipient", d.Key.Recipient
	}
	if field != "" {
		return fmt.Errorf("reading the state in the %s: the row of %s (channel %q, sender %q, recipient %q, ref %q, ref1 %q, ref2 %q) has the %s %q, which is not an E.164 number as herald writes them (\"+\" and digits only, as \"+12025550123\"); the row would match no delivery and that number would be sent to again. Correct the row in that form, or delete it",
			p.Where(), table, d.Key.Channel, d.Key.Sender, d.Key.Recipient, d.Key.Ref, d.Key.Ref1, d.Key.Ref2, field, number)
	}
	if !journalStatus(d.Status) {
		return fmt.Errorf("reading the state in the %s: the row of %s (channel %q, sender %q, recipient %q, ref %q, ref1 %q, ref2 %q) has the status %q, which herald never writes (sent, failed, unknown or in_flight); correct or delete the row",
			p.Where(), table, d.Key.Channel, d.Key.Sender, d.Key.Recipient, d.Key.Ref, d.Key.Ref1, d.Key.Ref2, d.Status)
	}
	return nil
}

// plainOrEmpty is string(b), without an allocation for the empty string
// that most rows hold in their id columns until Kaleyra answers.
func plainOrEmpty(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return string(b)
}

func beInt32(b []byte) (int32, bool) {
	if len(b) != 4 {
		return 0, false
	}
	return int32(binary.BigEndian.Uint32(b)), true
}

func beInt64(b []byte) (int64, bool) {
	if len(b) != 8 {
		return 0, false
	}
	return int64(binary.BigEndian.Uint64(b)), true
}

// pgEpochMicros is PostgreSQL's epoch, 2000-01-01 UTC, in Unix
// microseconds: binary timestamps count microseconds from it.
const pgEpochMicros = 946684800 * 1000000

// timestamptz decodes a binary timestamptz; infinities are refused.
func timestamptz(b []byte) (time.Time, bool) {
	us, ok := beInt64(b)
	if !ok || us == 1<<63-1 || us == -1<<63 {
		return time.Time{}, false
	}
	return time.UnixMicro(us + pgEpochMicros).UTC(), true
}
