package kaleyra

import (
	"encoding/json"
	"strconv"
)

// readAnswer reads a success answer shaped exactly as Kaleyra writes one,
// several times faster than json.Unmarshal, which cost a tenth of an
// apply's CPU at one recipient a request. It gives up (ok false) on
// anything else: a key spelled otherwise (encoding/json would match it
// without regard to case), a value of another type, null, or an escape in
// a string it keeps. The caller then takes json.Unmarshal's answer, so
// that both readings agree on every body; FuzzReadAnswer holds them to it.
func readAnswer(body []byte) (a Answer, ok bool) {
	// Validity is encoding/json's to judge, so that a malformed answer is
	// refused whichever path reads it; the scan below may then assume
	// well-formed JSON.
	if !json.Valid(body) {
		return Answer{}, false
	}
	s := answerScanner{b: body}
	// encoding/json reads a repeated key over what the first left, which
	// is not copied here: seen marks the keys read.
	var seen, bit uint8
	if !s.object(func(key []byte) bool {
		switch string(key) {
		case "id":
			a.ID, ok = s.str()
			bit = 1 << 0
		case "type":
			a.Type, ok = s.str()
			bit = 1 << 1
		case "body":
			a.Body, ok = s.str()
			bit = 1 << 2
		case "createdDateTime":
			a.CreatedDateTime, ok = s.str()
			bit = 1 << 3
		case "totalCount":
			a.TotalCount, ok = s.int()
			bit = 1 << 4
		case "data":
			a.Data, ok = s.data()
			bit = 1 << 5
		case "error":
			a.Error, ok = s.raw()
			bit = 1 << 6
		default:
			return false
		}
		return firstTime(&seen, bit) && ok
	}) {
		return Answer{}, false
	}
	s.space()
	return a, s.i == len(s.b)
}

// firstTime marks bit in seen, and reports whether it was unmarked: a
// repeated key is left to encoding/json.
func firstTime(seen *uint8, bit uint8) bool {
	if *seen&bit != 0 {
		return false
	}
	*seen |= bit
	return true
}

// answerScanner walks valid JSON; each method returns false when the
// value ahead is not what readAnswer takes.
type answerScanner struct {
	b []byte
	i int
}

func (s *answerScanner) space() {
	for s.i < len(s.b) && (s.b[s.i] == ' ' || s.b[s.i] == '\t' || s.b[s.i] == '\n' || s.b[s.i] == '\r') {
		s.i++
	}
}

// peek skips white space and returns the next byte, 0 at the end.
func (s *answerScanner) peek() byte {
	s.space()
	if s.i == len(s.b) {
		return 0
	}
	return s.b[s.i]
}

// object reads an object, calling field for each key with the scanner at
// its value. Keys must be plain (no escapes). encoding/json keeps the last
// of repeated keys, and so does each field's assignment.
func (s *answerScanner) object(field func(key []byte) bool) bool {
	if s.peek() != '{' {
		return false
	}
	s.i++
	if s.peek() == '}' {
		s.i++
		return true
	}
	for {
		key, ok := s.plain()
		if !ok || s.peek() != ':' {
			return false
		}
		s.i++
		s.space()
		if !field(key) {
			return false
		}
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return true
		default:
			return false
		}
	}
}

// str reads a string of plain ASCII.
func (s *answerScanner) str() (string, bool) {
	b, ok := s.plain()
	return string(b), ok
}

// plain reads a string of ASCII with no escapes, and returns its bytes.
func (s *answerScanner) plain() ([]byte, bool) {
	if s.peek() != '"' {
		return nil, false
	}
	start := s.i + 1
	for j := start; j < len(s.b); j++ {
		switch c := s.b[j]; {
		case c == '"':
			s.i = j + 1
			return s.b[start:j], true
		case c == '\\' || c >= 0x80:
			// Escapes, and UTF-8 (which encoding/json mends when
			// invalid), are left to encoding/json.
			return nil, false
		}
	}
	return nil, false
}

// int reads an integer as encoding/json would into an int.
func (s *answerScanner) int() (int, bool) {
	s.space()
	start := s.i
	for s.i < len(s.b) && (s.b[s.i] == '-' || s.b[s.i] >= '0' && s.b[s.i] <= '9') {
		s.i++
	}
	n, err := strconv.Atoi(string(s.b[start:s.i]))
	if err != nil {
		return 0, false
	}
	// A fraction or an exponent ahead: not an int as written.
	if c := s.peek(); c != ',' && c != '}' {
		return 0, false
	}
	return n, true
}

// data reads the array of recipients.
func (s *answerScanner) data() ([]AnswerMessage, bool) {
	if s.peek() != '[' {
		return nil, false
	}
	s.i++
	out := []AnswerMessage{}
	if s.peek() == ']' {
		s.i++
		return out, true
	}
	for {
		var m AnswerMessage
		var seen, bit uint8
		ok := s.object(func(key []byte) bool {
			var ok bool
			switch string(key) {
			case "message_id":
				m.MessageID, ok = s.str()
				bit = 1
			case "recipient":
				m.Recipient, ok = s.str()
				bit = 2
			default:
				return false
			}
			return firstTime(&seen, bit) && ok
		})
		if !ok {
			return nil, false
		}
		out = append(out, m)
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			return out, true
		default:
			return nil, false
		}
	}
}

// raw reads an object, an array or a string whole, as a json.RawMessage
// holds it. The input is valid, so only strings need care: brackets inside
// them do not count.
func (s *answerScanner) raw() (json.RawMessage, bool) {
	if c := s.peek(); c != '{' && c != '[' && c != '"' {
		return nil, false
	}
	start, depth := s.i, 0
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case '"':
			for s.i++; s.i < len(s.b) && s.b[s.i] != '"'; s.i++ {
				if s.b[s.i] == '\\' {
					s.i++
				}
			}
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		}
		s.i++
		if depth == 0 {
			return json.RawMessage(append([]byte(nil), s.b[start:s.i]...)), true
		}
	}
	return nil, false
}
