package engine

import "time"

// rateMeter estimates deliveries finished per second over a sliding window
// of whole seconds, so that the estimate follows the current pace rather
// than the average since the start.
type rateMeter struct {
	origin  time.Time
	buckets [rateWindow]struct {
		second int64
		count  int
	}
}

const rateWindow = 5 // seconds

func (m *rateMeter) start(now time.Time) { m.origin = now }

func (m *rateMeter) add(now time.Time, n int) {
	sec := int64(now.Sub(m.origin) / time.Second)
	b := &m.buckets[sec%rateWindow]
	if b.second != sec {
		b.second, b.count = sec, 0
	}
	b.count += n
}

// perSecond averages over the window's complete seconds, or over the time
// elapsed when the apply is younger than the window.
func (m *rateMeter) perSecond(now time.Time) float64 {
	elapsed := now.Sub(m.origin)
	if elapsed <= 0 {
		return 0
	}
	sec := int64(elapsed / time.Second)
	total := 0
	for _, b := range m.buckets {
		if b.second > sec-rateWindow && b.second <= sec {
			total += b.count
		}
	}
	span := elapsed.Seconds()
	if span > rateWindow {
		span = rateWindow
	}
	return float64(total) / span
}
