package command

import (
	"flag"

	"github.com/heraldhq/herald/internal/lang"
)

// varFlags collects -var and -var-file in command-line order, since a later
// one overrides an earlier one. Commands that evaluate the configuration
// (validate, plan, apply) register them.
type varFlags struct {
	args []lang.VarArg
}

// register adds -var and -var-file to fs.
func (v *varFlags) register(fs *flag.FlagSet) {
	fs.Func("var", "set a variable, as `NAME=VALUE`; repeatable", func(s string) error {
		v.args = append(v.args, lang.VarArg{Value: s})
		return nil
	})
	fs.Func("var-file", "read variable values from `FILE` (HCL, or JSON when it ends .json); repeatable", func(s string) error {
		v.args = append(v.args, lang.VarArg{File: true, Value: s})
		return nil
	})
}
