package kaleyra

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// answerSeeds are answers readAnswer takes, and near misses it must leave
// to encoding/json.
var answerSeeds = []string{
	`{"id":"b771075a-d775-487c-8274-6dbf2c053a54","type":"text","body":"hi","createdDateTime":"2026-12-03 07:04:36+00:00","totalCount":1,"data":[{"message_id":"b771075a:0","recipient":"12025550100"}],"error":{}}`,
	`{"id":"r1","data":[{"message_id":"m1","recipient":"1"},{"recipient":"2","message_id":"m2"}],"error":{"a":["}",{"b":"\"]"}]}}`,
	` { "id" : "r1" , "totalCount" : -3 , "data" : [ ] , "error" : "x" } `,
	`{"id":"r1","body":"line\nnext \u00e9","data":[]}`,
	`{"id":"r\u0031","data":[]}`,
	`{"ID":"r1","data":[]}`,
	`{"id":"r1","id":"r2"}`,
	`{"data":[{"message_id":"m1","message_id":"m2"}]}`,
	`{"data":[{"message_id":"m1"}],"data":[{"recipient":"2"}]}`,
	`{"id":"r1","totalCount":1.5}`,
	`{"id":"r1","totalCount":1e2}`,
	`{"id":"r1","totalCount":99999999999999999999}`,
	`{"id":null,"data":null}`,
	`{"id":"r1","error":null}`,
	`{"id":"r1","error":12}`,
	`{"id":"r1","extra":true}`,
	`{"id":"é"}`,
	`{"id":"r1"} x`,
	`{"id":"r1"`,
	`[]`,
	`{}`,
	``,
}

// TestReadAnswerAgreesWithUnmarshal: every answer readAnswer takes, it
// reads as json.Unmarshal does.
func TestReadAnswerAgreesWithUnmarshal(t *testing.T) {
	took := 0
	for _, body := range answerSeeds {
		if checkReadAnswer(t, []byte(body)) {
			took++
		}
	}
	// The first four are Kaleyra's shape; the fast path must take them,
	// or it saves nothing.
	if took < 4 {
		t.Errorf("readAnswer took %d of the seeds, want at least 4", took)
	}
}

func FuzzReadAnswer(f *testing.F) {
	for _, s := range answerSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) { checkReadAnswer(t, body) })
}

func checkReadAnswer(t *testing.T, body []byte) bool {
	t.Helper()
	got, ok := readAnswer(body)
	if !ok {
		return false
	}
	var want Answer
	if err := json.Unmarshal(body, &want); err != nil {
		t.Errorf("readAnswer took %q, which json.Unmarshal refuses: %v", body, err)
		return true
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("readAnswer(%q) differs from json.Unmarshal (-want +got):\n%s", body, d)
	}
	return true
}

func BenchmarkParseAnswer(b *testing.B) {
	body := []byte(answerSeeds[0])
	b.Run("fast", func(b *testing.B) {
		for range b.N {
			if _, err := parseAnswer(body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("unmarshal", func(b *testing.B) {
		for range b.N {
			var a Answer
			if err := json.Unmarshal(body, &a); err != nil {
				b.Fatal(err)
			}
		}
	})
}
