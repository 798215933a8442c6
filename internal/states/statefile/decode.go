package statefile

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/heraldhq/herald/internal/delivery"
	"github.com/heraldhq/herald/internal/states"
)

// SyntaxError is a state or journal file that is not what herald wrote: bad
// JSON, a missing or unknown field, a duplicate record. Line and Column
// (from 1) point at the offending byte.
type SyntaxError struct {
	Line, Column int
	Msg          string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
}

// decoder is a small JSON reader for the two shapes herald stores, the
// state document and the journal lines, decoding straight into
// states.Delivery.
//
// encoding/json would do, but it needs about a second for the state of a
// 100,000-recipient campaign, which is the whole budget of a no-change
// plan; this reader is several times faster and interns the strings that
// repeat across records (channel, sender, ref fields, address, digest), so
// the decoded state is also smaller. TestParseMatchesEncodingJSON and
// FuzzParse keep it in agreement with encoding/json.
type decoder struct {
	data []byte
	pos  int
	// src, when not nil, is where data comes from a window at a time (see
	// refill); eof is set once it has given all it has.
	src     io.Reader
	eof     bool
	readErr error
	intern  map[string]string
	scratch []byte
	// last holds the previous record's value of each interned field.
	last struct {
		channel, sender, ref, ref1, ref2   string
		address, digest, status, requestID string
		errorCode, errorText               string
		receiptStatus                      string
	}
}

func newDecoder(data []byte) *decoder {
	return &decoder{data: data, intern: make(map[string]string)}
}

// Streaming: the window holds windowSize bytes, and is refilled before
// each element of an array whenever fewer than refillAt bytes are left
// ahead, so an element up to refillAt long always lies whole in it. A
// record is a few hundred bytes; a longer element, like any error, fails
// the streaming decode, and Read then decodes the file from memory.
//
// These and the parallel decode's sizes are variables only so that a test
// can make them small, and put the windows' edges everywhere in a file of
// a few kilobytes (shrinkWindows in differential_test.go).
var (
	windowSize = 4 << 20
	refillAt   = 1 << 20
)

// newStreamDecoder reads from src through a window.
func newStreamDecoder(src io.Reader) *decoder {
	d := &decoder{src: src, data: make([]byte, 0, windowSize), intern: make(map[string]string)}
	d.refill()
	return d
}

// refill moves what is left of the window to its start and reads after
// it. Positions taken before a refill are then wrong, which only matters
// to errors: a streaming decode that fails is done again from memory. It
// must run only where no slice of the window is held: between elements.
func (d *decoder) refill() {
	if d.src == nil || d.eof || len(d.data)-d.pos >= refillAt {
		return
	}
	d.readInto(d.data[:cap(d.data)])
}

// readInto makes buf the window: what is left of the window is copied to
// its start, and the rest is read from the source. buf may be the window
// itself.
func (d *decoder) readInto(buf []byte) {
	buf = buf[:cap(buf)]
	n := copy(buf, d.data[d.pos:])
	for n < len(buf) {
		m, err := d.src.Read(buf[n:])
		n += m
		if err == io.EOF {
			d.eof = true
			break
		}
		if err != nil {
			d.readErr, d.eof = err, true
			break
		}
	}
	d.data, d.pos = buf[:n], 0
}

// errorAt returns a SyntaxError for the byte at offset pos.
func (d *decoder) errorAt(pos int, format string, args ...any) error {
	if pos > len(d.data) {
		pos = len(d.data)
	}
	before := d.data[:pos]
	line := bytes.Count(before, []byte{'\n'}) + 1
	col := pos - bytes.LastIndexByte(before, '\n')
	return &SyntaxError{Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}
}

func (d *decoder) ws() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// unexpected describes what stands at the current position, for errors.
func (d *decoder) unexpected(want string) error {
	if d.pos >= len(d.data) {
		return d.errorAt(d.pos, "unexpected end of file; expected %s", want)
	}
	return d.errorAt(d.pos, "unexpected %q; expected %s", d.data[d.pos], want)
}

