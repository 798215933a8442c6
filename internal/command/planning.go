package command

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

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
	replaceUnknowns  stringList
	lockTimeout      time.Duration
	maxSends         optionalInt
	json             bool
	noColor          bool
	detailedExitcode bool
	out              string
	format           string
	marker           string
	// noInput is -input=false: never ask, even on a terminal.
	noInput bool
}

func (f *planFlags) register(fs *flag.FlagSet) {
	f.vars.register(fs)
	fs.Var(&f.targets, "target", "plan only the deliveries of `ADDRESS` (message.NAME, message.NAME[\"KEY\"], optionally :+NUMBER); repeatable")
	fs.Var(&f.excludes, "exclude", "leave out the deliveries of `ADDRESS`; repeatable")
	fs.Var(&f.replaces, "replace", "send again the deliveries of `ADDRESS` that were sent, changed or unknown; repeatable")
	fs.Var(&f.replaceUnknowns, "replace-unknown", "send again only the deliveries of `ADDRESS` whose outcome is unknown, leaving those sent alone; repeatable")
	durationVar(fs, &f.lockTimeout, "lock-timeout", 0, "wait up to `DURATION` for the state lock")
	fs.Var(&f.maxSends, "max-sends", "refuse, before sending anything, a plan with more than `N` sends")
	fs.BoolVar(&f.noColor, "no-color", false, "turn colour off")
	inputFlag(fs, &f.noInput)
}

// inputFlag defines -input: -input=false never asks a question, even on
// a terminal, as in CI; a question it would have asked is then refused.
func inputFlag(fs *flag.FlagSet, noInput *bool) {
	fs.BoolFunc("input", "ask for confirmation on a terminal (default true); -input=false never asks", func(s string) error {
		v, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("want true or false")
		}
		*noInput = !v
		return nil
	})
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
		{"-replace-unknown", f.replaceUnknowns, &opts.ReplaceUnknown},
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

// checkTargetNames refuses a -target, -exclude or -replace whose message
// declares no delivery, saying which declared message it is near: a typo
// in -target must not plan nothing, nor -exclude leave out nothing,
// behind a warning that is easy to miss.
func checkTargetNames(dw *diagWriter, cfg *lang.Result, opts engine.PlanOptions) bool {
	declared := map[string]bool{}
	var names []string
	for i := range cfg.Deliveries {
		if n := cfg.Deliveries[i].Address.Message.Name; !declared[n] {
			declared[n] = true
			names = append(names, n)
		}
	}
	ok := true
	for _, set := range []struct {
		flag    string
		targets []addrs.Target
	}{{"-target", opts.Targets}, {"-exclude", opts.Excludes}, {"-replace", opts.Replace}, {"-replace-unknown", opts.ReplaceUnknown}} {
		for _, t := range set.targets {
			if declared[t.Message.Name] {
				continue
			}
			detail := fmt.Sprintf("%s=%s matches no declared delivery: no message named %q declares any.", capitalise(set.flag), t, t.Message.Name)
			if near := addrs.Suggest(t.Message.Name, names); near != "" {
				t.Message.Name = near
				detail += fmt.Sprintf(" Did you mean %s=%s?", set.flag, t)
			}
			dw.diags(hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid " + set.flag, Detail: detail}})
			ok = false
		}
	}
	return ok
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

// markerUsage is -marker's help, for plan and show.
const markerUsage = "with -format=markdown, start the document with <!-- herald-plan: `NAME` --> (default herald-plan), so that two workflows in one repository each update their own comment"

// checkMarker refuses -marker without -format=markdown, where it would do
// nothing, and a marker that would end the HTML comment it sits in.
func checkMarker(dw *diagWriter, format, marker string) bool {
	switch {
	case marker == "":
		return true
	case format != "markdown":
		dw.err("Invalid -marker", fmt.Errorf("-marker names the Markdown plan's comment, so it goes with -format=markdown"))
		return false
	case strings.ContainsAny(marker, "\n\r") || strings.Contains(marker, "--"):
		dw.err("Invalid -marker", fmt.Errorf("the marker %q would break the HTML comment it is written in: use letters, digits, / . _ and single dashes", marker))
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
