package web

import "net/http"

// A notice is the success message a page shows after a change, asked for by the redirect with
// ?notice=key. Each area declares the keys it knows in one noticeSet, and a page shows only
// those, so a link cannot make it say anything else.
type noticeSet map[string]string

// with is the union of ns and more; more's message wins for a key both have.
func (ns noticeSet) with(more noticeSet) noticeSet {
	out := make(noticeSet, len(ns)+len(more))
	for k, v := range ns {
		out[k] = v
	}
	for k, v := range more {
		out[k] = v
	}
	return out
}

// showNotice fills p.Message from the request's ?notice= when set knows it; a notice that
// reports a failure (failureNotices) fills p.Alert instead, shown as an error.
func showNotice(p *page, r *http.Request, set noticeSet) {
	if key, ok := set[r.URL.Query().Get("notice")]; ok {
		if failureNotices[key] {
			p.Alert = p.L.T(key)
		} else {
			p.Message = p.L.T(key)
		}
	}
}

// failureNotices are the catalog keys of notices that say something did not work, though the
// request that led to them succeeded in part (a translation made, its machine filling failed):
// they are shown as errors, never as successes.
var failureNotices = map[string]bool{
	"translate.notice.mt_failed": true,
}

// adminNotices are the notices of the register's and the accounts' pages.
var adminNotices = noticeSet{
	"saved":     "admin.notice.saved",
	"created":   "admin.notice.created",
	"deleted":   "admin.notice.deleted",
	"uploaded":  "admin.notice.uploaded",
	"home_city": "admin.notice.home_city",
	"claim":     "admin.notice.claim",
	"role":      "admin.users.notice.role",
	"disabled":  "admin.users.notice.disabled",
	"enabled":   "admin.users.notice.enabled",
}

// exchangeNotices are the notices of the exchange programme's pages: the register's, and the
// checklist's.
var exchangeNotices = adminNotices.with(noticeSet{
	"checklist": "admin.checklist.notice.saved",
	"standard":  "admin.checklist.notice.standard",
})
