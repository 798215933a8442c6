package command

import (
	"flag"
	"fmt"
	"strconv"
	"time"

	"github.com/heraldhq/herald/internal/addrs"
	"github.com/heraldhq/herald/internal/engine"
	"github.com/heraldhq/herald/internal/lang"
	"github.com/heraldhq/herald/internal/plans"
)

// planFlags are the flags plan and apply share.
type planFlags struct {
	vars             varFlags
	targets          stringList
	excludes         stringList
	replaces         stringList
	lockTimeout      time.Duration
	maxSends         optionalInt
	json             bool
	noColor          bool
	detailedExitcode bool
	out              string
	format           string
}

func (f *planFlags) register(fs *flag.FlagSet) {
	f.vars.register(fs)
	fs.Var(&f.targets, "target", "plan only the deliveries of `ADDRESS` (message.NAME, message.NAME[\"KEY\"], optionally :+NUMBER); repeatable")
	fs.Var(&f.excludes, "exclude", "leave out the deliveries of `ADDRESS`; repeatable")
	fs.Var(&f.replaces, "replace", "send again the deliveries of `ADDRESS` that were sent, changed or unknown; repeatable")
	fs.DurationVar(&f.lockTimeout, "lock-timeout", 0, "wait up to `DURATION` for the state lock")
	fs.Var(&f.maxSends, "max-sends", "refuse, before sending anything, a plan with more than `N` sends")
	fs.BoolVar(&f.noColor, "no-color", false, "turn colour off")
}

// options turns the address flags into engine options.
func (f *planFlags) options() (engine.PlanOptions, error) {
	var opts engine.PlanOptions
	for _, set := range []struct {
		flag string
		in   []string
		out  *[]addrs.Target
	}{
		{"-target", f.targets, &opts.Targets},
		{"-exclude", f.excludes, &opts.Excludes},
		{"-replace", f.replaces, &opts.Replace},
	} {
		for _, s := range set.in {
			t, err := addrs.ParseTarget(s)
			if err != nil {
				return opts, fmt.Errorf("%s: %w", set.flag, err)
			}
			*set.out = append(*set.out, t)
		}
	}
	return opts, nil
}

// checkMaxSends refuses, with a diagnostic, a plan with more sends than
// -max-sends allows.
func (f *planFlags) checkMaxSends(dw *diagWriter, p *plans.Plan) bool {
	if !f.maxSends.set {
		return true
	}
	if n := p.Summary().Sends(); n > f.maxSends.n {
		dw.err("Too many sends", fmt.Errorf("the plan sends %d messages, more than -max-sends=%d allows; nothing was sent. Review the plan, then raise the limit or narrow it with -target", n, f.maxSends.n))
		return false
	}
	return true
}

// checkPlanFormat refuses a -format other than markdown, and -format with
// -json, for the commands that render a plan (plan and show).
func checkPlanFormat(dw *diagWriter, asJSON bool, format string) bool {
	if format != "" && format != "markdown" {
		dw.err("Invalid -format", fmt.Errorf("unknown format %q; the only one is markdown", format))
		return false
	}
	if asJSON && format != "" {
		dw.err("Conflicting options", fmt.Errorf("-json and -format cannot be used together"))
		return false
	}
	return true
}

// loadConfig evaluates the configuration, printing its diagnostics; ok is
// false when it has errors.
func loadConfig(env *Env, dw *diagWriter, args []lang.VarArg) (*lang.Result, bool) {
	cfg, files, diags := lang.Load(lang.Options{Dir: env.Dir, Args: args})
	dw.files = files
	dw.diags(diags)
	logConfig(env.Logger, env.Dir, len(files), cfg)
	return cfg, !diags.HasErrors()
}

// optionalInt is an integer flag that may be left unset, which is not the
// same as 0: -max-sends=0 allows no sends at all.
type optionalInt struct {
	n   int
	set bool
}

func (o *optionalInt) String() string {
	if o == nil || !o.set {
		return ""
	}
	return strconv.Itoa(o.n)
}

func (o *optionalInt) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return fmt.Errorf("want a whole number of at least 0")
	}
	o.n, o.set = n, true
	return nil
}
