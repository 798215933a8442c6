package command

import (
	"bytes"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"
)

// TestCommandListDrivesHelpAndDispatch: every command in Herald's tree is
// listed in herald -help (a group's subcommands also in its own -help),
// and the words of its name dispatch to it.
func TestCommandListDrivesHelpAndDispatch(t *testing.T) {
	var usage bytes.Buffer
	PrintUsage(&usage)
	var walk func(c *Command)
	walk = func(c *Command) {
		for _, s := range c.Commands {
			long := s.LongName()
			if long == "" || s.Short == "" || s.Run == nil {
				t.Errorf("%q: a command needs a name in its UsageLine, a Short and a Run", s.UsageLine)
				continue
			}
			if len(s.Commands) > 0 {
				checkGroupHelp(t, s)
				walk(s)
			} else if !regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(long) + `  +` + regexp.QuoteMeta(s.Short) + `$`).Match(usage.Bytes()) {
				t.Errorf("herald -help does not list %q:\n%s", long, usage.String())
			}
			got, rest := Find(append(strings.Fields(long), "-x"))
			if got != s || !slices.Equal(rest, []string{"-x"}) {
				t.Errorf("Find(%q -x) = %q, %q; want the command %q", long, got.LongName(), rest, long)
			}
			if Lookup(long) != s {
				t.Errorf("Lookup(%q) does not find it", long)
			}
			if len(s.Commands) == 0 {
				checkCommandHelp(t, s)
			}
		}
	}
	walk(Herald)
	if n := len(Names()); n < 10 {
		t.Errorf("Names() lists %d commands; the walk is broken", n)
	}
}

// checkGroupHelp: "herald GROUP -help" lists each subcommand.
func checkGroupHelp(t *testing.T, g *Command) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	env := &Env{Stdout: &stdout, Stderr: &stderr, Logger: hclog.NewNullLogger()}
	if status := g.Run(env, []string{"-help"}); status != 0 || stderr.Len() > 0 {
		t.Errorf("herald %s -help: status %d, stderr %q", g.LongName(), status, stderr.String())
	}
	for _, s := range g.Commands {
		if !regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(s.Name()) + ` +` + regexp.QuoteMeta(s.Short) + `$`).Match(stdout.Bytes()) {
			t.Errorf("herald %s -help does not list %q:\n%s", g.LongName(), s.Name(), stdout.String())
		}
	}
}

// checkCommandHelp: the command's own -help runs it far enough to print
// its usage line, which shows its Run is the one listed.
func checkCommandHelp(t *testing.T, c *Command) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	env := &Env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Logger: hclog.NewNullLogger(), Dir: t.TempDir()}
	if status := c.Run(env, []string{"-help"}); status != 0 {
		t.Errorf("herald %s -help: status %d, stderr %q", c.LongName(), status, stderr.String())
	}
	if want := "Usage: " + c.UsageLine + "\n"; !strings.HasPrefix(stdout.String(), want) {
		t.Errorf("herald %s -help starts %q, want %q", c.LongName(), firstLine(stdout.String()), want)
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// TestUnknownCommand: a word that names no command, at the top or in a
// group, is one diagnostic with the nearest command.
func TestUnknownCommand(t *testing.T) {
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"aply"}, []string{"Error: Unknown command", `herald has no command "aply". Did you mean "herald apply"?`}},
		{[]string{"stat", "list"}, []string{`Did you mean "herald state list"?`}},
		{[]string{"state", "lst"}, []string{`The command "herald state" needs one of these subcommands:`, "\n  list ", `Did you mean "herald state list"?`}},
		{[]string{"state"}, []string{"\n  rm "}},
		{[]string{"nosuch", "-json"}, []string{`"summary":"Unknown command"`, `"severity":"error"`}},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		env := &Env{Stdout: &stdout, Stderr: &stderr, Logger: hclog.NewNullLogger()}
		c, rest := Find(tt.args)
		if status := c.Run(env, rest); status != ExitError || stdout.Len() > 0 {
			t.Errorf("%q: status %d, stdout %q", tt.args, status, stdout.String())
		}
		for _, w := range tt.want {
			if !strings.Contains(stderr.String(), w) {
				t.Errorf("%q: stderr lacks %q:\n%s", tt.args, w, stderr.String())
			}
		}
	}
}
