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

func TestDigestCoversRichContent(t *testing.T) {
	media := Content{Type: Media, MediaURL: "https://cdn.example.com/notes.pdf", Caption: "Notes"}
	mt := Content{Type: MediaTemplate, TemplateName: "launch", Header: HeaderImage,
		MediaURL: "https://cdn.example.com/v2.png", ButtonURL: "v2"}
	tests := map[string][2]Content{
		"media URL":    {media, {Type: Media, MediaURL: "https://cdn.example.com/notes2.pdf", Caption: "Notes"}},
		"caption":      {media, {Type: Media, MediaURL: media.MediaURL, Caption: "Notes!"}},
		"header URL":   {mt, {Type: MediaTemplate, TemplateName: "launch", Header: HeaderImage, MediaURL: "https://cdn.example.com/v3.png", ButtonURL: "v2"}},
		"header kind":  {mt, {Type: MediaTemplate, TemplateName: "launch", Header: HeaderDocument, MediaURL: mt.MediaURL, ButtonURL: "v2"}},
		"button part":  {mt, {Type: MediaTemplate, TemplateName: "launch", Header: HeaderImage, MediaURL: mt.MediaURL, ButtonURL: "v3"}},
		"header text":  {{Type: Template, TemplateName: "t", Header: HeaderText, HeaderText: "a"}, {Type: Template, TemplateName: "t", Header: HeaderText, HeaderText: "b"}},
		"button added": {{Type: Template, TemplateName: "t"}, {Type: Template, TemplateName: "t", ButtonURL: "x"}},
		"boundary":     {{Type: Media, MediaURL: "ab", Caption: "c"}, {Type: Media, MediaURL: "a", Caption: "bc"}},
	}
	for name, pair := range tests {
		if pair[0].Digest() == pair[1].Digest() {
			t.Errorf("changing the %s did not change the digest", name)
		}
	}
}

// TestDigestStable pins the digests of plain contents, as herald has always
// computed them: a change would show every delivery already sent as changed.
func TestDigestStable(t *testing.T) {
	tests := []struct {
		c    Content
		want Digest
	}{
		{Content{Type: Text, Body: "hello"}, "2b6d701fea2447968ad008d1c8ef0dfcb12f8401df001b5626378c1de5cb82da"},
		{Content{Type: Template, TemplateName: "release", Language: "en", Params: []Param{{"version", "v1"}}},
			"f3c88e14f80e179216728d99a9c4bd330754cac27375fb442fdf54629dfeb91c"},
	}
	for _, tt := range tests {
		if got := tt.c.Digest(); got != tt.want {
			t.Errorf("%+v: %s, want %s", tt.c, got, tt.want)
		}
	}
}
