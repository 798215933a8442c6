package command

import (
	"encoding/json"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/heraldhq/herald/internal/addrs"
	"github.com/heraldhq/herald/internal/command/views"
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

// diagWriter prints diagnostics and plain errors the way the command's
// output mode asks: text with source snippets, or JSON.
type diagWriter struct {
	env   *Env
	files map[string]*hcl.File
	color bool
	// json, when set, receives diagnostics instead of stderr.
	json func(hcl.Diagnostics)
}

func (d *diagWriter) diags(diags hcl.Diagnostics) {
	if len(diags) == 0 {
		return
	}
	if d.json != nil {
		d.json(diags)
		return
	}
	views.Diagnostics(d.env.Stderr, d.files, diags, d.color, 0)
}

// diagnosticsJSON is how plan -json and show -json report diagnostics: one
// JSON document per line on stderr, so that stdout holds only the plan.
type diagnosticsJSON struct {
	FormatVersion string                 `json:"format_version"`
	Diagnostics   []views.JSONDiagnostic `json:"diagnostics"`
}

// jsonToStderr makes d print diagnostics as JSON lines on stderr.
func (d *diagWriter) jsonToStderr() {
	d.json = func(diags hcl.Diagnostics) {
		enc := json.NewEncoder(d.env.Stderr)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(diagnosticsJSON{FormatVersion: "1.0", Diagnostics: views.DiagnosticsJSON(diags, d.files)}); err != nil {
			d.env.Logger.Error("writing diagnostics", "error", err)
		}
	}
}

// err prints an error that has no source location.
func (d *diagWriter) err(summary string, err error) {
	d.diags(hcl.Diagnostics{{Severity: hcl.DiagError, Summary: summary, Detail: capitalise(err.Error()) + "."}})
}

func (d *diagWriter) warn(summary, detail string) {
	d.diags(hcl.Diagnostics{{Severity: hcl.DiagWarning, Summary: summary, Detail: detail}})
}

// capitalise starts an error's text with a capital, unless it starts with
// a file name ("g.plan: not a saved plan"), which must be left as it is.
func capitalise(s string) string {
	first, _, _ := strings.Cut(s, " ")
	if s == "" || s[0] < 'a' || s[0] > 'z' || strings.ContainsAny(strings.TrimSuffix(first, ":"), "./") {
		return trimDot(s)
	}
	return string(s[0]-'a'+'A') + trimDot(s[1:])
}

func trimDot(s string) string {
	for len(s) > 0 && s[len(s)-1] == '.' {
		s = s[:len(s)-1]
	}
	return s
}

// loadConfig evaluates the configuration, printing its diagnostics; ok is
// false when it has errors.
func loadConfig(env *Env, dw *diagWriter, args []lang.VarArg) (*lang.Result, bool) {
	cfg, files, diags := lang.Load(lang.Options{Dir: env.Dir, Args: args})
	dw.files = files
	dw.diags(diags)
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
