package lang

import (
	"strings"
	"testing"
)

// TestFixtureDetails checks what the fixtures' "# ERROR:" comments cannot:
// the details the language promises, such as naming both places of a
// duplicate key, naming the cycle and suggesting the near name.
func TestFixtureDetails(t *testing.T) {
	tests := []struct {
		fixture string
		line    int
		detail  string
	}{
		{"keys.herald.hcl", 26, "message.second and message.first (its ref at keys.herald.hcl:19,10-16) both deliver whatsapp:+12025550100->+12025550124"},
		{"keys.herald.hcl", 42, `message.waves["b"] and message.waves["a"] (its ref at`},
		{"depends_on.herald.hcl", 20, "message.a -> message.b -> message.a"},
		{"locals_cycle.herald.hcl", 16, "local.a -> local.b -> local.c -> local.a"},
		{"references.herald.hcl", 20, "Did you mean var.release?"},
		{"references.herald.hcl", 26, "Did you mean sender?"},
		{"references.herald.hcl", 27, "Did you mean recipients.team?"},
		{"references.herald.hcl", 56, "Did you mean sender.ops.number?"},
	}
	dirs := fixtureDirs(t)
	for _, tt := range tests {
		dir, ok := dirs[tt.fixture]
		if !ok {
			t.Fatalf("no fixture %s", tt.fixture)
		}
		_, _, diags := Load(Options{Dir: dir, LookupEnv: lookupFixtureEnv})
		found := false
		for _, d := range diags {
			if d.Subject != nil && d.Subject.Start.Line == tt.line && strings.Contains(d.Detail, tt.detail) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s:%d: no diagnostic whose detail has %q; got:\n%s", tt.fixture, tt.line, tt.detail, diags.Error())
		}
	}
}
