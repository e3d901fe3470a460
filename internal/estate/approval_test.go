package estate

import (
	"strings"
	"testing"
	"time"
)

// TestWaiverPayload: the payload binds the waiver to its owner, is the
// same for the same instant in any zone, and leaves the signature out.
func TestWaiverPayload(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	w := Waiver{
		ID: "bf", Policy: "freeze.window-active", Scope: WaiverScope{Window: "black-friday-2026"},
		Reason: "scale for the peak", Ticket: "OPS-1", Approver: "cto@acme.example",
		Expires: time.Date(2026, 11, 25, 18, 0, 0, 0, paris), BreakGlass: true,
	}
	got := string(WaiverPayload("acme", w))
	want := `{"schema":"palisade.io/waiver/v1","owner":"tenant/acme","id":"bf","policy":"freeze.window-active","scope":{"window":"black-friday-2026"},"reason":"scale for the peak","ticket":"OPS-1","approver":"cto@acme.example","expires":"2026-11-25T17:00:00Z","breakGlass":true}` + "\n"
	if got != want {
		t.Errorf("payload\n%s\nwant\n%s", got, want)
	}
	utc := w
	utc.Expires = w.Expires.UTC()
	utc.Signature, utc.NotApproved = "MEUCIQ==", "not approved"
	if string(WaiverPayload("acme", utc)) != got {
		t.Error("the payload depends on the expiry's zone, the signature or the approval state")
	}
	if p := string(WaiverPayload("", w)); !strings.Contains(p, `"owner":"platform"`) || p == got {
		t.Errorf("a platform waiver's payload %s is not bound to the platform", p)
	}
	if WaiverPayload("globex", w) == nil || string(WaiverPayload("globex", w)) == got {
		t.Error("another tenant's waiver of the same content has the same payload: a signature could be replayed")
	}
}
