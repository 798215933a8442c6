package statefile

import (
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/heraldhq/herald/internal/states"
)

// AppendDelivery appends d as one line of compact JSON (without a newline),
// field for field what encoding/json would write for states.Delivery.
//
// It is hand-written because the state of a large campaign holds hundreds
// of thousands of records and reflection-based encoding costs several times
// more; TestAppendDeliveryMatchesEncodingJSON keeps the two in step.
func AppendDelivery(dst []byte, d *states.Delivery) []byte {
	dst = append(dst, `{"key":{"channel":`...)
	dst = appendString(dst, d.Key.Channel)
	dst = append(dst, `,"sender":`...)
	dst = appendString(dst, d.Key.Sender)
	dst = append(dst, `,"recipient":`...)
	dst = appendString(dst, d.Key.Recipient)
	dst = append(dst, `,"ref":`...)
	dst = appendString(dst, d.Key.Ref)
	dst = appendOptional(dst, `,"ref1":`, d.Key.Ref1)
	dst = appendOptional(dst, `,"ref2":`, d.Key.Ref2)
	dst = append(dst, `},"address":`...)
	dst = appendString(dst, d.Address)
	dst = append(dst, `,"digest":`...)
	dst = appendString(dst, string(d.Digest))
	dst = append(dst, `,"status":`...)
	dst = appendString(dst, string(d.Status))
	dst = appendOptional(dst, `,"request_id":`, d.RequestID)
	dst = appendOptional(dst, `,"message_id":`, d.MessageID)
	dst = appendOptional(dst, `,"error_code":`, d.ErrorCode)
	dst = appendOptional(dst, `,"error_text":`, d.ErrorText)
	dst = append(dst, `,"attempts":`...)
	dst = strconv.AppendInt(dst, int64(d.Attempts), 10)
	dst = append(dst, `,"first_attempt_at":`...)
	dst = appendTime(dst, d.FirstSent)
	dst = append(dst, `,"updated_at":`...)
	dst = appendTime(dst, d.UpdatedAt)
	if r := d.Receipt; r != nil {
		dst = append(dst, `,"receipt":{"status":`...)
		dst = appendString(dst, string(r.Status))
		dst = appendOptional(dst, `,"error_code":`, r.ErrorCode)
		dst = appendOptional(dst, `,"error_text":`, r.ErrorText)
		dst = append(dst, `,"at":`...)
		dst = appendTime(dst, r.At)
		dst = append(dst, '}')
	}
	return append(dst, '}')
}

// inboundEntry is one conversation of State.Inbound, for writing in order.
type inboundEntry struct {
	key states.InboundKey
	at  time.Time
}

// sortedInbound orders the conversations by sender, then recipient, so
// that the file diffs well.
func sortedInbound(m map[states.InboundKey]time.Time) []inboundEntry {
	out := make([]inboundEntry, 0, len(m))
	for k, at := range m {
		out = append(out, inboundEntry{k, at})
	}
	slices.SortFunc(out, func(a, b inboundEntry) int {
		if c := strings.Compare(a.key.Sender, b.key.Sender); c != 0 {
			return c
		}
		return strings.Compare(a.key.Recipient, b.key.Recipient)
	})
	return out
}

// appendInbound appends one conversation as compact JSON.
func appendInbound(dst []byte, k states.InboundKey, at time.Time) []byte {
	dst = append(dst, `{"sender":`...)
	dst = appendString(dst, k.Sender)
	dst = append(dst, `,"recipient":`...)
	dst = appendString(dst, k.Recipient)
	dst = append(dst, `,"at":`...)
	dst = appendTime(dst, at)
	return append(dst, '}')
}

func appendOptional(dst []byte, name, s string) []byte {
	if s == "" {
		return dst
	}
	return appendString(append(dst, name...), s)
}

func appendTime(dst []byte, t time.Time) []byte {
	dst = append(dst, '"')
	dst = t.AppendFormat(dst, time.RFC3339Nano)
	return append(dst, '"')
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string with encoding/json's escaping:
// quotes, backslashes and control characters escaped; <, > and & as \u00XX
// so the file is safe to embed in HTML; U+2028 and U+2029 escaped for
// JavaScript; invalid UTF-8 replaced by U+FFFD.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
