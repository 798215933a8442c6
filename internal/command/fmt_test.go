package command

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestUnifiedDiffMatchesDiffU compares unifiedDiff with the system's
// diff -u, when there is one, on edits near, far apart and at the ends.
func TestUnifiedDiffMatchesDiffU(t *testing.T) {
	diffTool, err := exec.LookPath("diff")
	if err != nil {
		t.Skip("no diff tool")
	}
	var lines []string
	for i := range 30 {
		lines = append(lines, fmt.Sprintf("line %d", i))
	}
	edit := func(f func([]string) []string) string {
		return strings.Join(f(append([]string(nil), lines...)), "\n") + "\n"
	}
	orig := edit(func(l []string) []string { return l })
	cases := map[string]string{
		"one change": edit(func(l []string) []string { l[10] = "changed"; return l }),
		"two far":    edit(func(l []string) []string { l[2] = "x"; l[25] = "y"; return l }),
		"two near":   edit(func(l []string) []string { l[10] = "x"; l[14] = "y"; return l }),
		"first":      edit(func(l []string) []string { l[0] = "x"; return l }),
		"last":       edit(func(l []string) []string { l[29] = "x"; return l }),
		"insert":     edit(func(l []string) []string { return append(l[:5], append([]string{"new"}, l[5:]...)...) }),
		"delete":     edit(func(l []string) []string { return append(l[:5], l[8:]...) }),
	}
	dir := t.TempDir()
	a := filepath.Join(dir, "a")
	os.WriteFile(a, []byte(orig), 0o644)
	for name, changed := range cases {
		t.Run(name, func(t *testing.T) {
			b := filepath.Join(dir, "b")
			os.WriteFile(b, []byte(changed), 0o644)
			want, _ := exec.Command(diffTool, "-u", "--label", "old/f", "--label", "new/f", a, b).Output()
			got := unifiedDiff("old/f", "new/f", orig, changed)
			if got != string(want) {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}
