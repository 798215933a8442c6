package states

import (
	"hash/maphash"
	"iter"

	"github.com/heraldhq/herald/internal/delivery"
)

// DeliverySet holds a state's records by key. It does what a
// map[delivery.Key]*Delivery would, in a fraction of the memory: a map
// keeps a copy of each six-string key beside its pointer, about 160 bytes
// a record once its growth slack is counted, where this keeps the pointer
// and one byte of the key's hash, about 14 bytes a record, and reads the
// key from the record itself. At a million records that is the difference
// between 160 MB and 14 MB.
//
// It is an open-addressing table with linear probing. Removal leaves a
// tombstone rather than moving records, so that Delete while ranging over
// All is safe, as it is for a map; tombstones are dropped when the table
// is rebuilt.
//
// A record's Key must not change while it is in the set: the set finds it
// by that key.
//
// The nil *DeliverySet is an empty set that may be read, not written, like
// a nil map.
type DeliverySet struct {
	// tags[i] is empty, tombstone, or a tag of records[i]'s key hash, so
	// that a probe reads a record (and its strings) only when the tag
	// matches: one in 254 other records.
	tags    []uint8
	records []*Delivery
	n       int
	// used counts live records and tombstones: what fills the table.
	used int
}

const (
	emptyTag     uint8 = 0
	tombstoneTag uint8 = 1
	// maxLoad is the share of slots, in eighths, that records and
	// tombstones may fill before the table doubles: linear probing stays
	// short below three quarters.
	maxLoad = 6
)

var keySeed = maphash.MakeSeed()

func hashKey(k delivery.Key) uint64 { return maphash.Comparable(keySeed, k) }

// tagOf is a key hash's tag: never empty or tombstone.
func tagOf(h uint64) uint8 { return uint8(h>>57) + 2 }

// NewDeliverySet returns an empty set with room for n records before it
// grows.
func NewDeliverySet(n int) *DeliverySet {
	s := &DeliverySet{}
	s.Reserve(n)
	return s
}

// Len is the number of records.
func (s *DeliverySet) Len() int {
	if s == nil {
		return 0
	}
	return s.n
}

// Get returns the record for k, or nil.
func (s *DeliverySet) Get(k delivery.Key) *Delivery {
	if s == nil || s.n == 0 {
		return nil
	}
	h := hashKey(k)
	tag := tagOf(h)
	mask := len(s.tags) - 1
	for i := int(h) & mask; ; i = (i + 1) & mask {
		switch s.tags[i] {
		case emptyTag:
			return nil
		case tag:
			if r := s.records[i]; r.Key == k {
				return r
			}
		}
	}
}

// Put stores d under d.Key, in place of any record already there.
func (s *DeliverySet) Put(d *Delivery) { s.put(d, hashKey(d.Key), true) }

// PutNew stores d unless a record of its key is there already, and
// reports whether it stored it.
func (s *DeliverySet) PutNew(d *Delivery) bool { return s.put(d, hashKey(d.Key), false) }

// KeyHash is the hash by which a set finds records of key k. Hashing the
// key is much of what a Put costs, so a reader putting many records can
// hash them elsewhere, on other goroutines, and hand the hashes to
// PutNewHashed.
func KeyHash(k delivery.Key) uint64 { return hashKey(k) }

// PutNewHashed is PutNew for a record whose key's KeyHash is h.
func (s *DeliverySet) PutNewHashed(d *Delivery, h uint64) bool { return s.put(d, h, false) }

// put stores d, whose key hashes to h, unless a record of its key is
// there and replace is false; it reports whether d is a new key.
func (s *DeliverySet) put(d *Delivery, h uint64, replace bool) bool {
	if (s.used+1)*8 > len(s.tags)*maxLoad {
		// Room for twice the live records: a full table doubles, one
		// mostly of tombstones keeps its size, and either way as many
		// Puts as there are records come before the next rebuild.
		s.rebuild(2 * (s.n + 1))
	}
	tag := tagOf(h)
	mask := len(s.tags) - 1
	free := -1
	for i := int(h) & mask; ; i = (i + 1) & mask {
		switch s.tags[i] {
		case emptyTag:
			if free < 0 {
				free = i
				s.used++
			}
			s.tags[free], s.records[free] = tag, d
			s.n++
			return true
		case tombstoneTag:
			if free < 0 {
				free = i
			}
		case tag:
			if s.records[i].Key == d.Key {
				if replace {
					s.records[i] = d
				}
				return false
			}
		}
	}
}

// Delete removes the record for k, if any.
func (s *DeliverySet) Delete(k delivery.Key) {
	if s == nil || s.n == 0 {
		return
	}
	h := hashKey(k)
	tag := tagOf(h)
	mask := len(s.tags) - 1
	for i := int(h) & mask; ; i = (i + 1) & mask {
		switch s.tags[i] {
		case emptyTag:
			return
		case tag:
			if s.records[i].Key == k {
				s.tags[i], s.records[i] = tombstoneTag, nil
				s.n--
				return
			}
		}
	}
}

// All yields every record, in no particular order. Records may be deleted
// meanwhile; whether a record put meanwhile is yielded is unspecified.
func (s *DeliverySet) All() iter.Seq[*Delivery] {
	return func(yield func(*Delivery) bool) {
		if s == nil {
			return
		}
		records := s.records
		for i := range records {
			if r := records[i]; r != nil && !yield(r) {
				return
			}
		}
	}
}

// Reserve makes room for n records in all before the set grows again, so
// that a reader that knows how many are coming rebuilds the table once.
func (s *DeliverySet) Reserve(n int) {
	if n*8 > len(s.tags)*maxLoad {
		s.rebuild(n)
	}
}

// rebuild moves the records into the smallest table with room for n,
// dropping tombstones.
func (s *DeliverySet) rebuild(n int) {
	size := 8
	for size*maxLoad < n*8 {
		size *= 2
	}
	oldTags, oldRecords := s.tags, s.records
	s.tags, s.records = make([]uint8, size), make([]*Delivery, size)
	s.n, s.used = 0, 0
	mask := size - 1
	for j, t := range oldTags {
		if t < 2 {
			continue
		}
		r := oldRecords[j]
		h := hashKey(r.Key)
		i := int(h) & mask
		for s.tags[i] != emptyTag {
			i = (i + 1) & mask
		}
		s.tags[i], s.records[i] = tagOf(h), r
		s.n++
	}
	s.used = s.n
}
