package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/heraldhq/herald/internal/command"
)

var consoleBlock = regexp.MustCompile("(?s)```console\n(.*?)```")

// TestReadmeConsoleSessions replays each console session in the README in
// a folder holding the configuration the README shows just before it, and
// compares what herald prints with what the README says it prints. In the
// expected text a line "..." stands for any lines and "..." within a line
// for any text. Commands run with a terminal that answers "yes", as a
// person following the README would.
func TestReadmeConsoleSessions(t *testing.T) {
	text := readme(t)
	sessions := consoleBlock.FindAllStringSubmatchIndex(text, -1)
	if len(sessions) == 0 {
		t.Fatal("no console sessions found in the README; the parsing is broken")
	}
	for _, s := range sessions {
		configs := hclBlock.FindAllStringSubmatch(text[:s[0]], -1)
		if len(configs) == 0 {
			t.Fatalf("no configuration before the console session at byte %d", s[0])
		}
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "notify.herald.hcl"), []byte(configs[len(configs)-1][1]), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, step := range splitConsole(text[s[2]:s[3]]) {
			t.Run(step.command, func(t *testing.T) {
				args := strings.Fields(step.command)[1:]
				cmd := command.Lookup(args[0])
				if cmd == nil {
					t.Fatalf("the README runs %q, which is not a command", step.command)
				}
				var stdout, stderr bytes.Buffer
				env := &command.Env{
					Stdin: strings.NewReader("yes\n"), Stdout: &stdout, Stderr: &stderr,
					Logger: hclog.NewNullLogger(), Dir: dir, StdinIsTerminal: true, Version: version,
				}
				if status := cmd.Run(env, args[1:]); status != 0 {
					t.Fatalf("exit status %d; stderr:\n%s", status, stderr.String())
				}
				if !step.want.MatchString(stdout.String()) {
					t.Errorf("the README shows:\n%s\nherald prints:\n%s", step.text, stdout.String())
				}
			})
		}
	}
}

type consoleStep struct {
	command string
	text    string
	want    *regexp.Regexp
}

// splitConsole cuts a console session into its "$ herald ..." commands
// (without their # comments) and the output the README shows for each.
func splitConsole(session string) []consoleStep {
	var steps []consoleStep
	var lines []string
	flush := func() {
		if len(steps) == 0 {
			return
		}
		for len(lines) > 0 && lines[len(lines)-1] == "" {
			lines = lines[:len(lines)-1]
		}
		var re strings.Builder
		re.WriteString(`^`)
		for _, l := range lines {
			if l == "..." {
				re.WriteString(`(?:.*\n)*`)
				continue
			}
			re.WriteString(strings.ReplaceAll(regexp.QuoteMeta(l), `\.\.\.`, `.*`) + `\n`)
		}
		re.WriteString(`\n*$`)
		last := &steps[len(steps)-1]
		last.text, last.want = strings.Join(lines, "\n"), regexp.MustCompile(re.String())
		lines = nil
	}
	for _, l := range strings.Split(session, "\n") {
		if cmd, ok := strings.CutPrefix(l, "$ "); ok {
			flush()
			cmd, _, _ = strings.Cut(cmd, "#")
			steps = append(steps, consoleStep{command: strings.TrimSpace(cmd)})
			continue
		}
		lines = append(lines, l)
	}
	flush()
	return steps
}
