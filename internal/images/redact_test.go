package images

import (
	"strings"
	"testing"
)

func TestRedactor(t *testing.T) {
	var r redactor
	r.add("hunter2-password", "", "ab")
	msg := r.clean(`GET https://bob:hunter2-password@registry.example/v2/: Authorization: Basic Ym9iOmh1bnRlcjI= and token hunter2-password`)
	for _, leak := range []string{"hunter2-password", "bob:", "Ym9iOmh1bnRlcjI="} {
		if strings.Contains(msg, leak) {
			t.Errorf("%q leaks %q", msg, leak)
		}
	}
	if !strings.Contains(msg, "https://registry.example/v2/") {
		t.Errorf("%q: the URL without user-info should stay", msg)
	}
}
