package engine

import (
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
	for _, in := range cfg.Instances {
		address := in.Address.String()
		for _, r := range in.Recipients {
			rec := st.Get(in.Key(r))
			if rec != nil && rec.Address != address {
				rec.Address = address
				changed++
			}
		}
	}
	return changed
}

// KeyOldDigests gives every record of st whose sensitive content cfg
// declares, and whose digest is the unkeyed one herald wrote before it
// keyed such digests, the keyed digest of that same content, and returns
// how many it changed: an unkeyed digest of a short code lets whoever
// reads the state find the code. A record whose digest does not match
// the content is left as it is (it shows as changed).
func KeyOldDigests(cfg *lang.Result, st *states.State) int {
	changed := 0
	for _, in := range cfg.Instances {
		if !in.Sensitive {
			continue
		}
		for _, r := range in.Recipients {
			rec := st.Get(in.Key(r))
			if rec == nil || rec.Digest == in.Digest {
				continue
			}
			if _, keyed := rec.Digest.KeyID(); !keyed && in.Matches(rec.Digest) {
				rec.Digest = in.Digest
				changed++
			}
		}
	}
	return changed
}