func (d *decoder) expect(c byte, want string) error {
	d.ws()
	if d.pos < len(d.data) && d.data[d.pos] == c {
		d.pos++
		return nil
	}
	return d.unexpected(want)
}

// object reads a JSON object, calling member for each member name with the
// decoder positioned at its value. The name is only valid until the
// callback reads a string.
func (d *decoder) object(what string, member func(name []byte, namePos int) error) error {
	if err := d.expect('{', what); err != nil {
		return err
	}
	d.ws()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		return nil
	}
	for {
		d.ws()
		namePos := d.pos
		if d.pos >= len(d.data) || d.data[d.pos] != '"' {
			return d.unexpected("a field name in double quotes")
		}
		name, err := d.str()
		if err != nil {
			return err
		}
		if err := d.expect(':', `":" after the field name`); err != nil {
			return err
		}
		d.ws()
		if err := member(name, namePos); err != nil {
			return err
		}
		d.ws()
		if d.pos < len(d.data) {
			switch d.data[d.pos] {
			case ',':
				d.pos++
				continue
			case '}':
				d.pos++
				return nil
			}
		}
		return d.unexpected(`"," or "}"`)
	}
}

// array reads a JSON array, calling elem with the decoder at each element.
func (d *decoder) array(what string, elem func() error) error {
	if err := d.expect('[', what); err != nil {
		return err
	}
	d.ws()
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		return nil
	}
	for {
		d.refill()
		d.ws()
		if err := elem(); err != nil {
			return err
		}
		d.ws()
		if d.pos < len(d.data) {
			switch d.data[d.pos] {
			case ',':
				d.pos++
				continue
			case ']':
				d.pos++
				return nil
			}
		}
		return d.unexpected(`"," or "]"`)
	}
}

// str reads a JSON string and returns its decoded bytes, which alias the
// input or the decoder's scratch buffer: copy them before the next call.
func (d *decoder) str() ([]byte, error) {
	if d.pos >= len(d.data) || d.data[d.pos] != '"' {
		return nil, d.unexpected("a string in double quotes")
	}
	d.pos++
	start := d.pos
	// Fast path: plain ASCII without escapes, as herald writes it, eight
	// bytes at a time while none of them needs a look; then byte by byte.
	i := start
	for i+8 <= len(d.data) && plainWord(binary.LittleEndian.Uint64(d.data[i:])) {
		i += 8
	}
	for ; i < len(d.data); i++ {
		if c := d.data[i]; plainASCII[c] {
			continue
		} else if c == '"' {
			d.pos = i + 1
			return d.data[start:i], nil
		}
		d.pos = i
		return d.strSlow(start)
	}
	return nil, d.errorAt(start-1, "string not terminated")
}

// plainWord reports whether the eight bytes packed in x are all plainASCII,
// by the bit tricks of "Bit Twiddling Hacks" (haszero, hasless): no byte
// under 0x20, none from 0x80, and none that is '"' or '\\'. The answer is
// exact: a subtraction's borrow, which can mark the wrong byte, only
// starts at a byte that matched.
func plainWord(x uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	hasZero := func(v uint64) uint64 { return (v - ones) & ^v & highs }
	control := (x - ones*0x20) & ^x & highs
	return control|x&highs|hasZero(x^(ones*'"'))|hasZero(x^(ones*'\\')) == 0
}

