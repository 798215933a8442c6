package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// TestCommandOutputMatchesSchemas runs the commands whose JSON output
// schema/ documents on the quickstart, before and after an apply, and
// validates what they really print and write: plan -json, show -json
// PLANFILE, apply -json's events, the state file, show -json, and the
// deliveries of state list -json. (Every kind of plan entry and event is
// the views' tests' business; this test is about the commands.)
func TestCommandOutputMatchesSchemas(t *testing.T) {
	herald := heraldProgram(t)
	dir := t.TempDir()
	quickstart, err := os.ReadFile("examples/quickstart/main.herald.hcl")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.herald.hcl"), quickstart, 0o644); err != nil {
		t.Fatal(err)
	}
	compile := func(name string) *jsonschema.Schema {
		path, err := filepath.Abs("schema")
		if err != nil {
			t.Fatal(err)
		}
		sch, err := jsonschema.NewCompiler().Compile("file://" + filepath.ToSlash(path) + "/" + name)
		if err != nil {
			t.Fatalf("compiling %s: %v", name, err)
		}
		return sch
	}
	planSchema, stateSchema, eventSchema := compile("plan.schema.json"), compile("state.schema.json"), compile("apply-events.schema.json")
	herald1 := func(args ...string) []byte {
		t.Helper()
		cmd := exec.Command(herald, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "HERALD_LOG=", "HERALD_LOG_PATH=", "NO_COLOR=")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("herald %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		return out
	}
	check := func(what string, sch *jsonschema.Schema, doc []byte) {
		t.Helper()
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
		if err != nil {
			t.Fatalf("%s is not JSON: %v\n%s", what, err, doc)
		}
		if err := sch.Validate(v); err != nil {
			t.Errorf("%s does not match its schema: %v\n%s", what, err, doc)
		}
	}

	check("plan -json", planSchema, herald1("plan", "-json"))
	herald1("plan", "-out=plan.out")
	check("show -json PLANFILE", planSchema, herald1("show", "-json", "plan.out"))
	events := bytes.Split(bytes.TrimSpace(herald1("apply", "-json", "-auto-approve")), []byte("\n"))
	if len(events) < 5 {
		t.Fatalf("apply -json printed %d events", len(events))
	}
	for _, e := range events {
		check("an apply -json event", eventSchema, e)
	}
	state, err := os.ReadFile(filepath.Join(dir, "herald.state"))
	if err != nil {
		t.Fatal(err)
	}
	check("the state file", stateSchema, state)
	check("show -json", stateSchema, herald1("show", "-json"))
	check("state list -json", stateSchema, herald1("state", "list", "-json"))
	check("plan -json after the apply", planSchema, herald1("plan", "-json"))
}
