// Package statefile is the versioned file format of herald's state and of
// the journal that records an apply's sends: encoding and decoding only.
//
// It does no file I/O of its own and knows nothing of locking, backups or
// durability; statemgr owns those. schema/state.schema.json describes the
// state document.
//
// A state file is one JSON object:
//
//	{
//	  "version": 1,
//	  "lineage": "5f0c...",
//	  "serial": 3,
//	  "deliveries": [
//	    {"key":{"channel":"whatsapp","sender":"+12025550100",...},"address":"message.announce",...},
//	    ...
//	  ],
//	  "inbound": [
//	    {"sender":"+12025550100","recipient":"+12025550123","at":"2026-01-02T15:04:05Z"},
//	    ...
//	  ],
//	  "contents": [
//	    {"digest":"2b6d...","content":{"type":"text","body":"Hello"}},
//	    ...
//	  ]
//	}
//
// with one delivery per line, ordered by address then key, so that the file
// reads well, diffs well and greps well. "inbound", when the conversations
// herald heard of are none, is left out, as is "contents" (what
// non-sensitive messages rendered when sent; see contents.go) when empty.
//
// Version 2 added a delivery's "receipt" and the top-level "inbound";
// version 3 the top-level "contents". Version 1 and 2 files, which lack
// what came later, are still read.
package statefile

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/heraldhq/herald/internal/states"
)

// Version is the state file format version this herald writes. It reads
// every version from 1 up to it.
const Version = 3

// MaxSerial is the largest serial a state file or journal may hold: JSON
// readers that hold numbers as int64 or float64, and a bigint column, lose
// larger ones. Only a hand edit gets a state near it.
const MaxSerial = 1<<63 - 1

// VersionError is a state file of a format version this herald does not
// know.
type VersionError struct {
	Version uint64
}

func (e *VersionError) Error() string {
	if e.Version > Version {
		return fmt.Sprintf("the state file has format version %d, but this herald only knows version %d; upgrade herald to read it", e.Version, Version)
	}
	return fmt.Sprintf("the state file has format version %d, which no herald writes; this herald reads versions 1 to %d", e.Version, Version)
}

// Read decodes a state file. From a reader that can seek, such as an
// *os.File, it decodes a window at a time, so that a large state is never
// in memory twice, as its bytes and as its records (a million deliveries
// are some 440 MB of file), and the deliveries of a large one on every
// core (see parallel.go); a file that does not decode so is read again
// whole and decoded by Parse, whose errors say the line and column, which
// a window that has moved on cannot. size, when known and not 0, is the
// file's size, which sizes the records' index.
func Read(r io.Reader, size int64) (*states.State, error) {
	seeker, ok := r.(io.Seeker)
	if !ok {
		data, err := io.ReadAll(r)
		if err != nil {
			return nil, err
		}
		return Parse(data)
	}
	d := newStreamDecoder(r)
	st, err := parse(d, size)
	if d.readErr != nil {
		return nil, d.readErr
	}
	if err == nil {
		return st, nil
	}
	if _, err := seeker.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return Parse(data)
}

// Parse decodes a state file held in memory. Errors are *SyntaxError (with
// the line and column), *VersionError, a *SyntaxError naming a key that
// appears twice, or one saying the file is Terraform's.
func Parse(data []byte) (*states.State, error) {
	st, err := parse(newDecoder(data), int64(len(data)))
	if err != nil {
		// A file of another version may not even parse as this one; say
		// what matters, the version, when one can be found.
		var probe struct {
			Version          *uint64
			TerraformVersion *string `json:"terraform_version"`
		}
		if json.Unmarshal(data, &probe) == nil && probe.TerraformVersion != nil {
			// A Terraform user's first guess at a state path; "upgrade
			// herald" would send them the wrong way.
			return nil, fmt.Errorf("this is a Terraform state file (written by Terraform %s), not herald's: herald keeps its own ledger of deliveries. Move this file back to where Terraform reads it, or point the herald block's state_path at a file of herald's own", *probe.TerraformVersion)
		}
		if json.Unmarshal(data, &probe) == nil && probe.Version != nil && (*probe.Version < 1 || *probe.Version > Version) {
			return nil, &VersionError{Version: *probe.Version}
		}
		return nil, err
	}
	return st, nil
}

// chunkSize is how many records are allocated at a time, so that a large
// state costs few allocations and no copying as it grows.
const chunkSize = 1024

