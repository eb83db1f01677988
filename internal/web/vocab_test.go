package web

import (
	"net/http"
	"strings"
	"testing"
)

// TestPartnerPageTextsPerLanguage: the place of signing is shown in the page's language; a
// page in a language it lacks shows the fallback with its lang and a marker naming it.
func TestPartnerPageTextsPerLanguage(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	_, partner, _ := seedVladivostok(t, e) // signed in "Vladivostok" (en) and "Владивосток" (ru)
	c := e.client()
	_, ru := c.get("/ru/partners/" + itoa64(partner.ID))
	if !strings.Contains(ru, "<dd>Владивосток</dd>") {
		t.Errorf("/ru/: the place of signing is not the Russian text")
	}
	resp, ko := c.get("/ko/partners/" + itoa64(partner.ID))
	if resp.StatusCode != http.StatusOK || !strings.Contains(ko, `<dd><span lang="en">Vladivostok</span> <span class="lang-marker">영어</span></dd>`) {
		t.Errorf("/ko/: the English fallback is not marked:\n%s", ko)
	}
}
