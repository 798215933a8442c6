package command

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"

	"github.com/heraldhq/herald/internal/command/arguments"
	"github.com/heraldhq/herald/internal/command/views"
	"github.com/heraldhq/herald/internal/configs"
)

var cmdFmt = &Command{
	UsageLine: "herald fmt [-check] [-diff] [-recursive] [PATH...]",
	Short:     "Rewrite configuration files in canonical style",
	Long: `Rewrites *.herald.hcl and *.vars.hcl files in the canonical HCL style
(indentation, aligned equals signs, spacing) and lists the files it
changed. PATH is a file or a folder; the default is the working folder.
A PATH of "-" formats standard input to standard output. JSON files are
left alone.

-check writes nothing and exits 3 when a file is not formatted, for CI.`,
	Run: runFmt,
}

// ExitFmtCheck is fmt -check's status when a file would change.
const ExitFmtCheck = 3

func runFmt(env *Env, args []string) int {
	a, _, err := arguments.ParseFmt(newFlagSet(env, "fmt"), args)
	if err != nil {
		return flagStatus(err)
	}
	f := &formatter{env: env, args: a}
	for _, p := range a.Paths {
		f.path(p)
	}
	switch {
	case f.failed:
		return ExitError
	case a.Check && f.changed:
		return ExitFmtCheck
	}
	return 0
}

// formatter formats files and remembers whether any changed or failed.
type formatter struct {
	env     *Env
	args    *arguments.Fmt
	changed bool
	failed  bool
}

// isFormattable reports whether fmt formats a file found in a folder.
func isFormattable(name string) bool {
	return strings.HasSuffix(name, ".herald.hcl") || strings.HasSuffix(name, ".vars.hcl")
}

func (f *formatter) path(p string) {
	if p == "-" {
		src, err := io.ReadAll(f.env.Stdin)
		if err != nil {
			f.fail("Cannot read standard input", err.Error()+".")
			return
		}
		f.source("<stdin>", src, func(out []byte) error {
			_, err := f.env.Stdout.Write(out)
			return err
		})
		return
	}
	full := f.env.abs(p)
	info, err := os.Stat(full)
	if err != nil {
		f.fail("No such file or folder", "There is no "+p+" to format.")
		return
	}
	if !info.IsDir() {
		if !strings.HasSuffix(p, ".hcl") {
			f.fail("Not an HCL file", p+" is not an HCL file; fmt formats *.herald.hcl and *.vars.hcl files.")
			return
		}
		f.file(p, full, info.Mode())
		return
	}
	err = filepath.WalkDir(full, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != full && (!f.args.Recursive || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !isFormattable(d.Name()) {
			return nil
		}
		rel, _ := filepath.Rel(full, path)
		info, err := d.Info()
		if err != nil {
			return err
		}
		f.file(filepath.Join(p, rel), path, info.Mode())
		return nil
	})
	if err != nil {
		f.fail("Cannot read folder", err.Error()+".")
	}
}

func (f *formatter) file(name, full string, mode fs.FileMode) {
	src, err := os.ReadFile(full)
	if err != nil {
		f.fail("Cannot read file", err.Error()+".")
		return
	}
	f.source(filepath.ToSlash(filepath.Clean(name)), src, func(out []byte) error {
		return os.WriteFile(full, out, mode.Perm())
	})
}

// source formats one file's contents; write stores the result.
func (f *formatter) source(name string, src []byte, write func([]byte) error) {
	var file *hcl.File
	diags := configs.CheckNesting(src, name, hcl.InitialPos, configs.NestingConfig)
	if diags.HasErrors() {
		file = &hcl.File{Bytes: src}
	} else {
		file, diags = hclsyntax.ParseConfig(src, name, hcl.InitialPos)
	}
	if diags.HasErrors() {
		views.Diagnostics(f.env.Stderr, map[string]*hcl.File{name: file}, configs.TrimMultiLineStringErrors(diags), f.color(), f.env.Width)
		f.failed = true
		return
	}
	out := hclwrite.Format(src)
	if name == "<stdin>" {
		if !f.args.Check {
			if err := write(out); err != nil {
				f.fail("Cannot write standard output", err.Error()+".")
			}
		}
		f.changed = f.changed || !bytes.Equal(src, out)
		return
	}
	if bytes.Equal(src, out) {
		return
	}
	f.changed = true
	fmt.Fprintln(f.env.Stdout, name)
	if f.args.Diff {
		fmt.Fprint(f.env.Stdout, unifiedDiff("old/"+name, "new/"+name, string(src), string(out)))
	}
	if f.args.Check {
		return
	}
	if err := write(out); err != nil {
		f.fail("Cannot write file", err.Error()+".")
	}
}

