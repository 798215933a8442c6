package engine

import (
	"github.com/heraldhq/herald/internal/addrs"
	"github.com/heraldhq/herald/internal/lang"
	"github.com/heraldhq/herald/internal/states"
)

// FollowAddresses gives every record of st that cfg declares the address
// of the message instance that declares it now, and returns how many it
// changed. A delivery's key has no block name in it, so renaming a block
// sends nothing again; this keeps the name the state shows and the state
// commands accept the one the configuration uses. Records cfg does not
// declare keep the address they were last sent from.
func FollowAddresses(cfg *lang.Result, st *states.State) int {
	changed := 0
	// Deliveries of one instance are consecutive and share its address:
	// render it once per run of them.
	var last addrs.MessageInstance
	var lastString string
	for i := range cfg.Deliveries {
		d := &cfg.Deliveries[i]
		rec := st.Get(d.Key)
		if rec == nil {
			continue
		}
		if lastString == "" || d.Address != last {
			last, lastString = d.Address, d.Address.String()
		}
		if rec.Address != lastString {
			rec.Address = lastString
			changed++
		}
	}
	return changed
}
