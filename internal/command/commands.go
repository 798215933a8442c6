package command

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/heraldhq/herald/internal/addrs"
)

// Herald is the root of the command tree: its Commands, in the order
// herald -help lists them, are every command herald has. Run reports an
// unknown command.
var Herald = &Command{
	UsageLine: "herald [-chdir=DIR] COMMAND [options]",
	Long: `herald sends WhatsApp notifications declared in *.herald.hcl files, each at
most once: "plan" shows who will receive what, "apply" sends it.`,
}

var cmdState = &Command{
	UsageLine: "herald state SUBCOMMAND [options]",
	Short:     "Read and edit the state of what was sent",
}

// The tree is put together in init, not in Herald's declaration: commands'
// Run functions reach Herald (for their help and did-you-mean), and a
// declaration that refers back to itself is an initialization cycle.
func init() {
	cmdState.Commands = []*Command{cmdStateList, cmdStateShow, cmdStateRm, cmdStatePull, cmdStatePush, cmdStateImportReceipts}
	cmdValidate.Main = true
	cmdPlan.Main = true
	cmdApply.Main = true
	cmdShow.Main = true
	Herald.Commands = []*Command{
		cmdValidate, cmdPlan, cmdApply, cmdShow,
		cmdFmt, cmdState, cmdListen, cmdForceUnlock, cmdEmulator, cmdVersion,
	}
	Herald.Run = func(env *Env, args []string) int { return runUnknown(env, Herald, args) }
	cmdState.Run = func(env *Env, args []string) int { return runGroup(env, cmdState, args) }
}

// Find is the command args name and the arguments after its name. When
// args name no command, it is the deepest group they reach (Herald when
// the first word is no command), whose Run says so.
func Find(args []string) (*Command, []string) {
	c := Herald
	for len(args) > 0 && len(c.Commands) > 0 {
		s := c.sub(args[0])
		if s == nil {
			break
		}
		c, args = s, args[1:]
	}
	return c, args
}

// runGroup runs a group such as "state" given no subcommand it has: -help
// lists its subcommands; anything else is an error that lists them too.
func runGroup(env *Env, g *Command, args []string) int {
	if len(args) == 1 && (args[0] == "-help" || args[0] == "-h" || args[0] == "--help") {
		fmt.Fprintf(env.Stdout, "Usage: %s\n\nSubcommands:\n%s", g.UsageLine, subcommandList(g))
		return 0
	}
	return runUnknown(env, g, args)
}

// runUnknown reports that args, given to the group g (Herald for the
// top level), name none of its commands, suggesting the nearest.
func runUnknown(env *Env, g *Command, args []string) int {
	dw := &diagWriter{env: env}
	if slices.Contains(args, "-json") {
		dw.jsonToStderr()
	}
	dw.diags(hcl.Diagnostics{unknownCommand(g, args)})
	return ExitError
}

func unknownCommand(g *Command, args []string) *hcl.Diagnostic {
	if g != Herald {
		full := "herald " + g.LongName()
		didYouMean := ""
		if len(args) > 0 {
			if near := suggestCommand(g.LongName() + " " + args[0]); near != "" {
				didYouMean = fmt.Sprintf("Did you mean \"herald %s\"? ", near)
			}
		}
		return &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Unknown command",
			Detail: fmt.Sprintf("The command %q needs one of these subcommands:\n%s\n%sRun \"%s SUBCOMMAND -help\" for one's options.",
				full, subcommandList(g), didYouMean, full),
		}
	}
	name := ""
	if len(args) > 0 {
		name = args[0]
	}
	near := suggestCommand(name)
	if len(args) > 1 {
		// "herald stat list" meant "state list", not "state".
		if two := suggestCommand(name + " " + args[1]); strings.Contains(two, " ") {
			near = two
		}
	}
	didYouMean := ""
	if near != "" {
		didYouMean = fmt.Sprintf(" Did you mean \"herald %s\"?", near)
	}
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Unknown command",
		Detail:   fmt.Sprintf("herald has no command %q.%s Run \"herald -help\" for the list of commands.", name, didYouMean),
	}
}

// subcommandList lists g's subcommands, one per line with its short
// description.
func subcommandList(g *Command) string {
	var b strings.Builder
	for _, s := range g.Commands {
		fmt.Fprintf(&b, "  %-8s %s\n", s.Name(), s.Short)
	}
	return b.String()
}

// suggestCommand is the command nearest a mistyped one, or "": a whole
// name such as "state list", or a group such as "state".
func suggestCommand(name string) string {
	var options []string
	var walk func(c *Command)
	walk = func(c *Command) {
		for _, s := range c.Commands {
			options = append(options, s.LongName())
			walk(s)
		}
	}
	walk(Herald)
	return addrs.Suggest(name, options)
}

// PrintUsage writes herald -help: the commands in Herald's order, each
// group's subcommands in its place, then the global options.
func PrintUsage(w io.Writer) {
	var main, other strings.Builder
	for _, c := range Herald.Commands {
		list := &other
		if c.Main {
			list = &main
		}
		if len(c.Commands) == 0 {
			fmt.Fprintf(list, "  %-12s  %s\n", c.LongName(), c.Short)
			continue
		}
		for _, s := range c.Commands {
			fmt.Fprintf(list, "  %-12s  %s\n", s.LongName(), s.Short)
		}
	}
	fmt.Fprintf(w, "Usage: %s\n\n%s\n\nMain commands:\n%s\nOther commands:\n%s\n%s",
		Herald.UsageLine, Herald.Long, main.String(), other.String(), globalHelp)
}

const globalHelp = `Global options:
  -chdir=DIR    Run as if started in DIR
  -help         Show this help; "herald COMMAND -help" shows a command's
  -version      Same as "herald version"

Environment:
  HERALD_LOG       Log level to stderr: trace, debug, info, warn or error
  HERALD_LOG_PATH  Write the log to this file instead of stderr
  HERALD_VAR_name  Set variable "name"
  NO_COLOR         Turn colour off
`

// ReportError prints an error that arises before any command runs (a bad
// global option, an unusable -chdir) through the diagnostics view, as
// every command's errors are.
func ReportError(env *Env, summary, detail string) {
	dw := &diagWriter{env: env}
	dw.diags(hcl.Diagnostics{{Severity: hcl.DiagError, Summary: summary, Detail: detail}})
}

// Names lists the long names of the commands that run (not the groups),
// in help order: "validate", ..., "state list", ....
func Names() []string {
	var names []string
	var walk func(c *Command)
	walk = func(c *Command) {
		for _, s := range c.Commands {
			if len(s.Commands) == 0 {
				names = append(names, s.LongName())
			}
			walk(s)
		}
	}
	walk(Herald)
	return names
}
