package command

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/heraldhq/herald/internal/lang/langtest"
)

// Whole-command benchmarks over a generated configuration of 10 messages,
// each to the same recipients, sent through the built-in emulator in
// requests of 100: what scripts/bench-commands.sh times as processes, here
// in a form that go test -cpuprofile and -memprofile can look into.
//
//	go test ./internal/command -run '^$' -bench Commands -benchtime 3x -cpuprofile cpu.out

func benchConfig(b *testing.B, deliveries int) string {
	b.Helper()
	dir := b.TempDir()
	l := langtest.Large{Messages: 10, Recipients: deliveries / 10, RecipientsPerRequest: 100, MessagesPerSecond: 1000000}
	if err := langtest.WriteLarge(dir, l); err != nil {
		b.Fatal(err)
	}
	return dir
}

func benchEnv(dir string) *Env {
	return &Env{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard, Logger: hclog.NewNullLogger(), Dir: dir}
}

// runOrFail runs a command and fails the benchmark on a non-zero status,
// showing what it printed.
func runOrFail(b *testing.B, dir string, run func(*Env, []string) int, args ...string) {
	b.Helper()
	var out strings.Builder
	env := benchEnv(dir)
	env.Stdout, env.Stderr = &out, &out
	if got := run(env, args); got != 0 {
		b.Fatalf("exit status %d:\n%s", got, out.String())
	}
}

func BenchmarkCommands(b *testing.B) {
	for _, n := range []int{100000} {
		b.Run(fmt.Sprintf("validate/%d", n), func(b *testing.B) {
			dir := benchConfig(b, n)
			for b.Loop() {
				runOrFail(b, dir, runValidate)
			}
		})
		b.Run(fmt.Sprintf("plan-empty/%d", n), func(b *testing.B) {
			dir := benchConfig(b, n)
			for b.Loop() {
				runOrFail(b, dir, runPlan, "-no-color")
			}
		})
		b.Run(fmt.Sprintf("apply/%d", n), func(b *testing.B) {
			dir := benchConfig(b, n)
			for b.Loop() {
				b.StopTimer()
				for _, f := range []string{"herald.state", "herald.state.backup", "herald.outbox.jsonl"} {
					os.Remove(filepath.Join(dir, f))
				}
				b.StartTimer()
				runOrFail(b, dir, runApply, "-auto-approve", "-no-color")
			}
		})
		b.Run(fmt.Sprintf("plan-nochange/%d", n), func(b *testing.B) {
			dir := benchConfig(b, n)
			runOrFail(b, dir, runApply, "-auto-approve", "-no-color")
			b.ResetTimer()
			for b.Loop() {
				runOrFail(b, dir, runPlan, "-no-color")
			}
		})
	}
}
