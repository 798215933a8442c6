package command

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/heraldhq/herald/internal/command/arguments"
	"github.com/heraldhq/herald/internal/states"
	"github.com/heraldhq/herald/internal/states/statefile"
	"github.com/heraldhq/herald/internal/states/statemgr"
)

var cmdStatePush = &Command{
	UsageLine: "herald state push [-force] [-lock-timeout=DURATION] FILE",
	Short:     "Replace the state with a state file",
	Long: `Replaces the state, wherever the configuration keeps it, with the state
file FILE. Moving a team from the local file to PostgreSQL is: add the
backend block to the herald block, then

  herald state push herald.state

It refuses a FILE of another lineage than a state already there (another
ledger), or of an older serial (an old copy, which would forget what was
sent since), unless -force. The serial moves on either way, so plans
saved before the push are stale.`,
	Run: runStatePush,
}

// replacer is a backend that can take a state of another lineage.
type replacer interface {
	Replace(*states.State) error
}

func runStatePush(env *Env, args []string) int {
	var (
		force       bool
		lockTimeout time.Duration
	)
	fs := newFlagSet(env, "state push")
	fs.BoolVar(&force, "force", false, "replace a state of another lineage or a newer serial")
	arguments.LockTimeoutVar(fs, &lockTimeout)
	if status, ok := parseFlags(fs, args); !ok {
		return status
	}
	dw := &diagWriter{env: env}
	if fs.NArg() != 1 {
		dw.fail("Expected one state file", "The state push command takes the state file to push, as: herald state push herald.state.")
		return ExitError
	}
	file := env.abs(fs.Arg(0))
	data, err := os.ReadFile(file)
	if err != nil {
		dw.err("Error reading the state file", err)
		return ExitError
	}
	pushed, err := statefile.Parse(data)
	if err != nil {
		dw.err("Error reading the state file", fmt.Errorf("%s: %w", fs.Arg(0), err))
		return ExitError
	}
	backend, ok := openStateBackend(env, dw)
	if !ok {
		return ExitError
	}
	defer closeBackend(env, backend)
	lock, err := lockState(context.Background(), env, backend, "state push", lockTimeout)
	if err != nil {
		dw.err(lockErrorSummary(err), err)
		return ExitError
	}
	defer func() {
		if err := backend.Unlock(lock.ID); err != nil {
			dw.err("Error releasing the state lock", err)
		}
	}()
	current, err := backend.Read()
	if err != nil {
		dw.err("Error reading the state", err)
		return ExitError
	}
	where := backendWhere(backend, "local state file")
	empty := current.Serial == 0 && current.Deliveries.Len() == 0
	switch {
	case !empty && current.Lineage != pushed.Lineage && !force:
		dw.fail("State of another lineage", fmt.Sprintf("The file %s has lineage %s, but the %s has lineage %s: they are different ledgers, and pushing would forget the %d deliveries it records. Add -force to replace it all the same.", fs.Arg(0), pushed.Lineage, where, current.Lineage, current.Deliveries.Len()))
		return ExitError
	case !empty && current.Lineage == pushed.Lineage && pushed.Serial < current.Serial && !force:
		dw.fail("Older state", fmt.Sprintf("The file %s has serial %d, older than the serial %d of the %s: it is an old copy, and pushing it would forget what was recorded since. Run herald state pull to see the newer state, or add -force to replace it all the same.", fs.Arg(0), pushed.Serial, current.Serial, where))
		return ExitError
	}
	if current.Lineage != pushed.Lineage {
		r, ok := backend.(replacer)
		if !ok {
			dw.fail("Cannot replace the state", fmt.Sprintf("The local state file has another lineage; to replace it, move it away and copy %s in its place.", fs.Arg(0)))
			return ExitError
		}
		err = r.Replace(pushed)
	} else {
		err = backend.Write(pushed)
	}
	if err != nil {
		dw.err("Error writing the state", err)
		return ExitError
	}
	fmt.Fprintf(env.Stdout, "Pushed %d deliveries to the %s (lineage %s, serial %d).\n", pushed.Deliveries.Len(), where, pushed.Lineage, pushed.Serial)
	pushDigestSecret(env, dw, backend, file, where)
	return 0
}

// pushDigestSecret gives the backend the digest secret kept beside the
// pushed file, if any, when it has none: without it, the keyed digests of
// sensitive deliveries in the file could not be compared, and they would
// all show as changed after sending.
func pushDigestSecret(env *Env, dw *diagWriter, backend statemgr.Backend, file, where string) {
	key, err := statemgr.ReadDigestSecretFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	ds, ok := backend.(statemgr.DigestSecrets)
	if err == nil && !ok {
		err = fmt.Errorf("the %s keeps no digest secret", where)
	}
	if err != nil {
		dw.warn("Digest secret not pushed", fmt.Sprintf("The state was pushed, but not the digest secret beside it: %v. Sensitive deliveries it records will show as changed after sending.", err))
		return
	}
	kept, err := ds.AdoptDigestSecret(key)
	switch {
	case err != nil:
		dw.warn("Digest secret not pushed", fmt.Sprintf("The state was pushed, but not the digest secret beside it: %v. Sensitive deliveries it records will show as changed after sending.", err))
	case kept.ID() != key.ID():
		dw.warn("Another digest secret", fmt.Sprintf("The %s already has a digest secret (%s), other than the one beside %s (%s), and keeps it: sensitive deliveries the file records will show as changed after sending.", where, kept.ID(), file, key.ID()))
	default:
		fmt.Fprintf(env.Stdout, "Pushed the digest secret beside it (%s.secret), which keys the digests of sensitive content.\n", filepath.Base(file))
	}
}
