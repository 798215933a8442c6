package statemgr

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/delivery"
	"github.com/heraldhq/herald/internal/receipts"
	"github.com/heraldhq/herald/internal/states"
)

// BenchmarkJournalRecord records from 10 goroutines at once, one record per
// call, as apply's senders do. It reports records per second and fsyncs per
// record: group commit makes the second well below 1.
//
//	go test -run '^$' -bench JournalRecord -benchtime 3s ./internal/states/statemgr/
func BenchmarkJournalRecord(b *testing.B) {
	f := newTestFS(b)
	s := must(f.Read())
	j := must(f.OpenJournal(s)).(*fileJournal)
	const goroutines = 10
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
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	records := j.records.Load()
	_, _, fsyncs := j.gc.counts()
	b.ReportMetric(float64(records)/elapsed.Seconds(), "records/s")
	b.ReportMetric(float64(fsyncs)/float64(records), "fsyncs/record")
	check(b, j.Close())
}

// campaignState is the brief's benchmark state: 10 messages x 10,000
// recipients, all sent.
func campaignState(lineage string) *states.State {
	s := states.New(lineage)
	for m := 0; m < 10; m++ {
		address := fmt.Sprintf("message.announce[\"wave-%d\"]", m)
		ref := fmt.Sprintf("release-v1.2.3-wave-%d", m)
		digest := delivery.Content{Type: delivery.Text, Body: fmt.Sprintf("Rollout wave %d is complete.", m)}.Digest()
		for i := 0; i < 10_000; i++ {
			n := m*10_000 + i
			s.Set(&states.Delivery{
				Key:       delivery.Key{Channel: "whatsapp", Sender: "+12025550100", Recipient: fmt.Sprintf("+1202%07d", n), Ref: ref},
				Address:   address,
				Digest:    digest,
				Status:    states.Sent,
				RequestID: fmt.Sprintf("b7f0c1d2-%04d-4e5f-8a9b-0c1d2e3f4a5b", n/100),
				MessageID: fmt.Sprintf("3f1c2a9e-%08d-4b7a-9c1d-2e3f4a5b6c7d", n),
				Attempts:  1,
				FirstSent: t0.Add(time.Duration(n) * time.Millisecond),
				UpdatedAt: t0.Add(time.Duration(n)*time.Millisecond + 180*time.Millisecond),
			})
		}
	}
	return s
}

// BenchmarkFilesystemRead reads a state of 100,000 sent deliveries from
// disk, as a no-change plan does.
//
//	go test -run '^$' -bench Filesystem -benchmem ./internal/states/statemgr/
func BenchmarkFilesystemRead(b *testing.B) {
	f := newTestFS(b)
	s := campaignState(must(f.Read()).Lineage)
	check(b, f.Write(s))
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		got := must(again(f).Read())
		if got.Deliveries.Len() != 100_000 {
			b.Fatalf("read %d deliveries", got.Deliveries.Len())
		}
	}
	reportCPU(b, cpu)
}

// BenchmarkFilesystemWrite replaces a state of 100,000 deliveries: encode,
// fsync, rename, fsync the folder.
func BenchmarkFilesystemWrite(b *testing.B) {
	f := newTestFS(b)
	s := campaignState(must(f.Read()).Lineage)
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		check(b, f.Write(s))
	}
	reportCPU(b, cpu)
}

// BenchmarkRecordReceipts records receipts from 16 goroutines at once,
// one event per call, as herald listen's handlers do, each call returning
// once durable. It reports events per second and fsyncs per event.
//
//	go test -run '^$' -bench RecordReceipts -benchtime 20000x -count 3 ./internal/states/statemgr/
func BenchmarkRecordReceipts(b *testing.B) {
	f := sentFS(b, 0)
	const goroutines = 16
	var next atomic.Int64
	var wg sync.WaitGroup
	now := time.Now()
	b.ResetTimer()
	start := time.Now()
	for range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n := next.Add(1)
				if n > int64(b.N) {
					return
				}
				if err := f.RecordReceipts(context.Background(), []receipts.Event{receiptFor(int(n), now)}); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	_, fsyncs, _ := f.receipts.gc.counts()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(fsyncs)/float64(b.N), "fsyncs/event")
	check(b, f.Close())
}

// BenchmarkReadReceipts reads a state of 10,000 sent deliveries with
// 100,000 receipts not yet folded into it (a week of callbacks without an
// apply), without the lock, as show, state list and listen's index do:
// First by a new process, Again by one that read it before, after one
// more receipt was recorded (listen's index reading the state on a miss).
//
//	go test -run '^$' -bench ReadReceipts -count 3 ./internal/states/statemgr/
func BenchmarkReadReceipts(b *testing.B) {
	const deliveries, events = 10_000, 100_000
	f := sentFS(b, deliveries)
	now := time.Now()
	batch := make([]receipts.Event, 0, 1000)
	for n := range events {
		batch = append(batch, receiptFor(n%deliveries, now.Add(time.Duration(n))))
		if len(batch) == cap(batch) {
			check(b, f.RecordReceipts(context.Background(), batch))
			batch = batch[:0]
		}
	}
	b.Run("First", func(b *testing.B) {
		for range b.N {
			if s := must(again(f).Read()); !hasReceipt(s, 1) {
				b.Fatal("no receipt folded")
			}
		}
	})
	b.Run("Again", func(b *testing.B) {
		reader := again(f)
		must(reader.Read())
		b.ResetTimer()
		for n := range b.N {
			check(b, f.RecordReceipts(context.Background(), []receipts.Event{receiptFor(n%deliveries, now)}))
			if s := must(reader.Read()); !hasReceipt(s, 1) {
				b.Fatal("no receipt folded")
			}
		}
	})
}
