package kaleyra

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// senderLimits holds one token bucket per sender number. WhatsApp limits
// messages per second per number, and a batch of n recipients is n
// messages, so a batch takes n tokens.
type senderLimits struct {
	perSecond rate.Limit
	mu        sync.Mutex
	bySender  map[string]*rate.Limiter
}

func newSenderLimits(perSecond float64) *senderLimits {
	return &senderLimits{perSecond: rate.Limit(perSecond), bySender: map[string]*rate.Limiter{}}
}

// wait returns when the sender's bucket has given n tokens, or with
// ctx.Err() (giving the tokens back) when ctx ends first.
//
// A burst of one means no one-second window sees more than perSecond
// tokens. rate.Limiter.WaitN cannot take more tokens than the burst at
// once, so the n tokens are reserved one by one, spaced 1/perSecond apart,
// and the request leaves when the last is due.
func (l *senderLimits) wait(ctx context.Context, sender string, n int) error {
	lim := l.limiter(sender)
	now := time.Now()
	reservations := make([]*rate.Reservation, n)
	for i := range reservations {
		reservations[i] = lim.ReserveN(now, 1)
	}
	delay := reservations[n-1].DelayFrom(now)
	if delay <= 0 {
		return nil
	}
	timer := time.NewTimer(delay)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		// Give back in reverse so that each cancel can restore its token.
		for i := n - 1; i >= 0; i-- {
			reservations[i].Cancel()
		}
		return ctx.Err()
	}
}

func (l *senderLimits) limiter(sender string) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	lim, ok := l.bySender[sender]
	if !ok {
		lim = rate.NewLimiter(l.perSecond, 1)
		l.bySender[sender] = lim
	}
	return lim
}
