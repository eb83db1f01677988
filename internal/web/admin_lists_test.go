package web

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"sistercity/internal/auth"
	"sistercity/internal/register"
	"sistercity/internal/video"
)

// TestAdminListsPageAndSearch: the admin's lists show a page at a time whatever page number is
// asked, keep the search in their links, and search names in every language case-insensitively,
// where %, _ and quotes are only themselves — the same on SQLite and PostgreSQL.
func TestAdminListsPageAndSearch(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	admin := e.userClient(auth.RoleAdmin)
	ctx := context.Background()
	var videoID int64
	names := []string{"100% Busan", "Busan_Jin", "O'Brien \"Town\""}
	for i := range 30 {
		names = append(names, fmt.Sprintf("Match %02d", i))
	}
	e.inTx(func(tx *sql.Tx) error {
		for _, n := range names {
			if err := register.CreateCity(ctx, tx, &register.City{Country: "KR", Kind: register.KindCity,
				Texts: []register.Text{{Lang: "en", Name: n}}}); err != nil {
				return err
			}
		}
		if err := register.CreateCity(ctx, tx, &register.City{Country: "RU", Kind: register.KindCity,
			Texts: []register.Text{{Lang: "en", Name: "Saint Petersburg"}, {Lang: "ru", Name: "Санкт-Петербург"}}}); err != nil {
			return err
		}
		for i := range 30 {
			if _, err := auth.CreateUser(ctx, tx, fmt.Sprintf("user%02d", i), fmt.Sprintf("Пользователь %02d", i), testPassword, auth.RoleViewer); err != nil {
				return err
			}
			v := &video.Video{OriginalLang: "en", State: video.StateDraft,
				Texts: []video.Text{{Lang: "en", Title: fmt.Sprintf("Message %02d", i)}, {Lang: "ru", Title: fmt.Sprintf("Послание %02d", i)}}}
			if err := video.Create(ctx, tx, v); err != nil {
				return err
			}
			videoID = v.ID
		}
		return nil
	})

	get := func(path string) string {
		t.Helper()
		resp, body := admin.get(path)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d\n%s", path, resp.StatusCode, body)
		}
		return body
	}
	search := func(path, q string) string { return get(path + "?q=" + url.QueryEscape(q)) }

	// Pages of the cities: 34 in all.
	for _, tt := range []struct{ page, current, shows string }{
		{"", "1", "Showing 1–25 of 34 entries"}, {"0", "1", "Showing 1–25"}, {"-1", "1", "Showing 1–25"},
		{"x", "1", "Showing 1–25"}, {"2", "2", "Showing 26–34 of 34 entries"}, {"3", "2", "Showing 26–34"},
		{"1048577", "2", "Showing 26–34"}, {"99999999999999999999", "2", "Showing 26–34"},
	} {
		body := get("/admin/cities?page=" + url.QueryEscape(tt.page))
		if m := currentPageRe.FindStringSubmatch(body); m == nil || m[1] != tt.current || !strings.Contains(body, tt.shows) {
			t.Errorf("cities page=%q: current %v, want %s showing %q", tt.page, m, tt.current, tt.shows)
		}
	}

	for _, tt := range []struct {
		q    string
		want []string
		not  []string
	}{
		{"%", []string{"100% Busan"}, []string{"Busan_Jin", "Match 01"}},
		{"_", []string{"Busan_Jin"}, []string{"100% Busan", "Match 01"}},
		{"BUSAN", []string{"100% Busan", "Busan_Jin"}, []string{"Match 01"}},
		{"'", []string{"O&#39;Brien"}, []string{"Busan_Jin"}},
		{`"town"`, []string{"O&#39;Brien"}, []string{"Busan_Jin"}},
		{"санкт", []string{"Saint Petersburg"}, []string{"Busan_Jin"}},
		{"ПЕТЕРБУРГ", []string{"Saint Petersburg"}, []string{"Busan_Jin"}},
		{`\`, []string{"Nothing matches"}, nil},
		{strings.Repeat("x", 500), []string{"Nothing matches"}, nil},
	} {
		body := search("/admin/cities", tt.q)
		// The table only: the home city's choice keeps every city.
		if i, j := strings.Index(body, "<tbody>"), strings.Index(body, "</tbody>"); i >= 0 && j > i {
			body = body[i:j]
		} else {
			body = body[strings.Index(body, "<main"):]
		}
		for _, w := range tt.want {
			if !strings.Contains(body, w) {
				t.Errorf("cities q=%.20q: %q not found", tt.q, w)
			}
		}
		for _, w := range tt.not {
			if strings.Contains(body, ">"+w) {
				t.Errorf("cities q=%.20q: %q found", tt.q, w)
			}
		}
	}

	// The search stays in the pager's links; a new search starts on the first page.
	body := get("/admin/cities?q=match&page=2")
	if !strings.Contains(body, "Showing 26–30 of 30 entries") || !strings.Contains(body, `href="/admin/cities?q=match" rel="prev"`) {
		t.Errorf("cities q=match page 2: pager lost the search")
	}
	if strings.Contains(body, `name="page"`) {
		t.Errorf("the search form carries the page along")
	}

	// Users by name or display name, in Cyrillic too; videos by title in any language.
	if body := search("/admin/users", "ПОЛЬЗОВАТЕЛЬ 1"); !strings.Contains(body, "Showing 1–10 of 10 entries") || !strings.Contains(body, "user15") {
		t.Errorf("users searched by display name")
	}
	if body := get("/admin/users?page=2"); !strings.Contains(body, "Showing 26–31 of 31 entries") {
		t.Errorf("users page 2")
	}
	if body := search("/admin/videos", "послание 2"); !strings.Contains(body, "Showing 1–10 of 10 entries") {
		t.Errorf("videos searched by the Russian title")
	}
	if body := get("/admin/videos?page=999"); !strings.Contains(body, "Showing 26–30 of 30 entries") || !strings.Contains(body, "Message 00") {
		t.Errorf("videos past the end: not the last page")
	}
	if body := search("/admin/translations", "%_'"); strings.Contains(body, "Showing") {
		t.Errorf("translations: %%_' matched something")
	}

	// Every list answers any page and search without failing.
	for _, path := range []string{"/admin/cities", "/admin/partnerships", "/admin/activities", "/admin/videos",
		"/admin/translations", "/admin/users", "/admin/audit", "/admin/videos/" + itoa64(videoID) + "/tracks"} {
		for _, q := range []string{"page=0", "page=-5", "page=abc", "page=99999999999999999999999", "q=%25_%27%22%5C", "q=%00", "q=%FF%FE", "q=a%00b"} {
			get(path + "?" + q)
		}
	}
}
