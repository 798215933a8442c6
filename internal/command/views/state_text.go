package views

import (
	"bufio"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/heraldhq/herald/internal/states"
	"github.com/heraldhq/herald/internal/states/statemgr"
)

// StateSummaryText renders what `herald show` prints with no plan file:
// the state's identity, its deliveries counted by status, then per message
// instance its deliveries counted by status (and the people they went to),
// with the failed and unknown
// ones listed (the first 20 of each, then a count) with their errors, since
// those are the ones a person has to act on.
//
// Instances are ordered by address and listed recipients by number, so the
// output is stable. It runs in time linear in the number of records, plus
// sorting what it lists.
func StateSummaryText(w io.Writer, s *states.State) {
	bw := bufio.NewWriter(w)
	defer bw.Flush()
	r := &textRenderer{w: bw}

	if s.Serial == 0 && s.Deliveries.Len() == 0 {
		// Never written: its lineage would be made up on the spot.
		r.printf("No state yet: nothing has been sent.\n")
		return
	}
	r.printf("State lineage %s, serial %d.\n", s.Lineage, s.Serial)
	if s.Deliveries.Len() == 0 {
		r.printf("No deliveries recorded: nothing has been sent yet.\n")
		return
	}

	type instance struct {
		addr                      string
		counts                    stateCounts
		failed, unknown, inFlight []*states.Delivery
		// arrivedNot are sent deliveries whose receipt said they never
		// reached the phone.
		arrivedNot []*states.Delivery
		// people holds the distinct recipients: one recipient has a
		// delivery per ref (a release, say), so there are often fewer.
		people map[string]struct{}
	}
	running := "" // the lock ID of the apply sending now, if any
	var total stateCounts
	byAddr := make(map[string]*instance)
	for d := range s.Deliveries.All() {
		in := byAddr[d.Address]
		if in == nil {
			in = &instance{addr: d.Address, people: make(map[string]struct{})}
			byAddr[d.Address] = in
		}
		in.counts.add(d)
		in.people[d.Key.Recipient] = struct{}{}
		total.add(d)
		switch {
		case d.ErrorCode == statemgr.Running:
			in.inFlight = append(in.inFlight, d)
			running, _ = statemgr.RunningLock(d)
		case d.Status == states.Failed:
			in.failed = append(in.failed, d)
		case d.Status == states.Unknown:
			in.unknown = append(in.unknown, d)
		case d.Status == states.Sent && d.Receipt.NeverArrived():
			in.arrivedNot = append(in.arrivedNot, d)
		}
	}
	list := make([]*instance, 0, len(byAddr))
	for _, in := range byAddr {
		list = append(list, in)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].addr < list[j].addr })

	r.printf("%s recorded: %s.\n", countNoun(total.all(), "delivery", "deliveries"), total.phrases())
	if total.receipts.any() {
		r.printf("Receipts: %s.\n", total.receipts.phrases())
	}
	for _, in := range list {
		r.printf("\n  %s: %s to %s: %s", in.addr, countNoun(in.counts.all(), "delivery", "deliveries"),
			countNoun(len(in.people), "recipient", "recipients"), in.counts.phrases())
		if in.counts.receipts.any() {
			r.printf(" (receipts: %s)", in.counts.receipts.phrases())
		}
		r.printf("\n")
		r.stateList("failed", in.failed, true)
		r.stateList("unknown", in.unknown, true)
		r.stateList("in flight", in.inFlight, false)
		r.receiptStateList(in.arrivedNot)
	}
	if total.inFlight > 0 {
		r.printf("\nIn flight: an apply is running (lock ID %s). Its requests above have left or are about to, and it records each outcome when the answer comes; look again when it finishes.\n", running)
	}
	if total.unknown > 0 {
		r.printf("\nUnknown deliveries may have gone out; herald does not send them again on its own.\n")
		r.printf("Use \"herald apply -replace=ADDRESS\" for those that did not arrive.\n")
	}
	if total.failed > 0 {
		r.printf("\nFailed deliveries went nowhere; the next apply retries them.\n")
	}
	if n := total.receipts.failed + total.receipts.notSent; n > 0 {
		r.printf("\nKaleyra accepted the undelivered %s, but the delivery receipts said %s never\n", plural(n, "one", "ones"), itThey(n))
		r.printf("reached the phone; the next apply retries %s.\n", itThem(n))
	}
}

