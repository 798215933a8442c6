// Package arguments parses and checks each command's command line into a
// typed value before the command reads any file or takes any lock: a
// mistyped address, a bound or a conflicting pair of options is reported
// at once, not after the configuration is evaluated and the state locked.
//
// A parse function registers its command's options on a FlagSet that the
// command made (so that -help and the flag package's own errors render the
// command's way), parses, and returns what it found with hcl.Diagnostics
// for every option or argument that is wrong. It never touches a file.
package arguments

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/heraldhq/herald/internal/lang"
)

// parse parses args with fs. A flag error has already been printed by fs
// as a diagnostic, and flag.ErrHelp means -help printed the help; both
// come back as err, for the caller to turn into an exit status.
func parse(fs *flag.FlagSet, args []string) error {
	return fs.Parse(args)
}

// errorf is a diagnostic without a source range; detail is one or more
// full sentences.
func errorf(summary, format string, a ...any) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: fmt.Sprintf(format, a...)}
}

// Vars collects -var and -var-file in command-line order, since a later
// one overrides an earlier one. Commands that evaluate the configuration
// (validate, plan, apply) take them.
type Vars struct {
	Args []lang.VarArg
}

func (v *Vars) register(fs *flag.FlagSet) {
	fs.Func("var", "set a variable, as `NAME=VALUE`; repeatable", func(s string) error {
		v.Args = append(v.Args, lang.VarArg{Value: s})
		return nil
	})
	fs.Func("var-file", "read variable values from `FILE` (HCL, or JSON when it ends .json); repeatable", func(s string) error {
		v.Args = append(v.Args, lang.VarArg{File: true, Value: s})
		return nil
	})
}

// InputVar defines -input: -input=false never asks a question, even on a
// terminal, as in CI; a question it would have asked is then refused.
func InputVar(fs *flag.FlagSet, noInput *bool) {
	fs.BoolFunc("input", "ask for confirmation on a terminal (default true); -input=false never asks", func(s string) error {
		v, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("want true or false")
		}
		*noInput = !v
		return nil
	})
}

// LockTimeoutVar defines -lock-timeout, the wait for the state lock.
func LockTimeoutVar(fs *flag.FlagSet, p *time.Duration) {
	DurationVar(fs, p, "lock-timeout", 0, "wait up to `DURATION` for the state lock")
}

// DurationVar defines a duration flag like fs.DurationVar, whose error for
// a bare number names the missing unit: "-lock-timeout=5" is the usual
// mistake, and "parse error" does not say what is wrong with it.
func DurationVar(fs *flag.FlagSet, p *time.Duration, name string, value time.Duration, usage string) {
	*p = value
	fs.Var(durationValue{p}, name, usage)
}

type durationValue struct{ d *time.Duration }

func (v durationValue) String() string {
	if v.d == nil {
		return time.Duration(0).String() // the flag package's zero, left out of -help
	}
	return v.d.String()
}

func (v durationValue) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err == nil {
		*v.d = d
		return nil
	}
	if _, nerr := strconv.ParseFloat(s, 64); nerr == nil {
		return fmt.Errorf("a duration needs its unit, as %ss (seconds) or %sm (minutes)", s, s)
	}
	return fmt.Errorf("want a duration with its unit, as 30s, 5m or 1h30m")
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }

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
