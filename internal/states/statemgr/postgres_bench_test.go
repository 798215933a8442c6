package statemgr

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/internal/states"
)

// benchPostgres is a Postgres backend over a new schema of the test
// server's; the benchmark is skipped without one.
func benchPostgres(b *testing.B) *Postgres {
	b.Helper()
	url := os.Getenv("HERALD_TEST_PG_URL")
	if url == "" {
		b.Skip("no PostgreSQL server: set HERALD_TEST_PG_URL (scripts/pg-test-server.sh start DIR prints one)")
	}
	var r [6]byte
	rand.Read(r[:])
	schema := "bench_" + hex.EncodeToString(r[:])
	p := NewPostgres(PostgresConfig{ConnStr: url, Schema: schema}, nil)
	b.Cleanup(func() {
		// Dropped, so that the server's autovacuum of a benchmark's
		// tables does not land inside later measurements.
		p.mu.Lock()
		if p.conn != nil {
			if _, err := p.conn.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
				b.Errorf("dropping the benchmark's schema %s: %v", schema, err)
			}
		}
		p.mu.Unlock()
		p.Close()
	})
	return p
}

// BenchmarkPostgresRead100k reads a state of 100,000 sent deliveries: the
// database's part of a plan that changes nothing. It reports the heap the
// read state takes.
//
//	go test -run '^$' -bench PostgresRead100k -count 3 ./internal/states/statemgr/
func BenchmarkPostgresRead100k(b *testing.B) {
	p := benchPostgres(b)
	s := must(p.Read())
	full := campaignState(s.Lineage)
	check(b, p.Write(full))
	b.ResetTimer()
	var heap uint64
	for i := 0; i < b.N; i++ {
		q := NewPostgres(p.cfg, nil)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		got := must(q.Read())
		runtime.ReadMemStats(&after)
		heap = after.TotalAlloc - before.TotalAlloc
		if got.Deliveries.Len() != full.Deliveries.Len() {
			b.Fatalf("read %d deliveries, want %d", got.Deliveries.Len(), full.Deliveries.Len())
		}
		q.Close()
	}
	b.ReportMetric(float64(heap)/(1<<20), "MiB-allocated/read")
}

// BenchmarkPostgresApply100k records the sends of an apply of 100,000
// deliveries in requests of 100, as apply does (in flight, then the
// outcomes), then writes the state. Each request costs two round trips,
// each one statement over arrays in its own transaction: the claims (a
// conditional write that fails whole when one row is not as read) and
// the outcomes (an upsert); the final Write sends only rows that differ
// from those recorded, here none.
//
//	go test -run '^$' -bench PostgresApply100k -count 3 ./internal/states/statemgr/
func BenchmarkPostgresApply100k(b *testing.B) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		p := benchPostgres(b)
		s := must(p.Read())
		info := must(p.Lock(b.Context(), "apply", 0))
		full := campaignState(s.Lineage)
		var all []states.Delivery
		for _, d := range full.Sorted() {
			all = append(all, *d)
		}
		b.StartTimer()
		start := time.Now()
		j := must(p.OpenJournal(s))
		for at := 0; at < len(all); at += 100 {
			batch := append([]states.Delivery(nil), all[at:at+100]...)
			for k := range batch {
				batch[k].Status = InFlight
			}
			check(b, j.Record(batch...))
			check(b, j.Record(all[at:at+100]...))
		}
		check(b, j.Close())
		for k := range all {
			s.Set(&all[k])
		}
		check(b, p.Write(s))
		elapsed := time.Since(start)
		b.StopTimer()
		check(b, p.Unlock(info.ID))
		b.ReportMetric(elapsed.Seconds(), "s/apply")
		b.ReportMetric(2.0/100, "round-trips/delivery")
		b.StartTimer()
	}
}

// BenchmarkPostgresRecord16 records from 16 goroutines at once, one
// delivery per request (in flight, then sent), as apply -parallelism=16
// does with one recipient per request.
//
//	go test -run '^$' -bench PostgresRecord16 -benchtime 2000x -count 3 ./internal/states/statemgr/
func BenchmarkPostgresRecord16(b *testing.B) {
	p := benchPostgres(b)
	s := must(p.Read())
	j := must(p.OpenJournal(s))
	const goroutines = 16
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n := next.Add(1)
				if n > int64(b.N) {
					return
				}
				if err := j.Record(testRecord(int(n), InFlight)); err != nil {
					b.Error(err)
					return
				}
				if err := j.Record(testRecord(int(n), states.Sent)); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "deliveries/s")
	check(b, j.Close())
}

// BenchmarkPostgresCommit20 records b.N deliveries as apply's journal
// sees them at -parallelism=16 with one recipient a request: each commit
// the claims of 10 requests and the outcomes of the 10 before, in one
// Record. Besides the client's CPU it reports the server's, read from
// /proc when the server runs on this machine (a test server does): the
// server shares the cores with herald, so what it spends a delivery
// counts.
//
//	go test -run '^$' -bench PostgresCommit20 -benchtime 20000x -count 5 ./internal/states/statemgr/
func BenchmarkPostgresCommit20(b *testing.B) {
	p := benchPostgres(b)
	s := must(p.Read())
	j := must(p.OpenJournal(s))
	var pid int
	p.mu.Lock()
	err := p.conn.QueryRow(b.Context(), "SELECT pg_backend_pid()").Scan(&pid)
	p.mu.Unlock()
	check(b, err)
	const window = 10
	var recs []states.Delivery
	b.ResetTimer()
	cpu0, server0 := cpuTime(), serverCPU(pid)
	for at := 0; at < b.N+window; at += window {
		recs = recs[:0]
		for n := max(at-window, 0); n < min(at, b.N); n++ {
			recs = append(recs, testRecord(n, states.Sent))
		}
		for n := at; n < min(at+window, b.N); n++ {
			recs = append(recs, testRecord(n, InFlight))
		}
		check(b, j.Record(recs...))
	}
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-us/delivery")
	if server0 >= 0 {
		if server := serverCPU(pid); server >= 0 {
			b.ReportMetric(float64((server-server0).Microseconds())/float64(b.N), "server-cpu-us/delivery")
		}
	}
	b.StopTimer()
	check(b, j.Close())
}

// serverCPU is the CPU time of the server process pid, or -1 when /proc
// does not show it (a server on another machine).
func serverCPU(pid int) time.Duration {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return -1
	}
	// The fields after the command's name, which is in parentheses and
	// may hold spaces: utime and stime are the 12th and 13th.
	f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	if len(f) < 13 {
		return -1
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return -1
	}
	// Clock ticks, which Linux gives at 100 a second to user space.
	return time.Duration(utime+stime) * 10 * time.Millisecond
}
