package command

import (
	"bufio"
	"flag"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/heraldhq/herald/internal/addrs"
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
	var asJSON bool
	fs := newFlagSet(env, "state list")
	fs.BoolVar(&asJSON, "json", false, "print JSON")
	var ref optionalString
	registerRef(fs, &ref)
	if status, ok := parseFlags(fs, args); !ok {
		return status
	}
	dw := &diagWriter{env: env}
	filter, ok := parseDeliveryFilter(dw, fs.Args(), ref)
	if !ok {
		return ExitError
	}
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
	var err error
	if asJSON {
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
	selected := &states.State{Lineage: st.Lineage, Serial: st.Serial, Deliveries: make(map[delivery.Key]*states.Delivery, len(list))}
	for _, d := range list {
		selected.Set(d)
	}
	// statefile.Write buffers its output itself.
	return statefile.Write(env.Stdout, selected)
}

// writeStateListText prints one aligned line per delivery:
//
//	message.announce:+12025550123  sent     ref="release-v1"
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
		fmt.Fprintf(w, "%-*s  %-*s  %s\n", width, deliveryLabel(d), statusWidth, status, refFields(d.Key))
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

// deliveryFilter selects recorded deliveries by the addresses given on the
// command line; with none, it selects all. A -ref narrows either to the
// deliveries with that ref: one message instance to one recipient is a
// delivery per ref (one per release, say), and the ref tells them apart.
type deliveryFilter struct {
	targets []addrs.Target
	ref     optionalString
	// instances caches parsed record addresses: a state has few distinct
	// ones and many records. nil marks one that does not parse.
	instances map[string]*addrs.MessageInstance
}

func parseDeliveryFilter(dw *diagWriter, args []string, ref optionalString) (*deliveryFilter, bool) {
	f := &deliveryFilter{ref: ref, instances: make(map[string]*addrs.MessageInstance)}
	for _, arg := range args {
		t, err := addrs.ParseTarget(arg)
		if err != nil {
			dw.err("Invalid address", err)
			return nil, false
		}
		f.targets = append(f.targets, t)
	}
	return f, true
}

// matches tells whether any target selects d; with no targets, all match.
func (f *deliveryFilter) matches(d *states.Delivery) bool {
	if len(f.targets) == 0 {
		return f.refMatches(d)
	}
	for i := range f.targets {
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
	return inst != nil && f.targets[i].Contains(*inst, d.Key.Recipient) && f.refMatches(d)
}

func (f *deliveryFilter) refMatches(d *states.Delivery) bool {
	return !f.ref.set || d.Key.Ref == f.ref.s
}

// registerRef adds the -ref flag that narrows a deliveryFilter.
func registerRef(fs *flag.FlagSet, ref *optionalString) {
	fs.Var(ref, "ref", "only the deliveries whose ref is `REF`, as \"state list\" shows it")
}

// describe names what the filter asked for, for an error that nothing
// matched: the addresses, and the ref when one was given.
func (f *deliveryFilter) describe(args []string) string {
	s := strings.Join(args, ", ")
	if f.ref.set {
		if s != "" {
			s += " with "
		}
		s += "ref=" + strconv.Quote(f.ref.s)
	}
	return s
}

// recordedAddresses names, for an error that an address matched nothing,
// the message instances the state does have deliveries at (the first few).
func recordedAddresses(st *states.State) string {
	seen := map[string]bool{}
	var list []string
	for _, d := range st.Deliveries {
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

// optionalString is a string flag that may be left unset, which is not
// the same as "": an empty ref is a ref too.
type optionalString struct {
	s   string
	set bool
}

func (o *optionalString) String() string {
	if o == nil {
		return ""
	}
	return o.s
}

func (o *optionalString) Set(s string) error {
	o.s, o.set = s, true
	return nil
}