// parse decodes the state document from d; size is the document's
// length, or 0 when unknown.
func parse(d *decoder, size int64) (*states.State, error) {
	var (
		seen  = map[string]bool{}
		st    = &states.State{}
		chunk []states.Delivery
	)
	start := d.pos
	err := d.object("the state object", func(name []byte, namePos int) error {
		field := string(name)
		if seen[field] {
			return d.errorAt(namePos, "field %q appears twice", field)
		}
		seen[field] = true
		switch field {
		case "version":
			pos := d.pos
			v, err := d.uint(1 << 32)
			if err != nil {
				return err
			}
			if v < 1 || v > Version {
				d.pos = pos
				return &VersionError{Version: v}
			}
		case "lineage":
			pos := d.pos
			s, err := d.plainStr()
			if err != nil {
				return err
			}
			if s == "" {
				return d.errorAt(pos, "the lineage is empty")
			}
			st.Lineage = s
		case "serial":
			n, err := d.uint(MaxSerial)
			if err != nil {
				return err
			}
			st.Serial = n
		case "deliveries":
			// A hint from the file's size saves rehashing the map as
			// it grows; herald writes about 400 bytes per record.
			st.Deliveries = states.NewDeliverySet(int(size / 400))
			if d.src != nil && size >= int64(parallelFrom) && bytes.HasPrefix(d.data[d.pos:], []byte("[\n")) {
				return d.deliveriesInParallel(st.Deliveries)
			}
			return d.array("a list of deliveries", func() error {
				if len(chunk) == cap(chunk) {
					chunk = make([]states.Delivery, 0, chunkSize)
				}
				chunk = chunk[:len(chunk)+1]
				rec := &chunk[len(chunk)-1]
				pos := d.pos
				if err := d.delivery(rec, storedStatus); err != nil {
					return err
				}
				if !st.Deliveries.PutNew(rec) {
					return d.errorAt(pos, "the delivery %s appears twice", rec.Key)
				}
				return nil
			})
		case "inbound":
			return d.array("a list of inbound conversations", func() error {
				return d.inbound(st)
			})
		case "contents":
			return d.array("a list of contents", func() error { return d.content(st) })
		default:
			return d.errorAt(namePos, "unknown field %q in the state", field)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Only space may follow the state object, to the file's end: space
	// that runs to the end of a window may go on in the next.
	d.refill()
	d.ws()
	for d.src != nil && !d.eof && d.pos == len(d.data) {
		d.refill()
		d.ws()
	}
	if d.pos != len(d.data) {
		return nil, d.errorAt(d.pos, "unexpected %q after the end of the state object", d.data[d.pos])
	}
	for _, f := range []string{"version", "lineage", "serial", "deliveries"} {
		if !seen[f] {
			return nil, d.errorAt(start, "the state has no %q field", f)
		}
	}
	return st, nil
}

// storedStatus tells whether a status may appear in a state file: the
// journal-only in-flight status may not.
func storedStatus(s states.Status) bool {
	return s == states.Sent || s == states.Failed || s == states.Unknown
}

// Write encodes s. It refuses a state without a lineage or with a record
// whose status a state file may not hold, so that a bug upstream cannot
// produce a file that the next run rejects.
func Write(w io.Writer, s *states.State) error {
	if s.Lineage == "" {
		return fmt.Errorf("the state has no lineage")
	}
	if s.Serial > MaxSerial {
		return fmt.Errorf("the state's serial %d is larger than a state file may hold (%d)", s.Serial, uint64(MaxSerial))
	}
	for d := range s.Deliveries.All() {
		if !storedStatus(d.Status) {
			return fmt.Errorf("the delivery %s has status %q, which a state file cannot hold", d.Key, d.Status)
		}
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	buf := make([]byte, 0, 1024)
	buf = append(buf, "{\n  \"version\": "...)
	buf = strconv.AppendInt(buf, Version, 10)
	buf = append(buf, ",\n  \"lineage\": "...)
	buf = appendString(buf, s.Lineage)
	buf = append(buf, ",\n  \"serial\": "...)
	buf = strconv.AppendUint(buf, s.Serial, 10)
	buf = append(buf, ",\n  \"deliveries\": ["...)
	for i, d := range s.Sorted() {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, "\n    "...)
		buf = AppendDelivery(buf, d)
		if _, err := bw.Write(buf); err != nil {
			return err
		}
		buf = buf[:0]
	}
	if s.Deliveries.Len() > 0 {
		buf = append(buf, "\n  "...)
	}
	buf = append(buf, ']')
	if len(s.Inbound) > 0 {
		buf = append(buf, ",\n  \"inbound\": ["...)
		for i, c := range sortedInbound(s.Inbound) {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = append(buf, "\n    "...)
			buf = appendInbound(buf, c.key, c.at)
		}
		buf = append(buf, "\n  ]"...)
	}
	buf, err := appendContents(buf, s)
	if err != nil {
		return err
	}
	buf = append(buf, "\n}\n"...)
	if _, err := bw.Write(buf); err != nil {
		return err
	}
	return bw.Flush()
}
