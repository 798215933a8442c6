// Command rawsend is the yardstick for herald's send path: a bare net/http
// client that posts one recipient per request to a Kaleyra messages
// endpoint, -c requests at a time, and prints how many a second it made.
// It checks nothing and records nothing; herald doing what it must
// (checking, claiming each delivery durably before its request leaves,
// recording each answer) is measured against it by scripts/bench-send.sh.
//
//	go run ./scripts/rawsend -endpoint URL -sid SID -key KEY -numbers recipients.csv
package main

import (
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	endpoint := flag.String("endpoint", "", "the API's base URL, as a provider's endpoint")
	sid := flag.String("sid", "", "the account SID")
	key := flag.String("key", "", "the api-key header")
	numbers := flag.String("numbers", "", "a CSV file with a header line, the recipients in its phone column")
	from := flag.String("from", "+12025550100", "the sender number")
	inFlight := flag.Int("c", 16, "requests at a time")
	flag.Parse()
	to, err := readNumbers(*numbers)
	if err != nil {
		fmt.Fprintln(os.Stderr, "rawsend:", err)
		os.Exit(1)
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = *inFlight
	client := &http.Client{Transport: transport}
	messages := strings.TrimSuffix(*endpoint, "/") + "/v1/" + *sid + "/messages"

	var next, failed atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range *inFlight {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < len(to); i = int(next.Add(1)) - 1 {
				form := url.Values{"to": {to[i]}, "type": {"text"}, "channel": {"whatsapp"}, "from": {*from}, "ref": {"rawsend"}, "body": {"Release note"}}
				req, _ := http.NewRequest(http.MethodPost, messages, strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("api-key", *key)
				resp, err := client.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusAccepted {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	fmt.Printf("%d requests in %.3f s: %.0f/s, %d failed\n", len(to), elapsed.Seconds(), float64(len(to))/elapsed.Seconds(), failed.Load())
	if failed.Load() > 0 {
		os.Exit(1)
	}
}

func readNumbers(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s is empty", path)
	}
	col := slices.Index(rows[0], "phone")
	if col < 0 {
		return nil, fmt.Errorf("%s has no phone column", path)
	}
	var out []string
	for _, r := range rows[1:] {
		out = append(out, r[col])
	}
	return out, nil
}
