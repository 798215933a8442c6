package kaleyra

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// senderLimits holds the rate limit of each sender number. WhatsApp limits
// messages per second per number, and a batch of n recipients is n
// messages, so a batch counts n.
type senderLimits struct {
	perSecond float64
	mu        sync.Mutex
	bySender  map[string]*senderLimit
}

// senderLimit is one number's limit: a token bucket with a burst of one
// spaces single sends evenly, and a log of the last second's sends keeps
// batches within the limit too (a bucket with a burst of one would let a
// batch of 50 leave every 0.625 s at 80/s, 100 messages in one second).
type senderLimit struct {
	bucket *rate.Limiter
	// recent[head:] holds the sends within the last window, oldest first,
	// and used the messages among them; all three are guarded by
	// senderLimits.mu. The sum is kept, not counted: at thousands of sends
	// a second, counting it on every take made each send pay for all of
	// the last second's.
	recent []sent
	head   int
	used   int
}

// window is the span in which at most perSecond messages leave: a second,
// plus a margin for the path to Kaleyra. The limit is counted where the
// requests arrive, and a request held up on its way (a slow dial, a busy
// machine) would otherwise arrive in the same second as one sent a full
// second after it. The margin costs under 3% of the rate.
const window = time.Second + 25*time.Millisecond

type sent struct {
	at time.Time
	n  int
}

func newSenderLimits(perSecond float64) *senderLimits {
	return &senderLimits{perSecond: perSecond, bySender: map[string]*senderLimit{}}
}

// wait returns when n messages may leave from sender, or with ctx.Err()
// when ctx ends first, having used nothing of the window.
//
// rate.Limiter.WaitN cannot take more tokens than the burst at once, so the
// n tokens are reserved one by one, spaced 1/perSecond apart; then the
// request waits until the last second's sends plus n fit in perSecond. A
// batch larger than perSecond can never fit (the configuration rejects
// one); it goes alone, when the last second saw nothing else.
func (l *senderLimits) wait(ctx context.Context, sender string, n int) error {
	lim := l.limiter(sender)
	now := time.Now()
	reservations := make([]*rate.Reservation, n)
	for i := range reservations {
		reservations[i] = lim.bucket.ReserveN(now, 1)
	}
	if delay := reservations[n-1].DelayFrom(now); delay > 0 {
		if err := sleep(ctx, delay); err != nil {
			// Give back in reverse so that each cancel can restore its token.
			for i := n - 1; i >= 0; i-- {
				reservations[i].Cancel()
			}
			return err
		}
	}
	for {
		free, retryAt := l.take(lim, n, time.Now())
		if free {
			return nil
		}
		if err := sleep(ctx, time.Until(retryAt)); err != nil {
			return err
		}
	}
}

// take records n messages leaving now if the last second leaves room for
// them; otherwise it says when the oldest send leaves the window.
func (l *senderLimits) take(lim *senderLimit, n int, now time.Time) (bool, time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	cutoff := now.Add(-window)
	for lim.head < len(lim.recent) && !lim.recent[lim.head].at.After(cutoff) {
		lim.used -= lim.recent[lim.head].n
		lim.head++
	}
	if lim.head > len(lim.recent)/2 {
		// Move the live half to the front, so that the log reuses its array
		// instead of creeping along it, at a cost shared by the sends that
		// left the window.
		lim.recent = lim.recent[:copy(lim.recent, lim.recent[lim.head:])]
		lim.head = 0
	}
	if lim.head < len(lim.recent) && float64(lim.used+n) > l.perSecond {
		return false, lim.recent[lim.head].at.Add(window)
	}
	lim.recent = append(lim.recent, sent{at: now, n: n})
	lim.used += n
	return true, time.Time{}
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (l *senderLimits) limiter(sender string) *senderLimit {
	l.mu.Lock()
	defer l.mu.Unlock()
	lim, ok := l.bySender[sender]
	if !ok {
		lim = &senderLimit{bucket: rate.NewLimiter(rate.Limit(l.perSecond), 1)}
		l.bySender[sender] = lim
	}
	return lim
}
