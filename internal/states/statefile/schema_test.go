package statefile

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/heraldhq/herald/internal/delivery"
	"github.com/heraldhq/herald/internal/states"
)

func compileStateSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	path, err := filepath.Abs(filepath.Join("..", "..", "..", "schema", "state.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	sch, err := c.Compile(path)
	if err != nil {
		t.Fatalf("compiling %s: %v", path, err)
	}
	return sch
}

func validate(sch *jsonschema.Schema, data []byte) error {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return err
	}
	return sch.Validate(doc)
}

// TestWriteOutputMatchesSchema validates real Write output, with every kind
// of record, against schema/state.schema.json.
func TestWriteOutputMatchesSchema(t *testing.T) {
	sch := compileStateSchema(t)
	s := campaign(2, 3)
	failed := record(5, 1)
	failed.Status, failed.ErrorCode, failed.ErrorText = states.Failed, "E13009", "to number invalid"
	failed.RequestID, failed.MessageID = "", ""
	unknown := record(6, 2)
	unknown.Status, unknown.ErrorCode, unknown.ErrorText = states.Unknown, "INTERRUPTED", tricky[2]
	unknown.Key.Ref2 = tricky[4]
	s.Set(failed)
	s.Set(unknown)
	withReceipts(s)
	// Contents of every kind; a record of sensitive content has a keyed
	// digest and no content.
	key, err := delivery.NewDigestKey(bytes.Repeat([]byte{7}, delivery.DigestSecretSize))
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range []delivery.Content{
		{Type: delivery.Text, Body: tricky[2]},
		{Type: delivery.Template, TemplateName: "t", Language: "en", Params: []delivery.Param{{Name: "v", Value: tricky[4]}}},
		{Type: delivery.Media, MediaURL: "https://cdn.example.com/a.pdf", Caption: "notes"},
		{Type: delivery.MediaTemplate, TemplateName: "m", Header: delivery.HeaderImage, MediaURL: "https://cdn.example.com/a.png", ButtonURL: "v1"},
	} {
		r := record(10+i, 1)
		r.Digest = c.Digest()
		s.Set(r)
		s.KeepContent(c.Digest(), c)
	}
	secret := record(20, 1)
	secret.Digest = delivery.Content{Type: delivery.Text, Body: "1234"}.KeyedDigest(key)
	s.Set(secret)
	for name, st := range map[string]*states.State{"campaign": s, "empty": states.New("abc")} {
		var buf bytes.Buffer
		if err := Write(&buf, st); err != nil {
			t.Fatal(err)
		}
		if err := validate(sch, buf.Bytes()); err != nil {
			t.Errorf("%s: Write output does not match the schema: %v", name, err)
		}
	}
}

// TestSchemaRejects checks that the schema is not vacuous: documents that
// Parse rejects, it rejects too.
func TestSchemaRejects(t *testing.T) {
	sch := compileStateSchema(t)
	var buf bytes.Buffer
	if err := Write(&buf, campaign(1, 1)); err != nil {
		t.Fatal(err)
	}
	good := buf.String()
	for name, doc := range map[string]string{
		"in-flight status": strings.Replace(good, `"status":"sent"`, `"status":"in_flight"`, 1),
		"unknown field":    strings.Replace(good, `"attempts":1`, `"attempts":1,"colour":"red"`, 1),
		"newer version":    strings.Replace(good, `"version": 3`, `"version": 4`, 1),
		"missing digest":   strings.Replace(good, `"digest":`, `"digest_":`, 1),
		"bad number":       strings.Replace(good, `"recipient":"+1202`, `"recipient":"1202`, 1),
		"bad time":         strings.Replace(good, `"updated_at":"2026`, `"updated_at":"yesterday 2026`, 1),
	} {
		if doc == good {
			t.Fatalf("%s: the replacement did not apply", name)
		}
		if err := validate(sch, []byte(doc)); err == nil {
			t.Errorf("%s: the schema accepts it", name)
		}
		if _, err := Parse([]byte(doc)); err == nil && name != "bad number" {
			t.Errorf("%s: Parse accepts it", name)
		}
	}
}
