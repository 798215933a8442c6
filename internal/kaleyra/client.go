package kaleyra

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/heraldhq/herald/internal/kaleyra/rules"
	"github.com/heraldhq/herald/internal/redact"
)

// Options are the caller's choices that are not part of the provider block.
type Options struct {
	// Logger receives debug lines per request and, at trace, request and
	// answer dumps with the api-key header redacted. Nil logs nothing.
	Logger hclog.Logger
	// HTTPClient is used instead of herald's own when set (tests). Its
	// redirect policy is replaced: following a redirect would repeat a
	// send.
	HTTPClient *http.Client
	// Parallelism is the most requests in flight at once; default 10.
	Parallelism int
	// Secrets are cut from answers and logs besides the client's own API
	// key: the other providers' keys, which a shared proxy might echo.
	Secrets []string
}

// DefaultParallelism is the most requests in flight when Options leaves it
// unset, matching apply's -parallelism default.
const DefaultParallelism = 10

// maxTries bounds the requests made for one batch when they surely did
// nothing (connection refused, 429, 503).
const maxTries = 5

// maxAnswerBytes bounds how much of an answer is read; Kaleyra's answers
// for 100 recipients are a few kilobytes.
const maxAnswerBytes = 1 << 20

// Client sends batches to one Kaleyra account. It is safe for concurrent
// use; Send calls share its rate limits and request slots.
type Client struct {
	settings Settings
	endpoint string // the messages URL
	method   string
	encoding string
	timeout  time.Duration
	http     *http.Client
	log      hclog.Logger
	slots    chan struct{}
	limits   *senderLimits
	backoff  backoff
	// secrets finds the API key in what servers and libraries say.
	secrets *redact.Secrets
}

// New checks the settings and builds a client for them.
func New(s Settings, opts Options) (*Client, error) {
	if s.SID == "" {
		return nil, errors.New("the provider's sid is empty")
	}
	if s.APIKey == "" {
		return nil, errors.New("the provider's api_key is empty")
	}
	method, encoding := s.Method, s.Encoding
	if err := rules.CheckAPIKey(s.APIKey); err != nil {
		return nil, fmt.Errorf("the provider's api_key %w", err)
	}
	if method == "" {
		method = rules.DefaultMethod
	}
	if encoding == "" {
		encoding = rules.DefaultEncoding
	}
	if ps := s.Check(); len(ps) > 0 {
		return nil, ps[0]
	}
	endpoint, err := messagesURL(s)
	if err != nil {
		return nil, err
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = rules.DefaultTimeout
	}
	mps := s.MessagesPerSecond
	if mps <= 0 {
		mps = rules.DefaultMessagesPerSecond
	}
	parallelism := opts.Parallelism
	if parallelism <= 0 {
		parallelism = DefaultParallelism
	}
	logger := opts.Logger
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	httpClient, err := newHTTPClient(opts.HTTPClient, parallelism)
	if err != nil {
		return nil, err
	}
	return &Client{
		settings: s,
		endpoint: endpoint,
		method:   method,
		encoding: encoding,
		timeout:  timeout,
		http:     httpClient,
		log:      logger,
		slots:    make(chan struct{}, parallelism),
		limits:   newSenderLimits(mps),
		backoff:  defaultBackoff,
		secrets:  redact.New(append([]string{s.APIKey}, opts.Secrets...)...),
	}, nil
}

