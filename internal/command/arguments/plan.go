package arguments

import (
	"flag"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/heraldhq/herald/internal/addrs"
	"github.com/heraldhq/herald/internal/kaleyra"
)

// Operation is what plan and apply share: the variables, the addresses
// that shape the plan, the state lock's wait and the send limit.
type Operation struct {
	Vars
	// Targets, Excludes, Replace and ReplaceUnknown are -target, -exclude,
	// -replace and -replace-unknown, parsed.
	Targets        []addrs.Target
	Excludes       []addrs.Target
	Replace        []addrs.Target
	ReplaceUnknown []addrs.Target
	LockTimeout    time.Duration
	// MaxSends is -max-sends, nil when it is not given: -max-sends=0 allows
	// no sends at all.
	MaxSends *int
	NoColor  bool
	// NoInput is -input=false: never ask, even on a terminal.
	NoInput bool

	targets, excludes, replaces, replaceUnknowns stringList
	maxSends                                     optionalInt
}

func (o *Operation) register(fs *flag.FlagSet) {
	o.Vars.register(fs)
	fs.Var(&o.targets, "target", "plan only the deliveries of `ADDRESS` (message.NAME, message.NAME[\"KEY\"], optionally :+NUMBER); repeatable")
	fs.Var(&o.excludes, "exclude", "leave out the deliveries of `ADDRESS`; repeatable")
	fs.Var(&o.replaces, "replace", "send again the deliveries of `ADDRESS` that were sent, changed or unknown; repeatable")
	fs.Var(&o.replaceUnknowns, "replace-unknown", "send again only the deliveries of `ADDRESS` whose outcome is unknown, leaving those sent alone; repeatable")
	LockTimeoutVar(fs, &o.LockTimeout)
	fs.Var(&o.maxSends, "max-sends", "refuse, before sending anything, a plan with more than `N` sends")
	fs.BoolVar(&o.NoColor, "no-color", false, "turn colour off")
	InputVar(fs, &o.NoInput)
}

// shapesPlan tells whether any address option was given: they shape a new
// plan, so a saved plan cannot take them.
func (o *Operation) shapesPlan() bool {
	return len(o.targets)+len(o.excludes)+len(o.replaces)+len(o.replaceUnknowns) > 0
}

// check parses the address options, after the flags are parsed.
func (o *Operation) check() hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, set := range []struct {
		flag string
		in   []string
		out  *[]addrs.Target
	}{
		{"-target", o.targets, &o.Targets},
		{"-exclude", o.excludes, &o.Excludes},
		{"-replace", o.replaces, &o.Replace},
		{"-replace-unknown", o.replaceUnknowns, &o.ReplaceUnknown},
	} {
		for _, s := range set.in {
			t, err := addrs.ParseTarget(s)
			if err != nil {
				diags = append(diags, errorf("Invalid address", "%s: %s.", set.flag, strings.TrimRight(err.Error(), ".")))
				continue
			}
			*set.out = append(*set.out, t)
		}
	}
	if o.maxSends.set {
		n := o.maxSends.n
		o.MaxSends = &n
	}
	return diags
}

// Plan is herald plan's command line.
type Plan struct {
	Operation
	// Out is -out, the file to save the plan to, or "".
	Out              string
	DetailedExitcode bool
	JSON             bool
	// Format is -format: "" or "markdown".
	Format string
	// Marker is -marker, the Markdown plan's comment name, or "".
	Marker string
}

