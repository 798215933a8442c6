package engine

import (
	"fmt"
	"testing"

	"github.com/heraldhq/herald/internal/delivery"
	"github.com/heraldhq/herald/internal/states"
)

// TestLookUpPriorsSplitsInOrder: however the lookups are shared out, each
// delivery gets its own record, in the order of the instances and their
// recipients.
func TestLookUpPriorsSplitsInOrder(t *testing.T) {
	st := states.New("lineage")
	var ins []*delivery.Instance
	total := 0
	for i, n := range []int{40_000, 1, 0, 70_000, 3} {
		in := instance(fmt.Sprintf("m%d", i), "", 0, "hello")
		for r := range n {
			in.Recipients = append(in.Recipients, fmt.Sprintf("+1202%07d", r))
			if r%3 != 0 {
				st.Set(&states.Delivery{Key: in.Key(in.Recipients[r]), Status: states.Sent})
			}
		}
		ins = append(ins, in)
		total += n
	}
	priors := lookUpPriors(ins, st, total)
	at := 0
	for _, in := range ins {
		for _, r := range in.Recipients {
			if want := st.Get(in.Key(r)); priors[at] != want {
				t.Fatalf("delivery %d (%s to %s): got %p, want %p", at, in.Address, r, priors[at], want)
			}
			at++
		}
	}
}
