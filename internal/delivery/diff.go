package delivery

// FieldChange is one field of a Content that differs between what was
// sent and what the configuration gives now, named as the configuration
// and the JSON plan name it ("body", "params.version"). Before or After is
// absent (Had or Has false) for a template parameter only one side has.
type FieldChange struct {
	Field  string
	Before string
	After  string
	Had    bool
	Has    bool
}

// Diff lists the fields in which after differs from before, in Content's
// field order, template parameters by name in after's order, then those
// only before had.
func Diff(before, after Content) []FieldChange {
	var out []FieldChange
	field := func(name, b, a string) {
		if a != b {
			out = append(out, FieldChange{Field: name, Before: b, After: a, Had: b != "", Has: a != ""})
		}
	}
	field("type", string(before.Type), string(after.Type))
	field("body", before.Body, after.Body)
	field("template_name", before.TemplateName, after.TemplateName)
	field("language", before.Language, after.Language)
	old := make(map[string]string, len(before.Params))
	for _, p := range before.Params {
		old[p.Name] = p.Value
	}
	now := make(map[string]bool, len(after.Params))
	for _, p := range after.Params {
		now[p.Name] = true
		b, had := old[p.Name]
		if !had || b != p.Value {
			out = append(out, FieldChange{Field: "params." + p.Name, Before: b, After: p.Value, Had: had, Has: true})
		}
	}
	for _, p := range before.Params {
		if !now[p.Name] {
			out = append(out, FieldChange{Field: "params." + p.Name, Before: p.Value, Had: true})
		}
	}
	if len(out) == 0 && !sameParamOrder(before.Params, after.Params) {
		out = append(out, FieldChange{Field: "params", Before: paramNames(before.Params), After: paramNames(after.Params), Had: true, Has: true})
	}
	field("media_url", before.MediaURL, after.MediaURL)
	field("caption", before.Caption, after.Caption)
	field("header", before.Header, after.Header)
	field("header_text", before.HeaderText, after.HeaderText)
	field("button_url", before.ButtonURL, after.ButtonURL)
	return out
}

func sameParamOrder(a, b []Param) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name {
			return false
		}
	}
	return true
}

// paramNames renders the order of params, for a change of order alone.
func paramNames(params []Param) string {
	s := ""
	for i, p := range params {
		if i > 0 {
			s += ", "
		}
		s += p.Name
	}
	return s
}
