// Package configs holds herald's configuration as written: the parser that
// reads every *.herald.hcl and *.herald.json file of a folder, the schema of
// each block kind and the decoder that turns a block into a struct whose
// attributes are still unevaluated hcl.Expressions.
//
// It evaluates nothing that could reference anything else: only literal
// settings such as a variable's type, description and default are decoded
// here. Evaluation, references and the checks on evaluated values belong to
// package lang.
package configs
