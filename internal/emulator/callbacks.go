package emulator

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/heraldhq/herald/internal/kaleyra/rules"
)

// DefaultReceiptDelay is how long after accepting a delivery the emulator
// reports it, unless told otherwise.
const DefaultReceiptDelay = 200 * time.Millisecond

// InboundPath simulates a reply: POST from and wanumber (form or JSON),
// and the emulator forwards an incoming-message callback to InboundURL.
const InboundPath = "/_emulator/inbound"

const (
	// callbackWorkers post callbacks side by side, so that one slow
	// receiver does not hold up the rest.
	callbackWorkers = 4
	// maxPendingCallbacks bounds what a long run owes; past it deliveries
	// are not reported, and the drop is counted.
	maxPendingCallbacks = 1_000_000
	// callbackTimeout bounds one callback request.
	callbackTimeout = 5 * time.Second
	// callbackTries is how often a refused or failed callback is tried,
	// as Kaleyra retries.
	callbackTries = 3
	// closeDrain bounds how long Close spends delivering what is owed.
	closeDrain = 5 * time.Second
)

// callbackJob is one delivery to report: its receipts go out in order,
// sent, then delivered and read (or failed with failCode).
type callbackJob struct {
	due                 time.Time
	url                 string
	id, to, ref, r1, r2 string
	failCode            string
	statuses            []string
}

// callbacks posts Kaleyra's v1 status callbacks for accepted deliveries
// whose callback_url is on loopback. Accepting a delivery only queues its
// job, so that callbacks never slow the API's answers.
type callbacks struct {
	delay  time.Duration
	failTo map[string]string
	client *http.Client
	log    io.Writer

	mu      sync.Mutex
	cond    *sync.Cond
	queue   []callbackJob
	head    int
	closing bool
	stop    chan struct{}
	done    sync.WaitGroup
	drainBy time.Time
	started bool

	posted, dropped atomic.Int64
}

func newCallbacks(delay time.Duration, failTo map[string]string, log io.Writer) *callbacks {
	if delay <= 0 {
		delay = DefaultReceiptDelay
	}
	c := &callbacks{delay: delay, failTo: failTo, log: log, stop: make(chan struct{}),
		client: &http.Client{Timeout: callbackTimeout}}
	c.cond = sync.NewCond(&c.mu)
	return c
}

// loopbackURL tells whether raw is an http(s) URL on this machine: the
// emulator sends nothing anywhere else.
func loopbackURL(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && rules.IsLoopback(u.Hostname())
}

// enqueue queues the receipts of an accepted message, one job per
// recipient.
func (c *callbacks) enqueue(m *message) {
	if m.callbackURL == "" || !loopbackURL(m.callbackURL) {
		return
	}
	due := m.created.Add(c.delay)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		c.dropped.Add(int64(len(m.to)))
		return
	}
	if !c.started {
		c.started = true
		for range callbackWorkers {
			c.done.Add(1)
			go c.work()
		}
	}
	for i, to := range m.to {
		if len(c.queue)-c.head >= maxPendingCallbacks {
			c.dropped.Add(1)
			continue
		}
		j := callbackJob{due: due, url: m.callbackURL, id: m.messageID[i], to: to, ref: m.ref, r1: m.ref1, r2: m.ref2,
			statuses: []string{"sent", "delivered", "read"}}
		if code, ok := c.failTo[to]; ok {
			j.failCode, j.statuses = code, []string{"sent", "failed"}
		}
		c.queue = append(c.queue, j)
	}
	c.cond.Broadcast()
}

// next takes the oldest job, waiting for one; ok is false once closing
// and nothing is left.
func (c *callbacks) next() (callbackJob, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.head == len(c.queue) && !c.closing {
		c.cond.Wait()
	}
	if c.head == len(c.queue) {
		return callbackJob{}, false
	}
	j := c.queue[c.head]
	c.queue[c.head] = callbackJob{}
	c.head++
	if c.head == len(c.queue) {
		c.queue, c.head = c.queue[:0], 0
	}
	return j, true
}

func (c *callbacks) work() {
	defer c.done.Done()
	for {
		j, ok := c.next()
		if !ok {
			return
		}
		// Jobs come in the order their deliveries were accepted, so the
		// head is always the first due. Closing stops the wait: what is
		// owed goes out at once.
		if wait := time.Until(j.due); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-c.stop:
				t.Stop()
			}
		}
		for _, st := range j.statuses {
			if c.expired() {
				c.dropped.Add(1)
				break
			}
			c.post(j, st)
		}
	}
}

// expired tells whether Close's time to deliver what is owed has run out.
func (c *callbacks) expired() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closing && time.Now().After(c.drainBy)
}