// receiptStateList prints up to textListMax sent records whose receipt
// said they never arrived, ordered by recipient, with the code in plain
// words.
func (r *textRenderer) receiptStateList(records []*states.Delivery) {
	if len(records) == 0 {
		return
	}
	sort.Slice(records, func(i, j int) bool {
		if records[i].Key.Recipient != records[j].Key.Recipient {
			return records[i].Key.Recipient < records[j].Key.Recipient
		}
		return records[i].Key.String() < records[j].Key.String()
	})
	for _, d := range records[:min(len(records), textListMax)] {
		r.printf("    undelivered %s  %s", d.Key.Recipient, receiptWord(d.Receipt))
		if e := receiptError(d.Receipt); e != "" {
			r.printf(" (%s)", textEscape(e))
		}
		r.printf("\n")
	}
	if more := len(records) - textListMax; more > 0 {
		r.printf("    ... and %d more undelivered\n", more)
	}
}

// receiptCounts counts the receipts of sent records by status.
type receiptCounts struct{ accepted, delivered, read, failed, notSent int }

func (c *receiptCounts) add(r *states.Receipt) {
	if r == nil {
		return
	}
	switch r.Status {
	case states.Accepted:
		c.accepted++
	case states.Delivered:
		c.delivered++
	case states.Read:
		c.read++
	case states.ReceiptFailed:
		c.failed++
	case states.NotSent:
		c.notSent++
	}
}

func (c receiptCounts) any() bool {
	return c.accepted+c.delivered+c.read+c.failed+c.notSent > 0
}

// phrases is "9 delivered, 3 read, 1 failed after sending", leaving out
// zeros.
func (c receiptCounts) phrases() string {
	var parts []string
	for _, p := range []struct {
		n      int
		status states.ReceiptStatus
	}{{c.accepted, states.Accepted}, {c.delivered, states.Delivered}, {c.read, states.Read}, {c.failed, states.ReceiptFailed}, {c.notSent, states.NotSent}} {
		if p.n > 0 {
			parts = append(parts, strconv.Itoa(p.n)+" "+receiptWords[p.status])
		}
	}
	return strings.Join(parts, ", ")
}

// stateList prints up to textListMax records, ordered by recipient, with
// their errors.
func (r *textRenderer) stateList(what string, records []*states.Delivery, withErrors bool) {
	if len(records) == 0 {
		return
	}
	sort.Slice(records, func(i, j int) bool {
		if records[i].Key.Recipient != records[j].Key.Recipient {
			return records[i].Key.Recipient < records[j].Key.Recipient
		}
		return records[i].Key.String() < records[j].Key.String()
	})
	for _, d := range records[:min(len(records), textListMax)] {
		if withErrors {
			r.printf("    %-7s %s%s\n", what, d.Key.Recipient, textPriorError(d))
		} else {
			r.printf("    %-7s %s\n", what, d.Key.Recipient)
		}
	}
	if more := len(records) - textListMax; more > 0 {
		r.printf("    ... and %d more %s\n", more, what)
	}
}

// stateCounts counts records by status; inFlight counts those an apply
// running now is sending, apart from the unknown ones.
type stateCounts struct {
	sent, failed, unknown, inFlight, other int
	// receipts counts what receipts said of the sent records.
	receipts receiptCounts
}

func (c *stateCounts) add(d *states.Delivery) {
	if d.ErrorCode == statemgr.Running {
		c.inFlight++
		return
	}
	switch d.Status {
	case states.Sent:
		c.sent++
		c.receipts.add(d.Receipt)
	case states.Failed:
		c.failed++
	case states.Unknown:
		c.unknown++
	default:
		c.other++
	}
}

func (c stateCounts) all() int { return c.sent + c.failed + c.unknown + c.inFlight + c.other }

// phrases is "12 sent, 1 failed, 2 unknown", leaving out zeros but always
// saying something.
func (c stateCounts) phrases() string {
	var b []byte
	for _, p := range []struct {
		n    int
		what string
	}{{c.sent, "sent"}, {c.failed, "failed"}, {c.unknown, "unknown"}, {c.inFlight, "in flight"}, {c.other, "with another status"}} {
		if p.n == 0 {
			continue
		}
		if len(b) > 0 {
			b = append(b, ", "...)
		}
		b = append(b, countNoun(p.n, p.what, p.what)...)
	}
	return string(b)
}
