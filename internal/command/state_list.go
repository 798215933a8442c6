package command

import (
	"bufio"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/heraldhq/herald/internal/addrs"
	"github.com/heraldhq/herald/internal/command/arguments"
	"github.com/heraldhq/herald/internal/delivery"
	"github.com/heraldhq/herald/internal/states"
	"github.com/heraldhq/herald/internal/states/statefile"
	"github.com/heraldhq/herald/internal/states/statemgr"
)

var cmdStateList = &Command{
	UsageLine: "herald state list [-json] [-ref=REF] [ADDRESS...]",
	Short:     "List the deliveries in the state",
	Long: `Lists the deliveries recorded in the state, one per line: the message
instance that sent it and the recipient (ADDRESS:+NUMBER, which "state show"
and "state rm" accept), its status, and its ref fields.

With ADDRESS arguments (message.NAME, message.NAME["KEY"], either optionally
followed by :+NUMBER), lists only the deliveries they match; with -ref, only
those with that ref. Addresses are those the configuration uses now: after
a block is renamed, its deliveries are listed under the new name.

With -json, prints the selected records as a state document, the shape of
the state file (schema/state.schema.json).`,
	Run: runStateList,
}

func runStateList(env *Env, args []string) int {
	l, diags, err := arguments.ParseStateList(newFlagSet(env, "state list"), args)
	if err != nil {
		return flagStatus(err)
	}
	dw := &diagWriter{env: env}
	if dw.diags(diags); diags.HasErrors() {
		return ExitError
	}
	filter := newDeliveryFilter(&l.Deliveries)
	st, ok := readState(env, dw)
	if !ok {
		return ExitError
	}
	var list []*states.Delivery
	for _, d := range st.Sorted() {
		if filter.matches(d) {
			list = append(list, d)
		}
	}
	if l.JSON {
		err = writeStateListJSON(env, st, list)
	} else {
		err = writeStateListText(env, list)
	}
	if err != nil {
		dw.err("Error writing the list", err)
		return ExitError
	}
	return 0
}

// writeStateListJSON prints the selected records as a state document,
// the shape of the state file and of "show -json", which
// schema/state.schema.json describes.
func writeStateListJSON(env *Env, st *states.State, list []*states.Delivery) error {
	selected := &states.State{Lineage: st.Lineage, Serial: st.Serial, Deliveries: states.NewDeliverySet(len(list))}
	for _, d := range list {
		selected.Set(d)
	}
	// statefile.Write buffers its output itself.
	return statefile.Write(env.Stdout, selected)
}

