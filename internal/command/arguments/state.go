package arguments

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/heraldhq/herald/internal/addrs"
)

// Deliveries selects recorded deliveries, for the state commands: the
// addresses given as arguments (none selects all) and -ref.
type Deliveries struct {
	// Addresses are the arguments as given, for messages that name them.
	Addresses []string
	// Targets are Addresses, parsed.
	Targets []addrs.Target
	// Ref is -ref, when RefSet: an empty ref is a ref too.
	Ref    string
	RefSet bool
}

func (d *Deliveries) register(fs *flag.FlagSet) {
	fs.Func("ref", "only the deliveries whose ref is `REF`, as \"state list\" shows it", func(s string) error {
		d.Ref, d.RefSet = s, true
		return nil
	})
}

// check parses the addresses in args.
func (d *Deliveries) check(args []string) hcl.Diagnostics {
	d.Addresses = args
	for _, arg := range args {
		t, err := addrs.ParseTarget(arg)
		if err != nil {
			return hcl.Diagnostics{errorf("Invalid address", "%s.", capitalFirst(strings.TrimRight(err.Error(), ".")))}
		}
		d.Targets = append(d.Targets, t)
	}
	return nil
}

// capitalFirst starts addrs' lowercase error ("invalid address ...") as a
// sentence.
func capitalFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// StateList is herald state list's command line.
type StateList struct {
	Deliveries
	JSON bool
}

// ParseStateList parses and checks state list's command line. err is the
// flag package's (already printed, or flag.ErrHelp); diags are the rest.
func ParseStateList(fs *flag.FlagSet, args []string) (l *StateList, diags hcl.Diagnostics, err error) {
	l = &StateList{}
	fs.BoolVar(&l.JSON, "json", false, "print JSON")
	l.Deliveries.register(fs)
	if err := parse(fs, args); err != nil {
		return l, nil, err
	}
	return l, l.check(fs.Args()), nil
}

// StateShow is herald state show's command line: exactly one address.
type StateShow struct {
	Deliveries
}

// ParseStateShow parses and checks state show's command line. err is the
// flag package's (already printed, or flag.ErrHelp); diags are the rest.
func ParseStateShow(fs *flag.FlagSet, args []string) (s *StateShow, diags hcl.Diagnostics, err error) {
	s = &StateShow{}
	s.Deliveries.register(fs)
	if err := parse(fs, args); err != nil {
		return s, nil, err
	}
	if fs.NArg() != 1 {
		return s, hcl.Diagnostics{errorf("Expected one address", "The state show command takes exactly one ADDRESS, such as message.announce:+12025550123; \"herald state list\" lists them.")}, nil
	}
	return s, s.check(fs.Args()), nil
}

// StateRm is herald state rm's command line.
type StateRm struct {
	Deliveries
	DryRun      bool
	LockTimeout time.Duration
	// Undeclared is -undeclared: prune what the configuration no longer
	// declares, those older than OlderThan when it is given.
	Undeclared  bool
	OlderThan   Age
	AutoApprove bool
	NoInput     bool
}

// ParseStateRm parses and checks state rm's command line. err is the flag
// package's (already printed, or flag.ErrHelp); diags are the rest.
func ParseStateRm(fs *flag.FlagSet, args []string) (r *StateRm, diags hcl.Diagnostics, err error) {
	r = &StateRm{}
	fs.BoolVar(&r.DryRun, "dry-run", false, "list what would be removed, and remove nothing")
	LockTimeoutVar(fs, &r.LockTimeout)
	r.Deliveries.register(fs)
	fs.BoolVar(&r.Undeclared, "undeclared", false, "remove the deliveries the configuration no longer declares")
	fs.Var(&r.OlderThan, "older-than", "with -undeclared, only those last updated more than `AGE` ago (720h, 30d)")
	fs.BoolVar(&r.AutoApprove, "auto-approve", false, "with -undeclared, remove without asking")
	InputVar(fs, &r.NoInput)
	if err := parse(fs, args); err != nil {
		return r, nil, err
	}
	switch {
	case fs.NArg() == 0 && !r.Undeclared:
		return r, hcl.Diagnostics{errorf("Expected at least one address", "The state rm command takes the addresses of the deliveries to forget, such as message.announce:+12025550123 (\"herald state list\" lists them), or -undeclared to prune what the configuration no longer declares.")}, nil
	case r.OlderThan.Given && !r.Undeclared:
		return r, hcl.Diagnostics{errorf("Invalid option", "The option -older-than goes with -undeclared: it prunes history, while an ADDRESS names deliveries to forget whatever their age.")}, nil
	}
	return r, r.check(fs.Args()), nil
}

// Age is a duration flag that also takes whole days, "30d", since history
// is pruned by days more often than by hours.
type Age struct {
	D time.Duration
	// Text is the age as given, for messages.
	Text  string
	Given bool
}

func (a *Age) String() string {
	if a == nil {
		return ""
	}
	return a.Text
}

func (a *Age) Set(s string) error {
	d, err := time.ParseDuration(s)
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, nerr := strconv.Atoi(days)
		d, err = time.Duration(n)*24*time.Hour, nerr
	}
	if err != nil || d <= 0 {
		return fmt.Errorf("want a positive age such as 720h or 30d")
	}
	a.D, a.Text, a.Given = d, s, true
	return nil
}

// Phrase is " and last updated more than AGE ago", or "" when unset.
func (a Age) Phrase() string {
	if !a.Given {
		return ""
	}
	return " and last updated more than " + a.Text + " ago"
}
