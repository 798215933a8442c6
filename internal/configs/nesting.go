package configs

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// MaxNesting is how deeply brackets, braces, parentheses and template
// interpolations may nest in one file or value. HCL's parsers recurse once
// per level or more, and some hundred thousand levels overflow the stack:
// a fatal error that no caller can recover from, so the depth is checked
// before anything is parsed. No real configuration comes near it.
const MaxNesting = 256

// Syntaxes for CheckNesting.
const (
	NestingConfig     = iota // a native-syntax HCL file
	NestingExpression        // one native-syntax expression
	NestingJSON              // a file in HCL's JSON syntax
)

// CheckNesting reports an error at the first place in src that nests
// deeper than MaxNesting. syntax is one of the Nesting constants; filename
// and start place the diagnostic.
func CheckNesting(src []byte, filename string, start hcl.Pos, syntax int) hcl.Diagnostics {
	// Each level needs an opening character, so a file with fewer of them
	// cannot nest too deeply, and nearly every file is done here.
	if openers(src) <= MaxNesting {
		return nil
	}
	var off int
	var ok bool
	switch syntax {
	case NestingJSON:
		off, ok = jsonTooDeep(src)
	case NestingExpression:
		tokens, _ := hclsyntax.LexExpression(src, filename, start)
		off, ok = tokensTooDeep(tokens, start)
	default:
		tokens, _ := hclsyntax.LexConfig(src, filename, start)
		off, ok = tokensTooDeep(tokens, start)
	}
	if !ok {
		return nil
	}
	at := posAt(src, off, start)
	end := at
	end.Byte++
	end.Column++
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "Nesting too deep",
		Detail:   fmt.Sprintf("Brackets, braces, parentheses and template interpolations nest more than %d levels deep here; herald reads no deeper. Flatten the value, or read data from a file with jsondecode or csvdecode.", MaxNesting),
		Subject:  &hcl.Range{Filename: filename, Start: at, End: end},
	}}
}

func openers(src []byte) int {
	return bytes.Count(src, []byte("(")) + bytes.Count(src, []byte("[")) + bytes.Count(src, []byte("{"))
}

// tokensTooDeep returns the byte offset, from start, of the token that
// opens level MaxNesting+1.
func tokensTooDeep(tokens hclsyntax.Tokens, start hcl.Pos) (int, bool) {
	depth := 0
	for _, t := range tokens {
		switch t.Type {
		case hclsyntax.TokenOBrace, hclsyntax.TokenOBrack, hclsyntax.TokenOParen,
			hclsyntax.TokenTemplateInterp, hclsyntax.TokenTemplateControl:
			depth++
			if depth > MaxNesting {
				return t.Range.Start.Byte - start.Byte, true
			}
		case hclsyntax.TokenCBrace, hclsyntax.TokenCBrack, hclsyntax.TokenCParen,
			hclsyntax.TokenTemplateSeqEnd:
			depth = max(depth-1, 0)
		}
	}
	return 0, false
}

// jsonTooDeep does for a JSON file what tokensTooDeep does for HCL: it
// counts arrays and objects, and within each string the templates HCL
// would parse from it.
func jsonTooDeep(src []byte) (int, bool) {
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.UseNumber()
	depth := 0
	for {
		before := int(dec.InputOffset())
		tok, err := dec.Token()
		if err != nil {
			// The end, or a syntax error that the parser reports itself.
			return 0, false
		}
		switch tok := tok.(type) {
		case json.Delim:
			if tok == '[' || tok == '{' {
				depth++
				if depth > MaxNesting {
					return skipSpace(src, before), true
				}
			} else {
				depth--
			}
		case string:
			// A string is parsed as a template of its own.
			if openers([]byte(tok)) <= MaxNesting {
				continue
			}
			tokens, _ := hclsyntax.LexTemplate([]byte(tok), "", hcl.InitialPos)
			if _, deep := tokensTooDeep(tokens, hcl.InitialPos); deep {
				return skipSpace(src, before), true
			}
		}
	}
}

// skipSpace moves off past the spaces and separators before a token,
// which InputOffset counts as before it.
func skipSpace(src []byte, off int) int {
	for off < len(src) {
		switch src[off] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
		default:
			return off
		}
	}
	return off
}

// posAt is the position of byte off of src, which starts at start.
func posAt(src []byte, off int, start hcl.Pos) hcl.Pos {
	off = min(off, len(src))
	pos := start
	pos.Byte += off
	before := src[:off]
	if n := bytes.Count(before, []byte("\n")); n > 0 {
		pos.Line += n
		pos.Column = off - bytes.LastIndexByte(before, '\n')
	} else {
		pos.Column += off
	}
	return pos
}
