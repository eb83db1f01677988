package web

import (
	"cmp"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"sistercity/internal/i18n"
)

// Pagination and search of the admin's lists. A list page reads its position and search with
// readList, counts what matches, makes a pager (which settles the page within bounds) and
// fetches pg.Size rows from pg.Offset. Any page number a link or a person can type lands on a
// real page: missing, zero, negative or not a number gives the first, past the end (or too
// large to parse) the last.

// maxSearchRunes bounds the search text: longer text matches nothing a person meant.
const maxSearchRunes = 100

// maxPage bounds the page number taken as asked, so an offset cannot overflow; a larger one
// is the last page.
const maxPage = 1 << 20

// adminListSize is the rows a page of an admin list shows.
const adminListSize = 25

// listQuery is a list page's requested position and search text.
type listQuery struct {
	page int  // as asked, ≥ 1; pager bounds it by the count
	last bool // the asked page was too large to parse: the last one
	size int
	Q    string // trimmed search text, "" for none
}

// readList reads ?page= and ?q= for a list of size rows a page.
func readList(r *http.Request, size int) listQuery {
	qv := r.URL.Query()
	// Control characters and broken UTF-8 are no one's search, and PostgreSQL refuses NUL.
	q := strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(qv.Get("q"), ""))
	lq := listQuery{page: 1, size: size, Q: strings.TrimSpace(q)}
	if n, err := strconv.Atoi(strings.TrimSpace(qv.Get("page"))); err == nil && n > maxPage {
		lq.last = true
	} else if err == nil && n > 1 {
		lq.page = n
	} else if errors.Is(err, strconv.ErrRange) && !strings.HasPrefix(strings.TrimSpace(qv.Get("page")), "-") {
		lq.last = true
	}
	if utf8.RuneCountInString(lq.Q) > maxSearchRunes {
		lq.Q = string([]rune(lq.Q)[:maxSearchRunes])
	}
	return lq
}

// offset is the first row of the page as asked, before the count bounds it.
func (lq listQuery) offset() int {
	if lq.last {
		return maxPage * lq.size
	}
	return (lq.page - 1) * lq.size
}

// pager is one page of a list as the page template shows it: what is shown of how many, and
// the links to the others, which keep the page's other query parameters (filters, search).
type pager struct {
	Page, Pages, Size, Total int
	Offset                   int
	Summary                  string // "Showing 21–40 of 95", "" when nothing is shown
	Prev, Next               string // links, "" at either end
	Links                    []pageLink
}

// pageLink is one numbered link of a pager; Gap stands for the pages left out between.
type pageLink struct {
	N       int
	Href    string
	Current bool
	Gap     bool
}

// newPager bounds lq's page by total and makes the links for r's page.
func newPager(l *i18n.Localizer, r *http.Request, lq listQuery, total int) pager {
	size := max(lq.size, 1)
	pg := pager{Size: size, Total: max(total, 0)}
	pg.Pages = max((pg.Total+size-1)/size, 1)
	pg.Page = min(lq.page, pg.Pages)
	if lq.last {
		pg.Page = pg.Pages
	}
	pg.Offset = (pg.Page - 1) * size
	if pg.Total > 0 {
		to := min(pg.Offset+size, pg.Total)
		pg.Summary = l.N("list.showing", pg.Total, "from", pg.Offset+1, "to", to)
	}
	href := func(n int) string {
		q := r.URL.Query()
		q.Del("notice") // a notice belongs to the redirect that asked for it, not to paging
		if n > 1 {
			q.Set("page", strconv.Itoa(n))
		} else {
			q.Del("page")
		}
		return pageHref(r.URL.Path, q)
	}
	if pg.Page > 1 {
		pg.Prev = href(pg.Page - 1)
	}
	if pg.Page < pg.Pages {
		pg.Next = href(pg.Page + 1)
	}
	if pg.Pages > 1 {
		// The first, the last and two either side of the current page; gaps between.
		prev := 0
		for n := 1; n <= pg.Pages; n++ {
			if n != 1 && n != pg.Pages && (n < pg.Page-2 || n > pg.Page+2) {
				continue
			}
			if prev != 0 && n > prev+1 {
				pg.Links = append(pg.Links, pageLink{Gap: true})
			}
			pg.Links = append(pg.Links, pageLink{N: n, Href: href(n), Current: n == pg.Page})
			prev = n
		}
	}
	return pg
}

// pageHref is path with the query q, sorted by name so that links compare equal.
func pageHref(path string, q url.Values) string {
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

// searchHidden lists r's query parameters a search form carries along unchanged: the filters,
// not the page (a new search starts on the first), the search itself or a notice.
func searchHidden(r *http.Request) []option {
	var out []option
	for k, vs := range r.URL.Query() {
		if k == "page" || k == "q" || k == "notice" {
			continue
		}
		for _, v := range vs {
			out = append(out, option{Value: v, Label: k})
		}
	}
	slices.SortFunc(out, func(a, b option) int {
		return cmp.Or(cmp.Compare(a.Label, b.Label), cmp.Compare(a.Value, b.Value))
	})
	return out
}

// listView is what a list page's search form and pager show.
type listView struct {
	Q         string
	Hidden    []option
	ClearHref string // the list without the search
	Pager     pager
}

func newListView(l *i18n.Localizer, r *http.Request, lq listQuery, total int) listView {
	q := r.URL.Query()
	q.Del("q")
	q.Del("page")
	q.Del("notice")
	return listView{Q: lq.Q, Hidden: searchHidden(r), ClearHref: pageHref(r.URL.Path, q), Pager: newPager(l, r, lq, total)}
}

// pageRows is the part of rows the pager shows, for lists settled in Go (sorted by the
// reader's collation, or filtered by rules SQL does not hold): the register's cities and
// partnerships, activities, a video's tracks, the translations.
func pageRows[T any](rows []T, pg pager) []T {
	if pg.Offset >= len(rows) {
		return nil
	}
	return rows[pg.Offset:min(pg.Offset+pg.Size, len(rows))]
}
