package command

import (
	"bufio"
	"fmt"
	"strconv"
	"time"

	"github.com/heraldhq/herald/internal/command/arguments"
	"github.com/heraldhq/herald/internal/kaleyra"
	"github.com/heraldhq/herald/internal/states"
)

var cmdStateShow = &Command{
	UsageLine: "herald state show [-ref=REF] ADDRESS",
	Short:     "Show recorded deliveries in full",
	Long: `Shows every field of the deliveries in the state that ADDRESS matches:
message.NAME, message.NAME["KEY"], or either followed by :+NUMBER for one
recipient (as "herald state list" prints them), narrowed with -ref to the
deliveries with that ref. ADDRESS is the name the configuration uses now,
also after a block is renamed. It fails when none matches.`,
	Run: runStateShow,
}

func runStateShow(env *Env, args []string) int {
	a, diags, err := arguments.ParseStateShow(newFlagSet(env, "state show"), args)
	if err != nil {
		return flagStatus(err)
	}
	dw := &diagWriter{env: env}
	if dw.diags(diags); diags.HasErrors() {
		return ExitError
	}
	filter := newDeliveryFilter(&a.Deliveries)
	st, ok := readState(env, dw)
	if !ok {
		return ExitError
	}
	w := bufio.NewWriter(env.Stdout)
	n := 0
	for _, d := range st.Sorted() {
		if !filter.matches(d) {
			continue
		}
		if n > 0 {
			fmt.Fprintln(w)
		}
		writeDeliveryFields(w, d, st)
		n++
	}
	if err := w.Flush(); err != nil {
		dw.err("Error writing the deliveries", err)
		return ExitError
	}
	if n == 0 {
		dw.fail("No matching deliveries", fmt.Sprintf("No delivery in the state matches %s. %s", filter.describe(a.Addresses), recordedAddresses(st)))
		return ExitError
	}
	return 0
}

// writeDeliveryFields prints every field of d, one per line, after a
// comment naming it, in the style of "terraform state show"; then its
// receipt, when one came, and when the recipient last wrote to the sender
// number, when st knows.
func writeDeliveryFields(w *bufio.Writer, d *states.Delivery, st *states.State) {
	fmt.Fprintf(w, "# %s\n", deliveryLabel(d))
	str := strconv.Quote
	when := func(t time.Time) string {
		if t.IsZero() {
			return `""`
		}
		return str(t.Format(time.RFC3339Nano))
	}
	for _, f := range [][2]string{
		{"address", str(d.Address)},
		{"channel", str(d.Key.Channel)},
		{"sender", str(d.Key.Sender)},
		{"recipient", str(d.Key.Recipient)},
		{"ref", str(d.Key.Ref)},
		{"ref1", str(d.Key.Ref1)},
		{"ref2", str(d.Key.Ref2)},
		{"status", str(string(d.Status))},
		{"digest", str(string(d.Digest))},
		{"request_id", str(d.RequestID)},
		{"message_id", str(d.MessageID)},
		{"error_code", str(d.ErrorCode)},
		{"error_text", str(d.ErrorText)},
		{"attempts", strconv.Itoa(d.Attempts)},
		{"first_attempt_at", when(d.FirstSent)},
		{"updated_at", when(d.UpdatedAt)},
	} {
		fmt.Fprintf(w, "%-16s = %s\n", f[0], f[1])
	}
	if r := d.Receipt; r != nil {
		for _, f := range [][2]string{
			{"receipt", str(string(r.Status))},
			{"receipt_code", str(r.ErrorCode)},
			{"receipt_text", str(r.ErrorText)},
			{"receipt_at", when(r.At)},
		} {
			fmt.Fprintf(w, "%-16s = %s\n", f[0], f[1])
		}
		if words := kaleyra.Explain(r.ErrorCode); words != "" {
			fmt.Fprintf(w, "# %s: %s\n", r.ErrorCode, words)
		}
	}
	if last, ok := st.Inbound[states.InboundKey{Sender: d.Key.Sender, Recipient: d.Key.Recipient}]; ok {
		fmt.Fprintf(w, "%-16s = %s\n", "last_inbound_at", when(last))
	}
}
