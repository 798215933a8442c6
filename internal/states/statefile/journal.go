package statefile

import (
	"bytes"
	"strconv"

	"github.com/heraldhq/herald/internal/states"
)

// A journal file is JSON lines: a header naming the state it was opened
// over, then one delivery record per line in the order they were made
// durable:
//
//	{"journal":1,"lineage":"5f0c...","base_serial":3,"lock_id":"9a1e..."}
//	{"key":{...},"address":"message.announce",...,"status":"in_flight",...}
//	{"key":{...},"address":"message.announce",...,"status":"sent",...}
//
// Records are appended and never rewritten, so a crash can only tear the
// last line, which ParseJournal then ignores.

// JournalVersion is the journal format version.
const JournalVersion = 1

// JournalHeader says which state a journal's records apply to: the state of
// Lineage at BaseSerial.
type JournalHeader struct {
	Lineage    string
	BaseSerial uint64
	// LockID is the state lock its writer held, "" when unrecorded: while
	// that lock is still held, the writer is alive and its records in
	// flight are waiting for their answers, not interrupted.
	LockID string
}

// AppendJournalHeader appends h as the journal's first line, newline
// included.
func AppendJournalHeader(dst []byte, h JournalHeader) []byte {
	dst = append(dst, `{"journal":`...)
	dst = strconv.AppendInt(dst, JournalVersion, 10)
	dst = append(dst, `,"lineage":`...)
	dst = appendString(dst, h.Lineage)
	dst = append(dst, `,"base_serial":`...)
	dst = strconv.AppendUint(dst, h.BaseSerial, 10)
	if h.LockID != "" {
		dst = append(dst, `,"lock_id":`...)
		dst = appendString(dst, h.LockID)
	}
	return append(dst, "}\n"...)
}

// AppendJournalRecord appends d as one journal line, newline included.
func AppendJournalRecord(dst []byte, d *states.Delivery) []byte {
	return append(AppendDelivery(dst, d), '\n')
}

// Journal is a decoded journal file.
type Journal struct {
	// Header is nil when the file holds no complete line: the run that
	// created it died before writing its header.
	Header *JournalHeader
	// Records in the order they were written.
	Records []*states.Delivery
	// Complete is the length of the file's complete lines. Anything after
	// it is a torn tail, the write a crash interrupted; it was never
	// reported durable, and is ignored.
	Complete int
}

// ParseJournal decodes a journal. validStatus tells which record statuses
// are allowed. A torn last line is ignored; any other damage is an error,
// because silently dropping a complete record could forget a send.
func ParseJournal(data []byte, validStatus func(states.Status) bool) (*Journal, error) {
	j := &Journal{}
	// A power loss can leave the tail of an appended file as zeros; that,
	// like a line without its newline, is a write that never completed.
	end := len(bytes.TrimRight(data, "\x00"))
	j.Complete = bytes.LastIndexByte(data[:end], '\n') + 1
	d := newDecoder(data[:j.Complete])
	for d.pos < j.Complete {
		lineStart := d.pos
		if j.Header == nil {
			h, err := d.journalHeader()
			if err != nil {
				return nil, err
			}
			j.Header = h
		} else {
			rec := &states.Delivery{}
			if err := d.delivery(rec, validStatus); err != nil {
				return nil, err
			}
			j.Records = append(j.Records, rec)
		}
		// The rest of the line must be empty.
		for d.pos < j.Complete && (d.data[d.pos] == ' ' || d.data[d.pos] == '\t' || d.data[d.pos] == '\r') {
			d.pos++
		}
		if d.pos >= j.Complete || d.data[d.pos] != '\n' {
			if d.pos == lineStart {
				return nil, d.errorAt(d.pos, "empty line in the journal")
			}
			return nil, d.errorAt(d.pos, "unexpected text after the record; each journal line holds one record")
		}
		d.pos++
	}
	return j, nil
}

func (d *decoder) journalHeader() (*JournalHeader, error) {
	h := &JournalHeader{}
	seen := map[string]bool{}
	start := d.pos
	err := d.object("the journal header", func(name []byte, namePos int) error {
		field := string(name)
		if seen[field] {
			return d.errorAt(namePos, "field %q appears twice in the journal header", field)
		}
		seen[field] = true
		switch field {
		case "journal":
			pos := d.pos
			v, err := d.uint(1 << 32)
			if err == nil && v != JournalVersion {
				err = d.errorAt(pos, "the journal has format version %d, but this herald only knows version %d", v, JournalVersion)
			}
			return err
		case "lineage":
			s, err := d.plainStr()
			h.Lineage = s
			return err
		case "base_serial":
			n, err := d.uint(MaxSerial)
			h.BaseSerial = n
			return err
		case "lock_id":
			s, err := d.plainStr()
			h.LockID = s
			return err
		default:
			return d.errorAt(namePos, "unknown field %q in the journal header", field)
		}
	})
	if err != nil {
		return nil, err
	}
	for _, f := range []string{"journal", "lineage", "base_serial"} {
		if !seen[f] {
			return nil, d.errorAt(start, "the journal header has no %q field", f)
		}
	}
	return h, nil
}
