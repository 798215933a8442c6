// Command herald provisions WhatsApp notifications declared in HCL: it plans
// them against a state of what was already sent and sends each at most once.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/hashicorp/go-hclog"
	"golang.org/x/term"

	"github.com/heraldhq/herald/internal/addrs"
	"github.com/heraldhq/herald/internal/command"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	logger, closeLog, err := newLogger(os.Stderr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "Error: %s\n", err)
		return command.ExitError
	}
	defer closeLog()

	global := flag.NewFlagSet("herald", flag.ContinueOnError)
	// Parse errors are reported here, as one diagnostic, rather than by the
	// flag package followed by the whole usage.
	global.SetOutput(io.Discard)
	global.Usage = func() {}
	chdir := global.String("chdir", "", "run as if started in `DIR`")
	showVersion := global.Bool("version", false, "print herald's version")
	if err := global.Parse(args); err != nil {
		if err == flag.ErrHelp {
			printUsage(os.Stdout)
			return 0
		}
		msg := err.Error()
		fmt.Fprintf(os.Stderr, "Error: Invalid command-line option\n\n%s%s.\n\nRun \"herald -help\" for the global options, which go before the command.\n", strings.ToUpper(msg[:1]), msg[1:])
		return command.ExitError
	}
	if *showVersion {
		args = []string{"version"}
	} else {
		args = global.Args()
	}
	if len(args) == 0 {
		printUsage(os.Stdout)
		return command.ExitError
	}

	dir, err := os.Getwd()
	if err != nil {
		fmt.Fprintf(os.Stderr, "Error: %s\n", err)
		return command.ExitError
	}
	if *chdir != "" {
		if err := os.Chdir(*chdir); err != nil {
			fmt.Fprintf(os.Stderr, "Error: Invalid -chdir\n\nherald cannot run in %s: %s.\n", *chdir, errors.Unwrap(err))
			return command.ExitError
		}
		dir, _ = os.Getwd()
	}

	name, rest := args[0], args[1:]
	cmd := command.Lookup(name)
	if cmd == nil && len(rest) > 0 {
		// Two-word commands: "state list".
		if c := command.Lookup(name + " " + rest[0]); c != nil {
			cmd, rest = c, rest[1:]
		}
	}
	if cmd == nil {
		if group := subcommands(name); group != "" {
			// "herald state", "herald state -help": say what the group holds.
			if len(rest) == 1 && (rest[0] == "-help" || rest[0] == "-h" || rest[0] == "--help") {
				fmt.Fprintf(os.Stdout, "Usage: herald %s SUBCOMMAND [options]\n\nSubcommands:\n%s", name, group)
				return 0
			}
			didYouMean := ""
			if len(rest) > 0 {
				if near := suggestCommand(name + " " + rest[0]); near != "" {
					didYouMean = fmt.Sprintf("Did you mean \"herald %s\"? ", near)
				}
			}
			fmt.Fprintf(os.Stderr, "Error: Unknown command\n\n\"herald %s\" needs one of these subcommands:\n%s\n%sRun \"herald %s SUBCOMMAND -help\" for one's options.\n", name, group, didYouMean, name)
			return command.ExitError
		}
		didYouMean := ""
		near := suggestCommand(name)
		if len(rest) > 0 {
			// "herald stat list" meant "state list", not "state".
			if two := suggestCommand(name + " " + rest[0]); strings.Contains(two, " ") {
				near = two
			}
		}
		if near != "" {
			didYouMean = fmt.Sprintf(" Did you mean \"herald %s\"?", near)
		}
		fmt.Fprintf(os.Stderr, "Error: Unknown command\n\nherald has no command %q.%s Run \"herald -help\" for the list of commands.\n", name, didYouMean)
		return command.ExitError
	}

	width := 0
	if w, _, err := term.GetSize(int(os.Stdout.Fd())); err == nil {
		width = w
	}
	env := &command.Env{
		Stdin:            os.Stdin,
		Stdout:           os.Stdout,
		Stderr:           os.Stderr,
		Logger:           logger,
		Dir:              dir,
		StdinIsTerminal:  term.IsTerminal(int(os.Stdin.Fd())),
		StdoutIsTerminal: term.IsTerminal(int(os.Stdout.Fd())),
		Width:            width,
		NoColor:          os.Getenv("NO_COLOR") != "",
		Version:          version,
	}
	if cmd.HandlesInterrupt {
		env.Interrupt = interrupts()
	}
	logger.Debug("running command", "command", cmd.Name, "dir", dir)
	return cmd.Run(env, rest)
}

