package lang

import (
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"

	"github.com/heraldhq/herald/internal/kaleyra/rules"
)

// csvDecodeFunc is go-cty's csvdecode, with errors that name the file the
// text was read from when file() read it: "recipients.csv: CSV parse error
// on line 3: ...", not a line number of an unnamed string.
func (s *scope) csvDecodeFunc() function.Function {
	return function.New(&function.Spec{
		Description: stdlib.CSVDecodeFunc.Description(),
		Params:      []function.Parameter{{Name: "str", Type: cty.String}},
		Type: func(args []cty.Value) (cty.Type, error) {
			ty, err := stdlib.CSVDecodeFunc.ReturnTypeForValues(args)
			return ty, s.inFile(args[0], err)
		},
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			v, err := stdlib.CSVDecodeFunc.Call(args)
			return v, s.inFile(args[0], err)
		},
	})
}

// inFile prefixes err with the name of the file whose whole text str is.
func (s *scope) inFile(str cty.Value, err error) error {
	if err == nil || !str.IsKnown() || str.IsNull() {
		return err
	}
	if name := s.fileOf(str.AsString()); name != "" {
		return fmt.Errorf("%s: %w", name, err)
	}
	return err
}

// fileOf names the file, relative to the configuration folder, that file()
// read text from; "" when it read none with that text.
func (s *scope) fileOf(text string) string {
	for path, src := range s.fileCache {
		if src == text {
			return s.relative(path)
		}
	}
	return ""
}

func (s *scope) relative(path string) string {
	if rel, err := filepath.Rel(s.dir, path); err == nil && filepath.IsLocal(rel) {
		return rel
	}
	return path
}

// valueExtra marks a diagnostic about one value, such as a repeated phone
// number, that may have come from a file file() read; locateValues then
// says on which line of which file it is. A broken number rule's
// rules.Problem does the same with the number it found.
type valueExtra struct{ value string }

// locateValues adds to each diagnostic about a value from a file that
// file() read (a CSV of recipients, say) the file and line it is on: the
// diagnostic itself points at the expression that read it.
func (s *scope) locateValues(diags hcl.Diagnostics) {
	if len(s.fileCache) == 0 {
		return
	}
	paths := make([]string, 0, len(s.fileCache))
	for p := range s.fileCache {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, d := range diags {
		extra, ok := hcl.DiagnosticExtra[valueExtra](d)
		if p, isRule := hcl.DiagnosticExtra[rules.Problem](d); isRule && p.Kind == rules.InvalidNumber {
			extra, ok = valueExtra{p.Found}, true
		}
		if !ok || extra.value == "" {
			continue
		}
		// Every place it stands, since a text search cannot tell which
		// file the expression read it from.
		var places []string
		for _, p := range paths {
			lines := fieldLines(s.fileCache[p], extra.value)
			if len(lines) == 0 {
				continue
			}
			word := "line "
			if len(lines) > 1 {
				word = "lines "
			}
			places = append(places, word+joinAnd(lines)+" of "+s.relative(p))
		}
		if len(places) > 0 {
			d.Detail += " It is on " + joinAnd(places) + "."
		}
	}
}

// maxFieldLines is how many lines fieldLines finds at most: enough to
// show a number listed twice.
const maxFieldLines = 3

// fieldLines lists the lines of text on which value stands as a whole
// field (between separators, quotes or line ends), the first few.
func fieldLines(text, value string) []string {
	isEdge := func(c byte) bool {
		return c == ',' || c == '"' || c == '\n' || c == '\r' || c == ';' || c == '\t' || c == ' '
	}
	var out []string
	line, counted := 1, 0
	for from := 0; len(out) < maxFieldLines; {
		i := strings.Index(text[from:], value)
		if i < 0 {
			break
		}
		i += from
		from = i + 1
		end := i + len(value)
		if (i == 0 || isEdge(text[i-1])) && (end == len(text) || isEdge(text[end])) {
			line += strings.Count(text[counted:i], "\n")
			counted = i
			out = append(out, strconv.Itoa(line))
		}
	}
	return out
}

// joinAnd is "a", "a and b", or "a, b and c".
func joinAnd(list []string) string {
	if len(list) <= 1 {
		return strings.Join(list, "")
	}
	return strings.Join(list[:len(list)-1], ", ") + " and " + list[len(list)-1]
}
