package configs

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

const repoRoot = "../.."

func compileConfigSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	path, err := filepath.Abs(filepath.Join(repoRoot, "schema", "config.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	sch, err := jsonschema.NewCompiler().Compile(path)
	if err != nil {
		t.Fatalf("compiling the schema: %v", err)
	}
	return sch
}

func validateJSON(sch *jsonschema.Schema, src string) error {
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(src))
	if err != nil {
		return err
	}
	return sch.Validate(doc)
}

// TestJSONConfigsMatchSchema validates every *.herald.json under examples/
// and testdata/ against schema/config.schema.json.
func TestJSONConfigsMatchSchema(t *testing.T) {
	sch := compileConfigSchema(t)
	found := 0
	for _, top := range []string{"examples", "testdata"} {
		err := filepath.WalkDir(filepath.Join(repoRoot, top), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, SuffixJSON) {
				return err
			}
			found++
			src, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			if err := validateJSON(sch, string(src)); err != nil {
				t.Errorf("%s: %v", path, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if found == 0 {
		t.Fatal("no *.herald.json files found to validate")
	}
}

// TestSchemaRejects checks that the schema is not so loose it accepts
// anything.
func TestSchemaRejects(t *testing.T) {
	sch := compileConfigSchema(t)
	for name, src := range map[string]string{
		"unknown block":      `{"recipent": {"x": {"numbers": []}}}`,
		"unknown provider":   `{"provider": {"twilio": {"sid": "x"}}}`,
		"provider sid":       `{"provider": {"kaleyra": {"emulator": true}}}`,
		"bad region":         `{"provider": {"kaleyra": {"sid": "x", "region": "us"}}}`,
		"message without to": `{"message": {"m": {"from": "${sender.ops}", "body": "x", "ref": "r"}}}`,
		"body and template":  `{"message": {"m": {"from": "x", "to": [], "body": "x", "template": "${template.t}", "ref": "r"}}}`,
		"unknown argument":   `{"sender": {"s": {"number": "+12025550100", "nmber": "x"}}}`,
		"bad depends_on":     `{"message": {"m": {"from": "x", "to": [], "body": "x", "ref": "r", "depends_on": ["sender.ops"]}}}`,
		"media and body":     `{"message": {"m": {"from": "x", "to": [], "body": "x", "media": {"url": "https://c.example/n.pdf"}, "ref": "r"}}}`,
		"media and template": `{"message": {"m": {"from": "x", "to": [], "template": "${template.t}", "media": {"url": "https://c.example/n.pdf"}, "ref": "r"}}}`,
		"media without url":  `{"message": {"m": {"from": "x", "to": [], "media": {"caption": "c"}, "ref": "r"}}}`,
		"header both kinds":  `{"message": {"m": {"from": "x", "to": [], "template": "${template.t}", "header": {"text": "a", "media_url": "b"}, "ref": "r"}}}`,
		"template header":    `{"template": {"t": {"name": "t", "header": "audio"}}}`,
		"template button":    `{"template": {"t": {"name": "t", "button": "phone"}}}`,
	} {
		if err := validateJSON(sch, src); err == nil {
			t.Errorf("%s: the schema accepted %s", name, src)
		}
	}
}

// TestSchemaAcceptsRichMessages checks the rich forms the language takes.
func TestSchemaAcceptsRichMessages(t *testing.T) {
	sch := compileConfigSchema(t)
	for name, src := range map[string]string{
		"media":          `{"message": {"m": {"from": "x", "to": [], "media": {"url": "https://c.example/n.pdf", "caption": "Notes"}, "ref": "r"}}}`,
		"media template": `{"template": {"t": {"name": "t", "header": "image", "button": "url"}}, "message": {"m": {"from": "x", "to": [], "template": "${template.t}", "header": {"media_url": "https://c.example/b.png"}, "button_url": "v2", "ref": "r"}}}`,
		"text header":    `{"message": {"m": {"from": "x", "to": [], "template": "${template.t}", "header": {"text": "Today"}, "ref": "r"}}}`,
	} {
		if err := validateJSON(sch, src); err != nil {
			t.Errorf("%s: the schema refused %s: %v", name, src, err)
		}
	}
}
