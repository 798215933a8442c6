package command

import (
	"context"
	"fmt"

	"github.com/heraldhq/herald/internal/command/arguments"
	"github.com/heraldhq/herald/internal/command/views"
	"github.com/heraldhq/herald/internal/engine"
	"github.com/heraldhq/herald/internal/lang"
	"github.com/heraldhq/herald/internal/plans"
	"github.com/heraldhq/herald/internal/states"
)

var cmdPlan = &Command{
	UsageLine: "herald plan [options]",
	Short:     "Show what apply would send",
	Long: `Evaluates the configuration, compares every delivery (one message to one
recipient) with the state of what was already sent, and shows what apply
would do: who receives what, and why.

Nothing is sent. Save the plan with -out=FILE and apply exactly that plan
later with "herald apply FILE".

Exit status: 0 success, 1 error; with -detailed-exitcode, 0 nothing to
send, 1 error, 2 something to send.

Addresses for -target, -exclude and -replace: message.NAME,
message.NAME["KEY"], or either followed by :+NUMBER for one recipient.`,
	Run: runPlan,
}

func runPlan(env *Env, args []string) int {
	f, diags, err := arguments.ParsePlan(newFlagSet(env, "plan"), args)
	if err != nil {
		return flagStatus(err)
	}
	color := env.color(f.NoColor)
	dw := &diagWriter{env: env, color: color}
	if f.JSON {
		dw.jsonToStderr()
	}
	if dw.diags(diags); diags.HasErrors() {
		return ExitError
	}

	p, ok := makePlan(env, dw, f)
	if !ok {
		return ExitError
	}
	if f.Out != "" {
		if err := plans.WriteFile(f.Out, p); err != nil {
			dw.err("Error saving the plan", err)
			return ExitError
		}
	}

	switch {
	case f.JSON:
		if err := views.PlanJSON(env.Stdout, p); err != nil {
			dw.err("Error writing the plan", err)
			return ExitError
		}
	case f.Format == "markdown":
		if err := views.PlanMarkdown(env.Stdout, p, views.MarkdownOptions{PlanFile: f.Out, Marker: f.Marker}); err != nil {
			dw.err("Error writing the plan", err)
			return ExitError
		}
	default:
		views.PlanText(env.Stdout, p, views.TextOptions{Color: color})
		if f.Out != "" {
			fmt.Fprintf(env.Stdout, "\nSaved the plan to %s. To send exactly this, run:\n  herald apply %s\n", f.Out, f.Out)
		}
	}

	if !checkMaxSends(dw, &f.Operation, p) {
		return ExitError
	}
	if f.DetailedExitcode && p.Summary().Sends() > 0 {
		return 2
	}
	return 0
}

// makePlan loads the configuration and the state and plans, holding the
// state lock only while it reads.
func makePlan(env *Env, dw *diagWriter, f *arguments.Plan) (*plans.Plan, bool) {
	// The state is read while the rest of the configuration is evaluated;
	// a configuration in error stops the wait for the lock.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var opening chan openedState
	cfg, ok := loadConfigWith(env, dw, lang.Options{Args: f.Vars.Args, StateSettings: func(s lang.StateSettings) {
		opening = make(chan openedState, 1)
		go func() { opening <- openState(ctx, env, s, "plan", f.LockTimeout) }()
	}})
	if !ok {
		cancel()
		if opening != nil {
			(<-opening).release()
		}
		return nil, false
	}
	var opened openedState
	if opening != nil {
		opened = <-opening
	} else {
		// Load reports the settings of every configuration that loads;
		// this is for one that did not.
		opened = openState(ctx, env, lang.StateSettings{Path: cfg.StatePath, Backend: cfg.Backend}, "plan", f.LockTimeout)
	}
	_, st, unlock, ok := checkOpenedState(env, dw, cfg, opened)
	if !ok {
		return nil, false
	}
	defer unlock()
	return planWith(dw, &f.Operation, cfg, st)
}

// planWith plans cfg against st as the options ask, printing warnings.
func planWith(dw *diagWriter, o *arguments.Operation, cfg *lang.Result, st *states.State) (*plans.Plan, bool) {
	opts := planOptions(o)
	if !checkTargetNames(dw, cfg, opts) {
		return nil, false
	}
	p, diags := engine.Plan(cfg, st, opts)
	dw.diags(diags)
	if diags.HasErrors() {
		return nil, false
	}
	logPlan(dw.env.Logger, p)
	p.HeraldVersion = dw.env.Version
	p.Backend = backendIdentity(dw.env, cfg)
	return p, true
}
