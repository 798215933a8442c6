package lang

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/heraldhq/herald/internal/configs"
)

// TestExamples loads every example configuration: each must be valid.
func TestExamples(t *testing.T) {
	dirs, err := filepath.Glob("../../examples/*")
	if err != nil {
		t.Fatal(err)
	}
	loaded := 0
	for _, dir := range dirs {
		if names, err := configs.ConfigFileNames(dir); err != nil || len(names) == 0 {
			continue
		}
		loaded++
		t.Run(filepath.Base(dir), func(t *testing.T) {
			env := envOf(map[string]string{"KALEYRA_API_KEY": "example-key"})
			res, _, diags := Load(Options{Dir: dir, LookupEnv: env})
			if diags.HasErrors() {
				t.Fatal(diags.Error())
			}
			if res.DeliveryCount() == 0 {
				t.Error("no deliveries")
			}
			if _, err := os.Stat(filepath.Join(dir, "README.md")); err != nil {
				t.Error("the example has no README.md saying what it shows")
			}
		})
	}
	if loaded < 3 {
		t.Errorf("found %d examples, want at least quickstart, release-announcement and csv-recipients", loaded)
	}
}
