package command

import (
	"bufio"
	"fmt"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/command/arguments"
)

var cmdForceUnlock = &Command{
	UsageLine: "herald force-unlock [-force] LOCK_ID",
	Short:     "Release a state lock left behind",
	Long: `Clears the state lock with the given ID, as the lock error names it.

Locally, the operating system releases the lock of a herald that died,
however it died, so this is rarely needed: it clears the holder's details
left in herald.state.lock, and refuses while the process holding the lock
is still running. Forcing a lock that is in use would let two runs send
at once, so it asks for confirmation unless -force is given.`,
	Run: runForceUnlock,
}

func runForceUnlock(env *Env, args []string) int {
	a, diags, err := arguments.ParseForceUnlock(newFlagSet(env, "force-unlock"), args)
	if err != nil {
		return flagStatus(err)
	}
	dw := &diagWriter{env: env}
	if dw.diags(diags); diags.HasErrors() {
		return ExitError
	}
	id, force := a.LockID, a.Force
	backend, ok := openStateBackend(env, dw)
	if !ok {
		return ExitError
	}
	defer closeBackend(env, backend)
	if !force {
		if !env.StdinIsTerminal {
			dw.fail("Confirmation needed", fmt.Sprintf("The force-unlock command asks before releasing a lock, and there is no terminal to ask on; add -force to release lock %s without asking.", id))
			return ExitError
		}
		holder := "an unknown holder"
		if info := backend.LockHolder(); info != nil {
			holder = fmt.Sprintf("%s, for %q since %s", info.Who, info.Operation, info.Created.Format(time.RFC3339))
		}
		fmt.Fprintf(env.Stdout, "Do you really want to force-unlock lock %s (%s)?\n"+
			"  herald will release the lock on the state, letting other herald commands\n"+
			"  change it, even though it may still be in use.\n"+
			"  Only 'yes' will be accepted to confirm.\n\n  Enter a value: ", id, holder)
		answer, _ := bufio.NewReader(env.Stdin).ReadString('\n')
		if strings.TrimSpace(answer) != "yes" {
			fmt.Fprintln(env.Stdout, "\nforce-unlock cancelled: the lock is unchanged.")
			return ExitError
		}
	}
	if err := backend.ForceUnlock(id); err != nil {
		dw.err("Error releasing the state lock", err)
		return ExitError
	}
	fmt.Fprintln(env.Stdout, "The state lock has been released: herald commands can take it again.")
	return 0
}
