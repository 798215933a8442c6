package lang

import "strings"

// Visit states of a depth-first walk over a dependency graph.
const (
	unvisited = iota
	visiting  // on the current path: reaching it again closes a cycle
	done
)

// findCycle returns a dependency cycle of the graph as a path that starts
// and ends at the same node (a -> b -> a), or nil. Nodes are visited in the
// order given so that the cycle reported is stable.
func findCycle(nodes []string, edges map[string][]string) []string {
	state := map[string]int{}
	var stack []string
	var cycle []string
	var visit func(n string) bool
	visit = func(n string) bool {
		state[n] = visiting
		stack = append(stack, n)
		for _, m := range edges[n] {
			switch state[m] {
			case visiting:
				for i, s := range stack {
					if s == m {
						cycle = append(append([]string{}, stack[i:]...), m)
						return true
					}
				}
			case unvisited:
				if visit(m) {
					return true
				}
			}
		}
		stack = stack[:len(stack)-1]
		state[n] = done
		return false
	}
	for _, n := range nodes {
		if state[n] == unvisited && visit(n) {
			return cycle
		}
	}
	return nil
}

// topoOrder orders nodes so that each comes after the nodes it depends on.
// Nodes in a cycle are left out, and so is every node that depends on one,
// since it could not be evaluated either.
func topoOrder(nodes []string, edges map[string][]string) []string {
	var order []string
	state := map[string]int{}
	var visit func(n string) bool
	visit = func(n string) bool {
		switch state[n] {
		case visiting:
			return false
		case done:
			return true
		}
		state[n] = visiting
		for _, m := range edges[n] {
			if !visit(m) {
				return false
			}
		}
		state[n] = done
		order = append(order, n)
		return true
	}
	for _, n := range nodes {
		visit(n)
	}
	return order
}

// cyclePath renders a cycle for a diagnostic, as local.a -> local.b -> local.a.
func cyclePath(prefix string, cycle []string) string {
	parts := make([]string, len(cycle))
	for i, c := range cycle {
		parts[i] = prefix + c
	}
	return strings.Join(parts, " -> ")
}
