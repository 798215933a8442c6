package command

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/heraldhq/herald/internal/delivery"
	"github.com/heraldhq/herald/internal/engine"
	"github.com/heraldhq/herald/internal/lang"
	"github.com/heraldhq/herald/internal/states"
	"github.com/heraldhq/herald/internal/states/statemgr"
)

// stateBackend is a state backend as the commands use it.
type stateBackend interface {
	statemgr.Backend
	// Both backends record receipts, for listen and import-receipts.
	statemgr.ReceiptStore
	// LockHolder names who holds the lock now, nil when no one does or it
	// cannot be read.
	LockHolder() *statemgr.LockInfo
}

// openStateBackend finds the state as the configuration in env.Dir names
// it, reading only the herald block: the state commands must work while
// the rest of the configuration does not evaluate. The caller must call
// closeBackend.
func openStateBackend(env *Env, dw *diagWriter) (stateBackend, bool) {
	settings, diags := lang.ReadStateSettings(env.Dir, os.LookupEnv)
	if settings.Backend != nil {
		diags = append(diags, settings.Backend.ConnStrDiags...)
	}
	dw.diags(diags)
	if diags.HasErrors() {
		return nil, false
	}
	return newStateBackend(env, settings.Path, settings.Backend), true
}

// newStateBackend is the backend of the state file path, or of b when the
// configuration has a backend block.
func newStateBackend(env *Env, path string, b *lang.Backend) stateBackend {
	if b == nil {
		return statemgr.NewFilesystem(env.abs(path), env.Logger)
	}
	return statemgr.NewPostgres(statemgr.PostgresConfig{
		ConnStr:   b.ConnStr,
		Schema:    b.SchemaName,
		StateName: b.StateName,
	}, env.Logger)
}

// backendIdentity names where cfg keeps its state, for saved plans:
// empty for the local state file.
func backendIdentity(env *Env, cfg *lang.Result) string {
	if cfg.Backend == nil {
		return ""
	}
	if p, ok := newStateBackend(env, cfg.StatePath, cfg.Backend).(*statemgr.Postgres); ok {
		return p.Identity()
	}
	return ""
}

// describeIdentity is a backend identity for a message.
func describeIdentity(id string) string {
	if id == "" {
		return "the local state file"
	}
	return id
}

// closeBackend closes the backend's connection, if it has one.
func closeBackend(env *Env, b statemgr.Backend) {
	if c, ok := b.(io.Closer); ok {
		if err := c.Close(); err != nil {
			env.Logger.Debug("closing the state backend", "error", err)
		}
	}
}

// backendWhere names where the state of b lives, for logs and messages.
func backendWhere(b statemgr.Backend, path string) string {
	if p, ok := b.(*statemgr.Postgres); ok {
		return p.Where()
	}
	return path
}

// readState reads the state without taking its lock, which is safe because
// the state file is only ever replaced whole. It is for the commands that
// only look at the state.
func readState(env *Env, dw *diagWriter) (*states.State, bool) {
	backend, ok := openStateBackend(env, dw)
	if !ok {
		return nil, false
	}
	defer closeBackend(env, backend)
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
	settings := lang.StateSettings{Path: cfg.StatePath, Backend: cfg.Backend}
	return checkOpenedState(env, dw, cfg, openState(ctx, env, settings, operation, timeout))
}

// openedState is a state opened, locked and read by openState, or why it
// could not be.
type openedState struct {
	settings lang.StateSettings
	backend  statemgr.Backend
	st       *states.State
	unlock   func()
	// diags or err, reported with lockErrorSummary, say why not.
	diags hcl.Diagnostics
	err   error
}

