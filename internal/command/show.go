package command

import (
	"github.com/heraldhq/herald/internal/command/views"
	"github.com/heraldhq/herald/internal/plans"
	"github.com/heraldhq/herald/internal/states/statefile"
)

var cmdShow = &Command{
	UsageLine: "herald show [-json | -format=markdown [-marker=NAME]] [PLANFILE]",
	Short:     "Show a saved plan, or the state",
	Long: `With PLANFILE, shows a plan saved by "herald plan -out=FILE": as text, as
the plan JSON document (-json), or as Markdown for a pull-request comment
(-format=markdown).

Without PLANFILE, summarises the state: what was sent, what failed and what
is unknown. With -json it prints the state document.`,
	Run: runShow,
}

func runShow(env *Env, args []string) int {
	var asJSON, noColor bool
	var format string
	fs := newFlagSet(env, "show")
	fs.BoolVar(&asJSON, "json", false, "print JSON")
	fs.StringVar(&format, "format", "", "print a plan as `FORMAT`: markdown")
	var marker string
	fs.StringVar(&marker, "marker", "", markerUsage)
	fs.BoolVar(&noColor, "no-color", false, "turn colour off")
	if status, ok := parseFlags(fs, args); !ok {
		return status
	}
	color := env.color(noColor)
	dw := &diagWriter{env: env, color: color}
	if asJSON {
		dw.jsonToStderr()
	}
	if !checkPlanFormat(dw, asJSON, format) || !checkMarker(dw, format, marker) {
		return ExitError
	}
	if fs.NArg() > 1 {
		dw.fail("Too many arguments", "The show command takes at most one argument, a saved plan file.")
		return ExitError
	}

	if fs.NArg() == 0 {
		if format != "" {
			dw.fail("Nothing to render as Markdown", "The option -format=markdown renders a saved plan: herald show -format=markdown PLANFILE.")
			return ExitError
		}
		return showState(env, dw, asJSON)
	}

	p, err := plans.ReadFile(fs.Arg(0))
	if err != nil {
		dw.err("Error reading the saved plan", err)
		return ExitError
	}
	switch {
	case asJSON:
		err = views.PlanJSON(env.Stdout, p)
	case format == "markdown":
		err = views.PlanMarkdown(env.Stdout, p, views.MarkdownOptions{PlanFile: fs.Arg(0), Marker: marker})
	default:
		views.PlanText(env.Stdout, p, views.TextOptions{Color: color})
	}
	if err != nil {
		dw.err("Error writing the plan", err)
		return ExitError
	}
	return 0
}

func showState(env *Env, dw *diagWriter, asJSON bool) int {
	st, ok := readState(env, dw)
	if !ok {
		return ExitError
	}
	if asJSON {
		if err := statefile.Write(env.Stdout, st); err != nil {
			dw.err("Error writing the state", err)
			return ExitError
		}
		return 0
	}
	views.StateSummaryText(env.Stdout, st)
	return 0
}
