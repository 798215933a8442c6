package engine

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/heraldhq/herald/internal/states"
)

// Records no longer declared come in address, then key order, whatever
// the map's order.
func TestPlanNoLongerDeclaredOrder(t *testing.T) {
	kept := instance("kept", "", 2, "x")
	st := states.New("L")
	for _, name := range []string{"zeta", "alpha", "mid"} {
		gone := instance(name, "", 3, "x")
		for i := range gone.Recipients {
			st.Set(record(gone, i, states.Sent, gone.Digest))
		}
	}
	st.Set(record(kept, 0, states.Sent, kept.Digest))
	var got []string
	for _, d := range planFor(t, st, kept).NoLongerDeclared {
		got = append(got, d.Address+":"+d.Key.Recipient)
	}
	want := []string{
		"message.alpha:+12025550200", "message.alpha:+12025550201", "message.alpha:+12025550202",
		"message.mid:+12025550200", "message.mid:+12025550201", "message.mid:+12025550202",
		"message.zeta:+12025550200", "message.zeta:+12025550201", "message.zeta:+12025550202",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("no longer declared (-want +got):\n%s", diff)
	}
}