// subcommands lists the commands of a group such as "state", one per line
// with its short description, or returns "" when name is not a group.
func subcommands(name string) string {
	var b strings.Builder
	for _, n := range command.Names() {
		if sub, ok := strings.CutPrefix(n, name+" "); ok {
			fmt.Fprintf(&b, "  %-8s %s\n", sub, command.Lookup(n).Short)
		}
	}
	return b.String()
}

// suggestCommand is the command nearest a mistyped one, or "": a whole
// name such as "state list", or a group such as "state".
func suggestCommand(name string) string {
	seen := map[string]bool{}
	var options []string
	for _, n := range command.Names() {
		for _, o := range []string{n, strings.Fields(n)[0]} {
			if !seen[o] {
				seen[o] = true
				options = append(options, o)
			}
		}
	}
	return addrs.Suggest(name, options)
}

// interrupts turns SIGINT and SIGTERM into a channel; commands decide what
// the first and second mean.
func interrupts() <-chan struct{} {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	out := make(chan struct{}, 2)
	go func() {
		for range sigs {
			out <- struct{}{}
		}
	}()
	return out
}

// newLogger builds the logger from HERALD_LOG (level, to stderr) and
// HERALD_LOG_PATH (a file, at HERALD_LOG's level or trace when unset).
// Without either, herald logs nothing.
func newLogger(stderr io.Writer) (hclog.Logger, func(), error) {
	levelName := strings.TrimSpace(os.Getenv("HERALD_LOG"))
	path := os.Getenv("HERALD_LOG_PATH")
	if levelName == "" && path == "" {
		return hclog.NewNullLogger(), func() {}, nil
	}
	level := hclog.Trace
	if levelName != "" {
		level = hclog.LevelFromString(levelName)
		if level == hclog.NoLevel {
			return nil, nil, fmt.Errorf("HERALD_LOG=%q is not a level; use trace, debug, info, warn or error", levelName)
		}
	}
	out, closeFn := stderr, func() {}
	if path != "" {
		f, err := os.OpenFile(filepath.Clean(path), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return nil, nil, fmt.Errorf("HERALD_LOG_PATH: %w", err)
		}
		out, closeFn = f, func() { f.Close() }
	}
	return hclog.New(&hclog.LoggerOptions{
		Name:   "herald",
		Level:  level,
		Output: out,
	}), closeFn, nil
}

// printUsage lists the commands by hand, in the order a newcomer needs
// them, rather than command.Names()'s alphabetical order.
func printUsage(w io.Writer) {
	fmt.Fprint(w, `Usage: herald [-chdir=DIR] COMMAND [options]

herald sends WhatsApp notifications declared in *.herald.hcl files, each at
most once: "plan" shows who will receive what, "apply" sends it.

Main commands:
  validate      Check the configuration for errors
  plan          Show what apply would send
  apply         Send what the plan shows
  show          Show a saved plan, or the state

Other commands:
  fmt           Rewrite configuration files in canonical style
  state list    List the deliveries in the state
  state show    Show recorded deliveries in full
  state rm      Forget recorded deliveries so they can be planned again
  force-unlock  Release a state lock left behind
  emulator      Serve a local Kaleyra-compatible API for trying herald out
  version       Print herald's version

Global options:
  -chdir=DIR    Run as if started in DIR
  -help         Show this help; "herald COMMAND -help" shows a command's
  -version      Same as "herald version"

Environment:
  HERALD_LOG       Log level to stderr: trace, debug, info, warn or error
  HERALD_LOG_PATH  Write the log to this file instead of stderr
  HERALD_VAR_name  Set variable "name"
  NO_COLOR         Turn colour off
`)
}
