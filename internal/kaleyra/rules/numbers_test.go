package rules

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

// TestE164AgreesWithParse checks the fast path against libphonenumber's own
// Parse, IsValidNumber and E.164 formatting on fixed and random numbers.
func TestE164AgreesWithParse(t *testing.T) {
	inputs := []string{
		"+12025550100", "+12025550123", "+919876543210", "+447700900123", "+447911123456",
		"+390612345678", "+39061234567", "+3933812345678", "+4930123456", "+33612345678",
		"+8613800138000", "+5511987654321", "+61412345678", "+80012345678", "+882393000000",
		"+1", "+12", "+0123", "+999123456", "+12025550100123456", "+2025550100", "+14155552671",
	}
	r := rand.New(rand.NewSource(1))
	for range 3000 {
		cc := []int{1, 7, 20, 33, 39, 44, 49, 55, 61, 81, 86, 91, 234, 352, 880, 971}[r.Intn(16)]
		n := fmt.Sprintf("+%d%d", cc, r.Int63n(1e11))
		if r.Intn(4) == 0 {
			n = fmt.Sprintf("+%d0%d", cc, r.Int63n(1e9))
		}
		inputs = append(inputs, n)
	}
	// Every region's example numbers, of every type, and their neighbours;
	// and random numbers of every length under each region's calling code,
	// most of them invalid, some valid in a region other than the main one.
	for region := range phonenumbers.GetSupportedRegions() {
		cc := phonenumbers.GetCountryCodeForRegion(region)
		for l := 4; l <= 13; l++ {
			for range 4 {
				inputs = append(inputs, fmt.Sprintf("+%d%0*d", cc, l, r.Int63n(int64(math.Pow10(l)))))
			}
		}
		for _, typ := range []phonenumbers.PhoneNumberType{phonenumbers.FIXED_LINE, phonenumbers.MOBILE, phonenumbers.TOLL_FREE, phonenumbers.VOIP, phonenumbers.PREMIUM_RATE, phonenumbers.SHARED_COST, phonenumbers.PERSONAL_NUMBER, phonenumbers.PAGER, phonenumbers.UAN, phonenumbers.VOICEMAIL} {
			if ex := phonenumbers.GetExampleNumberForType(region, typ); ex != nil {
				e := phonenumbers.Format(ex, phonenumbers.E164)
				inputs = append(inputs, e, e[:len(e)-1], e+"1", e[:len(e)-1]+"9")
			}
		}
	}
	for _, in := range inputs {
		got := e164Problem(in) == ""
		want := false
		if n, err := phonenumbers.Parse(in, ""); err == nil {
			// E.164 caps numbers at 15 digits, where libphonenumber
			// accepts a few longer (German toll-free) ones.
			want = phonenumbers.IsValidNumber(n) && phonenumbers.Format(n, phonenumbers.E164) == in && len(in) <= 16
		}
		if got != want {
			t.Errorf("%s: fast path says valid=%v, phonenumbers says %v", in, got, want)
		}
	}
}

func TestE164Problems(t *testing.T) {
	for _, in := range []string{"", "12025550100", "+1 202 555 0100", "+1-202-555-0100", "+1202555010a", "+99912345678"} {
		if e164Problem(in) == "" {
			t.Errorf("%q: want a problem, got none", in)
		}
	}
}

// BenchmarkCheckNumber checks distinct valid numbers of a few countries,
// as a configuration's recipient list has them.
func BenchmarkCheckNumber(b *testing.B) {
	numbers := make([]string, 4096)
	for i := range numbers {
		numbers[i] = []string{"+1202555%04d", "+91987654%04d", "+44791112%04d", "+4930123%04d"}[i%4]
		numbers[i] = fmt.Sprintf(numbers[i], i)
	}
	for _, n := range numbers {
		if p := CheckNumber(FieldTo, n); p != nil {
			b.Fatalf("%s: %v", n, p)
		}
	}
	b.ResetTimer()
	for i := range b.N {
		CheckNumber(FieldTo, numbers[i%len(numbers)])
	}
}
