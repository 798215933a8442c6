package addrs

import "testing"

func TestParseTarget(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{in: "message.announce", want: "message.announce"},
		{in: `message.done["wave-1"]`, want: `message.done["wave-1"]`},
		{in: "message.announce:+12025550123", want: "message.announce:+12025550123"},
		{in: `message.done["a:+1"]:+12025550123`, want: `message.done["a:+1"]:+12025550123`},
		{in: `message.done["a:+1"]`, want: `message.done["a:+1"]`},
		{in: "sender.ops", wantErr: true},
		{in: "message", wantErr: true},
		{in: "message.x[0]", wantErr: true},
		{in: "message.x:+12a", wantErr: true},
		{in: "message.x.y", wantErr: true},
		{in: "message.", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseTarget(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("ParseTarget(%q) = %v, want an error", tt.in, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseTarget(%q): %v", tt.in, err)
			}
			if got.String() != tt.want {
				t.Errorf("ParseTarget(%q).String() = %q, want %q", tt.in, got.String(), tt.want)
			}
		})
	}
}

func TestTargetContains(t *testing.T) {
	done := Message{Name: "done"}
	w1 := done.Instance(StringKey("wave-1"))
	w2 := done.Instance(StringKey("wave-2"))
	tests := []struct {
		target    string
		inst      MessageInstance
		recipient string
		want      bool
	}{
		{"message.done", w1, "+1", true},
		{"message.done", w2, "+1", true},
		{`message.done["wave-1"]`, w2, "+1", false},
		{`message.done["wave-1"]:+1`, w1, "+1", true},
		{`message.done["wave-1"]:+1`, w1, "+2", false},
		{"message.done:+2", w2, "+2", true},
		{"message.other", w1, "+1", false},
	}
	for _, tt := range tests {
		tg, err := ParseTarget(tt.target)
		if err != nil {
			t.Fatal(err)
		}
		if got := tg.Contains(tt.inst, tt.recipient); got != tt.want {
			t.Errorf("%s contains %s to %s = %v, want %v", tt.target, tt.inst, tt.recipient, got, tt.want)
		}
	}
}

func TestParseMessageInstanceRoundTrip(t *testing.T) {
	for _, s := range []string{"message.a", `message.a["k \"q\""]`} {
		i, err := ParseMessageInstance(s)
		if err != nil {
			t.Fatal(err)
		}
		if i.String() != s {
			t.Errorf("round trip of %s gave %s", s, i)
		}
	}
}
