package command

import (
	"bufio"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/states"
)

var _ = register(&Command{
	Name:  "state rm",
	Usage: "herald state rm [-dry-run] [-lock-timeout=DURATION] ADDRESS...",
	Short: "Forget recorded deliveries so they can be planned again",
	Long: `Removes from the state every delivery that an ADDRESS matches
(message.NAME, message.NAME["KEY"], or either followed by :+NUMBER), so that
the next plan sends them again. Nothing is sent to anyone; this only edits
the state, under its lock, keeping the previous version as herald.state.backup.

Every ADDRESS must match at least one delivery, or nothing is removed.`,
	Run: runStateRm,
})

func runStateRm(env *Env, args []string) int {
	var dryRun bool
	var lockTimeout time.Duration
	fs := newFlagSet(env, "state rm")
	fs.BoolVar(&dryRun, "dry-run", false, "list what would be removed, and remove nothing")
	fs.DurationVar(&lockTimeout, "lock-timeout", 0, "wait up to `DURATION` for the state lock")
	if status, ok := parseFlags(fs, args); !ok {
		return status
	}
	dw := &diagWriter{env: env}
	if fs.NArg() == 0 {
		dw.err("Expected at least one address", fmt.Errorf("state rm takes the addresses of the deliveries to forget, such as message.announce:+12025550123; \"herald state list\" lists them"))
		return ExitError
	}
	filter, ok := parseDeliveryFilter(dw, fs.Args())
	if !ok {
		return ExitError
	}
	backend, ok := openStateBackend(env, dw)
	if !ok {
		return ExitError
	}
	lock, err := backend.Lock(context.Background(), "state rm", lockTimeout)
	if err != nil {
		dw.err("Error acquiring the state lock", err)
		return ExitError
	}
	defer func() {
		if err := backend.Unlock(lock.ID); err != nil {
			dw.err("Error releasing the state lock", err)
		}
	}()
	st, err := backend.Read()
	if err != nil {
		dw.err("Error reading the state", err)
		return ExitError
	}

	var remove []*states.Delivery
	matched := make([]bool, len(filter.targets))
	for _, d := range st.Sorted() {
		hit := false
		for i := range filter.targets {
			if filter.selects(i, d) {
				matched[i], hit = true, true
			}
		}
		if hit {
			remove = append(remove, d)
		}
	}
	var unmatched []string
	for i, ok := range matched {
		if !ok {
			unmatched = append(unmatched, fs.Arg(i))
		}
	}
	if len(unmatched) > 0 {
		dw.err("No matching deliveries", fmt.Errorf("no delivery in the state matches %s, so nothing was removed; \"herald state list\" lists them", strings.Join(unmatched, ", ")))
		return ExitError
	}

	w := bufio.NewWriter(env.Stdout)
	verb := "Removed"
	if dryRun {
		verb = "Would remove"
	}
	for _, d := range remove {
		fmt.Fprintf(w, "%s %s %s (%s)\n", verb, deliveryLabel(d), refFields(d.Key), d.Status)
	}
	if !dryRun {
		for _, d := range remove {
			delete(st.Deliveries, d.Key)
		}
		if err := backend.Write(st); err != nil {
			w.Flush()
			dw.err("Error saving the state", err)
			return ExitError
		}
	}
	fmt.Fprintf(w, "%s %s.\n", verb, nounCount(len(remove), "delivery", "deliveries"))
	if err := w.Flush(); err != nil {
		dw.err("Error writing the result", err)
		return ExitError
	}
	return 0
}
