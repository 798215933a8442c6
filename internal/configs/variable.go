package configs

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// Variable is a variable block: an input whose value comes from its default,
// the environment, variable files or the command line.
type Variable struct {
	Name        string
	Description string
	// Type is the type constraint; cty.DynamicPseudoType when unset.
	Type cty.Type
	// TypeSet tells whether the block has a type argument. As in
	// Terraform, text from the environment or -var for a variable without
	// one is taken as a string, not read as HCL.
	TypeSet bool
	// TypeDefaults holds the defaults of optional object attributes.
	TypeDefaults *typeexpr.Defaults
	// Default is the default value, cty.NilVal when the variable is required.
	Default      cty.Value
	DefaultRange hcl.Range
	Sensitive    bool
	Validations  []*VariableValidation
	DeclRange    hcl.Range
}

// Required reports whether the variable has no default.
func (v *Variable) Required() bool { return v.Default == cty.NilVal }

// VariableValidation is one validation block of a variable.
type VariableValidation struct {
	Condition    hcl.Expression
	ErrorMessage hcl.Expression
	DeclRange    hcl.Range
}

var variableSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "type"},
		{Name: "description"},
		{Name: "default"},
		{Name: "sensitive"},
	},
	Blocks: []hcl.BlockHeaderSchema{{Type: "validation"}},
}

var validationSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "condition", Required: true},
		{Name: "error_message", Required: true},
	},
}

func decodeVariableBlock(block *hcl.Block) (*Variable, hcl.Diagnostics) {
	content, diags := namedBlockContent("variable", block, variableSchema)
	v := &Variable{
		Name:      block.Labels[0],
		Type:      cty.DynamicPseudoType,
		DeclRange: block.DefRange,
	}

	if a, ok := content.Attributes["type"]; ok {
		v.TypeSet = true
		ty, defaults, moreDiags := typeexpr.TypeConstraintWithDefaults(a.Expr)
		diags = append(diags, moreDiags...)
		if !moreDiags.HasErrors() {
			v.Type, v.TypeDefaults = ty, defaults
		}
	}
	if a, ok := content.Attributes["description"]; ok {
		diags = append(diags, gohcl.DecodeExpression(a.Expr, nil, &v.Description)...)
	}
	if a, ok := content.Attributes["sensitive"]; ok {
		diags = append(diags, gohcl.DecodeExpression(a.Expr, nil, &v.Sensitive)...)
	}
	if a, ok := content.Attributes["default"]; ok {
		// A default is a literal: it cannot refer to anything, so it can be
		// evaluated here, without a context.
		val, moreDiags := a.Expr.Value(nil)
		diags = append(diags, moreDiags...)
		if moreDiags.HasErrors() {
			// The variable has a default, if a broken one: unknown, so
			// that it is not also reported as required.
			v.Default, v.DefaultRange = cty.DynamicVal, a.Expr.Range()
		} else {
			if v.TypeDefaults != nil {
				val = v.TypeDefaults.Apply(val)
			}
			converted, err := convert.Convert(val, v.Type)
			if err != nil {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid default value for variable",
					Detail:   "This default value is not compatible with the variable's type constraint: " + err.Error() + ".",
					Subject:  a.Expr.Range().Ptr(),
				})
				converted = cty.DynamicVal
			}
			v.Default, v.DefaultRange = converted, a.Expr.Range()
		}
	}
	for _, b := range content.Blocks {
		vc, moreDiags := b.Body.Content(validationSchema)
		diags = append(diags, moreDiags...)
		if moreDiags.HasErrors() {
			continue
		}
		v.Validations = append(v.Validations, &VariableValidation{
			Condition:    vc.Attributes["condition"].Expr,
			ErrorMessage: vc.Attributes["error_message"].Expr,
			DeclRange:    b.DefRange,
		})
	}
	return v, diags
}
