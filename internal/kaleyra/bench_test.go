package kaleyra_test

// Benchmarks against the emulator on loopback. The figures in the issue
// come from:
//
//	go test -run '^$' -bench 'Send16' -count 5 ./internal/kaleyra
//	go test -run '^$' -bench 'Batch100' -benchtime 1000x ./internal/kaleyra
//	go test -run '^$' -bench 'RateLimited80' -benchtime 240x ./internal/kaleyra

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/emulator"
	"github.com/heraldhq/herald/internal/kaleyra"
)

const inFlight = 16

// recipient gives request i its own number, cycling through 100,000.
func recipient(i int) string { return fmt.Sprintf("+1202%07d", 5550000+i%100000)[:12] }

// run calls send(i) for i in [0, n) from workers goroutines.
func run(n, workers int, send func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				send(i)
			}
		})
	}
	wg.Wait()
}

// BenchmarkSend16 compares herald's client with a bare net/http loop, one
// recipient per request and 16 requests in flight: herald's should reach
// at least half the bare loop's rate.
func BenchmarkSend16(b *testing.B) {
	_, endpoint, _ := emu(b, emulator.Faults{})
	b.Run("bare-net-http", func(b *testing.B) {
		transport := http.DefaultTransport.(*http.Transport).Clone()
		transport.MaxIdleConnsPerHost = inFlight
		hc := &http.Client{Transport: transport}
		messages := endpoint + "/v1/" + testSID + "/messages"
		b.ResetTimer()
		start := time.Now()
		run(b.N, inFlight, func(i int) {
			form := url.Values{"to": {recipient(i)}, "type": {"text"}, "channel": {"whatsapp"}, "from": {sender}, "ref": {"bench"}, "body": {"Rollout v1 complete"}}
			req, _ := http.NewRequest(http.MethodPost, messages, strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("api-key", testKey)
			resp, err := hc.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusAccepted {
				b.Errorf("status %d", resp.StatusCode)
			}
		})
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
	})
	b.Run("herald-client", func(b *testing.B) {
		c := client(b, endpoint, func(s *kaleyra.Settings) { s.MessagesPerSecond = 1e9 })
		b.ResetTimer()
		start := time.Now()
		run(b.N, inFlight, func(i int) {
			out, err := c.Send(context.Background(), textBatch(recipient(i)), func() error { return nil })
			if err != nil || out[0].Status != kaleyra.Sent {
				b.Errorf("Send = %+v, %v", out, err)
			}
		})
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
	})
}

// BenchmarkBatch100 sends 100 recipients per request, outbox on; with
// -benchtime 1000x it makes 100,000 deliveries, which should take under
// 10s.
func BenchmarkBatch100(b *testing.B) {
	_, endpoint, _ := emu(b, emulator.Faults{})
	c := client(b, endpoint, func(s *kaleyra.Settings) { s.MessagesPerSecond = 1e6; s.RecipientsPerRequest = 100 })
	b.ResetTimer()
	start := time.Now()
	run(b.N, kaleyra.DefaultParallelism, func(i int) {
		to := make([]string, 100)
		for j := range to {
			to[j] = recipient(i*100 + j)
		}
		out, err := c.Send(context.Background(), textBatch(to...), func() error { return nil })
		if err != nil {
			b.Error(err)
			return
		}
		for _, o := range out {
			if o.Status != kaleyra.Sent {
				b.Errorf("outcome %+v", o)
				return
			}
		}
	})
	elapsed := time.Since(start)
	b.ReportMetric(float64(b.N*100)/elapsed.Seconds(), "deliveries/s")
	b.ReportMetric(elapsed.Seconds()*100000/float64(b.N*100), "s/100k")
}

// BenchmarkRateLimited80 sends from one number at messages_per_second = 80
// with 200ms of emulator latency; the rate seen at the server should be at
// least 76/s. With -benchtime 240x it runs about 3s.
func BenchmarkRateLimited80(b *testing.B) {
	var mu sync.Mutex
	var arrivals []time.Time
	server, err := emulator.New(emulator.Options{SID: testSID, APIKey: testKey, Outbox: filepath.Join(b.TempDir(), "outbox.jsonl"),
		Faults: emulator.Faults{Latency: 200 * time.Millisecond}})
	if err != nil {
		b.Fatal(err)
	}
	defer server.Close()
	stamp := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		arrivals = append(arrivals, time.Now())
		mu.Unlock()
		server.ServeHTTP(w, r)
	})
	ts := newLoopbackServer(b, stamp)
	settings := kaleyra.Settings{SID: testSID, APIKey: testKey, Endpoint: ts, MessagesPerSecond: 80, Timeout: 5 * time.Second}
	// 80/s with 200ms answers keeps 16 in flight; 32 slots leave room.
	c, err := kaleyra.New(settings, kaleyra.Options{Parallelism: 32})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	run(b.N, 64, func(i int) {
		if _, err := c.Send(context.Background(), textBatch(recipient(i)), func() error { return nil }); err != nil {
			b.Error(err)
		}
	})
	elapsed := time.Since(start)
	sort.Slice(arrivals, func(i, j int) bool { return arrivals[i].Before(arrivals[j]) })
	if len(arrivals) < 2 {
		return
	}
	atServer := float64(len(arrivals)-1) / arrivals[len(arrivals)-1].Sub(arrivals[0]).Seconds()
	b.ReportMetric(atServer, "sends/s")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "completed/s")
	if b.N >= 100 && atServer < 76 {
		b.Errorf("achieved %.1f sends/s at the server, want at least 76", atServer)
	}
	if atServer > 80.5 {
		b.Errorf("achieved %.1f sends/s at the server, above the limit of 80", atServer)
	}
}

// newLoopbackServer serves h on a free loopback port until the benchmark
// ends and returns its URL.
func newLoopbackServer(b *testing.B, h http.Handler) string {
	srv := httptest.NewServer(h)
	b.Cleanup(srv.Close)
	return srv.URL
}