// post sends one v1 status callback as JSON, trying again a little later
// when the receiver refuses it or cannot be reached.
func (c *callbacks) post(j callbackJob, status string) {
	body := map[string]string{
		"id": j.id, "status": status, "mobile": strings.TrimPrefix(j.to, "+"),
		"timestamp": strconv.FormatInt(time.Now().Unix(), 10),
	}
	for k, v := range map[string]string{"ref": j.ref, "ref1": j.r1, "ref2": j.r2} {
		if v != "" {
			body[k] = v
		}
	}
	if status == "failed" {
		body["error_code"] = j.failCode
		body["error"] = "emulated failure after acceptance (-fail-to)"
	}
	payload, _ := json.Marshal(body)
	for try := 1; ; try++ {
		code, err := c.send(j.url, payload)
		if err == nil && code/100 == 2 {
			c.posted.Add(1)
			return
		}
		if try == callbackTries || c.expired() {
			c.dropped.Add(1)
			if c.log != nil {
				what := fmt.Sprint(err)
				if err == nil {
					what = fmt.Sprintf("answered %d", code)
				}
				fmt.Fprintf(c.log, "callback %s for %s not delivered: %s\n", status, j.id, what)
			}
			return
		}
		select {
		case <-time.After(time.Duration(try) * 100 * time.Millisecond):
		case <-c.stop:
		}
	}
}

func (c *callbacks) send(target string, payload []byte) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), callbackTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(payload))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return resp.StatusCode, nil
}

// close delivers what is owed, for at most closeDrain, and stops.
func (c *callbacks) close() {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return
	}
	c.closing = true
	c.drainBy = time.Now().Add(closeDrain)
	close(c.stop)
	c.cond.Broadcast()
	c.mu.Unlock()
	c.done.Wait()
	if n := c.dropped.Load(); n > 0 && c.log != nil {
		fmt.Fprintf(c.log, "%d status callbacks were not delivered.\n", n)
	}
}

// inbound simulates a reply: an incoming-message callback, in Kaleyra's
// shape, forwarded to the inbound URL. It answers once the receiver did.
func (s *Server) inbound(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeError(w, http.StatusMethodNotAllowed, "E405", "Simulate a reply with POST "+InboundPath+", with from and wanumber.")
		return
	}
	if s.opts.InboundURL == "" {
		writeError(w, http.StatusConflict, "E409", "The emulator was started without an inbound URL (-inbound-url) to forward replies to.")
		return
	}
	v, apiErr := decodeFields(r)
	if apiErr != nil {
		writeError(w, apiErr.status, apiErr.code, apiErr.message)
		return
	}
	from, wa := number(v.Get("from")), number(v.Get("wanumber"))
	if p := rules.RememberedCheckNumber(rules.FieldTo, from); p != nil {
		writeError(w, http.StatusBadRequest, p.Code, "from: "+p.Message())
		return
	}
	if p := rules.RememberedCheckNumber(rules.FieldFrom, wa); p != nil {
		writeError(w, http.StatusBadRequest, p.Code, "wanumber: "+p.Message())
		return
	}
	body := v.Get("body")
	if body == "" {
		body = "Thanks!"
	}
	payload, _ := json.Marshal(map[string]string{
		"from": strings.TrimPrefix(from, "+"), "wanumber": strings.TrimPrefix(wa, "+"),
		"created_at": strconv.FormatInt(time.Now().Unix(), 10), "type": "text", "body": body,
		"name": "Emulated reply",
	})
	code, err := s.callbacks.send(s.opts.InboundURL, payload)
	if err != nil {
		writeError(w, http.StatusBadGateway, "E502", "Forwarding the reply failed: "+err.Error())
		return
	}
	if code/100 != 2 {
		writeError(w, http.StatusBadGateway, "E502", fmt.Sprintf("The inbound URL answered %d.", code))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"forwarded": true, "status": code})
}

// ParseFailTo reads -fail-to's NUMBER:CODE,... into a map from E.164
// number to error code.
func ParseFailTo(s string) (map[string]string, error) {
	out := map[string]string{}
	if strings.TrimSpace(s) == "" {
		return out, nil
	}
	for _, part := range strings.Split(s, ",") {
		num, code, ok := strings.Cut(strings.TrimSpace(part), ":")
		num, code = strings.TrimSpace(num), strings.TrimSpace(code)
		if !ok || num == "" || code == "" {
			return nil, fmt.Errorf("%q is not NUMBER:CODE, as +12025550123:131026", part)
		}
		if p := rules.CheckNumber(rules.FieldTo, num); p != nil {
			return nil, fmt.Errorf("%q: %s", num, p.Message())
		}
		out[num] = code
	}
	return out, nil
}
