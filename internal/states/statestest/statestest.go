// Package statestest helps tests compare states.
package statestest

import (
	"github.com/google/go-cmp/cmp"

	"github.com/heraldhq/herald/internal/states"
)

// Records lets cmp.Diff and cmp.Equal compare states.DeliverySets by
// their records, sorted, and print a difference record by record; without
// it cmp refuses the set's unexported fields.
var Records = cmp.Transformer("Records", func(s *states.DeliverySet) []*states.Delivery {
	out := make([]*states.Delivery, 0, s.Len())
	for d := range s.All() {
		out = append(out, d)
	}
	states.SortDeliveries(out)
	return out
})
