package engine

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/heraldhq/herald/internal/delivery"
	"github.com/heraldhq/herald/internal/emulator"
	"github.com/heraldhq/herald/internal/gcpace"
	"github.com/heraldhq/herald/internal/kaleyra"
	"github.com/heraldhq/herald/internal/kaleyra/rules"
	"github.com/heraldhq/herald/internal/lang"
	"github.com/heraldhq/herald/internal/states/statemgr"
	"github.com/heraldhq/herald/internal/states/statemgr/statemgrtest"
)

// BenchmarkApplyPG16 sends b.N deliveries one recipient per request with
// 16 requests in flight, against the emulator on loopback, twice in the
// same run: with a bare net/http loop, and with herald's apply (engine,
// client and the PostgreSQL journal: a claim before each request and its
// outcome after, from 16 workers, which group commit folds into shared
// round trips). It reports both rates and herald's share of the bare
// loop's, which should be at least 0.5, and the CPU each spent a request.
//
//	HERALD_TEST_PG_URL=... go test -run '^$' -bench ApplyPG16 -benchtime 4000x -count 3 ./internal/engine/
func BenchmarkApplyPG16(b *testing.B) {
	dsn := statemgrtest.PostgresURL(b)
	benchmarkApply16(b, "herald-pg-req/s", func() statemgr.Backend {
		return statemgr.NewPostgres(statemgr.PostgresConfig{ConnStr: dsn, Schema: statemgrtest.BenchSchema(b, dsn)}, nil)
	})
}

// BenchmarkApplyFile16 is BenchmarkApplyPG16 with the local state file
// and its journal, whose records in flight are fsynced before Record
// returns (the outcomes with them, or with the next).
//
//	go test -run '^$' -bench ApplyFile16 -benchtime 5000x -count 3 ./internal/engine/
func BenchmarkApplyFile16(b *testing.B) {
	dir := b.TempDir()
	benchmarkApply16(b, "herald-file-req/s", func() statemgr.Backend {
		return statemgr.NewFilesystem(filepath.Join(dir, "herald.state"), nil)
	})
}

func benchmarkApply16(b *testing.B, metric string, newBackend func() statemgr.Backend) {
	const sid, key, inFlight = "HXBENCH0001IN", "bench-key-1234", 16
	// The collector paced as herald's commands pace it (main calls
	// Relax); both loops, and the emulator, run under it.
	gcpace.Relax(gcpace.DefaultHeadroom)
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	server, err := emulator.New(emulator.Options{SID: sid, APIKey: key, Outbox: filepath.Join(b.TempDir(), "outbox.jsonl")})
	if err != nil {
		b.Fatal(err)
	}
	endpoint, err := server.Start("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer server.Close()

	// The bare loop: one form POST per recipient, 16 at a time.
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = inFlight
	hc := &http.Client{Transport: transport}
	messages := endpoint + "/v1/" + sid + "/messages"
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	c0 := cpuNow()
	start := time.Now()
	for range inFlight {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < b.N; i = int(next.Add(1)) - 1 {
				form := url.Values{"to": {fmt.Sprintf("+1303555%04d", i%10000)}, "type": {"text"}, "channel": {"whatsapp"}, "from": {"+12025550100"}, "ref": {"bare"}, "body": {"Rollout v1 complete"}}
				req, _ := http.NewRequest(http.MethodPost, messages, strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("api-key", key)
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
			}
		})
	}
	wg.Wait()
	bare := float64(b.N) / time.Since(start).Seconds()
	bareCPU := cpuNow() - c0
	b.StopTimer()

	// herald's apply over a new state.
	pg := newBackend()
	if c, ok := pg.(io.Closer); ok {
		defer c.Close()
	}
	info, err := pg.Lock(context.Background(), "apply", 0)
	if err != nil {
		b.Fatal(err)
	}
	st, err := pg.Read()
	if err != nil {
		b.Fatal(err)
	}
	var ins []*delivery.Instance
	for at := 0; at < b.N; at += 5000 {
		in := instance(fmt.Sprintf("m%d", at), "", 0, "Rollout v1 complete")
		for i := at; i < min(at+5000, b.N); i++ {
			in.Recipients = append(in.Recipients, fmt.Sprintf("+1202%07d", 5550000+i))
			// As apply's configuration load does (lang.Options.RememberNumbers):
			// it checks every number first, and the client's check finds the
			// verdict.
			rules.RememberedCheckNumber(rules.FieldTo, in.Recipients[len(in.Recipients)-1])
		}
		ins = append(ins, in)
	}
	p, diags := Plan(&lang.Result{Instances: ins}, st, PlanOptions{})
	if diags.HasErrors() {
		b.Fatal(diags.Error())
	}
	client, err := kaleyra.New(kaleyra.Settings{SID: sid, APIKey: key, Endpoint: endpoint, Timeout: 5 * time.Second, MessagesPerSecond: 1e9, RecipientsPerRequest: 1},
		kaleyra.Options{Parallelism: inFlight, Logger: hclog.NewNullLogger()})
	if err != nil {
		b.Fatal(err)
	}
	b.StartTimer()
	c0 = cpuNow()
	start = time.Now()
	j, err := pg.OpenJournal(st)
	if err != nil {
		b.Fatal(err)
	}
	res, diags := Apply(context.Background(), p, st, j, ApplyOptions{
		Providers:   map[string]Provider{"kaleyra": {Sender: client, RecipientsPerRequest: 1}},
		Parallelism: inFlight,
	})
	if diags.HasErrors() {
		b.Fatal(diags.Error())
	}
	if err := j.Close(); err != nil {
		b.Fatal(err)
	}
	herald := float64(b.N) / time.Since(start).Seconds()
	b.ReportMetric(float64(bareCPU.Microseconds())/float64(b.N), "bare-cpu-us/req")
	b.ReportMetric(float64((cpuNow()-c0).Microseconds())/float64(b.N), "herald-cpu-us/req")
	b.StopTimer()
	if res.Sent != b.N {
		b.Fatalf("sent %d of %d", res.Sent, b.N)
	}
	pg.Unlock(info.ID)
	b.ReportMetric(bare, "bare-req/s")
	b.ReportMetric(herald, metric)
	b.ReportMetric(herald/bare, "ratio")
}

// cpuNow is the CPU time the process has used, user and system: both
// sides of the loopback and the journal's fsyncs are in this process.
func cpuNow() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
