package addrs

import "testing"

func TestSuggest(t *testing.T) {
	options := []string{"announce", "done", "apply", "plan"}
	for _, tt := range []struct{ given, want string }{
		{"anounce", "announce"},
		{"aply", "apply"},
		{"pln", "plan"},
		{"dnoe", "done"},
		{"release", ""},
		{"", ""},
	} {
		if got := Suggest(tt.given, options); got != tt.want {
			t.Errorf("Suggest(%q) = %q, want %q", tt.given, got, tt.want)
		}
	}
}
