package lang

import (
	"github.com/zclconf/go-cty/cty"

	"github.com/heraldhq/herald/internal/delivery"
	"github.com/heraldhq/herald/internal/kaleyra"
)

// Result is an evaluated configuration: everything the plan engine needs,
// with no expressions left.
type Result struct {
	// StatePath is the herald block's state_path, relative to the
	// configuration folder; "herald.state" when unset.
	StatePath string
	// Providers maps each provider address ("kaleyra", "kaleyra.eu") to its
	// settings.
	Providers map[string]kaleyra.Settings
	// Deliveries in declaration order: by file, then block, then for_each
	// key, then recipient as listed.
	Deliveries []delivery.Delivery
	// Variables are the declared input variables with their final values,
	// sorted by name.
	Variables []Variable
}

// Variable is one evaluated input variable.
type Variable struct {
	Name      string
	Value     cty.Value
	Sensitive bool
}
