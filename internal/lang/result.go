package lang

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/heraldhq/herald/internal/delivery"
	"github.com/heraldhq/herald/internal/kaleyra/rules"
)

// Result is an evaluated configuration: everything the plan engine needs,
// with no expressions left.
type Result struct {
	// StatePath is the herald block's state_path, relative to the
	// configuration folder; "herald.state" when unset.
	StatePath string
	// Backend is the herald block's backend, nil for the local state file.
	Backend *Backend
	// Providers maps each provider address ("kaleyra", "kaleyra.eu") to its
	// settings.
	Providers map[string]rules.Settings
	// Instances in declaration order: by file, then block, then for_each
	// key. Each delivery is an instance and one of its recipients.
	Instances []*delivery.Instance
	// Variables are the declared input variables with their final values,
	// sorted by name.
	Variables []Variable

	credentials map[string]hcl.Diagnostics
}

// Credentials returns the errors that keep provider addr from sending: its
// api_key read an unset environment variable, or is empty. Load does not
// fail for them, because only sending needs the key; apply checks them
// for the providers its plan sends through, before it shows the plan.
func (r *Result) Credentials(addr string) hcl.Diagnostics {
	return r.credentials[addr]
}

// Variable is one evaluated input variable.
type Variable struct {
	Name      string
	Value     cty.Value
	Sensitive bool
}

// DeliveryCount is the number of deliveries the configuration declares:
// every instance's recipients.
func (r *Result) DeliveryCount() int {
	n := 0
	for _, in := range r.Instances {
		n += len(in.Recipients)
	}
	return n
}