// plainASCII marks the bytes a string's fast path copies as they are.
var plainASCII = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// strSlow decodes escapes and non-ASCII text the way encoding/json does:
// invalid UTF-8 and lone surrogates become U+FFFD.
func (d *decoder) strSlow(start int) ([]byte, error) {
	out := append(d.scratch[:0], d.data[start:d.pos]...)
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		switch {
		case c == '"':
			d.pos++
			d.scratch = out
			return out, nil
		case c < 0x20:
			return nil, d.errorAt(d.pos, "control character %q in a string; it must be escaped", c)
		case c == '\\':
			if d.pos+1 >= len(d.data) {
				return nil, d.errorAt(start-1, "string not terminated")
			}
			esc := d.data[d.pos+1]
			d.pos += 2
			switch esc {
			case '"', '\\', '/':
				out = append(out, esc)
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				r, ok := d.hex4(d.pos)
				if !ok {
					return nil, d.errorAt(d.pos-2, `invalid \u escape; expected four hex digits`)
				}
				d.pos += 4
				if utf16.IsSurrogate(r) {
					r2, ok := rune(-1), false
					if d.pos+1 < len(d.data) && d.data[d.pos] == '\\' && d.data[d.pos+1] == 'u' {
						r2, ok = d.hex4(d.pos + 2)
					}
					if dec := utf16.DecodeRune(r, r2); ok && dec != utf8.RuneError {
						d.pos += 6
						r = dec
					} else {
						r = utf8.RuneError
					}
				}
				out = utf8.AppendRune(out, r)
			default:
				return nil, d.errorAt(d.pos-2, "invalid escape %q in a string", "\\"+string(esc))
			}
		case c < utf8.RuneSelf:
			out = append(out, c)
			d.pos++
		default:
			r, size := utf8.DecodeRune(d.data[d.pos:])
			if r == utf8.RuneError && size == 1 {
				out = utf8.AppendRune(out, utf8.RuneError)
			} else {
				out = append(out, d.data[d.pos:d.pos+size]...)
			}
			d.pos += size
		}
	}
	return nil, d.errorAt(start-1, "string not terminated")
}

