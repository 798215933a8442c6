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
// libphonenumber is slow (some microseconds a number even without Parse,
// which the check skips by building the PhoneNumber straight from the
// strict E.164 text); a caller that sees the same numbers again uses
// RememberedCheckNumber.
func CheckNumber(field, number string) *Problem {
	return numberProblem(field, number, e164Problem(number))
}

// RememberedCheckNumber is CheckNumber, remembering the verdicts for the
// whole process: one apply checks each recipient before each request, in
// the client and again in the built-in emulator, and a campaign sends each
// message to the same list. It stops remembering at maxCachedNumbers
// numbers, so that a long run stays small. It is safe for concurrent use.
func RememberedCheckNumber(field, number string) *Problem {
	if r, ok := verdicts.Load(number); ok {
		return numberProblem(field, number, r.(string))
	}
	r := e164Problem(number)
	if verdictCount.Load() < maxCachedNumbers {
		if _, loaded := verdicts.LoadOrStore(number, r); !loaded {
			verdictCount.Add(1)
		}
	}
	return numberProblem(field, number, r)
}

var (
	verdicts     sync.Map // number -> why it is invalid, "" when valid
	verdictCount atomic.Int64
)

const maxCachedNumbers = 200_000

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
	num, ok := e164Number(digits)
	if !ok {
		return "no country uses the calling code at the start of this number"
	}
	if !isValidNumber(num) {
		return "it is not a valid number in its country's numbering plan"
	}
	return ""
}

// e164Number builds the PhoneNumber for digits (E.164 without the "+"), as
// phonenumbers.Parse would from "+" + digits. Calling codes are prefix-free,
// so the first 1 to 3 digits that name one are the calling code.
func e164Number(digits string) (*phonenumbers.PhoneNumber, bool) {
	for l := 1; l <= 3 && l < len(digits); l++ {
		cc, _ := strconv.Atoi(digits[:l])
		if len(phonenumbers.GetRegionCodesForCountryCode(cc)) == 0 {
			continue
		}
		nsn := digits[l:]
		if len(nsn) < phonenumbers.MIN_LENGTH_FOR_NSN || len(nsn) > phonenumbers.MAX_LENGTH_FOR_NSN {
			return nil, false
		}
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
	return nil, false
}

// isValidNumber is phonenumbers.IsValidNumber, about twice as fast for most
// numbers. IsValidNumber first finds the number's region by trying each
// region of its calling code in turn, then validates it for that region,
// so a number of the main region is checked twice. A number valid for the
// main region is found there first (main regions have no leading-digits
// rule), so checking the main region alone settles it; anything else takes
// the full path. TestE164AgreesWithParse holds the two to the same answers.
func isValidNumber(n *phonenumbers.PhoneNumber) bool {
	main := phonenumbers.GetRegionCodeForCountryCode(int(n.GetCountryCode()))
	if main != "001" && phonenumbers.IsValidNumberForRegion(n, main) {
		return true
	}
	return phonenumbers.IsValidNumber(n)
}
