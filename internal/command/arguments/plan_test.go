package arguments

import (
	"flag"
	"io"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/heraldhq/herald/internal/kaleyra"
)

func newFlagSet() *flag.FlagSet {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// summaries are the error summaries of diags, in order.
func summaries(t *testing.T, args []string, parse func(*flag.FlagSet, []string) ([]string, error)) []string {
	t.Helper()
	got, err := parse(newFlagSet(), args)
	if err != nil {
		t.Fatalf("flag error: %v", err)
	}
	return got
}

func TestParseApply(t *testing.T) {
	tests := []struct {
		args []string
		want []string // error summaries
	}{
		{nil, nil},
		{[]string{"-target=message.a", "-exclude=message.b[\"k\"]:+12025550123"}, nil},
		{[]string{"p.plan"}, nil},
		{[]string{"-target=message.", "p.plan"}, []string{"Conflicting options", "Invalid address"}},
		{[]string{"-replace-unknown=message.a", "p.plan"}, []string{"Conflicting options"}},
		{[]string{"a", "b"}, []string{"Too many arguments"}},
		{[]string{"-parallelism=0"}, []string{"Invalid -parallelism"}},
		{[]string{"-parallelism=1001"}, []string{"Invalid -parallelism"}},
		{[]string{"-parallelism=1000"}, nil},
		{[]string{"-exclude=message.a:+12x"}, []string{"Invalid address"}},
	}
	for _, tt := range tests {
		got := summaries(t, tt.args, func(fs *flag.FlagSet, args []string) ([]string, error) {
			_, diags, err := ParseApply(fs, args)
			var s []string
			for _, d := range diags {
				s = append(s, d.Summary)
			}
			return s, err
		})
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ParseApply(%q) summaries (-want +got):\n%s", tt.args, diff)
		}
	}
}

func TestParseApplyValues(t *testing.T) {
	a, diags, err := ParseApply(newFlagSet(), []string{"-var=a=1", "-var-file=x.tfvars", "-lock-timeout=5s", "-max-sends=0", "-input=false", "-target=message.a", "p.plan"})
	if err != nil {
		t.Fatal(err)
	}
	if len(diags) != 1 || diags[0].Summary != "Conflicting options" {
		t.Fatalf("diags = %v", diags)
	}
	if a.PlanFile != "p.plan" || a.LockTimeout != 5*time.Second || !a.NoInput || len(a.Vars.Args) != 2 || !a.Vars.Args[1].File {
		t.Errorf("parsed %+v", a)
	}
	if a.MaxSends == nil || *a.MaxSends != 0 {
		t.Errorf("-max-sends=0 parsed as %v, want 0 and set", a.MaxSends)
	}
	if a.Parallelism != kaleyra.DefaultParallelism {
		t.Errorf("default parallelism %d, want %d", a.Parallelism, kaleyra.DefaultParallelism)
	}
	if len(a.Targets) != 1 || a.Targets[0].Message.Name != "a" {
		t.Errorf("targets %v", a.Targets)
	}
}

func TestParsePlan(t *testing.T) {
	tests := []struct {
		args []string
		want []string
	}{
		{nil, nil},
		{[]string{"-format=markdown", "-marker=ci/a"}, nil},
		{[]string{"extra"}, []string{"Unexpected argument"}},
		{[]string{"-format=html"}, []string{"Invalid -format"}},
		{[]string{"-json", "-format=markdown"}, []string{"Conflicting options"}},
		{[]string{"-marker=x"}, []string{"Invalid -marker"}},
		{[]string{"-format=markdown", "-marker=a-->b"}, []string{"Invalid -marker"}},
		{[]string{"-replace=nope"}, []string{"Invalid address"}},
	}
	for _, tt := range tests {
		got := summaries(t, tt.args, func(fs *flag.FlagSet, args []string) ([]string, error) {
			_, diags, err := ParsePlan(fs, args)
			var s []string
			for _, d := range diags {
				s = append(s, d.Summary)
			}
			return s, err
		})
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ParsePlan(%q) summaries (-want +got):\n%s", tt.args, diff)
		}
	}
	// Apply registers no -out, so that a plan-only option is refused.
	if _, _, err := ParseApply(newFlagSet(), []string{"-out=x"}); err == nil {
		t.Error("apply -out=x parsed without error")
	}
	if _, _, err := ParsePlan(newFlagSet(), []string{"-parallelism=2"}); err == nil {
		t.Error("plan -parallelism=2 parsed without error")
	}
}

func TestParseStateRm(t *testing.T) {
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"message.a"}, nil},
		{[]string{"-undeclared", "-older-than=30d"}, nil},
		{nil, []string{"Expected at least one address"}},
		{[]string{"-older-than=30d", "message.a"}, []string{"Invalid option"}},
		{[]string{"message."}, []string{"Invalid address"}},
	}
	for _, tt := range tests {
		got := summaries(t, tt.args, func(fs *flag.FlagSet, args []string) ([]string, error) {
			_, diags, err := ParseStateRm(fs, args)
			var s []string
			for _, d := range diags {
				s = append(s, d.Summary)
			}
			return s, err
		})
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ParseStateRm(%q) summaries (-want +got):\n%s", tt.args, diff)
		}
	}
	r, _, _ := ParseStateRm(newFlagSet(), []string{"-undeclared", "-older-than=2d", "-ref=", "message.a"})
	if r.OlderThan.D != 48*time.Hour || r.OlderThan.Phrase() != " and last updated more than 2d ago" || !r.RefSet || r.Ref != "" {
		t.Errorf("parsed %+v", r)
	}
}
