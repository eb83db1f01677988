package web

import (
	"net/http/httptest"
	"testing"

	"sistercity/internal/i18n"
)

// TestShowNotice: a page shows the notices of its area's set, the register's on the exchange's
// pages too, and nothing for a key its set does not know.
func TestShowNotice(t *testing.T) {
	t.Parallel()
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	l := cat.Localizer("en")
	for _, c := range []struct {
		set    noticeSet
		notice string
		want   string
	}{
		{adminNotices, "saved", l.T("admin.notice.saved")},
		{exchangeNotices, "saved", l.T("admin.notice.saved")},
		{exchangeNotices, "checklist", l.T("admin.checklist.notice.saved")},
		{adminNotices, "checklist", ""},
		{adminNotices, "<script>", ""},
	} {
		p := &page{L: l}
		showNotice(p, httptest.NewRequest("GET", "/admin/x?notice="+c.notice, nil), c.set)
		if p.Message != c.want {
			t.Errorf("notice %q: %q, want %q", c.notice, p.Message, c.want)
		}
	}
}
