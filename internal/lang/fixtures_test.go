package lang

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// fixturesDir holds configurations that declare the diagnostics they expect
// with a "# ERROR: summary" or "# WARNING: summary" comment on the line the
// diagnostic points at. A file is a configuration on its own; a folder is
// one configuration of all its files.
const fixturesDir = "../../testdata/config"

// fixtureEnv is the environment every fixture is loaded with.
var fixtureEnv = map[string]string{"HERALD_TEST_SET": "set-value"}

func lookupFixtureEnv(name string) (string, bool) {
	v, ok := fixtureEnv[name]
	return v, ok
}

var expectComment = regexp.MustCompile(`#\s*(ERROR|WARNING):\s*(.+?)\s*$`)

type expectation struct {
	file     string
	line     int
	severity hcl.DiagnosticSeverity
	summary  string
}

func (e expectation) String() string {
	sev := "ERROR"
	if e.severity == hcl.DiagWarning {
		sev = "WARNING"
	}
	return fmt.Sprintf("%s:%d: %s: %s", e.file, e.line, sev, e.summary)
}

// fixtureDirs returns each fixture's name and the folder to load it from;
// single files are copied alone into a temporary folder.
func fixtureDirs(t *testing.T) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(fixturesDir)
	if err != nil {
		t.Fatal(err)
	}
	dirs := map[string]string{}
	for _, e := range entries {
		path := filepath.Join(fixturesDir, e.Name())
		switch {
		case e.IsDir():
			dirs[e.Name()] = path
		case strings.HasSuffix(e.Name(), ".herald.hcl") || strings.HasSuffix(e.Name(), ".herald.json"):
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, e.Name()), src, 0o644); err != nil {
				t.Fatal(err)
			}
			dirs[e.Name()] = dir
		}
	}
	return dirs
}

func readExpectations(t *testing.T, dir string) []expectation {
	t.Helper()
	var out []expectation
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".hcl") {
			continue
		}
		f, err := os.Open(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for line := 1; sc.Scan(); line++ {
			m := expectComment.FindStringSubmatch(sc.Text())
			if m == nil {
				continue
			}
			sev := hcl.DiagError
			if m[1] == "WARNING" {
				sev = hcl.DiagWarning
			}
			out = append(out, expectation{file: e.Name(), line: line, severity: sev, summary: m[2]})
		}
		f.Close()
	}
	return out
}

// TestFixtures loads every fixture and checks that exactly the expected
// diagnostics appear, at the expected lines; a fixture without expectations
// must load cleanly.
func TestFixtures(t *testing.T) {
	for name, dir := range fixtureDirs(t) {
		t.Run(name, func(t *testing.T) {
			want := readExpectations(t, dir)
			res, files, diags := Load(Options{Dir: dir, LookupEnv: lookupFixtureEnv})
			if files == nil {
				t.Fatal("Load returned no files")
			}
			matched := make([]bool, len(want))
			for _, d := range diags {
				if d.Subject == nil {
					t.Errorf("diagnostic without a source range: %s: %s", d.Summary, d.Detail)
					continue
				}
				if d.Summary == "" || strings.ToUpper(d.Summary[:1]) != d.Summary[:1] {
					t.Errorf("summary %q is not capitalised", d.Summary)
				}
				found := false
				for i, w := range want {
					if !matched[i] && w.file == d.Subject.Filename && w.line == d.Subject.Start.Line &&
						w.severity == d.Severity && strings.Contains(d.Summary, w.summary) {
						matched[i], found = true, true
						break
					}
				}
				if !found {
					t.Errorf("unexpected diagnostic at %s:%d: %s; %s", d.Subject.Filename, d.Subject.Start.Line, d.Summary, d.Detail)
				}
			}
			var missing []string
			for i, w := range want {
				if !matched[i] {
					missing = append(missing, w.String())
				}
			}
			sort.Strings(missing)
			for _, m := range missing {
				t.Errorf("missing diagnostic %s", m)
			}
			if len(want) == 0 && res == nil {
				t.Errorf("valid fixture returned no result")
			}
			if diags.HasErrors() && res != nil {
				t.Errorf("Load returned a result along with errors")
			}
		})
	}
}
