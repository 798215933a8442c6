package lang

import (
	"runtime"
	"strconv"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// numberChecker validates phone numbers, each distinct number once per Load.
// libphonenumber is slow (about 20µs a number through Parse), so the checker
// skips Parse, builds the PhoneNumber straight from the strict E.164 text,
// and validates large batches on every core.
type numberChecker struct {
	problems map[string]string // number -> "" when valid, else why not
}

func newNumberChecker() *numberChecker {
	return &numberChecker{problems: map[string]string{}}
}

// parallelThreshold is the batch size above which checking is spread over
// goroutines; below it the goroutines cost more than they save.
const parallelThreshold = 256

// prime validates every number of nums not seen before.
func (c *numberChecker) prime(nums []string) {
	var todo []string
	for _, n := range nums {
		if _, seen := c.problems[n]; !seen {
			c.problems[n] = "" // placeholder, also dedupes todo
			todo = append(todo, n)
		}
	}
	if len(todo) < parallelThreshold {
		for _, n := range todo {
			c.problems[n] = e164Problem(n)
		}
		return
	}
	results := make([]string, len(todo))
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(todo); i += workers {
				results[i] = e164Problem(todo[i])
			}
		}()
	}
	wg.Wait()
	for i, n := range todo {
		c.problems[n] = results[i]
	}
}

// problem returns why n is not a valid number, "" when it is.
func (c *numberChecker) problem(n string) string {
	p, seen := c.problems[n]
	if !seen {
		p = e164Problem(n)
		c.problems[n] = p
	}
	return p
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
