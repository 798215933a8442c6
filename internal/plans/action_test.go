package plans

import (
	"encoding/json"
	"testing"
	"unsafe"
)

// Every action and reason has a distinct token that reads back as itself;
// anything else is refused, so that a damaged plan is not half-read.
func TestTokens(t *testing.T) {
	seen := map[string]bool{}
	for _, a := range Actions {
		b, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		var back Action
		if err := json.Unmarshal(b, &back); err != nil || back != a || seen[a.String()] {
			t.Errorf("action %s: token %s read back as %v (%v)", a, b, back, err)
		}
		seen[a.String()] = true
	}
	seen = map[string]bool{}
	for _, r := range Reasons {
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		var back Reason
		if err := json.Unmarshal(b, &back); err != nil || back != r || seen[r.String()] {
			t.Errorf("reason %s: token %s read back as %v (%v)", r, b, back, err)
		}
		seen[r.String()] = true
	}
	for _, w := range Warnings {
		b, err := json.Marshal(w)
		if err != nil {
			t.Fatal(err)
		}
		var back Warning
		if err := json.Unmarshal(b, &back); err != nil || back != w {
			t.Errorf("warning %s: token %s read back as %v (%v)", w, b, back, err)
		}
	}
	if len(Actions) != len(actionTokens)-1 || len(Reasons) != len(reasonTokens)-1 || len(Warnings) != len(warningTokens)-1 {
		t.Error("Actions or Reasons does not list every token")
	}
	var a Action
	if err := json.Unmarshal([]byte(`"maybe"`), &a); err == nil {
		t.Error("an unknown action token was accepted")
	}
	if _, err := json.Marshal(Action(0)); err == nil {
		t.Error("the zero action was encoded")
	}
}

// A Change stays a string, three bytes and a pointer: a plan holds one
// per delivery.
func TestChangeSize(t *testing.T) {
	if got, want := unsafe.Sizeof(Change{}), unsafe.Sizeof("")+2*unsafe.Sizeof(uintptr(0)); got > want {
		t.Errorf("a Change is %d bytes, want at most %d", got, want)
	}
}
