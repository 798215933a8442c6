package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/heraldhq/herald/internal/command"
	"github.com/heraldhq/herald/internal/kaleyra"
	"github.com/heraldhq/herald/internal/lang"
	"github.com/heraldhq/herald/internal/states/statemgr"
)

// The README is the user guide; these tests keep it true: its
// configurations load, its error table matches the client's, and it
// mentions every command and flag herald has.

func readme(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var hclBlock = regexp.MustCompile("(?s)```hcl\n(.*?)```")

// blockHeader matches a line opening an HCL block: NAME ["LABEL"...] {
var blockHeader = regexp.MustCompile(`(?m)^[a-z_]+(\s+"[^"]*")*\s*\{`)

func TestReadmeConfigurationsLoad(t *testing.T) {
	blocks := hclBlock.FindAllStringSubmatch(readme(t), -1)
	if len(blocks) < 4 {
		t.Fatalf("found %d hcl blocks in the README; the parsing is broken", len(blocks))
	}
	env := func(name string) (string, bool) {
		if name == "KALEYRA_API_KEY" {
			return "readme-test-key", true
		}
		return "", false
	}
	load := func(t *testing.T, files map[string]string) *lang.Result {
		t.Helper()
		dir := t.TempDir()
		for name, text := range files {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		res, _, diags := lang.Load(lang.Options{Dir: dir, LookupEnv: env})
		if diags.HasErrors() {
			t.Fatalf("README example does not load:\n%s\n%s", files, diags.Error())
		}
		return res
	}

	// Whole configurations have a provider; the first is the base the
	// fragments are tried against; a block of bare attributes is a
	// variables file, tried against the reference configuration.
	var base, reference string
	for _, m := range blocks {
		text := m[1]
		switch {
		case strings.Contains(text, `provider "kaleyra"`) && base == "":
			base = text
		case strings.Contains(text, "herald {") && strings.Contains(text, "provider "):
			// The reference configuration, not a herald block alone.
			reference = text
		}
	}
	// Only sending needs the key: without it the reference configuration
	// still loads, and the provider reports it for apply.
	t.Run("without_api_key", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "main.herald.hcl"), []byte(reference), 0o644); err != nil {
			t.Fatal(err)
		}
		res, _, diags := lang.Load(lang.Options{Dir: dir, LookupEnv: func(string) (string, bool) { return "", false }})
		if diags.HasErrors() {
			t.Fatalf("the README's reference configuration does not load without KALEYRA_API_KEY:\n%s", diags.Error())
		}
		if d := res.Credentials("kaleyra"); len(d) != 1 || d[0].Summary != "Environment variable not set" {
			t.Errorf("without KALEYRA_API_KEY the provider reports %v, want the unset variable", d)
		}
	})
	for i, m := range blocks {
		text := m[1]
		t.Run(strings.Fields(text)[0]+"_"+string(rune('a'+i)), func(t *testing.T) {
			switch {
			case strings.Contains(text, `provider "kaleyra"`):
				if res := load(t, map[string]string{"main.herald.hcl": text}); res.DeliveryCount() == 0 {
					t.Error("a whole example declares no deliveries")
				}
			case !blockHeader.MatchString(text):
				res := load(t, map[string]string{"main.herald.hcl": reference, "herald.vars.hcl": text})
				for _, v := range res.Variables {
					if v.Name == "release" && v.Value.AsString() != "v1.4.0" {
						t.Errorf("the variables file set release to %s", v.Value.GoString())
					}
				}
			default:
				load(t, map[string]string{
					"main.herald.hcl":     base,
					"fragment.herald.hcl": text,
					"recipients.csv":      "name,phone\nAda,+12025550150\nGrace,+12025550151\n",
				})
			}
		})
	}
}

func TestReadmeErrorCodes(t *testing.T) {
	text := readme(t)
	row := regexp.MustCompile("(?m)^\\| `([A-Z0-9_]+)` \\|")
	documented := map[string]bool{}
	for _, m := range row.FindAllStringSubmatch(text, -1) {
		documented[m[1]] = true
	}
	for _, code := range append(kaleyra.KnownCodes(), statemgr.Interrupted, statemgr.Running) {
		if !documented[code] {
			t.Errorf("the README's error table does not explain %s", code)
		}
	}
	for code := range documented {
		if kaleyra.Explain(code) == "" && code != statemgr.Interrupted && code != statemgr.Running {
			t.Errorf("the README explains %s, which herald does not know", code)
		}
	}
}

func TestReadmeCoversCommandsAndFlags(t *testing.T) {
	text := readme(t)
	herald, err := exec.LookPath("herald")
	if err != nil {
		t.Fatal(err)
	}
	flagLine := regexp.MustCompile(`(?m)^  -([a-z0-9-]+)`)
	flags := 0
	for _, name := range command.Names() {
		if !strings.Contains(text, "herald "+name) {
			t.Errorf("the README does not mention \"herald %s\"", name)
		}
		help, _ := exec.Command(herald, append(strings.Fields(name), "-help")...).Output()
		for _, m := range flagLine.FindAllStringSubmatch(string(help), -1) {
			flags++
			if !strings.Contains(text, "-"+m[1]) {
				t.Errorf("the README does not mention %s's flag -%s", name, m[1])
			}
		}
	}
	if flags < 30 {
		t.Errorf("read only %d flags from the commands' -help; the parsing is broken", flags)
	}
}
