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

	"github.com/heraldhq/herald/internal/command"
	"github.com/heraldhq/herald/internal/gcpace"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

func main() {
	stopProfiles := startProfiles()
	status := run(os.Args[1:])
	stopProfiles()
	os.Exit(status)
}

func run(args []string) int {
	width := 0
	if w, _, err := term.GetSize(int(os.Stdout.Fd())); err == nil {
		width = w
	}
	env := &command.Env{
		Stdin:            os.Stdin,
		Stdout:           os.Stdout,
		Stderr:           os.Stderr,
		Logger:           hclog.NewNullLogger(),
		StdinIsTerminal:  term.IsTerminal(int(os.Stdin.Fd())),
		StdoutIsTerminal: term.IsTerminal(int(os.Stdout.Fd())),
		Width:            width,
		NoColor:          os.Getenv("NO_COLOR") != "",
		Version:          version,
	}
	logger, closeLog, err := newLogger(os.Stderr)
	if err != nil {
		command.ReportError(env, "Invalid logging settings", err.Error())
		return command.ExitError
	}
	defer closeLog()
	env.Logger = logger

	global := flag.NewFlagSet("herald", flag.ContinueOnError)
	// Parse errors are reported here, as one diagnostic, rather than by the
	// flag package followed by the whole usage.
	global.SetOutput(io.Discard)
	global.Usage = func() {}
	chdir := global.String("chdir", "", "run as if started in `DIR`")
	showVersion := global.Bool("version", false, "print herald's version")
	if err := global.Parse(args); err != nil {
		if err == flag.ErrHelp {
			command.PrintUsage(os.Stdout)
			return 0
		}
		command.ReportError(env, "Invalid command-line option", command.FlagErrorSentence(err.Error())+
			" Run \"herald -help\" for the global options, which go before the command.")
		return command.ExitError
	}
	if *showVersion {
		args = []string{"version"}
	} else {
		args = global.Args()
	}
	if len(args) == 0 {
		command.PrintUsage(os.Stdout)
		return command.ExitError
	}

	dir, err := os.Getwd()
	if err != nil {
		command.ReportError(env, "No working folder", fmt.Sprintf("herald cannot tell which folder it runs in: %s.", err))
		return command.ExitError
	}
	if *chdir != "" {
		if err := os.Chdir(*chdir); err != nil {
			command.ReportError(env, "Invalid -chdir", fmt.Sprintf("herald cannot run in %s: %s.", *chdir, errors.Unwrap(err)))
			return command.ExitError
		}
		dir, _ = os.Getwd()
	}
	env.Dir = dir

	cmd, rest := command.Find(args)
	if !cmd.Serves {
		gcpace.Relax(gcpace.DefaultHeadroom)
	}
	if cmd.HandlesInterrupt {
		env.Interrupt = interrupts()
	}
	logger.Debug("running command", "command", cmd.LongName(), "dir", dir)
	return cmd.Run(env, rest)
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
			return nil, nil, fmt.Errorf("HERALD_LOG=%q is not a level; use trace, debug, info, warn or error.", levelName)
		}
	}
	out, closeFn := stderr, func() {}
	if path != "" {
		f, err := os.OpenFile(filepath.Clean(path), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return nil, nil, fmt.Errorf("herald cannot write its log to HERALD_LOG_PATH=%s: %w.", path, errors.Unwrap(err))
		}
		out, closeFn = f, func() { f.Close() }
	}
	return hclog.New(&hclog.LoggerOptions{
		Name:   "herald",
		Level:  level,
		Output: out,
	}), closeFn, nil
}
