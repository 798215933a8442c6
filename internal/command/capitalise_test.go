package command

import "testing"

func TestCapitalise(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plan takes no arguments.", "Plan takes no arguments"},
		{"Already capitalised", "Already capitalised"},
		{"-parallelism must be at least 1", "-parallelism must be at least 1"},
		// A file name keeps its case: it names a real file.
		{"g.plan: not a saved herald plan", "g.plan: not a saved herald plan"},
		{"state/herald.state: damaged", "state/herald.state: damaged"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := capitalise(tt.in); got != tt.want {
			t.Errorf("capitalise(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
