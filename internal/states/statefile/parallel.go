package statefile

import (
	"bytes"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/heraldhq/herald/internal/states"
)

// A large state's deliveries are decoded on every core. herald writes them
// one record a line, so the list can be cut at line ends into chunks that
// decode on their own: one goroutine reads the file and cuts it, one per
// core decodes the chunks and hashes their keys, and the reader's caller
// puts the records in the set in file order, so that a key written twice
// is found as the one-goroutine decode finds it.
//
// This path reads only what herald writes. Anything else (a record over
// several lines, a missing comma, a key twice, bad JSON) fails it, and
// Read then decodes the file again from memory, whose error says the line
// and column. So it must accept nothing that decode would refuse, and
// give what decode gives for what it accepts; it need not say why it
// refuses.

// parallelFrom is the smallest state, in bytes, whose deliveries are
// decoded on every core: below two windows, about 20,000 deliveries, the
// goroutines' hand-offs buy nothing.
var parallelFrom = 2 * windowSize

// parallelWindow is the size of the windows the parallel decode reads
// into: a few of them are decoding at once, and a record is a few hundred
// bytes.
var parallelWindow = 1 << 20

// recordLinePrefix starts every line of the deliveries list as herald
// writes it.
const recordLinePrefix = "    {"

// errNotAsWritten is the parallel decode's refusal of a file it does not
// read; Read then decodes the file from memory and says what is wrong.
var errNotAsWritten = errors.New("the deliveries are not one record a line, each followed by a comma but the last")

// recordChunk is a run of whole record lines, cut from the file by
// cutRecordLines and decoded by decodeChunk.
type recordChunk struct {
	// lines runs from the '\n' before its first record line to the end
	// of its last.
	lines []byte
	n     int // record lines
	// window is the buffer lines lies in, to be reused once the chunk is
	// decoded, or nil when the decoder reads on in it.
	window []byte

	// recs holds the records in blocks of chunkSize, as parse allocates
	// them: blocks of a few hundred kilobytes fit the memory that
	// collections free, where one of a window's whole records, some
	// megabytes, would grow the heap.
	recs   [][]states.Delivery
	hashes []uint64 // states.KeyHash of each record's key, in order
	comma  bool     // whether the last record is followed by a comma
	err    error
	done   chan struct{} // closed once decoded
}

// deliveriesInParallel reads the deliveries list that starts at d.pos,
// "[" and a line end, into set. d must be streaming (d.src set).
func (d *decoder) deliveriesInParallel(set *states.DeliverySet) error {
	d.pos++ // the '['
	workers := runtime.GOMAXPROCS(0)
	var (
		jobs  = make(chan *recordChunk, workers)
		order = make(chan *recordChunk, 2*workers)
		// Decoded windows come back here for the next reads; at most
		// about 3 × workers are ever taken at once.
		free = make(chan []byte, 3*workers+1)
		stop atomic.Bool
		wg   sync.WaitGroup
	)
	for range workers {
		wg.Go(func() {
			wd := &decoder{intern: make(map[string]string)}
			for c := range jobs {
				if !stop.Load() {
					wd.decodeChunk(c)
				}
				close(c.done)
				if c.window != nil {
					select {
					case free <- c.window:
					default:
					}
				}
			}
		})
	}
	cut := make(chan error, 1)
	go func() {
		err := d.cutRecordLines(jobs, order, free, &stop)
		close(jobs)
		close(order)
		cut <- err
	}()

	var err error
	var last *recordChunk
	fail := func(e error) {
		if err == nil {
			err = e
			stop.Store(true)
		}
	}
	for c := range order {
		<-c.done
		switch {
		case err != nil:
		case c.err != nil:
			fail(c.err)
		case last != nil && !last.comma:
			fail(errNotAsWritten)
		default:
		put:
			for b, block := range c.recs {
				for i := range block {
					if !set.PutNewHashed(&block[i], c.hashes[b*chunkSize+i]) {
						fail(errors.New("a delivery appears twice"))
						break put
					}
				}
			}
			last = c
		}
	}
	wg.Wait()
	if e := <-cut; err == nil {
		err = e
	}
	if err != nil {
		return err
	}
	// The list ends after its last record, without a comma.
	d.ws()
	if (last != nil && last.comma) || d.pos >= len(d.data) || d.data[d.pos] != ']' {
		return errNotAsWritten
	}
	d.pos++
	if cap(d.data) < windowSize {
		// The rest of the document is read a window at a time again: in
		// a window no larger than refillAt, refill would move and read
		// it anew before every element.
		d.readInto(make([]byte, windowSize))
	}
	return nil
}

// cutRecordLines sends the record lines after d.pos, a line end, to be
// decoded (jobs) and put in order (order), a window's worth at a time,
// reading on into windows of parallelWindow bytes. It leaves d.pos at the
// line end before the first line that is no record's, with d.data the
// window that holds it.
func (d *decoder) cutRecordLines(jobs, order chan<- *recordChunk, free chan []byte, stop *atomic.Bool) error {
	for !stop.Load() {
		p, n, ended := d.pos, 0, false
		for {
			rest := d.data[p+1:]
			eol := bytes.IndexByte(rest, '\n')
			if eol < 0 {
				// A line not whole in the window: read on, unless the file
				// ends here, inside the list, which decode then refuses.
				ended = d.eof
				break
			}
			if !bytes.HasPrefix(rest[:eol], []byte(recordLinePrefix)) {
				ended = true
				break
			}
			p += 1 + eol
			n++
		}
		if n > 0 {
			c := &recordChunk{lines: d.data[d.pos:p], n: n, window: d.data, done: make(chan struct{})}
			if ended {
				c.window = nil
			}
			order <- c
			jobs <- c
		}
		d.pos = p
		if ended {
			return nil
		}
		if len(d.data)-d.pos >= parallelWindow {
			return errNotAsWritten // a line longer than a window
		}
		var next []byte
		select {
		case next = <-free:
		default:
			next = make([]byte, parallelWindow)
		}
		d.readInto(next)
		if d.readErr != nil {
			return d.readErr
		}
	}
	return nil
}

// decodeChunk decodes c's records, each on a line of its own and
// followed by a comma, which the last may lack.
func (d *decoder) decodeChunk(c *recordChunk) {
	d.data, d.pos = c.lines, 0
	c.hashes = make([]uint64, c.n)
	var block []states.Delivery
	for i := range c.n {
		if len(block) == cap(block) {
			block = make([]states.Delivery, 0, min(chunkSize, c.n-i))
			c.recs = append(c.recs, block)
		}
		block = block[:len(block)+1]
		c.recs[len(c.recs)-1] = block
		rec := &block[len(block)-1]
		d.ws()
		if err := d.delivery(rec, storedStatus); err != nil {
			c.err = err
			return
		}
		c.comma = d.pos < len(d.data) && d.data[d.pos] == ','
		if c.comma {
			d.pos++
		}
		if (!c.comma && i < c.n-1) || (d.pos < len(d.data) && d.data[d.pos] != '\n') {
			c.err = errNotAsWritten
			return
		}
		c.hashes[i] = states.KeyHash(rec.Key)
	}
	if d.pos != len(d.data) {
		c.err = errNotAsWritten
	}
}