// ParsePlan parses and checks plan's command line. err is the flag
// package's (already printed, or flag.ErrHelp); diags are the rest.
func ParsePlan(fs *flag.FlagSet, args []string) (p *Plan, diags hcl.Diagnostics, err error) {
	p = &Plan{}
	p.Operation.register(fs)
	fs.StringVar(&p.Out, "out", "", "save the plan to `FILE` for \"herald apply FILE\"")
	fs.BoolVar(&p.DetailedExitcode, "detailed-exitcode", false, "exit 0 when nothing is to be sent, 2 when something is, 1 on error")
	fs.BoolVar(&p.JSON, "json", false, "print the plan as one JSON document")
	fs.StringVar(&p.Format, "format", "", "print the plan as `FORMAT`: markdown, for a pull-request comment")
	fs.StringVar(&p.Marker, "marker", "", MarkerUsage)
	if err := parse(fs, args); err != nil {
		return p, nil, err
	}
	if fs.NArg() > 0 {
		diags = append(diags, errorf("Unexpected argument", "Plan takes no arguments, got %q. To plan another folder, run herald -chdir=DIR plan; to set a variable, use -var NAME=VALUE.", fs.Arg(0)))
	}
	diags = append(diags, p.Operation.check()...)
	diags = append(diags, CheckPlanFormat(p.JSON, p.Format, p.Marker)...)
	return p, diags, nil
}

// MarkerUsage is -marker's help, for plan and show.
const MarkerUsage = "with -format=markdown, start the document with <!-- herald-plan: `NAME` --> (default herald-plan), so that two workflows in one repository each update their own comment"

// CheckPlanFormat refuses a -format other than markdown, -format with
// -json, -marker without -format=markdown (where it would do nothing) and
// a marker that would end the HTML comment it sits in, for the commands
// that render a plan (plan and show).
func CheckPlanFormat(asJSON bool, format, marker string) hcl.Diagnostics {
	if format != "" && format != "markdown" {
		return hcl.Diagnostics{errorf("Invalid -format", "Unknown format %q; the only one is markdown.", format)}
	}
	if asJSON && format != "" {
		return hcl.Diagnostics{errorf("Conflicting options", "-json and -format cannot be used together.")}
	}
	switch {
	case marker == "":
	case format != "markdown":
		return hcl.Diagnostics{errorf("Invalid -marker", "-marker names the Markdown plan's comment, so it goes with -format=markdown.")}
	case strings.ContainsAny(marker, "\n\r") || strings.Contains(marker, "--"):
		return hcl.Diagnostics{errorf("Invalid -marker", "The marker %q would break the HTML comment it is written in: use letters, digits, / . _ and single dashes.", marker)}
	}
	return nil
}

// MaxParallelism bounds -parallelism. Every unit of parallelism is a
// goroutine and a connection; Kaleyra's per-number rate limits keep far
// fewer than this busy, and a typo of a few more zeros once started a
// hundred million goroutines.
const MaxParallelism = 1000

// Apply is herald apply's command line.
type Apply struct {
	Operation
	AutoApprove bool
	// Parallelism is -parallelism, from 1 to MaxParallelism.
	Parallelism int
	JSON        bool
	// PlanFile is the saved plan to apply, or "" to make a plan.
	PlanFile string
}

// ParseApply parses and checks apply's command line. err is the flag
// package's (already printed, or flag.ErrHelp); diags are the rest.
func ParseApply(fs *flag.FlagSet, args []string) (a *Apply, diags hcl.Diagnostics, err error) {
	a = &Apply{}
	a.Operation.register(fs)
	fs.BoolVar(&a.AutoApprove, "auto-approve", false, "send without asking for confirmation")
	fs.IntVar(&a.Parallelism, "parallelism", kaleyra.DefaultParallelism, "send at most `N` requests at once")
	fs.BoolVar(&a.JSON, "json", false, "print one JSON event per line")
	if err := parse(fs, args); err != nil {
		return a, nil, err
	}
	if a.Parallelism < 1 || a.Parallelism > MaxParallelism {
		diags = append(diags, errorf("Invalid -parallelism", "-parallelism must be from 1 to %d, got %d.", MaxParallelism, a.Parallelism))
	}
	switch fs.NArg() {
	case 0:
	case 1:
		a.PlanFile = fs.Arg(0)
		if a.shapesPlan() {
			diags = append(diags, errorf("Conflicting options", "-target, -exclude, -replace and -replace-unknown shape a new plan; a saved plan is applied as it was made."))
		}
	default:
		diags = append(diags, errorf("Too many arguments", "Apply takes at most one argument, a saved plan file."))
	}
	diags = append(diags, a.Operation.check()...)
	return a, diags, nil
}
