package rules

import (
	"regexp"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/nyaruka/phonenumbers"
)

// numberPlan is how a calling code's numbers are validated: the
// numbering plans of its regions, compiled once, in the order
// libphonenumber tries them.
//
// It answers what phonenumbers.IsValidNumber answers, several times
// faster: that function rebuilds each pattern's string and looks it up in
// a locked cache for every use, matches each pattern twice, validates the
// number once to find its region and again for that region, and tries the
// rare number types (premium rate, pager, ...) before fixed lines and
// mobiles, because it also names the type. Validity needs only to know
// that some type matches, so the common ones go first.
type numberPlan struct {
	regions []*regionPlan
}

// regionPlan is one region's plan: the general pattern every valid number
// matches, and the patterns of the number types (fixed line, mobile, toll
// free, ...), one of which it must match too. A region that shares its
// calling code with others may claim numbers by their leading digits.
type regionPlan struct {
	leading *regexp.Regexp // nil: the region has no leading-digits rule
	// The patterns are compiled when first needed: +1 has two dozen
	// regions, and most lists need only the first.
	meta    *phonenumbers.PhoneMetadata
	once    sync.Once
	general numberDesc
	types   []numberDesc
}

// numberDesc is a number type's possible lengths (none: any) and pattern.
type numberDesc struct {
	lengths []int32
	pattern *regexp.Regexp
}

func (d *numberDesc) matches(nsn string) bool {
	if len(d.lengths) > 0 && !slices.Contains(d.lengths, int32(len(nsn))) {
		return false
	}
	return d.pattern.MatchString(nsn)
}

// valid reports whether nsn, a national significant number, is valid
// under the calling code. As in libphonenumber, the number belongs to the
// first region, in the calling code's order, that either has leading
// digits the number starts with or (having none) finds it valid; it is
// valid when that region finds it so.
func (p *numberPlan) valid(nsn string) bool {
	for _, r := range p.regions {
		if r.leading != nil {
			if r.leading.MatchString(nsn) {
				return r.valid(nsn)
			}
			continue
		}
		if r.valid(nsn) {
			return true
		}
	}
	return false
}

func (r *regionPlan) valid(nsn string) bool {
	r.once.Do(r.compile)
	if !r.general.matches(nsn) {
		return false
	}
	for i := range r.types {
		if r.types[i].matches(nsn) {
			return true
		}
	}
	return false
}

// planFor returns the compiled plan of calling code cc, nil when cc has
// none: unknown codes, and the non-geographic ones (+800, +882, ...),
// which take phonenumbers' own path.
func planFor(cc int) *numberPlan {
	if cc <= 0 || cc >= len(plans.byCode) {
		return nil
	}
	slot := &plans.byCode[cc]
	p := slot.Load()
	if p == nil {
		// Two callers may compile the same plan at once; either result
		// is the same plan.
		slot.CompareAndSwap(nil, compilePlan(cc))
		p = slot.Load()
	}
	if p == noPlan {
		return nil
	}
	return p
}

// plans holds the compiled plans by calling code (all are under 1000).
// A calling code with no main region holds noPlan, so that it is looked
// up once.
var plans struct {
	once     sync.Once
	byRegion map[string]*phonenumbers.PhoneMetadata
	byCode   [1000]atomic.Pointer[numberPlan]
}

var noPlan = &numberPlan{}

func compilePlan(cc int) *numberPlan {
	plans.once.Do(func() {
		plans.byRegion = map[string]*phonenumbers.PhoneMetadata{}
		if coll, err := phonenumbers.MetadataCollection(); err == nil {
			for _, m := range coll.GetMetadata() {
				plans.byRegion[m.GetId()] = m
			}
		}
	})
	p := &numberPlan{}
	for _, region := range phonenumbers.GetRegionCodesForCountryCode(cc) {
		m := plans.byRegion[region]
		if region == "001" || m == nil || int(m.GetCountryCode()) != cc || m.GetGeneralDesc() == nil {
			return noPlan
		}
		p.regions = append(p.regions, newRegionPlan(m))
	}
	if len(p.regions) == 0 {
		return noPlan
	}
	return p
}

func newRegionPlan(m *phonenumbers.PhoneMetadata) *regionPlan {
	r := &regionPlan{meta: m}
	if ld := m.GetLeadingDigits(); ld != "" {
		r.leading = regexp.MustCompile("^(?:" + ld + ")")
	}
	return r
}

func (r *regionPlan) compile() {
	m := r.meta
	r.general = compileDesc(m.GetGeneralDesc())
	descs := []*phonenumbers.PhoneNumberDesc{m.GetFixedLine()}
	if !m.GetSameMobileAndFixedLinePattern() {
		descs = append(descs, m.GetMobile())
	}
	descs = append(descs, m.GetTollFree(), m.GetPremiumRate(), m.GetSharedCost(), m.GetVoip(),
		m.GetPersonalNumber(), m.GetPager(), m.GetUan(), m.GetVoicemail())
	for _, d := range descs {
		// A type the region does not have is written with no pattern or
		// with the impossible length -1; neither matches a number.
		if d == nil || d.GetNationalNumberPattern() == "" || slices.Equal(d.GetPossibleLength(), []int32{-1}) {
			continue
		}
		r.types = append(r.types, compileDesc(d))
	}
}

func compileDesc(d *phonenumbers.PhoneNumberDesc) numberDesc {
	return numberDesc{
		lengths: d.GetPossibleLength(),
		pattern: regexp.MustCompile("^(?:" + d.GetNationalNumberPattern() + ")$"),
	}
}
