package arguments

import (
	"flag"

	"github.com/hashicorp/hcl/v2"
)

// Validate is herald validate's command line.
type Validate struct {
	Vars
	JSON    bool
	NoColor bool
}

// ParseValidate parses and checks validate's command line. err is the
// flag package's (already printed, or flag.ErrHelp); diags are the rest.
func ParseValidate(fs *flag.FlagSet, args []string) (v *Validate, diags hcl.Diagnostics, err error) {
	v = &Validate{}
	fs.BoolVar(&v.JSON, "json", false, "print the result as JSON")
	fs.BoolVar(&v.NoColor, "no-color", false, "turn colour off")
	v.Vars.register(fs)
	if err := parse(fs, args); err != nil {
		return v, nil, err
	}
	if fs.NArg() > 0 {
		diags = append(diags, errorf("Unexpected argument", "The validate command takes no arguments, got %q: it validates the working folder (use -chdir=DIR for another).", fs.Arg(0)))
	}
	return v, diags, nil
}

// Show is herald show's command line.
type Show struct {
	JSON    bool
	NoColor bool
	// Format is -format: "" or "markdown", which needs a PlanFile.
	Format string
	Marker string
	// PlanFile is the saved plan to show, or "" for the state.
	PlanFile string
}

// ParseShow parses and checks show's command line. err is the flag
// package's (already printed, or flag.ErrHelp); diags are the rest.
func ParseShow(fs *flag.FlagSet, args []string) (s *Show, diags hcl.Diagnostics, err error) {
	s = &Show{}
	fs.BoolVar(&s.JSON, "json", false, "print JSON")
	fs.StringVar(&s.Format, "format", "", "print a plan as `FORMAT`: markdown")
	fs.StringVar(&s.Marker, "marker", "", MarkerUsage)
	fs.BoolVar(&s.NoColor, "no-color", false, "turn colour off")
	if err := parse(fs, args); err != nil {
		return s, nil, err
	}
	if diags = CheckPlanFormat(s.JSON, s.Format, s.Marker); diags.HasErrors() {
		return s, diags, nil
	}
	switch {
	case fs.NArg() > 1:
		diags = append(diags, errorf("Too many arguments", "The show command takes at most one argument, a saved plan file."))
	case fs.NArg() == 1:
		s.PlanFile = fs.Arg(0)
	case s.Format != "":
		diags = append(diags, errorf("Nothing to render as Markdown", "The option -format=markdown renders a saved plan: herald show -format=markdown PLANFILE."))
	}
	return s, diags, nil
}
