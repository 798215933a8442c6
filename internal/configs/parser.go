package configs

import (
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
)

// File name suffixes of configuration files.
const (
	SuffixHCL  = ".herald.hcl"
	SuffixJSON = ".herald.json"
)

// Parser reads configuration and variable files, remembering every file it
// parsed so that diagnostics can be rendered with source snippets.
type Parser struct {
	dir string
	// files parses and keeps every file, for Files.
	files *hclparse.Parser
}

// NewParser returns a parser for the configuration in dir. Files are named
// relative to dir in diagnostics.
func NewParser(dir string) *Parser {
	return &Parser{dir: dir, files: hclparse.NewParser()}
}

// Dir is the configuration folder.
func (p *Parser) Dir() string { return p.dir }

// Files returns every file parsed so far, keyed by the name used in
// diagnostics.
func (p *Parser) Files() map[string]*hcl.File { return p.files.Files() }

// ConfigFileNames lists the configuration files of dir in lexical order.
func ConfigFileNames(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || strings.HasPrefix(name, ".") {
			continue
		}
		if strings.HasSuffix(name, SuffixHCL) || strings.HasSuffix(name, SuffixJSON) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names, nil
}

// LoadConfig parses and decodes every configuration file of the folder. It
// returns a nil Config when any file has a syntax error.
func (p *Parser) LoadConfig() (*Config, hcl.Diagnostics) {
	names, err := ConfigFileNames(p.dir)
	if err != nil {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Cannot read the configuration folder",
			Detail:   err.Error() + ".",
		}}
	}
	if len(names) == 0 {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "No configuration files",
			Detail:   "The folder " + p.dir + " has no *" + SuffixHCL + " or *" + SuffixJSON + " files.",
		}}
	}
	// Parse every file before decoding any: a syntax error leaves a partial
	// body whose missing arguments and references would each be reported
	// again, burying the one error that matters, so syntax errors are
	// reported alone.
	var files []*hcl.File
	var diags hcl.Diagnostics
	for _, name := range names {
		f, moreDiags := p.ParseFile(name)
		diags = append(diags, TrimMultiLineStringErrors(moreDiags)...)
		files = append(files, f)
	}
	if diags.HasErrors() {
		return nil, diags
	}
	c := &Config{}
	for _, f := range files {
		diags = append(diags, c.decodeFile(f.Body)...)
	}
	diags = append(diags, c.checkDuplicates()...)
	return c, diags
}

// TrimMultiLineStringErrors keeps the first of a file's "Invalid multi-line
// string" errors: HCL reports one for every line an unclosed quote runs
// over, which all point back at the one missing quote.
func TrimMultiLineStringErrors(diags hcl.Diagnostics) hcl.Diagnostics {
	const summary = "Invalid multi-line string"
	out := diags[:0:0]
	seen := false
	for _, d := range diags {
		if d.Summary == summary {
			if seen {
				continue
			}
			seen = true
		}
		out = append(out, d)
	}
	return out
}

// InJSON tells whether rng is in a JSON configuration file, where a
// reference is written inside a string rather than bare.
func InJSON(rng hcl.Range) bool { return strings.HasSuffix(rng.Filename, ".json") }

// ParseFile parses one file, HCL or JSON by its extension. A relative name
// is read from the configuration folder and keeps its name in diagnostics.
func (p *Parser) ParseFile(name string) (*hcl.File, hcl.Diagnostics) {
	path := name
	if !filepath.IsAbs(path) {
		path = filepath.Join(p.dir, name)
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Cannot read file",
			Detail:   "Reading " + name + " failed: " + err.Error() + ".",
		}}
	}
	syntax := NestingConfig
	if strings.HasSuffix(name, ".json") {
		syntax = NestingJSON
	}
	if diags := CheckNesting(src, name, hcl.InitialPos, syntax); diags.HasErrors() {
		// Keep the source, so that the diagnostic shows its line.
		p.files.AddFile(name, &hcl.File{Body: hcl.EmptyBody(), Bytes: src})
		return nil, diags
	}
	if syntax == NestingJSON {
		return p.files.ParseJSON(src, name)
	}
	return p.files.ParseHCL(src, name)
}
