package lang

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/tryfunc"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// functions is the table of functions configurations may call. It is short
// and explicit on purpose: every function is deterministic, so a plan
// evaluates identically at apply.
func (s *scope) functions() map[string]function.Function {
	funcs := map[string]function.Function{
		// Strings.
		"chomp":        stdlib.ChompFunc,
		"format":       stdlib.FormatFunc,
		"formatlist":   stdlib.FormatListFunc,
		"indent":       stdlib.IndentFunc,
		"join":         stdlib.JoinFunc,
		"lower":        stdlib.LowerFunc,
		"regex":        stdlib.RegexFunc,
		"regexall":     stdlib.RegexAllFunc,
		"regexreplace": stdlib.RegexReplaceFunc,
		"replace":      stdlib.ReplaceFunc,
		"split":        stdlib.SplitFunc,
		"strrev":       stdlib.ReverseFunc,
		"substr":       stdlib.SubstrFunc,
		"title":        stdlib.TitleFunc,
		"trim":         stdlib.TrimFunc,
		"trimprefix":   stdlib.TrimPrefixFunc,
		"trimspace":    stdlib.TrimSpaceFunc,
		"trimsuffix":   stdlib.TrimSuffixFunc,
		"upper":        stdlib.UpperFunc,

		// Collections.
		"chunklist":       stdlib.ChunklistFunc,
		"coalesce":        stdlib.CoalesceFunc,
		"coalescelist":    stdlib.CoalesceListFunc,
		"compact":         stdlib.CompactFunc,
		"concat":          stdlib.ConcatFunc,
		"contains":        stdlib.ContainsFunc,
		"distinct":        distinctFunc(),
		"element":         stdlib.ElementFunc,
		"flatten":         stdlib.FlattenFunc,
		"index":           stdlib.IndexFunc,
		"keys":            stdlib.KeysFunc,
		"length":          stdlib.LengthFunc,
		"lookup":          stdlib.LookupFunc,
		"merge":           stdlib.MergeFunc,
		"range":           stdlib.RangeFunc,
		"reverse":         stdlib.ReverseListFunc,
		"setintersection": stdlib.SetIntersectionFunc,
		"setsubtract":     stdlib.SetSubtractFunc,
		"setunion":        stdlib.SetUnionFunc,
		"slice":           stdlib.SliceFunc,
		"sort":            stdlib.SortFunc,
		"values":          stdlib.ValuesFunc,
		"zipmap":          stdlib.ZipmapFunc,

		// Numbers.
		"abs":      stdlib.AbsoluteFunc,
		"ceil":     stdlib.CeilFunc,
		"floor":    stdlib.FloorFunc,
		"max":      stdlib.MaxFunc,
		"min":      stdlib.MinFunc,
		"parseint": stdlib.ParseIntFunc,

		// Encodings and dates.
		"csvdecode":  s.csvDecodeFunc(),
		"formatdate": stdlib.FormatDateFunc,
		"jsondecode": stdlib.JSONDecodeFunc,
		"jsonencode": stdlib.JSONEncodeFunc,

		// Type conversions.
		"tolist":   toCollectionFunc(cty.List),
		"tomap":    stdlib.MakeToFunc(cty.Map(cty.DynamicPseudoType)),
		"tonumber": stdlib.MakeToFunc(cty.Number),
		"toset":    toCollectionFunc(cty.Set),
		"tostring": stdlib.MakeToFunc(cty.String),
		"tobool":   stdlib.MakeToFunc(cty.Bool),

		// herald's own.
		"env":  s.envFunc(),
		"file": s.fileFunc(),
	}
	for name, f := range funcs {
		funcs[name] = withholdSensitive(f)
	}
	// Errors as values: they take expressions, not values, and report no
	// value of their own.
	funcs["can"] = tryfunc.CanFunc
	funcs["try"] = tryfunc.TryFunc
	return funcs
}

