package statefile

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/crc32"

	"github.com/heraldhq/herald/internal/receipts"
)

// A receipts journal is JSON lines, one event of Kaleyra's callbacks per
// line, each carrying a CRC-32C of its event's bytes:
//
//	{"receipt":1,"crc32c":"5b1c03e2","event":{"kind":"status","message_id":"...",...}}
//
// Lines are appended by any number of listeners at once, each line whole
// in one write, and never rewritten. A crash can only tear the lines at
// the end, which ParseReceipts then ignores; the checksum tells a torn
// line that happens to end in a newline (a power loss can leave one) from
// a whole one.

// ReceiptsVersion is the receipts journal's line format version.
const ReceiptsVersion = 1

const (
	receiptPrefix = `{"receipt":1,"crc32c":"`
	receiptMiddle = `","event":`
	receiptSuffix = "}\n"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// AppendReceipt appends e as one receipts journal line, newline included.
func AppendReceipt(dst []byte, e *receipts.Event) ([]byte, error) {
	ev, err := json.Marshal(e)
	if err != nil {
		return dst, err
	}
	dst = append(dst, receiptPrefix...)
	var sum [4]byte
	c := crc32.Checksum(ev, castagnoli)
	sum[0], sum[1], sum[2], sum[3] = byte(c>>24), byte(c>>16), byte(c>>8), byte(c)
	dst = hex.AppendEncode(dst, sum[:])
	dst = append(dst, receiptMiddle...)
	dst = append(dst, ev...)
	return append(dst, receiptSuffix...), nil
}

// Receipts is a decoded receipts journal.
type Receipts struct {
	Events []receipts.Event
	// Complete is the length of the leading whole lines. What follows is a
	// torn tail: lines a crash cut short (or left as zeros), none of
	// which was reported durable; TornLine is its first line's number
	// (0: none).
	Complete int
	TornLine int
}

// ParseReceipts decodes a receipts journal. Lines that fail their check
// at the end of data are the torn tail; one followed by a whole line is
// damage a crash cannot explain, and an error naming its line.
func ParseReceipts(data []byte) (*Receipts, error) {
	r := &Receipts{}
	var bad error
	badLine, badStart := 0, 0
	for pos, line := 0, 1; pos < len(data); line++ {
		end := bytes.IndexByte(data[pos:], '\n')
		var text []byte
		if end < 0 {
			text, end = data[pos:], len(data)
		} else {
			end += pos + 1
			text = data[pos:end]
		}
		e, err := parseReceiptLine(text)
		if err != nil {
			if bad == nil {
				bad, badLine, badStart = err, line, pos
			}
		} else {
			if bad != nil {
				return nil, &SyntaxError{Line: badLine, Column: 1, Msg: bad.Error() + ", and whole lines follow it, so it is not a write a crash cut short"}
			}
			r.Events = append(r.Events, e)
		}
		pos = end
	}
	r.Complete = len(data)
	if bad != nil {
		r.Complete, r.TornLine = badStart, badLine
	}
	return r, nil
}

// parseReceiptLine decodes one line, newline included.
func parseReceiptLine(text []byte) (receipts.Event, error) {
	var e receipts.Event
	rest, ok := bytes.CutPrefix(text, []byte(receiptPrefix))
	if !ok {
		if bytes.HasPrefix(text, []byte(`{"receipt":`)) {
			return e, fmt.Errorf("the line is not of receipts journal format version %d, the only one this herald knows", ReceiptsVersion)
		}
		return e, fmt.Errorf("the line is not a receipts journal line")
	}
	if len(rest) < 8 {
		return e, fmt.Errorf("the line is cut short")
	}
	var sum [4]byte
	if _, err := hex.Decode(sum[:], rest[:8]); err != nil {
		return e, fmt.Errorf("the line's checksum is not hexadecimal")
	}
	rest, ok = bytes.CutPrefix(rest[8:], []byte(receiptMiddle))
	if !ok {
		return e, fmt.Errorf("the line has no event after its checksum")
	}
	ev, ok := bytes.CutSuffix(rest, []byte(receiptSuffix))
	if !ok {
		return e, fmt.Errorf("the line is cut short")
	}
	want := uint32(sum[0])<<24 | uint32(sum[1])<<16 | uint32(sum[2])<<8 | uint32(sum[3])
	if crc32.Checksum(ev, castagnoli) != want {
		return e, fmt.Errorf("the line's checksum does not match its event")
	}
	if err := json.Unmarshal(ev, &e); err != nil {
		return e, fmt.Errorf("the line's event does not decode: %v", err)
	}
	return e, nil
}
