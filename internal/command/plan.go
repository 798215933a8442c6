package command

import (
	"context"
	"fmt"

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
	var f planFlags
	fs := newFlagSet(env, "plan")
	f.register(fs)
	fs.StringVar(&f.out, "out", "", "save the plan to `FILE` for \"herald apply FILE\"")
	fs.BoolVar(&f.detailedExitcode, "detailed-exitcode", false, "exit 0 when nothing is to be sent, 2 when something is, 1 on error")
	fs.BoolVar(&f.json, "json", false, "print the plan as one JSON document")
	fs.StringVar(&f.format, "format", "", "print the plan as `FORMAT`: markdown, for a pull-request comment")
	fs.StringVar(&f.marker, "marker", "", markerUsage)
	if status, ok := parseFlags(fs, args); !ok {
		return status
	}
	color := env.color(f.noColor)
	dw := &diagWriter{env: env, color: color}
	if f.json {
		dw.jsonToStderr()
	}
	if fs.NArg() > 0 {
		dw.err("Unexpected argument", fmt.Errorf("plan takes no arguments, got %q. To plan another folder, run herald -chdir=DIR plan; to set a variable, use -var NAME=VALUE", fs.Arg(0)))
		return ExitError
	}
	if !checkPlanFormat(dw, f.json, f.format) || !checkMarker(dw, f.format, f.marker) {
		return ExitError
	}

	p, ok := makePlan(env, dw, &f)
	if !ok {
		return ExitError
	}
	if f.out != "" {
		if err := plans.WriteFile(f.out, p); err != nil {
			dw.err("Error saving the plan", err)
			return ExitError
		}
	}

	switch {
	case f.json:
		if err := views.PlanJSON(env.Stdout, p); err != nil {
			dw.err("Error writing the plan", err)
			return ExitError
		}
	case f.format == "markdown":
		if err := views.PlanMarkdown(env.Stdout, p, views.MarkdownOptions{PlanFile: f.out, Marker: f.marker}); err != nil {
			dw.err("Error writing the plan", err)
			return ExitError
		}
	default:
		views.PlanText(env.Stdout, p, views.TextOptions{Color: color})
		if f.out != "" {
			fmt.Fprintf(env.Stdout, "\nSaved the plan to %s. To send exactly this, run:\n  herald apply %s\n", f.out, f.out)
		}
	}

	if !f.checkMaxSends(dw, p) {
		return ExitError
	}
	if f.detailedExitcode && p.Summary().Sends() > 0 {
		return 2
	}
	return 0
}

// makePlan loads the configuration and the state and plans, holding the
// state lock only while it reads.
func makePlan(env *Env, dw *diagWriter, f *planFlags) (*plans.Plan, bool) {
	cfg, ok := loadConfig(env, dw, f.vars.args)
	if !ok {
		return nil, false
	}
	_, st, unlock, ok := lockedState(context.Background(), env, dw, cfg, "plan", f.lockTimeout)
	if !ok {
		return nil, false
	}
	defer unlock()
	return planWith(dw, f, cfg, st)
}

// planWith plans cfg against st as the flags ask, printing warnings.
func planWith(dw *diagWriter, f *planFlags, cfg *lang.Result, st *states.State) (*plans.Plan, bool) {
	opts, err := f.options()
	if err != nil {
		dw.err("Invalid address", err)
		return nil, false
	}
	if !checkTargetNames(dw, cfg, opts) {
		return nil, false
	}
	p, warnings, err := engine.Plan(cfg, st, opts)
	if err != nil {
		dw.err("Invalid -replace", err)
		return nil, false
	}
	logPlan(dw.env.Logger, p)
	p.HeraldVersion = dw.env.Version
	p.Backend = backendIdentity(dw.env, cfg)
	for _, w := range warnings {
		dw.warn("Partial plan", w)
	}
	return p, true
}
