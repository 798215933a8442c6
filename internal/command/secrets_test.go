package command

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hashicorp/go-hclog"
)

// TestFunctionErrorsHideSecrets: validate, validate -json and plan printed
// the API key and sensitive variables through function errors such as
// tonumber(env("KALEYRA_API_KEY")).
func TestFunctionErrorsHideSecrets(t *testing.T) {
	const key, tok = "sk-LEAK-8a1f", "tok-LEAK-33c0"
	t.Setenv("KALEYRA_API_KEY", key)
	t.Setenv("HERALD_VAR_tok", tok)
	dir := t.TempDir()
	src := `
variable "tok" {
  type      = string
  sensitive = true
}

provider "kaleyra" {
  sid     = "HXTEST0001IN"
  api_key = env("KALEYRA_API_KEY")
}

locals {
  a = tonumber(env("KALEYRA_API_KEY"))
  b = file(env("KALEYRA_API_KEY"))
  c = parseint(var.tok, 10)
  d = tobool(var.tok)
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.herald.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		run  func(*Env, []string) int
		args []string
	}{
		{"validate", runValidate, []string{"-no-color"}},
		{"validate -json", runValidate, []string{"-json"}},
		{"plan", runPlan, []string{"-no-color"}},
		{"plan -json", runPlan, []string{"-json"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			env := &Env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Logger: hclog.NewNullLogger(), Dir: dir}
			if got := tt.run(env, tt.args); got != ExitError {
				t.Errorf("exit status %d, want %d", got, ExitError)
			}
			out := stdout.String() + stderr.String()
			if !strings.Contains(out, "sensitive") {
				t.Errorf("no error about a sensitive value; output:\n%s", out)
			}
			for _, secret := range []string{key, tok} {
				if strings.Contains(out, secret) {
					t.Errorf("the output shows %s:\n%s", secret, out)
				}
			}
		})
	}
}

// TestAPIKeyWithLineBreakIsRefusedBeforeSending: such a key was reported as
// a network failure and retried five times. apply now refuses it at the
// api_key line, and nothing reaches the server.
func TestAPIKeyWithLineBreakIsRefusedBeforeSending(t *testing.T) {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer srv.Close()
	t.Setenv("KALEYRA_API_KEY", "sk-LEAK-8a1f\r\n")
	dir := t.TempDir()
	src := `
provider "kaleyra" {
  sid      = "HXTEST0001IN"
  api_key  = env("KALEYRA_API_KEY")
  endpoint = "` + srv.URL + `"
}

sender "ops" {
  number = "+12025550100"
}

message "m" {
  from = sender.ops
  to   = ["+12025550123"]
  body = "hi"
  ref  = "r"
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.herald.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	env := &Env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Logger: hclog.NewNullLogger(), Dir: dir}
	if got := runApply(env, []string{"-no-color", "-auto-approve"}); got != ExitError {
		t.Errorf("exit status %d, want %d", got, ExitError)
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("%d requests reached the server", n)
	}
	for _, want := range []string{"Invalid api_key", "line break", "main.herald.hcl line 4"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
	if strings.Contains(stdout.String()+stderr.String(), "sk-LEAK") {
		t.Error("the output shows the key")
	}
}
