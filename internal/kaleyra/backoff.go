package kaleyra

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// backoff spaces out automatic retries: exponential, with jitter so that
// many requests refused at once do not come back at once.
type backoff struct {
	base time.Duration // the first delay, before jitter
	max  time.Duration
}

var defaultBackoff = backoff{base: 500 * time.Millisecond, max: 10 * time.Second}

// delay is the wait after the try-th request: half of base*2^(try-1),
// capped, plus a random part up to the other half.
func (b backoff) delay(try int) time.Duration {
	d := b.base << (try - 1)
	if d > b.max || d <= 0 {
		d = b.max
	}
	half := d / 2
	return half + rand.N(half+1)
}

// maxRetryAfter caps how long a Retry-After header can hold a request
// slot, so that a wrong header cannot stall an apply for hours.
const maxRetryAfter = 2 * time.Minute

// retryAfter reads a Retry-After header: seconds, or an HTTP date. It
// returns 0 when the header is absent or unreadable.
func retryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.Atoi(h); err == nil {
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(h); err == nil {
		d = t.Sub(now)
	}
	if d < 0 {
		return 0
	}
	return min(d, maxRetryAfter)
}
