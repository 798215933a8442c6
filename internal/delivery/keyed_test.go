package delivery

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

func testKey(t *testing.T, b byte) *DigestKey {
	t.Helper()
	k, err := NewDigestKey(bytes.Repeat([]byte{b}, DigestSecretSize))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestKeyedDigest(t *testing.T) {
	k1, k2 := testKey(t, 1), testKey(t, 2)
	c := Content{Type: Text, Body: "code 1234"}
	d := c.KeyedDigest(k1)
	if !d.Valid() || !strings.HasPrefix(string(d), "hmac-sha256:"+k1.ID()+":") {
		t.Fatalf("keyed digest %q is not hmac-sha256:KEYID:HEX", d)
	}
	if id, ok := d.KeyID(); !ok || id != k1.ID() {
		t.Errorf("KeyID = %q, %v", id, ok)
	}
	if c.KeyedDigest(k1) != d {
		t.Error("keyed digest is not deterministic")
	}
	if c.KeyedDigest(k2) == d || k1.ID() == k2.ID() {
		t.Error("two secrets give one digest or one ID")
	}
	if (Content{Type: Text, Body: "code 1235"}).KeyedDigest(k1) == d {
		t.Error("changing the content did not change the keyed digest")
	}
	if strings.Contains(string(d), string(c.Digest())) {
		t.Error("the keyed digest holds the unkeyed one")
	}
	for _, s := range []string{fmt.Sprint(k1), fmt.Sprintf("%v %+v %#v %s", k1, k1, k1, k1)} {
		if strings.Contains(s, "\x01\x01") || strings.Contains(s, "0101") {
			t.Errorf("formatting the key shows the secret: %s", s)
		}
	}
	if _, err := NewDigestKey([]byte("short")); err == nil {
		t.Error("a 5-byte secret was accepted")
	}
}

func TestDigestValid(t *testing.T) {
	k := testKey(t, 1)
	for d, want := range map[Digest]bool{
		Content{Type: Text}.Digest():                      true,
		Content{Type: Text}.KeyedDigest(k):                true,
		"abcd":                                            false,
		"hmac-sha256:" + Digest(k.ID()) + ":abc":          false,
		"hmac-sha256:xyz:" + Content{Type: Text}.Digest(): false,
		Digest(strings.Repeat("A", 64)):                   false,
	} {
		if got := d.Valid(); got != want {
			t.Errorf("Valid(%q) = %v, want %v", d, got, want)
		}
	}
}

// TestInstanceMatches: a sensitive instance matches its keyed digest, and
// the unkeyed digest a record made before keying holds; a non-sensitive
// one only its own.
func TestInstanceMatches(t *testing.T) {
	k1, k2 := testKey(t, 1), testKey(t, 2)
	c := Content{Type: Text, Body: "code 1234"}
	secret := &Instance{Content: c, Sensitive: true}
	secret.KeyDigest(k1)
	plain := &Instance{Content: c, Digest: c.Digest()}
	plain.KeyDigest(k1)
	if plain.Digest != c.Digest() {
		t.Fatal("KeyDigest changed a non-sensitive instance's digest")
	}
	other := Content{Type: Text, Body: "code 9999"}
	tests := []struct {
		name    string
		in      *Instance
		d       Digest
		matches bool
		foreign bool
	}{
		{"sensitive, keyed", secret, c.KeyedDigest(k1), true, false},
		{"sensitive, unkeyed record", secret, c.Digest(), true, false},
		{"sensitive, other content", secret, other.KeyedDigest(k1), false, false},
		{"sensitive, other unkeyed content", secret, other.Digest(), false, false},
		{"sensitive, other secret", secret, c.KeyedDigest(k2), false, true},
		{"plain", plain, c.Digest(), true, false},
		{"plain, keyed record", plain, c.KeyedDigest(k1), false, false},
	}
	for _, tt := range tests {
		if got := tt.in.Matches(tt.d); got != tt.matches {
			t.Errorf("%s: Matches = %v, want %v", tt.name, got, tt.matches)
		}
		if got := tt.in.ForeignKey(tt.d); got != tt.foreign {
			t.Errorf("%s: ForeignKey = %v, want %v", tt.name, got, tt.foreign)
		}
	}
}

func TestDiff(t *testing.T) {
	tmpl := func(name string, params ...Param) Content {
		return Content{Type: Template, TemplateName: name, Language: "en", Params: params}
	}
	tests := []struct {
		name          string
		before, after Content
		want          []FieldChange
	}{
		{"same", Content{Type: Text, Body: "a"}, Content{Type: Text, Body: "a"}, nil},
		{"body", Content{Type: Text, Body: "old"}, Content{Type: Text, Body: "new"},
			[]FieldChange{{Field: "body", Before: "old", After: "new", Had: true, Has: true}}},
		{"param value", tmpl("r", Param{"version", "v1"}, Param{"eta", "today"}), tmpl("r", Param{"version", "v2"}, Param{"eta", "today"}),
			[]FieldChange{{Field: "params.version", Before: "v1", After: "v2", Had: true, Has: true}}},
		{"param added and gone", tmpl("r", Param{"a", "1"}), tmpl("r", Param{"b", "2"}),
			[]FieldChange{{Field: "params.b", After: "2", Has: true}, {Field: "params.a", Before: "1", Had: true}}},
		{"param order", tmpl("r", Param{"a", "1"}, Param{"b", "2"}), tmpl("r", Param{"b", "2"}, Param{"a", "1"}),
			[]FieldChange{{Field: "params", Before: "a, b", After: "b, a", Had: true, Has: true}}},
		{"type and fields", Content{Type: Text, Body: "hi"}, tmpl("r"),
			[]FieldChange{
				{Field: "type", Before: "text", After: "template", Had: true, Has: true},
				{Field: "body", Before: "hi", Had: true},
				{Field: "template_name", After: "r", Has: true},
				{Field: "language", After: "en", Has: true},
			}},
		{"caption", Content{Type: Media, MediaURL: "u", Caption: "a"}, Content{Type: Media, MediaURL: "u", Caption: "b"},
			[]FieldChange{{Field: "caption", Before: "a", After: "b", Had: true, Has: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Diff(tt.before, tt.after)
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("Diff = %+v\nwant   %+v", got, tt.want)
			}
			if (len(got) == 0) != (tt.before.Digest() == tt.after.Digest()) {
				t.Errorf("Diff found %d changes, the digests say otherwise", len(got))
			}
		})
	}
}