func (d *decoder) hex4(at int) (rune, bool) {
	if at+4 > len(d.data) {
		return 0, false
	}
	var r rune
	for _, c := range d.data[at : at+4] {
		var v byte
		switch {
		case c >= '0' && c <= '9':
			v = c - '0'
		case c >= 'a' && c <= 'f':
			v = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			v = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(v)
	}
	return r, true
}

// internedStr reads a string that is likely to repeat across records and
// returns one shared copy of it. last is the field's previous value:
// consecutive records mostly share it, and comparing is cheaper than
// hashing.
func (d *decoder) internedStr(last *string) (string, error) {
	b, err := d.str()
	if err != nil {
		return "", err
	}
	if string(b) == *last {
		return *last, nil
	}
	s, ok := d.intern[string(b)]
	if !ok {
		s = string(b)
		d.intern[s] = s
	}
	*last = s
	return s, nil
}

func (d *decoder) plainStr() (string, error) {
	b, err := d.str()
	return string(b), err
}

// uint reads a non-negative whole number.
func (d *decoder) uint(max uint64) (uint64, error) {
	start := d.pos
	for d.pos < len(d.data) && d.data[d.pos] >= '0' && d.data[d.pos] <= '9' {
		d.pos++
	}
	digits := d.data[start:d.pos]
	if len(digits) == 0 || (len(digits) > 1 && digits[0] == '0') ||
		(d.pos < len(d.data) && (d.data[d.pos] == '.' || d.data[d.pos] == 'e' || d.data[d.pos] == 'E')) {
		d.pos = start
		return 0, d.unexpected("a whole number of 0 or more")
	}
	n, err := strconv.ParseUint(string(digits), 10, 64)
	if err != nil || n > max {
		return 0, d.errorAt(start, "number %s is too large", digits)
	}
	return n, nil
}

func (d *decoder) time() (time.Time, error) {
	pos := d.pos
	b, err := d.str()
	if err != nil {
		return time.Time{}, err
	}
	t, ok := parseUTC(b)
	if ok {
		return t, nil
	}
	t, err = time.Parse(time.RFC3339Nano, string(b))
	if err != nil {
		return time.Time{}, d.errorAt(pos, "invalid time %q; expected RFC 3339, such as 2026-01-02T15:04:05Z", b)
	}
	return t, nil
}

// parseUTC reads the times herald writes, in UTC ("2026-01-02T15:04:05Z"
// with up to nine digits of fraction), as time.Parse would, several times
// faster: a state holds two a delivery. Anything else, a date out of range
// included, is left to time.Parse (ok false).
func parseUTC(b []byte) (t time.Time, ok bool) {
	if len(b) < len("2006-01-02T15:04:05Z") || b[4] != '-' || b[7] != '-' || b[10] != 'T' ||
		b[13] != ':' || b[16] != ':' || b[len(b)-1] != 'Z' {
		return time.Time{}, false
	}
	num := func(from, to int) int {
		n := 0
		for _, c := range b[from:to] {
			if c < '0' || c > '9' {
				return -1
			}
			n = n*10 + int(c-'0')
		}
		return n
	}
	year, month, day := num(0, 4), num(5, 7), num(8, 10)
	hour, minute, second := num(11, 13), num(14, 16), num(17, 19)
	nanos := 0
	if frac := b[19 : len(b)-1]; len(frac) > 0 {
		if len(frac) < 2 || len(frac) > 10 || frac[0] != '.' {
			return time.Time{}, false
		}
		if nanos = num(20, len(b)-1); nanos < 0 {
			return time.Time{}, false
		}
		for range 10 - len(frac) {
			nanos *= 10
		}
	}
	if year < 0 || month < 1 || month > 12 || day < 1 || day > daysIn(month, year) ||
		hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59 {
		return time.Time{}, false
	}
	// time.Unix(...).UTC() is the very value time.Date(..., time.UTC)
	// makes, for a fraction of what time.Date's normalising costs.
	sec := daysSinceEpoch(year, month, day)*86400 + int64(hour*3600+minute*60+second)
	return time.Unix(sec, int64(nanos)).UTC(), true
}

// daysIn is the number of days in month of year, in the proleptic
// Gregorian calendar that package time uses.
func daysIn(month, year int) int {
	if month == 2 {
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	}
	return 30 + (month+month/8)%2
}

// daysSinceEpoch counts the days from 1970-01-01 to a date of that
// calendar, by Howard Hinnant's days_from_civil: years are counted from
// March, so that a leap day ends its year, in eras of 400 years.
func daysSinceEpoch(year, month, day int) int64 {
	if month <= 2 {
		year--
	}
	era := year
	if era < 0 {
		era -= 399
	}
	era /= 400
	yoe := year - era*400                     // [0, 399]
	doy := (153*((month+9)%12)+2)/5 + day - 1 // [0, 365]
	doe := yoe*365 + yoe/4 - yoe/100 + doy    // [0, 146096]
	return int64(era)*146097 + int64(doe) - 719468
}

// Fields of a delivery record, as bits for spotting missing and repeated
// ones.
const (
	fieldKey = 1 << iota
	fieldAddress
	fieldDigest
	fieldStatus
	fieldRequestID
	fieldMessageID
	fieldErrorCode
	fieldErrorText
	fieldAttempts
	fieldFirstAttempt
	fieldUpdated
	fieldReceipt

	requiredFields = fieldKey | fieldAddress | fieldDigest | fieldStatus | fieldAttempts | fieldFirstAttempt | fieldUpdated
)

var deliveryFieldNames = []string{
	"key", "address", "digest", "status", "request_id", "message_id",
	"error_code", "error_text", "attempts", "first_attempt_at", "updated_at",
	"receipt",
}

// delivery reads one delivery record into out. validStatus says which
// statuses the file may hold.
func (d *decoder) delivery(out *states.Delivery, validStatus func(states.Status) bool) error {
	start := d.pos
	var seen int
	err := d.object("a delivery object", func(name []byte, namePos int) error {
		var bit int
		var err error
		switch string(name) {
		case "key":
			bit = fieldKey
			err = d.key(&out.Key)
		case "address":
			bit = fieldAddress
			out.Address, err = d.internedStr(&d.last.address)
		case "digest":
			bit = fieldDigest
			var s string
			s, err = d.internedStr(&d.last.digest)
			out.Digest = delivery.Digest(s)
		case "status":
			bit = fieldStatus
			pos := d.pos
			var s string
			s, err = d.internedStr(&d.last.status)
			out.Status = states.Status(s)
			if err == nil && !validStatus(out.Status) {
				err = d.errorAt(pos, "unknown delivery status %q", s)
			}
		case "request_id":
			// Interned: a batched request shares its ID among recipients.
			bit = fieldRequestID
			out.RequestID, err = d.internedStr(&d.last.requestID)
		case "message_id":
			bit = fieldMessageID
			out.MessageID, err = d.plainStr()
		case "error_code":
			bit = fieldErrorCode
			out.ErrorCode, err = d.internedStr(&d.last.errorCode)
		case "error_text":
			bit = fieldErrorText
			out.ErrorText, err = d.internedStr(&d.last.errorText)
		case "attempts":
			bit = fieldAttempts
			var n uint64
			n, err = d.uint(1 << 31)
			out.Attempts = int(n)
		case "first_attempt_at":
			bit = fieldFirstAttempt
			out.FirstSent, err = d.time()
		case "updated_at":
			bit = fieldUpdated
			out.UpdatedAt, err = d.time()
		case "receipt":
			bit = fieldReceipt
			out.Receipt = new(states.Receipt)
			err = d.receipt(out.Receipt)
		default:
			return d.errorAt(namePos, "unknown field %q in a delivery", name)
		}
		if seen&bit != 0 {
			return d.errorAt(namePos, "field %q appears twice in a delivery", deliveryFieldNames[bits.TrailingZeros(uint(bit))])
		}
		seen |= bit
		return err
	})
	if err != nil {
		return err
	}
	if missing := requiredFields &^ seen; missing != 0 {
		return d.errorAt(start, "delivery has no %q field", firstField(missing, deliveryFieldNames))
	}
	return nil
}

const (
	keyChannel = 1 << iota
	keySender
	keyRecipient
	keyRef
	keyRef1
	keyRef2

	requiredKeyFields = keyChannel | keySender | keyRecipient | keyRef
)

var keyFieldNames = []string{"channel", "sender", "recipient", "ref", "ref1", "ref2"}

func (d *decoder) key(out *delivery.Key) error {
	start := d.pos
	var seen int
	err := d.object("a key object", func(name []byte, namePos int) error {
		var bit int
		var err error
		switch string(name) {
		case "channel":
			bit = keyChannel
			out.Channel, err = d.internedStr(&d.last.channel)
		case "sender":
			bit = keySender
			pos := d.pos
			if out.Sender, err = d.internedStr(&d.last.sender); err == nil && !IsE164(out.Sender) {
				err = d.numberError(pos, "sender", out.Sender)
			}
		case "recipient":
			bit = keyRecipient
			pos := d.pos
			if out.Recipient, err = d.plainStr(); err == nil && !IsE164(out.Recipient) {
				err = d.numberError(pos, "recipient", out.Recipient)
			}
		case "ref":
			bit = keyRef
			out.Ref, err = d.internedStr(&d.last.ref)
		case "ref1":
			bit = keyRef1
			out.Ref1, err = d.internedStr(&d.last.ref1)
		case "ref2":
			bit = keyRef2
			out.Ref2, err = d.internedStr(&d.last.ref2)
		default:
			return d.errorAt(namePos, "unknown field %q in a delivery key", name)
		}
		if seen&bit != 0 {
			return d.errorAt(namePos, "field %q appears twice in a delivery key", keyFieldNames[bits.TrailingZeros(uint(bit))])
		}
		seen |= bit
		return err
	})
	if err != nil {
		return err
	}
	if missing := requiredKeyFields &^ seen; missing != 0 {
		return d.errorAt(start, "delivery key has no %q field", firstField(missing, keyFieldNames))
	}
	return nil
}

// IsE164 reports whether s is written as herald writes every number: "+",
// a non-zero digit, then up to 14 more digits. It checks the form only:
// the number plan was checked when the delivery was configured.
func IsE164(s string) bool {
	if len(s) < 2 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// numberError refuses a number that herald never writes: keys are compared
// exactly, so a record whose number was edited by hand would match no
// delivery, and the real number would be sent to again.
func (d *decoder) numberError(pos int, field, number string) error {
	return d.errorAt(pos, "the %s %q is not an E.164 number as herald writes them (\"+\" and digits only, as \"+12025550123\"); the record would match no delivery and that number would be sent to again. Write it in that form", field, number)
}

func firstField(set int, names []string) string {
	for i, n := range names {
		if set&(1<<i) != 0 {
			return n
		}
	}
	return "?"
}

const (
	receiptStatus = 1 << iota
	receiptErrorCode
	receiptErrorText
	receiptAt

	requiredReceiptFields = receiptStatus | receiptAt
)

var receiptFieldNames = []string{"status", "error_code", "error_text", "at"}

// receipt reads what the delivery callbacks reported of a delivery.
func (d *decoder) receipt(out *states.Receipt) error {
	start := d.pos
	var seen int
	err := d.object("a receipt object", func(name []byte, namePos int) error {
		var bit int
		var err error
		switch string(name) {
		case "status":
			bit = receiptStatus
			pos := d.pos
			var s string
			s, err = d.internedStr(&d.last.receiptStatus)
			out.Status = states.ReceiptStatus(s)
			if err == nil && !states.KnownReceiptStatus(out.Status) {
				err = d.errorAt(pos, "unknown receipt status %q", s)
			}
		case "error_code":
			bit = receiptErrorCode
			out.ErrorCode, err = d.internedStr(&d.last.errorCode)
		case "error_text":
			bit = receiptErrorText
			out.ErrorText, err = d.internedStr(&d.last.errorText)
		case "at":
			bit = receiptAt
			out.At, err = d.time()
		default:
			return d.errorAt(namePos, "unknown field %q in a receipt", name)
		}
		if seen&bit != 0 {
			return d.errorAt(namePos, "field %q appears twice in a receipt", receiptFieldNames[bits.TrailingZeros(uint(bit))])
		}
		seen |= bit
		return err
	})
	if err != nil {
		return err
	}
	if missing := requiredReceiptFields &^ seen; missing != 0 {
		return d.errorAt(start, "receipt has no %q field", firstField(missing, receiptFieldNames))
	}
	return nil
}

const (
	inboundSender = 1 << iota
	inboundRecipient
	inboundAt

	requiredInboundFields = inboundSender | inboundRecipient | inboundAt
)

var inboundFieldNames = []string{"sender", "recipient", "at"}

// inbound reads one conversation into st.Inbound.
func (d *decoder) inbound(st *states.State) error {
	start := d.pos
	var (
		seen int
		k    states.InboundKey
		at   time.Time
	)
	err := d.object("an inbound object", func(name []byte, namePos int) error {
		var bit int
		var err error
		switch string(name) {
		case "sender":
			bit = inboundSender
			pos := d.pos
			if k.Sender, err = d.internedStr(&d.last.sender); err == nil && !IsE164(k.Sender) {
				err = d.numberError(pos, "sender", k.Sender)
			}
		case "recipient":
			bit = inboundRecipient
			pos := d.pos
			if k.Recipient, err = d.plainStr(); err == nil && !IsE164(k.Recipient) {
				err = d.numberError(pos, "recipient", k.Recipient)
			}
		case "at":
			bit = inboundAt
			at, err = d.time()
		default:
			return d.errorAt(namePos, "unknown field %q in an inbound conversation", name)
		}
		if seen&bit != 0 {
			return d.errorAt(namePos, "field %q appears twice in an inbound conversation", inboundFieldNames[bits.TrailingZeros(uint(bit))])
		}
		seen |= bit
		return err
	})
	if err != nil {
		return err
	}
	if missing := requiredInboundFields &^ seen; missing != 0 {
		return d.errorAt(start, "inbound conversation has no %q field", firstField(missing, inboundFieldNames))
	}
	if st.Inbound == nil {
		st.Inbound = make(map[states.InboundKey]time.Time)
	}
	if _, dup := st.Inbound[k]; dup {
		return d.errorAt(start, "the conversation of %s with %s appears twice", k.Recipient, k.Sender)
	}
	st.Inbound[k] = at
	return nil
}