// writeStateListText prints one aligned line per delivery, with what its
// delivery receipt said when one came:
//
//	message.announce:+12025550123  sent     ref="release-v1"
//	message.announce:+12025550124  sent     ref="release-v1" receipt=read
//	message.announce:+12025550125  sent     ref="release-v1" receipt=failed code="131026"
//
// A delivery that an apply running now is sending shows as "in flight",
// and a note on stderr names that apply's lock: it is unknown only until
// its answer comes.
func writeStateListText(env *Env, list []*states.Delivery) error {
	width, statusWidth := 0, len(states.Unknown)
	running := ""
	for _, d := range list {
		width = max(width, len(deliveryLabel(d)))
		if id, ok := statemgr.RunningLock(d); ok {
			running = id
			statusWidth = len(inFlightLabel)
		}
	}
	w := bufio.NewWriterSize(env.Stdout, 64<<10)
	for _, d := range list {
		status := string(d.Status)
		if d.ErrorCode == statemgr.Running {
			status = inFlightLabel
		}
		fmt.Fprintf(w, "%-*s  %-*s  %s%s\n", width, deliveryLabel(d), statusWidth, status, refFields(d.Key), receiptFields(d.Receipt))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if running != "" {
		fmt.Fprintf(env.Stderr, "In flight: an apply is running (lock ID %s); it records each outcome when the answer comes.\n", running)
	}
	return nil
}

// inFlightLabel is the status state list shows for a delivery an apply
// running now is sending.
const inFlightLabel = "in flight"

// deliveryLabel names a recorded delivery as an ADDRESS the state commands
// accept: message.NAME[KEY]:+NUMBER.
func deliveryLabel(d *states.Delivery) string {
	return d.Address + ":" + d.Key.Recipient
}

// refFields renders the key's ref fields, which tell apart deliveries of
// one message instance to one recipient (the ref changes with a release).
func refFields(k delivery.Key) string {
	var b strings.Builder
	b.WriteString("ref=" + strconv.Quote(k.Ref))
	if k.Ref1 != "" {
		b.WriteString(" ref1=" + strconv.Quote(k.Ref1))
	}
	if k.Ref2 != "" {
		b.WriteString(" ref2=" + strconv.Quote(k.Ref2))
	}
	return b.String()
}

// receiptFields is " receipt=STATUS" and, with an error, " code=CODE",
// for a record with a receipt; "" without one.
func receiptFields(r *states.Receipt) string {
	if r == nil {
		return ""
	}
	s := " receipt=" + string(r.Status)
	if r.ErrorCode != "" {
		s += " code=" + strconv.Quote(r.ErrorCode)
	}
	return s
}

// deliveryFilter selects recorded deliveries by the addresses given on the
// command line; with none, it selects all. A -ref narrows either to the
// deliveries with that ref: one message instance to one recipient is a
// delivery per ref (one per release, say), and the ref tells them apart.
type deliveryFilter struct {
	*arguments.Deliveries
	// instances caches parsed record addresses: a state has few distinct
	// ones and many records. nil marks one that does not parse.
	instances map[string]*addrs.MessageInstance
}

func newDeliveryFilter(d *arguments.Deliveries) *deliveryFilter {
	return &deliveryFilter{Deliveries: d, instances: make(map[string]*addrs.MessageInstance)}
}

// matches tells whether any target selects d; with no targets, all match.
func (f *deliveryFilter) matches(d *states.Delivery) bool {
	if len(f.Targets) == 0 {
		return f.refMatches(d)
	}
	for i := range f.Targets {
		if f.selects(i, d) {
			return true
		}
	}
	return false
}

// selects tells whether target i selects d.
func (f *deliveryFilter) selects(i int, d *states.Delivery) bool {
	inst, seen := f.instances[d.Address]
	if !seen {
		if parsed, err := addrs.ParseMessageInstance(d.Address); err == nil {
			inst = &parsed
		}
		f.instances[d.Address] = inst
	}
	return inst != nil && f.Targets[i].Contains(*inst, d.Key.Recipient) && f.refMatches(d)
}

func (f *deliveryFilter) refMatches(d *states.Delivery) bool {
	return !f.RefSet || d.Key.Ref == f.Ref
}

// describe names what the filter asked for, for an error that nothing
// matched: the addresses, and the ref when one was given.
func (f *deliveryFilter) describe(args []string) string {
	s := strings.Join(args, ", ")
	if f.RefSet {
		if s != "" {
			s += " with "
		}
		s += "ref=" + strconv.Quote(f.Ref)
	}
	return s
}

// recordedAddresses names, for an error that an address matched nothing,
// the message instances the state does have deliveries at (the first few).
func recordedAddresses(st *states.State) string {
	seen := map[string]bool{}
	var list []string
	for d := range st.Deliveries.All() {
		if !seen[d.Address] {
			seen[d.Address] = true
			list = append(list, d.Address)
		}
	}
	if len(list) == 0 {
		return "The state records no deliveries."
	}
	slices.Sort(list)
	const most = 5
	out := "The state has deliveries at " + strings.Join(list[:min(len(list), most)], ", ")
	if len(list) > most {
		out += fmt.Sprintf(" and %d more message instances", len(list)-most)
	}
	return out + "."
}