// envFunc reads an environment variable: env(NAME) fails when NAME is
// unset, env(NAME, DEFAULT) returns DEFAULT instead.
func (s *scope) envFunc() function.Function {
	return function.New(&function.Spec{
		Description: "Returns the value of an environment variable, or the default when it is unset.",
		Params:      []function.Parameter{{Name: "name", Type: cty.String}},
		VarParam:    &function.Parameter{Name: "default", Type: cty.String},
		Type:        function.StaticReturnType(cty.String),
		RefineResult: func(b *cty.RefinementBuilder) *cty.RefinementBuilder {
			return b.NotNull()
		},
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			if len(args) > 2 {
				return cty.NilVal, function.NewArgErrorf(2, "env takes a name and at most one default")
			}
			name := args[0].AsString()
			if v, ok := s.lookupEnv(name); ok {
				if s.credentialEnv[name] {
					return cty.StringVal(v).Mark(sensitiveMark), nil
				}
				return cty.StringVal(v), nil
			}
			if len(args) == 2 {
				return args[1], nil
			}
			return cty.NilVal, envUnsetError{name: name}
		},
	})
}

// envUnsetError is env's error for an unset variable without a default.
// It is a type of its own, so that explainEnvUnset can find it and reword
// the diagnostic; an ArgError's wording ("Invalid value for "name"
// parameter") would blame the name.
type envUnsetError struct{ name string }

func (e envUnsetError) Error() string {
	return "the environment variable " + e.name + " is not set"
}

// explainEnvUnset rewrites HCL's generic "Error in function call" for an
// unset env() variable into a diagnostic that says what to do.
func explainEnvUnset(diags hcl.Diagnostics) {
	for _, d := range diags {
		extra, ok := hcl.DiagnosticExtra[hclsyntax.FunctionCallDiagExtra](d)
		if !ok {
			continue
		}
		var unset envUnsetError
		if errors.As(extra.FunctionCallError(), &unset) {
			d.Summary = "Environment variable not set"
			d.Detail = "The environment variable " + unset.name + " is not set, and this env call has no default. Set it, or give env a default as its second argument."
		}
	}
}

// maxFileSize is the most file() reads: more than any list of recipients
// or template text, and far less than would exhaust memory.
const maxFileSize = 32 << 20

// fileFunc reads a file relative to the configuration folder. Only a
// regular file (or a link to one) is read: a FIFO would hang the command,
// and a device such as /dev/zero never ends.
func (s *scope) fileFunc() function.Function {
	return function.New(&function.Spec{
		Description: "Returns the contents of a file, relative to the configuration folder.",
		Params:      []function.Parameter{{Name: "path", Type: cty.String}},
		Type:        function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			path := args[0].AsString()
			if !filepath.IsAbs(path) {
				path = filepath.Join(s.dir, path)
			}
			if src, ok := s.fileCache[path]; ok {
				return cty.StringVal(src), nil
			}
			b, err := readConfigFile(path)
			if err != nil {
				if os.IsNotExist(err) {
					return cty.NilVal, function.NewArgErrorf(0, "no file %s in the configuration folder", args[0].AsString())
				}
				return cty.NilVal, function.NewArgErrorf(0, "cannot read %s: %s", args[0].AsString(), err)
			}
			if !utf8.Valid(b) {
				return cty.NilVal, function.NewArgErrorf(0, "%s is not UTF-8 text", args[0].AsString())
			}
			// Spreadsheets export CSV with a byte-order mark, which would
			// otherwise become part of the first column's name.
			b = bytes.TrimPrefix(b, []byte("\uFEFF"))
			s.fileCache[path] = string(b)
			return cty.StringVal(string(b)), nil
		},
	})
}

// readConfigFile reads path for file(): a regular file of at most
// maxFileSize bytes.
func readConfigFile(path string) ([]byte, error) {
	// Stat before opening: opening a FIFO waits for a writer.
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("it is not a regular file (%s)", describeMode(info.Mode()))
	}
	tooBig := fmt.Errorf("it is larger than %d MiB, the most file reads", maxFileSize>>20)
	if info.Size() > maxFileSize {
		return nil, tooBig
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// The file may grow after the Stat.
	b, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxFileSize {
		return nil, tooBig
	}
	return b, nil
}

func describeMode(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a folder"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return m.Type().String()
}