func (f *formatter) color() bool {
	return f.env.color(f.args.NoColor)
}

func (f *formatter) fail(summary, detail string) {
	views.Diagnostics(f.env.Stderr, nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: summary, Detail: detail}}, f.color(), f.env.Width)
	f.failed = true
}

// diffContext is the number of unchanged lines shown around a change.
const diffContext = 3

// maxDiffCells bounds the line-matching table; beyond it the diff shows the
// whole file replaced rather than use quadratic memory.
const maxDiffCells = 4_000_000

// unifiedDiff returns a unified diff (as diff -u prints) turning a into b.
// fmt's changes are whitespace within lines, so a longest-common-subsequence
// match of lines is all it needs.
func unifiedDiff(nameA, nameB, a, b string) string {
	la, lb := splitLines(a), splitLines(b)
	ops := diffLines(la, lb)

	var out strings.Builder
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", nameA, nameB)
	// Group the edit script into hunks with context.
	for i := 0; i < len(ops); {
		if ops[i].kind == ' ' {
			i++
			continue
		}
		start := max(i-diffContext, 0)
		end := i
		for end < len(ops) {
			if ops[end].kind != ' ' {
				end++
				continue
			}
			run := end
			for run < len(ops) && ops[run].kind == ' ' {
				run++
			}
			if run == len(ops) || run-end > 2*diffContext {
				end = min(end+diffContext, len(ops))
				break
			}
			end = run
		}
		hunk := ops[start:end]
		aStart, bStart := hunk[0].aLine, hunk[0].bLine
		aCount, bCount := 0, 0
		for _, op := range hunk {
			if op.kind != '+' {
				aCount++
			}
			if op.kind != '-' {
				bCount++
			}
		}
		fmt.Fprintf(&out, "@@ -%s +%s @@\n", hunkRange(aStart, aCount), hunkRange(bStart, bCount))
		for _, op := range hunk {
			out.WriteByte(op.kind)
			out.WriteString(op.text)
			out.WriteByte('\n')
		}
		i = end
	}
	return out.String()
}

func hunkRange(start, count int) string {
	if count == 0 {
		return fmt.Sprintf("%d,0", start)
	}
	if count == 1 {
		return fmt.Sprintf("%d", start+1)
	}
	return fmt.Sprintf("%d,%d", start+1, count)
}

func splitLines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// diffOp is one line of an edit script: ' ' kept, '-' removed, '+' added.
// aLine and bLine are the 0-based line numbers in each file where it stands.
type diffOp struct {
	kind         byte
	text         string
	aLine, bLine int
}

func diffLines(a, b []string) []diffOp {
	var ops []diffOp
	if len(a)*len(b) > maxDiffCells {
		for i, l := range a {
			ops = append(ops, diffOp{'-', l, i, 0})
		}
		for j, l := range b {
			ops = append(ops, diffOp{'+', l, len(a), j})
		}
		return ops
	}
	// lcs[i][j] is the length of the longest common subsequence of a[i:]
	// and b[j:].
	lcs := make([][]int32, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int32, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			ops = append(ops, diffOp{' ', a[i], i, j})
			i, j = i+1, j+1
		case i < len(a) && (j == len(b) || lcs[i+1][j] >= lcs[i][j+1]):
			ops = append(ops, diffOp{'-', a[i], i, j})
			i++
		default:
			ops = append(ops, diffOp{'+', b[j], i, j})
			j++
		}
	}
	return ops
}
