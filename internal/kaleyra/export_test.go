package kaleyra

import "time"

// SetBackoff shortens automatic-retry waits so that tests run fast.
func SetBackoff(c *Client, base time.Duration) {
	c.backoff = backoff{base: base, max: 4 * base}
}
