package configs

import (
	"sort"

	"github.com/hashicorp/hcl/v2"
)

// sortByRange orders items by where they start in their file.
func sortByRange[T any](items []T, rng func(T) hcl.Range) {
	sort.SliceStable(items, func(i, j int) bool {
		return rng(items[i]).Start.Byte < rng(items[j]).Start.Byte
	})
}
