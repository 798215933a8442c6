package delivery

import "testing"

func TestDigestDistinguishesContent(t *testing.T) {
	base := Content{Type: Template, TemplateName: "release", Language: "en",
		Params: []Param{{"version", "v1"}, {"eta", "today"}}}
	variants := map[string]Content{
		"type":     {Type: Text, TemplateName: "release", Language: "en", Params: base.Params},
		"name":     {Type: Template, TemplateName: "release2", Language: "en", Params: base.Params},
		"language": {Type: Template, TemplateName: "release", Language: "de", Params: base.Params},
		"order": {Type: Template, TemplateName: "release", Language: "en",
			Params: []Param{{"eta", "today"}, {"version", "v1"}}},
		"value": {Type: Template, TemplateName: "release", Language: "en",
			Params: []Param{{"version", "v2"}, {"eta", "today"}}},
		"boundary": {Type: Template, TemplateName: "release", Language: "en",
			Params: []Param{{"version", "v1e"}, {"ta", "today"}}},
	}
	d := base.Digest()
	if len(d) != 64 {
		t.Fatalf("digest %q is not hex SHA-256", d)
	}
	if base.Digest() != d {
		t.Fatal("digest is not deterministic")
	}
	for name, c := range variants {
		if c.Digest() == d {
			t.Errorf("changing %s did not change the digest", name)
		}
	}
	if (Content{Type: Text, Body: "ab"}).Digest() == (Content{Type: Text, Body: "a", TemplateName: "b"}).Digest() {
		t.Error("field boundaries are ambiguous")
	}
}

func TestInstanceKey(t *testing.T) {
	in := &Instance{Channel: "whatsapp", Sender: "+12025550100", Ref: "r", Ref1: "r1", Ref2: "r2", Recipients: []string{"+12025550123"}}
	want := Key{Channel: "whatsapp", Sender: "+12025550100", Recipient: "+12025550123", Ref: "r", Ref1: "r1", Ref2: "r2"}
	if got := in.Key(in.Recipients[0]); got != want {
		t.Errorf("Key = %+v, want %+v", got, want)
	}
	other := *in
	if !in.SameKeyFields(&other) {
		t.Error("an instance does not share its own key fields")
	}
	other.Ref2 = "x"
	if in.SameKeyFields(&other) {
		t.Error("instances with different ref2 share key fields")
	}
}
