package rules

import (
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/nyaruka/phonenumbers"
)

// CheckNumber checks a from or to number: valid E.164 for a real country
// and number plan. The number must be written exactly as E.164 ("+" and
// digits, no spaces): nothing is normalised, so that a delivery's key
// holds the number as Kaleyra reports it back.
//
// The check costs some microseconds a number even with each calling
// code's numbering plan compiled once (numberPlan) and without
// libphonenumber's Parse; a caller that sees the same numbers again uses
// RememberedCheckNumber.
func CheckNumber(field, number string) *Problem {
	return numberProblem(field, number, e164Problem(number))
}

// RememberedCheckNumber is CheckNumber, remembering for the whole process
// the numbers it finds valid: one apply checks each recipient as the
// configuration is read, again before each request in the client, and
// again in the built-in emulator, and a campaign sends each message to
// the same list. Invalid numbers are not remembered: they stop a run
// before anything is sent. It stops remembering at maxRememberedNumbers,
// so that a long run stays small. It is safe for concurrent use.
func RememberedCheckNumber(field, number string) *Problem {
	packed, ok := packNumber(number)
	if ok && validNumbers.has(packed) {
		return nil
	}
	r := e164Problem(number)
	if ok && r == "" {
		validNumbers.add(packed)
	}
	return numberProblem(field, number, r)
}

// validNumbers holds the numbers RememberedCheckNumber found valid. A
// number is kept as 8 bytes, not as its string: a map of strings cost a
// plan of a million recipients 75 MB.
var validNumbers numberSet

const maxRememberedNumbers = 2_000_000

// numberSet is a set of packed numbers, in shards so that the workers of
// an apply and the emulator's handlers seldom wait for one another.
type numberSet struct {
	count  atomic.Int64
	shards [64]numberShard
}

type numberShard struct {
	mu sync.RWMutex
	m  map[uint64]struct{}
	_  [32]byte // keeps each shard's lock on a cache line of its own
}

func (s *numberSet) shard(packed uint64) *numberShard {
	return &s.shards[(packed*0x9E3779B97F4A7C15)>>58]
}

func (s *numberSet) has(packed uint64) bool {
	sh := s.shard(packed)
	sh.mu.RLock()
	_, ok := sh.m[packed]
	sh.mu.RUnlock()
	return ok
}

func (s *numberSet) add(packed uint64) {
	if s.count.Load() >= maxRememberedNumbers {
		return
	}
	sh := s.shard(packed)
	sh.mu.Lock()
	if sh.m == nil {
		sh.m = make(map[uint64]struct{})
	}
	if _, ok := sh.m[packed]; !ok {
		sh.m[packed] = struct{}{}
		s.count.Add(1)
	}
	sh.mu.Unlock()
}

// packNumber packs "+" and 3 to 15 digits into a uint64: the digits'
// value (under 10^15, 50 bits) and their count in the low 4 bits, so that
// leading zeros still tell numbers apart. Anything else is not packed.
func packNumber(s string) (uint64, bool) {
	if len(s) < 4 || len(s) > maxE164Digits+1 || s[0] != '+' {
		return 0, false
	}
	var v uint64
	for i := 1; i < len(s); i++ {
		d := s[i] - '0'
		if d > 9 {
			return 0, false
		}
		v = v*10 + uint64(d)
	}
	return v<<4 | uint64(len(s)-1), true
}

func numberProblem(field, number, reason string) *Problem {
	if reason == "" {
		return nil
	}
	code := CodeInvalidTo
	if field == FieldFrom {
		code = CodeInvalidFrom
	}
	return &Problem{Field: field, Index: -1, Code: code, Kind: InvalidNumber, Found: number, reason: reason}
}

// maxE164Digits is E.164's limit on a number's length.
const maxE164Digits = 15

// e164Problem explains why s is not a valid E.164 number of a real country
// and number plan, or returns "" when it is one. The configuration must
// write numbers exactly as E.164 ("+" and digits, no spaces), so nothing is
// normalised.
func e164Problem(s string) string {
	if len(s) == 0 || s[0] != '+' {
		return "a number must be written in E.164 form: \"+\", the country code and the number, with no spaces, as +12025550123"
	}
	digits := s[1:]
	if len(digits) < 3 || len(digits) > maxE164Digits {
		return "an E.164 number has between 3 and 15 digits after the \"+\""
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return "a number must be written in E.164 form: \"+\" and digits only, with no spaces or punctuation"
		}
	}
	cc, nsn, ok := splitCallingCode(digits)
	if !ok {
		return "no country uses the calling code at the start of this number"
	}
	if !isValidNumber(cc, nsn) {
		return "it is not a valid number in its country's numbering plan"
	}
	return ""
}

// splitCallingCode splits digits (E.164 without the "+") into the calling
// code and the national significant number, as phonenumbers.Parse would.
// Calling codes are prefix-free, so the first 1 to 3 digits that name one
// are the calling code.
func splitCallingCode(digits string) (cc int, nsn string, ok bool) {
	for l := 1; l <= 3 && l < len(digits); l++ {
		cc, _ := strconv.Atoi(digits[:l])
		if len(phonenumbers.GetRegionCodesForCountryCode(cc)) == 0 {
			continue
		}
		nsn := digits[l:]
		if len(nsn) < phonenumbers.MIN_LENGTH_FOR_NSN || len(nsn) > phonenumbers.MAX_LENGTH_FOR_NSN {
			return 0, "", false
		}
		return cc, nsn, true
	}
	return 0, "", false
}

// phoneNumber is the PhoneNumber phonenumbers.Parse makes of "+", cc and
// nsn.
func phoneNumber(cc int, nsn string) (*phonenumbers.PhoneNumber, bool) {
	national, err := strconv.ParseUint(nsn, 10, 64)
	if err != nil {
		return nil, false
	}
	cc32 := int32(cc)
	n := &phonenumbers.PhoneNumber{CountryCode: &cc32, NationalNumber: &national}
	// Leading zeros of the national number are significant (Italy);
	// Parse records them the same way.
	if len(nsn) >= 2 && nsn[0] == '0' {
		yes := true
		n.ItalianLeadingZero = &yes
		zeros := 1
		for zeros < len(nsn)-1 && nsn[zeros] == '0' {
			zeros++
		}
		if zeros != 1 {
			z := int32(zeros)
			n.NumberOfLeadingZeros = &z
		}
	}
	return n, true
}

// isValidNumber is phonenumbers.IsValidNumber for the number "+", cc,
// nsn, by the calling code's compiled plan when it has one.
// TestE164AgreesWithParse holds the two to the same answers.
func isValidNumber(cc int, nsn string) bool {
	if p := planFor(cc); p != nil {
		return p.valid(nsn)
	}
	n, ok := phoneNumber(cc, nsn)
	return ok && phonenumbers.IsValidNumber(n)
}
