package views

import "strconv"

// The plan, apply and state views all write English sentences about counts
// of things; these choose the words, so that every view agrees on them.

// plural is one for exactly one thing, many otherwise.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// countNoun is "1 delivery" or "3 deliveries". The Markdown view has its
// own, mdPlural, which separates thousands.
func countNoun(n int, one, many string) string {
	return strconv.Itoa(n) + " " + plural(n, one, many)
}

func isAre(n int) string    { return plural(n, "is", "are") }
func itThey(n int) string   { return plural(n, "it", "they") }
func itThem(n int) string   { return plural(n, "it", "them") }
func itsTheir(n int) string { return plural(n, "its", "their") }
