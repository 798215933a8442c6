package command

import (
	"bufio"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/command/arguments"
	"github.com/heraldhq/herald/internal/delivery"
	"github.com/heraldhq/herald/internal/states"
)

var cmdStateRm = &Command{
	UsageLine: "herald state rm [-dry-run] [-ref=REF] [-lock-timeout=DURATION] ADDRESS...\n       herald state rm -undeclared [-older-than=AGE] [-dry-run] [-auto-approve] [ADDRESS...]",
	Short:     "Forget recorded deliveries so they can be planned again",
	Long: `Removes from the state every delivery that an ADDRESS matches
(message.NAME, message.NAME["KEY"], or either followed by :+NUMBER), so that
the next plan sends them again. Nothing is sent to anyone; this only edits
the state, under its lock, keeping the previous version as herald.state.backup.

One message instance to one recipient has a delivery per ref (one per
release, say): -ref=REF removes only the one with that ref.

Every ADDRESS must match at least one delivery, or nothing is removed.

With -undeclared, removes the history: the deliveries the configuration no
longer declares (which plans count as "no longer declared"), only those
last updated more than -older-than ago when it is given (as 720h, or 30d),
and only those at the ADDRESSes when any are given. The configuration must
evaluate. It says how many it will remove and asks for "yes" on a terminal;
with no terminal it refuses unless -auto-approve is given.`,
	Run: runStateRm,
}

func runStateRm(env *Env, args []string) int {
	f, diags, err := arguments.ParseStateRm(newFlagSet(env, "state rm"), args)
	if err != nil {
		return flagStatus(err)
	}
	dw := &diagWriter{env: env}
	if dw.diags(diags); diags.HasErrors() {
		return ExitError
	}
	filter := newDeliveryFilter(&f.Deliveries)
	backend, ok := openStateBackend(env, dw)
	if !ok {
		return ExitError
	}
	defer closeBackend(env, backend)
	lock, err := lockState(context.Background(), env, backend, "state rm", f.LockTimeout)
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

	// declared is nil unless -undeclared: then it holds every key the
	// configuration declares, which must be known for sure.
	var declared map[delivery.Key]bool
	if f.Undeclared {
		cfg, ok := loadConfig(env, dw, nil)
		if !ok {
			dw.fail("Configuration needed", "The state rm -undeclared command removes what the configuration no longer declares, so the configuration must evaluate; fix the errors above, or name the deliveries to remove.")
			return ExitError
		}
		declared = make(map[delivery.Key]bool, cfg.DeliveryCount())
		for _, in := range cfg.Instances {
			for _, r := range in.Recipients {
				declared[in.Key(r)] = true
			}
		}
	} else {
		followConfig(env, st)
	}

	cutoff := time.Now().Add(-f.OlderThan.D)
	var remove []*states.Delivery
	matched := make([]bool, len(filter.Targets))
	for _, d := range st.Sorted() {
		if declared != nil && (declared[d.Key] || (f.OlderThan.Given && !d.UpdatedAt.Before(cutoff))) {
			continue
		}
		hit := len(filter.Targets) == 0 && filter.refMatches(d)
		for i := range filter.Targets {
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
			unmatched = append(unmatched, f.Addresses[i])
		}
	}
	if len(unmatched) > 0 || (len(remove) == 0 && !f.Undeclared) {
		what := "delivery"
		if declared != nil {
			what = "no longer declared delivery"
		}
		dw.fail("No matching deliveries", fmt.Sprintf("No %s in the state matches %s, so nothing was removed. %s", what, filter.describe(unmatched), recordedAddresses(st)))
		return ExitError
	}

	w := bufio.NewWriter(env.Stdout)
	verb := "Removed"
	if f.DryRun {
		verb = "Would remove"
	}
	if f.Undeclared {
		// History can be long: a count, and the list only on -dry-run.
		if f.DryRun {
			for _, d := range remove {
				fmt.Fprintf(w, "%s %s %s (%s, last updated %s)\n", verb, deliveryLabel(d), refFields(d.Key), d.Status, d.UpdatedAt.Format(time.DateOnly))
			}
		}
		fmt.Fprintf(w, "%s in the state no longer declared%s.\n", nounCount(len(remove), "delivery", "deliveries"), f.OlderThan.Phrase())
		if err := w.Flush(); err != nil {
			dw.err("Error writing the result", err)
			return ExitError
		}
		if len(remove) == 0 || f.DryRun {
			return 0
		}
		if !f.AutoApprove {
			if !env.StdinIsTerminal || f.NoInput {
				dw.fail("No confirmation", fmt.Sprintf("The state rm -undeclared command asks before removing %s, and there is no terminal to ask on (or -input=false); review them with -dry-run, then run with -auto-approve.", nounCount(len(remove), "delivery", "deliveries")))
				return ExitError
			}
			fmt.Fprintf(env.Stdout, "\nRemove these %d from the state? They will no longer count as sent.\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ", len(remove))
			line, _ := bufio.NewReader(env.Stdin).ReadString('\n')
			if strings.TrimSpace(line) != "yes" {
				fmt.Fprintln(env.Stdout, "\nNothing was removed.")
				return ExitError
			}
		}
	} else {
		for _, d := range remove {
			fmt.Fprintf(w, "%s %s %s (%s)\n", verb, deliveryLabel(d), refFields(d.Key), d.Status)
		}
	}
	if !f.DryRun {
		for _, d := range remove {
			st.Deliveries.Delete(d.Key)
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
