package listen_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/delivery"
	"github.com/heraldhq/herald/internal/listen"
	"github.com/heraldhq/herald/internal/states"
	"github.com/heraldhq/herald/internal/states/statemgr"
	"github.com/heraldhq/herald/internal/states/statemgr/statemgrtest"
)

// BenchmarkListenLocal posts status callbacks over real HTTP from 16
// clients at once to a listener recording into the local backend, each
// answered only once durable; concurrent callbacks share the store's
// fsyncs. It reports receipts recorded per second.
//
//	go test -run '^$' -bench ListenLocal -benchtime 20000x -count 3 ./internal/listen/
func BenchmarkListenLocal(b *testing.B) {
	benchmarkListen(b, statemgr.NewFilesystem(filepath.Join(b.TempDir(), "herald.state"), nil))
}

// BenchmarkListenPostgres is BenchmarkListenLocal with the PostgreSQL
// backend (HERALD_TEST_PG_URL), in a schema of its own.
func BenchmarkListenPostgres(b *testing.B) {
	url := statemgrtest.PostgresURL(b)
	var r [6]byte
	rand.Read(r[:])
	p := statemgr.NewPostgres(statemgr.PostgresConfig{ConnStr: url, Schema: "bench_listen_" + hex.EncodeToString(r[:])}, nil)
	defer p.Close()
	benchmarkListen(b, p)
}

func benchmarkListen(b *testing.B, backend statemgr.Backend) {
	const deliveries = 10_000
	store, ok := backend.(statemgr.ReceiptStore)
	if !ok {
		b.Fatal("this backend does not record receipts")
	}
	fs := backend
	st := states.New("bench-listen")
	st.Serial = 1
	now := time.Now().UTC()
	for i := range deliveries {
		st.Set(&states.Delivery{
			Key:     delivery.Key{Sender: "+12025550100", Recipient: fmt.Sprintf("+1202555%04d", i), Ref: "bench"},
			Address: "message.bench", Status: states.Sent, MessageID: fmt.Sprintf("bench-%d:0", i),
			Attempts: 1, FirstSent: now, UpdatedAt: now,
		})
	}
	lock, err := fs.Lock(context.Background(), "bench", 0)
	if err != nil {
		b.Fatal(err)
	}
	if err := fs.Write(st); err != nil {
		b.Fatal(err)
	}
	fs.Unlock(lock.ID)
	index, err := listen.NewStateIndex(fs.Read, time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	s, err := listen.New(listen.Options{Store: store, Index: index, Token: "bench-token"})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(s)
	defer srv.Close()
	const clients = 16
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	statuses := []string{"sent", "delivered", "read"}
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n := int(next.Add(1)) - 1
				if n >= b.N {
					return
				}
				i := n % deliveries
				body := fmt.Sprintf(`{"id":"bench-%d:0","status":%q,"mobile":"1202555%04d","timestamp":%d}`,
					i, statuses[(n/deliveries)%3], i, now.Unix())
				req, _ := http.NewRequest(http.MethodPost, srv.URL+listen.DefaultPath, bytes.NewReader([]byte(body)))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer bench-token")
				resp, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Errorf("status %d", resp.StatusCode)
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	c := s.Counts()
	if c.Recorded != int64(b.N) || c.Unmatched != 0 {
		b.Fatalf("counts %+v after %d callbacks", c, b.N)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "receipts/s")
}