// messagesURL is the base URL plus /v1/{sid}/messages. The base URL must
// pass rules.CheckEndpoint, a region's as much as an endpoint's: plain http
// to another machine would put the API key on the wire in clear.
func messagesURL(s Settings) (string, error) {
	base, err := s.BaseURL()
	if err != nil {
		return "", err
	}
	if p := rules.CheckEndpoint(base); p != nil {
		return "", p
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	u.RawQuery, u.Fragment = "", ""
	return strings.TrimSuffix(u.String(), "/") + "/v1/" + url.PathEscape(s.SID) + "/messages", nil
}

// newHTTPClient returns a client that verifies TLS and never follows
// redirects. Its transport keeps as many idle connections as requests may
// be in flight, so that a busy apply reuses connections instead of opening
// one per request.
func newHTTPClient(given *http.Client, parallelism int) (*http.Client, error) {
	noRedirect := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if given != nil {
		c := *given
		if t, ok := c.Transport.(*http.Transport); ok && t.TLSClientConfig != nil && t.TLSClientConfig.InsecureSkipVerify {
			return nil, errors.New("the HTTP client skips TLS verification; herald always verifies")
		}
		c.CheckRedirect = noRedirect
		return &c, nil
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = parallelism
	t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	return &http.Client{Transport: t, CheckRedirect: noRedirect}, nil
}

// Send sends one batch and says what became of each recipient.
//
// It first waits for a request slot (Options.Parallelism) and for the
// sender's rate limit (one token per recipient). Cancelling ctx stops only
// this waiting, and the backoff between automatic retries; a request
// already being written or awaited runs to its answer or to the provider's
// timeout, because abandoning it would turn a send into an unknown.
//
// ready is called exactly once, just before the first request is written,
// so that the caller can record the batch as in flight; if it returns an
// error, nothing is sent and Send returns that error.
//
// A batch that breaks one of Kaleyra's field rules (rules.Message.Check)
// is refused locally, as Kaleyra would refuse it: ready is not called, and
// every recipient's Outcome is Failed with the rule's code after no
// attempt.
//
// Send returns an error only when nothing was sent and ready was not called
// or failed. Once ready has succeeded it always returns one Outcome per
// recipient of b.To, in order; interrupted while waiting to retry a request
// that did nothing, the outcomes are Failed with CodeInterrupted.
func (c *Client) Send(ctx context.Context, b Batch, ready func() error) ([]Outcome, error) {
	if len(b.To) == 0 {
		return nil, errors.New("a batch needs at least one recipient")
	}
	// A select picks at random among ready cases, so a cancelled ctx is
	// checked first: otherwise a free slot could still send.
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	select {
	case c.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-c.slots }()
	// Checked with a slot held, so that at most Parallelism batches are
	// checked at once: a burst of checks would delay the requests already
	// leaving. A refused batch spends no rate-limit token.
	if ps := b.message().Check(); len(ps) > 0 {
		return result{status: Failed, code: ps[0].Code, said: ps[0].Message(), by: byCheck}.outcomes(b, 0), nil
	}
	// The slot is taken before the rate limit so that a token is spent
	// only when the request can leave at once: tokens taken while waiting
	// for a slot would let requests bunch up after it.
	if err := c.limits.wait(ctx, b.From, len(b.To)); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := ready(); err != nil {
		return nil, err
	}
	return c.deliver(ctx, b), nil
}

// deliver makes the requests for a batch: one, or up to maxTries while each
// surely did nothing.
func (c *Client) deliver(ctx context.Context, b Batch) []Outcome {
	fs := fields(b, c.settings.Sandbox)
	for try := 1; ; try++ {
		r := c.request(ctx, fs, try, b.Sensitive)
		if !r.retry {
			return r.outcomes(b, try)
		}
		if try == maxTries {
			r.status = Failed
			return r.outcomes(b, try)
		}
		wait := r.retryAfter
		if wait <= 0 {
			wait = c.backoff.delay(try)
		}
		c.log.Debug("retrying a request that did nothing", "from", b.From, "try", try, "code", r.code, "wait", wait)
		timer := time.NewTimer(wait)
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return result{status: Failed, code: CodeInterrupted}.outcomes(b, try)
		}
	}
}

// result is what one request came to.
type result struct {
	status Status // for every recipient, unless answer is set
	code   string
	said   string  // Kaleyra's own words, or the transport error
	by     speaker // who said them
	// retry: the request surely did nothing and may be made again.
	retry      bool
	retryAfter time.Duration
	httpStatus int // of the answer, 0 when none came
	answer     *Answer
}

// outcomes spreads a result over the batch's recipients.
func (r result) outcomes(b Batch, attempts int) []Outcome {
	out := make([]Outcome, len(b.To))
	if r.answer == nil {
		text := describe(r.code, r.said, r.by)
		if r.retry && r.httpStatus != 0 && r.code != "WA429" {
			// Retries ran out: say that nothing was sent, which a code such
			// as WA500 would not.
			text = describe("HTTP"+strconv.Itoa(r.httpStatus), r.said, r.by)
		}
		for i, to := range b.To {
			out[i] = Outcome{Recipient: to, Status: r.status, Code: r.code, Text: text, Attempts: attempts}
		}
		return out
	}
	ids := make(map[string]string, len(r.answer.Data))
	for _, d := range r.answer.Data {
		ids[digits(d.Recipient)] = d.MessageID
	}
	for i, to := range b.To {
		o := Outcome{Recipient: to, RequestID: r.answer.ID, Attempts: attempts}
		if id, ok := ids[digits(to)]; ok && id != "" {
			o.Status, o.MessageID = Sent, id
		} else {
			o.Status, o.Code, o.Text = Unknown, CodeNotInAnswer, Explain(CodeNotInAnswer)
		}
		out[i] = o
	}
	return out
}

// request makes one request and classifies its answer. Its context carries
// the caller's values but not its cancellation: only the provider's timeout
// ends a request once it may have been written.
func (c *Client) request(ctx context.Context, fs []field, try int, sensitive bool) result {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.timeout)
	defer cancel()
	// WroteRequest tells "never sent" (safe to repeat) from "sent, answer
	// lost" (unknown). Any call counts, even with an error: part of the
	// request may have left.
	var wrote atomic.Bool
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteRequest: func(httptrace.WroteRequestInfo) { wrote.Store(true) },
	})
	req, err := newRequest(ctx, c.method, c.encoding, c.endpoint, c.settings.APIKey, fs)
	if err != nil {
		// Nothing was sent; this is herald's bug, not Kaleyra's answer.
		return result{status: Failed, code: "REQUEST", said: c.scrub(err.Error()), by: byClient}
	}
	c.traceRequest(req, fs, try, sensitive)

	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		said := c.scrub(err.Error())
		c.log.Debug("request failed", "try", try, "written", wrote.Load(), "elapsed", time.Since(start), "error", said)
		switch {
		case !wrote.Load():
			return result{status: Failed, code: CodeConnect, said: said, by: byClient, retry: true}
		case isTimeout(err):
			return result{status: Unknown, code: CodeTimeout, said: said, by: byClient}
		default:
			return result{status: Unknown, code: CodeNoAnswer, said: said, by: byClient}
		}
	}
	defer resp.Body.Close()
	body, readErr := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
	if c.log.IsDebug() {
		// Guarded: the arguments alone cost each request allocations.
		c.log.Debug("answer", "try", try, "status", resp.StatusCode, "elapsed", time.Since(start))
	}
	c.traceAnswer(resp, body, sensitive)
	return c.classify(resp, body, readErr)
}

