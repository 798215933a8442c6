package engine

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/heraldhq/herald/internal/delivery"
	"github.com/heraldhq/herald/internal/plans"
	"github.com/heraldhq/herald/internal/states"
)

// TestApplyKeepsContents: apply keeps what non-sensitive messages rendered,
// once per digest, and never sensitive content; a later plan of changed
// content carries what was sent, for the views' diffs.
func TestApplyKeepsContents(t *testing.T) {
	st := states.New("L")
	a := instance("a", "", 3, "hello")
	secret := instance("secret", "", 2, "code 1234")
	secret.Sensitive = true
	p := planFor(t, st, a, secret)
	_, diags := Apply(context.Background(), p, st, &memJournal{}, ApplyOptions{
		Providers: map[string]Provider{"kaleyra": {Sender: &fakeSender{}, RecipientsPerRequest: 1}},
	})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	want := map[delivery.Digest]delivery.Content{a.Digest: a.Content}
	if diff := cmp.Diff(want, st.Contents); diff != "" {
		t.Errorf("contents kept (-want +got):\n%s", diff)
	}

	changed := instance("a", "", 3, "hello, world")
	changedSecret := instance("secret", "", 2, "code 9999")
	changedSecret.Sensitive = true
	p = planFor(t, st, changed, changedSecret)
	if s := p.Summary(); s.Changed != 5 {
		t.Fatalf("re-plan: %+v, want 5 changed", s)
	}
	if diff := cmp.Diff(want, p.PriorContents); diff != "" {
		t.Errorf("the plan's prior contents (-want +got):\n%s", diff)
	}
	for _, ic := range p.Instances {
		for _, c := range ic.Changes {
			if c.Action != plans.Changed {
				t.Errorf("%s %s: %s, want changed", ic.Instance.Address, c.Recipient, c.Action)
			}
		}
	}
}
