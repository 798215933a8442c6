package command

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/heraldhq/herald/internal/engine"
	"github.com/heraldhq/herald/internal/lang"
	"github.com/heraldhq/herald/internal/states"
	"github.com/heraldhq/herald/internal/states/statemgr"
)

// openStateBackend finds the state file as the configuration in env.Dir
// names it, reading only the herald block: the state commands must work
// while the rest of the configuration does not evaluate.
func openStateBackend(env *Env, dw *diagWriter) (*statemgr.Filesystem, bool) {
	path, diags := lang.StatePath(env.Dir)
	dw.diags(diags)
	if diags.HasErrors() {
		return nil, false
	}
	return statemgr.NewFilesystem(env.abs(path), env.Logger), true
}

// readState reads the state without taking its lock, which is safe because
// the state file is only ever replaced whole. It is for the commands that
// only look at the state.
func readState(env *Env, dw *diagWriter) (*states.State, bool) {
	backend, ok := openStateBackend(env, dw)
	if !ok {
		return nil, false
	}
	st, err := backend.Read()
	if err != nil {
		dw.err("Error reading the state", err)
		return nil, false
	}
	followConfig(env, st)
	return st, true
}

// followConfig names the records of st as the configuration in env.Dir
// does now, so that after a block is renamed the state commands show and
// accept the new name. It returns the evaluated configuration, or nil
// when it does not evaluate (it may need -var values these commands do
// not take); the records then keep the names they were sent under.
func followConfig(env *Env, st *states.State) *lang.Result {
	cfg, _, diags := lang.Load(lang.Options{Dir: env.Dir})
	if cfg == nil {
		env.Logger.Debug("the configuration does not evaluate; the state's addresses are as recorded", "errors", len(diags.Errs()))
		return nil
	}
	if n := engine.FollowAddresses(cfg, st); n > 0 {
		env.Logger.Debug("records take the address the configuration gives them now", "records", n)
	}
	return cfg
}

// lockedState opens the configuration's state, takes its lock and reads
// it, reporting a failure to dw; ok is false after one. The caller must
// call unlock.
func lockedState(ctx context.Context, env *Env, dw *diagWriter, cfg *lang.Result, operation string, timeout time.Duration) (backend statemgr.Backend, st *states.State, unlock func(), ok bool) {
	fail := func(err error) (statemgr.Backend, *states.State, func(), bool) {
		dw.err(lockErrorSummary(err), err)
		return nil, nil, nil, false
	}
	path := env.abs(cfg.StatePath)
	// state_path may name a folder a fresh checkout lacks, as when the
	// state is kept out of git: make it, private as the state is.
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fail(err)
	}
	backend = statemgr.NewFilesystem(path, env.Logger)
	lock, err := lockState(ctx, env, backend, operation, timeout)
	if err != nil {
		return fail(err)
	}
	unlock = func() {
		if err := backend.Unlock(lock.ID); err != nil {
			env.Logger.Error("releasing the state lock", "error", err)
		}
	}
	st, err = backend.Read()
	if err != nil {
		unlock()
		return fail(err)
	}
	logState(env.Logger, path, st)
	return backend, st, unlock, true
}

// lockState takes backend's lock for operation. When another herald holds
// it and timeout allows a wait, it first says that it waits (to stderr,
// so that stdout stays the command's output), rather than sitting silent.
func lockState(ctx context.Context, env *Env, backend statemgr.Backend, operation string, timeout time.Duration) (*statemgr.LockInfo, error) {
	lock, err := backend.Lock(ctx, operation, 0)
	var held *statemgr.LockError
	if timeout <= 0 || !errors.As(err, &held) {
		return lock, err
	}
	fmt.Fprintln(env.Stderr, "Acquiring state lock. This may take a few moments...")
	return backend.Lock(ctx, operation, timeout)
}

// lockErrorSummary names the failure for the diagnostic's summary.
func lockErrorSummary(err error) string {
	var le *statemgr.LockError
	if errors.As(err, &le) {
		return "Error acquiring the state lock"
	}
	return "Error reading the state"
}
