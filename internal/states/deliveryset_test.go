package states

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	"github.com/heraldhq/herald/internal/delivery"
)

func setKey(i int) delivery.Key {
	return delivery.Key{Channel: "whatsapp", Sender: "+12025550100", Recipient: fmt.Sprintf("+1202%07d", i), Ref: "r"}
}

// TestDeliverySetAgreesWithMap runs the same random puts, replacements,
// puts of new keys only and deletes against a DeliverySet and a map, checking after each step.
func TestDeliverySetAgreesWithMap(t *testing.T) {
	for _, keys := range []int{1, 7, 100, 5000} {
		t.Run(fmt.Sprint(keys), func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, uint64(keys)))
			s := NewDeliverySet(0)
			m := map[delivery.Key]*Delivery{}
			for step := range 20 * keys {
				k := setKey(r.IntN(keys))
				switch r.IntN(4) {
				case 0, 1:
					d := &Delivery{Key: k, Attempts: step}
					s.Put(d)
					m[k] = d
				case 2:
					d := &Delivery{Key: k, Attempts: step}
					_, had := m[k]
					if stored := s.PutNewHashed(d, KeyHash(k)); stored == had {
						t.Fatalf("step %d: PutNewHashed(%v) stored %v with the key there %v", step, k, stored, had)
					}
					if !had {
						m[k] = d
					}
				case 3:
					s.Delete(k)
					delete(m, k)
				}
				if s.Len() != len(m) {
					t.Fatalf("step %d: Len %d, want %d", step, s.Len(), len(m))
				}
				if got := s.Get(k); got != m[k] {
					t.Fatalf("step %d: Get(%v) = %v, want %v", step, k, got, m[k])
				}
			}
			for i := range keys {
				if got, want := s.Get(setKey(i)), m[setKey(i)]; got != want {
					t.Errorf("Get(%d) = %v, want %v", i, got, want)
				}
			}
			seen := map[delivery.Key]bool{}
			for d := range s.All() {
				if seen[d.Key] || m[d.Key] != d {
					t.Errorf("All yields %v twice or not in the map", d.Key)
				}
				seen[d.Key] = true
			}
			if len(seen) != len(m) {
				t.Errorf("All yields %d records, want %d", len(seen), len(m))
			}
			// Churn must not grow the table without bound: tombstones are
			// dropped when it is rebuilt.
			if len(s.tags) > 16*max(keys, 8) {
				t.Errorf("%d slots for at most %d records", len(s.tags), keys)
			}
		})
	}
}

func TestDeliverySetPutNewRefusesADuplicate(t *testing.T) {
	s := NewDeliverySet(2)
	first, second := &Delivery{Key: setKey(1)}, &Delivery{Key: setKey(1)}
	if !s.PutNew(first) || s.PutNew(second) {
		t.Fatal("PutNew: want the first stored and the second refused")
	}
	if s.Get(setKey(1)) != first || s.Len() != 1 {
		t.Errorf("after a refused PutNew: Get = %p, Len %d; want the first, 1", s.Get(setKey(1)), s.Len())
	}
}

func TestDeliverySetDeleteWhileRanging(t *testing.T) {
	s := NewDeliverySet(0)
	for i := range 1000 {
		s.Put(&Delivery{Key: setKey(i), Attempts: i})
	}
	yielded := 0
	for d := range s.All() {
		yielded++
		if d.Attempts%2 == 0 {
			s.Delete(d.Key)
		}
	}
	if yielded != 1000 || s.Len() != 500 {
		t.Fatalf("yielded %d, %d left; want 1000 and 500", yielded, s.Len())
	}
	for i := range 1000 {
		if got := s.Get(setKey(i)); (got != nil) != (i%2 == 1) {
			t.Errorf("record %d: present %v after deleting the even ones", i, got != nil)
		}
	}
}

func TestNilDeliverySetReads(t *testing.T) {
	var s *DeliverySet
	s.Delete(setKey(1))
	if s.Len() != 0 || s.Get(setKey(1)) != nil {
		t.Error("a nil set is not empty")
	}
	for range s.All() {
		t.Error("a nil set yields a record")
	}
}

func TestDeliverySetReserveRebuildsOnce(t *testing.T) {
	s := NewDeliverySet(10000)
	slots := len(s.tags)
	for i := range 10000 {
		s.Put(&Delivery{Key: setKey(i)})
	}
	if len(s.tags) != slots {
		t.Errorf("the table grew from %d to %d slots although room for 10000 was reserved", slots, len(s.tags))
	}
}

