package lang

import (
	"runtime"
	"sync"

	"github.com/heraldhq/herald/internal/kaleyra/rules"
)

// numberChecker validates phone numbers with rules.CheckNumber, each
// distinct number once per Load, and large batches on every core: even
// the rule's fast path costs microseconds a number.
type numberChecker struct {
	problems map[string]*rules.Problem // number -> nil when valid
	check    func(field, number string) *rules.Problem
}

func newNumberChecker() *numberChecker {
	return &numberChecker{problems: map[string]*rules.Problem{}, check: rules.CheckNumber}
}

// remember makes c check with rules.RememberedCheckNumber, for a caller
// that checks the numbers again in this process.
func (c *numberChecker) remember() { c.check = rules.RememberedCheckNumber }

// parallelThreshold is the batch size above which checking is spread over
// goroutines; below it the goroutines cost more than they save.
const parallelThreshold = 256

// prime validates every number of nums not seen before.
func (c *numberChecker) prime(nums []string) {
	var todo []string
	for _, n := range nums {
		if _, seen := c.problems[n]; !seen {
			c.problems[n] = nil // placeholder, also dedupes todo
			todo = append(todo, n)
		}
	}
	if len(todo) < parallelThreshold {
		for _, n := range todo {
			c.problems[n] = c.check(rules.FieldTo, n)
		}
		return
	}
	results := make([]*rules.Problem, len(todo))
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(todo); i += workers {
				results[i] = c.check(rules.FieldTo, todo[i])
			}
		}()
	}
	wg.Wait()
	for i, n := range todo {
		c.problems[n] = results[i]
	}
}

// problem returns why n is not a valid recipient number, nil when it is
// one.
func (c *numberChecker) problem(n string) *rules.Problem {
	p, seen := c.problems[n]
	if !seen {
		p = c.check(rules.FieldTo, n)
		c.problems[n] = p
	}
	return p
}
