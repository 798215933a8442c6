package kaleyra_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/heraldhq/herald/internal/delivery"
	"github.com/heraldhq/herald/internal/emulator"
	"github.com/heraldhq/herald/internal/kaleyra"
)

// TestTraceWithholdsSensitiveContent: the trace log dumps each request and
// its answer, which carry the content; for sensitive content it shows
// the key fields only, and withholds the answer, which may echo it.
func TestTraceWithholdsSensitiveContent(t *testing.T) {
	s, err := emulator.New(emulator.Options{SID: testSID, APIKey: "k", Outbox: filepath.Join(t.TempDir(), "outbox.jsonl")})
	if err != nil {
		t.Fatal(err)
	}
	url, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	tests := []struct {
		name      string
		content   delivery.Content
		sensitive bool
		secret    string
		want      []string
	}{
		{"sensitive text", delivery.Content{Type: delivery.Text, Body: "Your code is 9876"}, true, "9876", []string{`body=(sensitive)`, `ref="r"`, "withheld"}},
		{"sensitive template", delivery.Content{Type: delivery.Template, TemplateName: "otp", Language: "en", Params: []delivery.Param{{Name: "code", Value: "5432"}}}, true, "5432", []string{`params=(sensitive)`, `to="+12025550123"`}},
		{"plain text", delivery.Content{Type: delivery.Text, Body: "Hello 1111"}, false, "", []string{`body="Hello 1111"`, `"body":"Hello 1111"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs syncBuffer
			c, err := kaleyra.New(kaleyra.Settings{SID: testSID, APIKey: "k", Endpoint: url, MessagesPerSecond: 1000},
				kaleyra.Options{Logger: hclog.New(&hclog.LoggerOptions{Level: hclog.Trace, Output: &logs})})
			if err != nil {
				t.Fatal(err)
			}
			b := kaleyra.Batch{From: "+12025550100", To: []string{"+12025550123"}, Content: tt.content, Ref: "r", Sensitive: tt.sensitive}
			out, err := c.Send(context.Background(), b, func() error { return nil })
			if err != nil || len(out) != 1 || out[0].Status != kaleyra.Sent {
				t.Fatalf("Send: %v %+v", err, out)
			}
			got := logs.String()
			if tt.secret != "" && strings.Contains(got, tt.secret) {
				t.Errorf("the trace log shows the sensitive %q:\n%s", tt.secret, got)
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("the trace log lacks %q:\n%s", w, got)
				}
			}
		})
	}
}
