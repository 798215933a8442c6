// Package command implements herald's subcommands: one file per command,
// each parsing its own flags and rendering through the views package.
//
// Commands wire the other packages together and hold no logic that belongs
// to them: planning and sending are the engine's, storage and locking are
// statemgr's, output formats are views'. Nothing imports command but main.
package command

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/hcl/v2"

	"github.com/heraldhq/herald/internal/command/views"
)

// Env is what every command gets from main: its streams, its logger and the
// folder it runs in.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Logger hclog.Logger
	// Dir is the working directory, after -chdir.
	Dir string
	// StdinIsTerminal tells whether a person can answer a question.
	StdinIsTerminal bool
	// StdoutIsTerminal enables colour and live progress.
	StdoutIsTerminal bool
	// Width is the terminal's width in columns, 0 when unknown (then
	// diagnostics wrap at 78 and the progress bar fits 80).
	Width int
	// NoColor is set by NO_COLOR; commands also take -no-color.
	NoColor bool
	// Version is herald's version string.
	Version string
	// Interrupt delivers Ctrl-C and SIGTERM to commands that handle them;
	// nil otherwise, and in tests that never send one.
	Interrupt <-chan struct{}
}

// abs resolves a path given on the command line or in the configuration
// against Dir, so that a command never depends on the process's working
// folder (tests run commands in many folders at once).
func (env *Env) abs(path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(env.Dir, path)
}

// color tells whether output to stdout may be coloured: only on a
// terminal, and never with NO_COLOR or the command's -no-color.
func (env *Env) color(noColorFlag bool) bool {
	return env.StdoutIsTerminal && !env.NoColor && !noColorFlag
}

// Command is one command, or a group of subcommands such as "state", in
// the shape of cmd/go's base.Command: the ordered tree rooted at Herald
// drives both dispatch and help, so that a command cannot be reachable and
// missing from the help, or listed and unreachable.
type Command struct {
	// UsageLine is the synopsis, e.g. "herald validate [-json]". Its words
	// after "herald", up to the first option or argument, are the command's
	// name ("state list").
	UsageLine string
	// Short is a one-line description for the command list.
	Short string
	// Long is the help text after the usage line.
	Long string
	// Run runs the command with the arguments after its name and returns
	// the exit status.
	Run func(env *Env, args []string) int
	// Commands are a group's subcommands, in the order help lists them.
	Commands []*Command
	// Main lists the command under "Main commands" in herald -help, the
	// ones a newcomer needs first.
	Main bool
	// HandlesInterrupt says the command reads Env.Interrupt. Any other
	// command is simply ended by Ctrl-C, which is safe for all of them:
	// files are replaced atomically and the OS lock dies with the process.
	HandlesInterrupt bool
	// Serves says the command runs until stopped (a server), and so keeps
	// the garbage collector's default pace: a bounded heap matters more
	// there than the CPU a run saves (see gcpace).
	Serves bool
}

// LongName is the command's full name without "herald": "state list",
// or "" for Herald itself.
func (c *Command) LongName() string {
	line, _, _ := strings.Cut(c.UsageLine, "\n")
	var words []string
	for _, w := range strings.Fields(line)[1:] {
		if w == "" || strings.ContainsAny(w[:1], "[-") || strings.ToUpper(w) == w {
			break
		}
		words = append(words, w)
	}
	return strings.Join(words, " ")
}

// Name is the last word of LongName: "list" for "state list".
func (c *Command) Name() string {
	long := c.LongName()
	return long[strings.LastIndex(long, " ")+1:]
}

// ExitError is the exit status of a failed command.
const ExitError = 1

// Lookup finds a command by its long name ("state list"), or returns nil.
func Lookup(name string) *Command {
	c := Herald
	for _, w := range strings.Fields(name) {
		if c = c.sub(w); c == nil {
			return nil
		}
	}
	if c == Herald {
		return nil
	}
	return c
}

// sub is c's subcommand called name, or nil.
func (c *Command) sub(name string) *Command {
	for _, s := range c.Commands {
		if s.Name() == name {
			return s
		}
	}
	return nil
}

// newFlagSet makes a FlagSet for the named command whose -help prints the
// command's usage, long help and flags to the env's stdout. It takes the
// name, not the *Command, so that a command's Run can call it without an
// initialization cycle.
func newFlagSet(env *Env, name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	// The flag package writes a parse error to the output and then calls
	// Usage, as it does for -help: the full help would bury the one line
	// that matters, so after an error Usage only says where help is.
	errs := &flagErrorWriter{w: env.Stderr, command: name, width: env.Width}
	fs.SetOutput(errs)
	fs.Usage = func() {
		if errs.failed {
			fmt.Fprintf(env.Stderr, "For more help on this command, run:\n  herald %s -help\n", name)
			return
		}
		printHelp(env.Stdout, Lookup(name), fs)
	}
	return fs
}

// flagErrorWriter prints the flag package's parse errors as diagnostics.
type flagErrorWriter struct {
	w       io.Writer
	command string
	width   int
	failed  bool
}

func (e *flagErrorWriter) Write(p []byte) (int, error) {
	e.failed = true
	msg := strings.TrimSpace(string(p))
	views.Diagnostics(e.w, nil, hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "Invalid command-line option",
		Detail:   FlagErrorSentence(msg),
	}}, false, e.width)
	return len(p), nil
}

// FlagErrorSentence makes a sentence of an error from the flag package,
// whose messages follow Go's lowercase style ("flag provided but not
// defined: -x"). It is the one place they enter herald's output, so it is
// where they get their capital and full stop.
func FlagErrorSentence(msg string) string {
	msg = strings.TrimRight(strings.TrimSpace(msg), ".")
	if msg == "" {
		return msg
	}
	return strings.ToUpper(msg[:1]) + msg[1:] + "."
}

func printHelp(w io.Writer, c *Command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage: %s\n\n%s\n", c.UsageLine, strings.TrimSpace(c.Long))
	var any bool
	fs.VisitAll(func(*flag.Flag) { any = true })
	if any {
		fmt.Fprintf(w, "\nOptions:\n\n")
		fs.SetOutput(w)
		fs.PrintDefaults()
	}
}

// parseFlags parses args; on error or -help it returns the exit status to
// return, and ok=false.
func parseFlags(fs *flag.FlagSet, args []string) (status int, ok bool) {
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0, false
		}
		return ExitError, false
	}
	return 0, true
}

// flagStatus is the exit status after the flag package stopped a parse:
// 0 after -help, which printed the help, and ExitError after an error,
// which it printed as a diagnostic.
func flagStatus(err error) int {
	if err == flag.ErrHelp {
		return 0
	}
	return ExitError
}
