package command

import (
	"bufio"
	"context"
	"fmt"
	"strconv"
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

// stateRmFlags are the flags of state rm.
type stateRmFlags struct {
	dryRun      bool
	lockTimeout time.Duration
	ref         optionalString
	undeclared  bool
	olderThan   age
	autoApprove bool
	noInput     bool
}

func runStateRm(env *Env, args []string) int {
	var f stateRmFlags
	fs := newFlagSet(env, "state rm")
	fs.BoolVar(&f.dryRun, "dry-run", false, "list what would be removed, and remove nothing")
	arguments.LockTimeoutVar(fs, &f.lockTimeout)
	registerRef(fs, &f.ref)
	fs.BoolVar(&f.undeclared, "undeclared", false, "remove the deliveries the configuration no longer declares")
	fs.Var(&f.olderThan, "older-than", "with -undeclared, only those last updated more than `AGE` ago (720h, 30d)")
	fs.BoolVar(&f.autoApprove, "auto-approve", false, "with -undeclared, remove without asking")
	arguments.InputVar(fs, &f.noInput)
	if status, ok := parseFlags(fs, args); !ok {
		return status
	}
	dw := &diagWriter{env: env}
	switch {
	case fs.NArg() == 0 && !f.undeclared:
		dw.fail("Expected at least one address", "The state rm command takes the addresses of the deliveries to forget, such as message.announce:+12025550123 (\"herald state list\" lists them), or -undeclared to prune what the configuration no longer declares.")
		return ExitError
	case f.olderThan.set && !f.undeclared:
		dw.fail("Invalid option", "The option -older-than goes with -undeclared: it prunes history, while an ADDRESS names deliveries to forget whatever their age.")
		return ExitError
	}
	filter, ok := parseDeliveryFilter(dw, fs.Args(), f.ref)
	if !ok {
		return ExitError
	}
	backend, ok := openStateBackend(env, dw)
	if !ok {
		return ExitError
	}
	defer closeBackend(env, backend)
	lock, err := lockState(context.Background(), env, backend, "state rm", f.lockTimeout)
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
	if f.undeclared {
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

	cutoff := time.Now().Add(-f.olderThan.d)
	var remove []*states.Delivery
	matched := make([]bool, len(filter.targets))
	for _, d := range st.Sorted() {
		if declared != nil && (declared[d.Key] || (f.olderThan.set && !d.UpdatedAt.Before(cutoff))) {
			continue
		}
		hit := len(filter.targets) == 0 && filter.refMatches(d)
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
	if len(unmatched) > 0 || (len(remove) == 0 && !f.undeclared) {
		what := "delivery"
		if declared != nil {
			what = "no longer declared delivery"
		}
		dw.fail("No matching deliveries", fmt.Sprintf("No %s in the state matches %s, so nothing was removed. %s", what, filter.describe(unmatched), recordedAddresses(st)))
		return ExitError
	}

	w := bufio.NewWriter(env.Stdout)
	verb := "Removed"
	if f.dryRun {
		verb = "Would remove"
	}
	if f.undeclared {
		// History can be long: a count, and the list only on -dry-run.
		if f.dryRun {
			for _, d := range remove {
				fmt.Fprintf(w, "%s %s %s (%s, last updated %s)\n", verb, deliveryLabel(d), refFields(d.Key), d.Status, d.UpdatedAt.Format(time.DateOnly))
			}
		}
		fmt.Fprintf(w, "%s in the state no longer declared%s.\n", nounCount(len(remove), "delivery", "deliveries"), f.olderThan.phrase())
		if err := w.Flush(); err != nil {
			dw.err("Error writing the result", err)
			return ExitError
		}
		if len(remove) == 0 || f.dryRun {
			return 0
		}
		if !f.autoApprove {
			if !env.StdinIsTerminal || f.noInput {
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
	if !f.dryRun {
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

// age is a duration flag that also takes whole days, "30d", since history
// is pruned by days more often than by hours.
type age struct {
	d    time.Duration
	text string
	set  bool
}

func (a *age) String() string {
	if a == nil {
		return ""
	}
	return a.text
}

func (a *age) Set(s string) error {
	d, err := time.ParseDuration(s)
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, nerr := strconv.Atoi(days)
		d, err = time.Duration(n)*24*time.Hour, nerr
	}
	if err != nil || d <= 0 {
		return fmt.Errorf("want a positive age such as 720h or 30d")
	}
	a.d, a.text, a.set = d, s, true
	return nil
}

// phrase is " and last updated more than AGE ago", or "" when unset.
func (a age) phrase() string {
	if !a.set {
		return ""
	}
	return " and last updated more than " + a.text + " ago"
}