// classify turns an answer into a result: sent when Kaleyra accepted the
// request, failed when it refused it (so nothing went out), and unknown
// whenever the request may have gone out without a clear answer, which is
// never sent again on its own.
func (c *Client) classify(resp *http.Response, body []byte, readErr error) result {
	code := resp.StatusCode
	if code >= 200 && code < 300 {
		if readErr != nil {
			if isTimeout(readErr) {
				return result{status: Unknown, code: CodeTimeout, said: c.scrub(readErr.Error()), by: byClient}
			}
			return result{status: Unknown, code: CodeBadAnswer, said: c.scrub(readErr.Error()), by: byClient}
		}
		a, err := parseAnswer(body)
		if err != nil {
			return result{status: Unknown, code: CodeBadAnswer, said: c.scrub(err.Error()), by: byClient}
		}
		// The ids are stored in the state.
		a.ID = c.scrub(a.ID)
		for i := range a.Data {
			a.Data[i].MessageID = c.scrub(a.Data[i].MessageID)
		}
		return result{status: Sent, answer: &a}
	}

	kcode, said := parseError(body)
	kcode, said = c.scrub(kcode), c.scrub(said)
	if kcode == "" {
		kcode = "HTTP" + strconv.Itoa(code)
	}
	switch {
	case code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable:
		return result{status: Failed, code: kcode, said: said, httpStatus: code, retry: true, retryAfter: retryAfter(resp.Header.Get("Retry-After"), time.Now())}
	case code >= 400 && code < 500:
		// A 4xx refused it: nothing was sent.
		return result{status: Failed, code: kcode, said: said, httpStatus: code}
	default:
		// 5xx, and the answers Kaleyra never documents (3xx, which herald
		// does not follow, and stray 1xx): a 303 in particular says the
		// request was processed, so none of them proves nothing went out.
		return result{status: Unknown, code: kcode, said: said, httpStatus: code}
	}
}

func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// scrub removes the API key, in any encoding, from text that came from
// elsewhere (errors, Kaleyra's answers), in case any of it echoes the key.
func (c *Client) scrub(s string) string { return c.secrets.String(s) }