// BenchmarkDeliverySet puts and then gets a million records, in a
// DeliverySet and in the map it replaced, and reports the bytes each
// holds per record.
//
//	go test -run '^$' -bench DeliverySet -benchtime 3x ./internal/states/
func BenchmarkDeliverySet(b *testing.B) {
	const n = 1000000
	records := make([]Delivery, n)
	for i := range records {
		records[i].Key = setKey(i)
	}
	heldPerRecord := func(b *testing.B, build func() any) {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		keep := build()
		runtime.GC()
		runtime.ReadMemStats(&after)
		runtime.KeepAlive(keep)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "B/record")
	}
	b.Run("set", func(b *testing.B) {
		for b.Loop() {
			s := NewDeliverySet(0)
			for i := range records {
				s.Put(&records[i])
			}
			for i := range records {
				if s.Get(records[i].Key) == nil {
					b.Fatal("lost")
				}
			}
		}
		heldPerRecord(b, func() any {
			s := NewDeliverySet(0)
			for i := range records {
				s.Put(&records[i])
			}
			return s
		})
	})
	b.Run("map", func(b *testing.B) {
		for b.Loop() {
			m := make(map[delivery.Key]*Delivery)
			for i := range records {
				m[records[i].Key] = &records[i]
			}
			for i := range records {
				if m[records[i].Key] == nil {
					b.Fatal("lost")
				}
			}
		}
		heldPerRecord(b, func() any {
			m := make(map[delivery.Key]*Delivery)
			for i := range records {
				m[records[i].Key] = &records[i]
			}
			return m
		})
	})
}

// SortDeliveries orders as comparing the records field by field does,
// numbers of different lengths and records of one recipient included.
func TestSortDeliveriesOrdersByAddressThenKey(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	numbers := []string{"+1", "+12", "+120", "+1202555", "+12025550100", "+12025550101", "+2", "+999999999999999", "+100000000000000"}
	// More addresses than SortDeliveries finds by comparing.
	addresses := []string{"message.a", "message.b", `message.c["x"]`}
	for i := range 20 {
		addresses = append(addresses, fmt.Sprintf("message.m%d", i))
	}
	var recs []*Delivery
	for range 2000 {
		recs = append(recs, &Delivery{
			Address: addresses[r.IntN(len(addresses))],
			Key: delivery.Key{
				Channel:   "whatsapp",
				Sender:    []string{"+12025550100", "+12025550199"}[r.IntN(2)],
				Recipient: numbers[r.IntN(len(numbers))],
				Ref:       []string{"r1", "r2", "r10"}[r.IntN(3)],
				Ref1:      []string{"", "x"}[r.IntN(2)],
			},
		})
	}
	for _, withOdd := range []bool{false, true} {
		got := slices.Clone(recs)
		if withOdd {
			// One recipient herald would not write takes the slow path.
			got = append(got, &Delivery{Address: "message.a", Key: delivery.Key{Recipient: "12025550100"}})
		}
		want := slices.Clone(got)
		sortByPointers(want)
		SortDeliveries(got)
		for i := range got {
			if got[i] != want[i] && (got[i].Address != want[i].Address || got[i].Key != want[i].Key) {
				t.Fatalf("odd %v: at %d got %s %v, want %s %v", withOdd, i, got[i].Address, got[i].Key, want[i].Address, want[i].Key)
			}
		}
	}
}

// BenchmarkSortDeliveries sorts a million records, as writing a state of
// that size does.
//
//	go test -run '^$' -bench SortDeliveries -benchtime 3x ./internal/states/
func BenchmarkSortDeliveries(b *testing.B) {
	const n = 1000000
	recs := make([]*Delivery, n)
	for i := range recs {
		recs[i] = &Delivery{Address: fmt.Sprintf("message.m%d", i%10), Key: setKey(i / 10)}
	}
	rand.New(rand.NewPCG(1, 2)).Shuffle(n, func(i, j int) { recs[i], recs[j] = recs[j], recs[i] })
	for _, sorter := range []struct {
		name string
		sort func([]*Delivery)
	}{{"packed", SortDeliveries}, {"pointers", sortByPointers}} {
		b.Run(sorter.name, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				work := slices.Clone(recs)
				b.StartTimer()
				sorter.sort(work)
			}
		})
	}
}