// openState opens the state that settings name, takes its lock and reads
// it. It reports nothing, so that it may run while the configuration is
// evaluated: a large state takes as long to read as a large configuration
// to evaluate, and the two need nothing of each other but the settings.
func openState(ctx context.Context, env *Env, settings lang.StateSettings, operation string, timeout time.Duration) openedState {
	o := openedState{settings: settings}
	if settings.Backend != nil && settings.Backend.ConnStrDiags.HasErrors() {
		o.diags = settings.Backend.ConnStrDiags
		return o
	}
	if settings.Backend == nil {
		// state_path may name a folder a fresh checkout lacks, as when the
		// state is kept out of git: make it, private as the state is.
		if err := os.MkdirAll(filepath.Dir(env.abs(settings.Path)), 0o700); err != nil {
			o.err = err
			return o
		}
	}
	backend := newStateBackend(env, settings.Path, settings.Backend)
	lock, err := lockState(ctx, env, backend, operation, timeout)
	if err != nil {
		closeBackend(env, backend)
		o.err = err
		return o
	}
	unlock := func() {
		if err := backend.Unlock(lock.ID); err != nil {
			env.Logger.Error("releasing the state lock", "error", err)
		}
		closeBackend(env, backend)
	}
	st, err := backend.Read()
	if err != nil {
		unlock()
		o.err = err
		return o
	}
	o.backend, o.st, o.unlock = backend, st, unlock
	return o
}

// release gives up a state opened for a configuration that then failed.
func (o openedState) release() {
	if o.unlock != nil {
		o.unlock()
	}
}

// checkOpenedState reports why o could not be opened, or checks it
// against cfg, the configuration evaluated meanwhile, and keys cfg's
// digests with its secret; ok is false after a report.
func checkOpenedState(env *Env, dw *diagWriter, cfg *lang.Result, o openedState) (backend statemgr.Backend, st *states.State, unlock func(), ok bool) {
	if o.diags.HasErrors() {
		dw.diags(o.diags)
		return nil, nil, nil, false
	}
	if o.err != nil {
		dw.err(lockErrorSummary(o.err), o.err)
		return nil, nil, nil, false
	}
	fail := func(err error) (statemgr.Backend, *states.State, func(), bool) {
		o.unlock()
		dw.err(lockErrorSummary(err), err)
		return nil, nil, nil, false
	}
	backend, st = o.backend, o.st
	if cfg.Backend != nil && st.Serial == 0 && st.Deliveries.Len() == 0 {
		// An empty ledger beside a local one would send everything again.
		local := env.abs(lang.DefaultStatePath)
		if _, err := os.Stat(local); err == nil {
			return fail(fmt.Errorf("the %s is empty, and a local state file %s lies beside the configuration: planning against the empty state would send everything that file records as sent. Move its records into the backend first with: herald state push %s", backendWhere(backend, env.abs(o.settings.Path)), local, lang.DefaultStatePath))
		}
	}
	logState(env.Logger, backendWhere(backend, env.abs(o.settings.Path)), st)
	if err := keyDigests(env, backend, cfg); err != nil {
		return fail(err)
	}
	return backend, st, o.unlock, true
}

// keyDigests keys the digests of cfg's sensitive instances with the
// ledger's digest secret, which the backend keeps apart from the state,
// making the secret on first need. A configuration with no sensitive
// content never asks for it.
func keyDigests(env *Env, backend statemgr.Backend, cfg *lang.Result) error {
	var sensitive []*delivery.Instance
	for _, in := range cfg.Instances {
		if in.Sensitive {
			sensitive = append(sensitive, in)
		}
	}
	if len(sensitive) == 0 {
		return nil
	}
	ds, ok := backend.(statemgr.DigestSecrets)
	if !ok {
		return fmt.Errorf("the state backend keeps no digest secret, which sensitive messages need")
	}
	key, created, err := ds.DigestSecret()
	if err != nil {
		return err
	}
	env.Logger.Debug("keyed the digests of sensitive messages", "instances", len(sensitive), "key_id", key.ID(), "created", created)
	for _, in := range sensitive {
		in.KeyDigest(key)
	}
	return nil
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
