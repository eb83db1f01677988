package web

import (
	"context"
	"database/sql"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/korean"

	"sistercity/internal/auth"
	"sistercity/internal/subtitle"
	"sistercity/internal/track"
	"sistercity/internal/video"
)

// encode turns UTF-8 text into a legacy encoding, as the files of the issue come.
func encode(t *testing.T, enc encoding.Encoding, s string) []byte {
	t.Helper()
	b, err := enc.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// busanSAMI is a SAMI file with a Korean and an English class, as Korean offices make them.
const busanSAMI = `<SAMI>
<HEAD>
<STYLE TYPE="text/css">
<!--
.KRCC { Name:한국어; lang:ko-KR; SAMIType:CC; }
.ENCC { Name:English; lang:en-US; SAMIType:CC; }
-->
</STYLE>
</HEAD>
<BODY>
<SYNC Start=200><P Class=KRCC>블라디보스토크 시민 여러분, 안녕하세요
<SYNC Start=200><P Class=ENCC>Hello, people of Vladivostok
<SYNC Start=1000><P Class=KRCC>부산이 응원합니다
<SYNC Start=1000><P Class=ENCC>Busan is with you
<SYNC Start=1800><P Class=KRCC>&nbsp;
<SYNC Start=1800><P Class=ENCC>&nbsp;
</BODY>
</SAMI>
`

// vladivostokSRT is a Russian SubRip file, saved in Windows-1251 as Russian editors do.
const vladivostokSRT = "1\r\n00:00:00,200 --> 00:00:01,000\r\nДорогие жители Пусана!\r\n\r\n" +
	"2\r\n00:00:01,000 --> 00:00:01,900\r\nВладивосток поддерживает вас.\r\n\r\n"

// draftVideo records a 2 s video without processing it: enough for the admin's track pages.
func draftVideo(t *testing.T, e *testEnv) *video.Video {
	t.Helper()
	v := &video.Video{OriginalLang: "ru", State: video.StateDraft, Texts: []video.Text{ruOnly}}
	v.Normalize()
	e.inTx(func(tx *sql.Tx) error {
		if err := video.Create(context.Background(), tx, v); err != nil {
			return err
		}
		// As if processed: the reports check cues against the video's length.
		_, err := tx.Exec("UPDATE videos SET duration_ms = $1 WHERE id = $2", 2000, v.ID)
		return err
	})
	v.Duration = 2 * time.Second
	return v
}

// addTrack stores a track of videoID with the given cues text (one cue a line, a second each).
func addTrack(t testing.TB, e *testEnv, videoID int64, lang, status string, def bool, lines ...string) *track.Track {
	t.Helper()
	st := &subtitle.Track{Language: lang, Kind: subtitle.KindSubtitles}
	for i, l := range lines {
		c := subtitle.NewCue()
		c.Start, c.End, c.Text = time.Duration(i)*time.Second/2, time.Duration(i+1)*time.Second/2, l
		st.Cues = append(st.Cues, c)
	}
	tr := &track.Track{VideoID: videoID, Lang: lang, Kind: subtitle.KindSubtitles, Default: def, Status: status, Origin: "test"}
	if err := tr.SetCues(st); err != nil {
		t.Fatal(err)
	}
	if err := tr.Validate(); err != nil {
		t.Fatal(err)
	}
	e.inTx(func(tx *sql.Tx) error { return track.Create(context.Background(), tx, tr) })
	return tr
}

var tokenRe = regexp.MustCompile(`name="token" value="([0-9a-f]{32})"`)

// importFile runs both steps of an import and returns the video's tracks afterwards.
func importFile(t *testing.T, c *client, videoID int64, name string, data []byte, confirm url.Values) []*track.Track {
	t.Helper()
	base := "/admin/videos/" + itoa64(videoID) + "/tracks/import"
	resp, body := c.postFile(base, nil, name, data)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("preview of %s: %d\n%s", name, resp.StatusCode, body)
	}
	m := tokenRe.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("preview of %s has no token:\n%s", name, body)
	}
	confirm.Set("token", m[1])
	confirm.Set("filename", name)
	resp, body = c.post(base+"/confirm", confirm)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirm %s: %d\n%s", name, resp.StatusCode, body)
	}
	list, err := track.ForVideo(context.Background(), c.e.db.R, videoID, false)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// TestTrackImportKoreanSAMIAndRussianSRT is the "must show": a CP949 SAMI file with a
// Korean and an English class becomes two tracks, and a Windows-1251 SRT a Russian one, with
// the right text, through the admin over HTTP.
func TestTrackImportKoreanSAMIAndRussianSRT(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	v := draftVideo(t, e)
	c := e.userClient(auth.RoleEditor)
	c.lang = "en"

	smi := encode(t, korean.EUCKR, busanSAMI)
	resp, body := c.postFile("/admin/videos/"+itoa64(v.ID)+"/tracks/import", nil, "busan.smi", smi)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("preview: %d\n%s", resp.StatusCode, body)
	}
	for _, want := range []string{"SAMI", "Korean (CP949/EUC-KR)", "블라디보스토크 시민 여러분, 안녕하세요", "Hello, people of Vladivostok",
		"The file holds 2 tracks.", `name="lang_0" value="ko-KR"`, `name="lang_1" value="en-US"`} {
		if !strings.Contains(body, want) {
			t.Errorf("preview lacks %q", want)
		}
	}
	if n := e.countRows("subtitle_tracks"); n != 0 {
		t.Fatalf("the preview saved %d tracks", n)
	}
	list := importFile(t, c, v.ID, "busan.smi", smi, url.Values{"lang_0": {"ko"}, "kind_0": {"subtitles"}, "label_0": {"한국어"},
		"default_0": {"1"}, "lang_1": {"en"}, "kind_1": {"captions"}, "label_1": {"English"}})
	if len(list) != 2 {
		t.Fatalf("%d tracks, want 2", len(list))
	}
	byLang := map[string]*track.Track{}
	for _, tr := range list {
		byLang[tr.Lang] = tr
	}
	ko, en := byLang["ko"], byLang["en"]
	if ko == nil || en == nil {
		t.Fatalf("tracks: %+v", list)
	}
	if !strings.Contains(ko.PlainText, "블라디보스토크 시민 여러분, 안녕하세요") || !strings.Contains(ko.PlainText, "부산이 응원합니다") ||
		ko.CueCount != 2 || !ko.Default || ko.Status != track.StatusDraft || ko.Label != "한국어" {
		t.Errorf("Korean track: %+v", ko)
	}
	if !strings.Contains(en.PlainText, "Busan is with you") || en.Kind != subtitle.KindCaptions {
		t.Errorf("English track: %+v", en)
	}
	if !strings.Contains(ko.Origin, "busan.smi") || !strings.Contains(ko.Origin, "cp949") {
		t.Errorf("origin %q", ko.Origin)
	}

	srt := encode(t, charmap.Windows1251, vladivostokSRT)
	list = importFile(t, c, v.ID, "vladivostok.srt", srt, url.Values{"lang_0": {"ru"}, "kind_0": {"subtitles"}, "label_0": {"Русский"}})
	var ru *track.Track
	for _, tr := range list {
		if tr.Lang == "ru" {
			ru = tr
		}
	}
	if ru == nil || !strings.Contains(ru.PlainText, "Дорогие жители Пусана!") || !strings.Contains(ru.PlainText, "Владивосток поддерживает вас.") {
		t.Fatalf("Russian track: %+v", ru)
	}
	// The tracks page shows them, with their reports and export links.
	_, page := c.get("/admin/videos/" + itoa64(v.ID) + "/tracks")
	for _, want := range []string{"Korean", "Russian", "/admin/tracks/" + itoa64(ru.ID) + "/export/srt", "/admin/videos/" + itoa64(v.ID) + "/streams",
		"/admin/videos/" + itoa64(v.ID) + "/versions", "/admin/tracks/" + itoa64(ru.ID) + "/edit"} {
		if !strings.Contains(page, want) {
			t.Errorf("tracks page lacks %q", want)
		}
	}
	// The upload was only kept until the confirmation.
	if _, err := e.srv.docs.Open(context.Background(), trackImportKey(v.ID, "00000000000000000000000000000000")); err == nil {
		t.Errorf("a made-up token opened a file")
	}
}

// TestTrackImportEncodingOverride reads a file in a wrong encoding first, then in the right one
// chosen on the preview, and imports it in that one.
func TestTrackImportEncodingOverride(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	v := draftVideo(t, e)
	c := e.userClient(auth.RoleEditor)
	c.lang = "ru"
	srt := encode(t, charmap.Windows1251, vladivostokSRT)
	base := "/admin/videos/" + itoa64(v.ID) + "/tracks/import"
	resp, body := c.postFile(base, map[string]string{"encoding": "koi8-r"}, "message.srt", srt)
	if resp.StatusCode != http.StatusOK || strings.Contains(body, "Дорогие жители") || !strings.Contains(body, "Кириллица (KOI8-R)") {
		t.Fatalf("read as KOI8-R: %d\n%s", resp.StatusCode, body)
	}
	token := tokenRe.FindStringSubmatch(body)[1]
	resp, body = c.post(base, url.Values{"token": {token}, "filename": {"message.srt"}, "encoding": {"windows-1251"}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Дорогие жители Пусана!") || !strings.Contains(body, "Кириллица (Windows-1251)") {
		t.Fatalf("read again as Windows-1251: %d\n%s", resp.StatusCode, body)
	}
	resp, body = c.post(base+"/confirm", url.Values{"token": {token}, "filename": {"message.srt"}, "encoding": {"windows-1251"},
		"lang_0": {"ru"}, "kind_0": {"subtitles"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirm: %d\n%s", resp.StatusCode, body)
	}
	list, _ := track.ForVideo(context.Background(), e.db.R, v.ID, false)
	if len(list) != 1 || !strings.Contains(list[0].PlainText, "Дорогие жители Пусана!") {
		t.Fatalf("imported: %+v", list)
	}
	// The kept file is gone once imported.
	resp, body = c.post(base+"/confirm", url.Values{"token": {token}, "filename": {"message.srt"}, "lang_0": {"ru"}})
	if resp.StatusCode != http.StatusGone || !strings.Contains(body, "загрузите его снова") {
		t.Errorf("second confirm: %d", resp.StatusCode)
	}
}

// TestTrackImportBadInput sends what the issue lists as bad input: each gets a 4xx with a
// message in the user's language (with the line where there is one), nothing is saved, and
// nothing answers 500.
func TestTrackImportBadInput(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	v := draftVideo(t, e)
	c := e.userClient(auth.RoleEditor)
	c.lang = "en"
	garbage := make([]byte, 4096)
	for i := range garbage {
		garbage[i] = byte(i * 7 % 256)
	}
	base := "/admin/videos/" + itoa64(v.ID) + "/tracks/import"
	cases := []struct {
		name, file string
		data       []byte
		fields     map[string]string
		status     int
		want       string
	}{
		{"binary", "clip.srt", garbage, nil, http.StatusUnprocessableEntity, "binary data"},
		{"nul bytes only", "nul.srt", make([]byte, 2000), nil, http.StatusUnprocessableEntity, "No cue could be read"},
		{"empty", "empty.srt", nil, nil, http.StatusUnprocessableEntity, "The file is empty."},
		{"no cues", "notes.srt", []byte("just some words\nand more words\n"), nil, http.StatusUnprocessableEntity, "No cue could be read"},
		{"unknown format", "notes.doc", []byte("just some words\n"), nil, http.StatusUnprocessableEntity, "The format is not recognised"},
		{"unterminated TTML", "broken.ttml", []byte("<?xml version=\"1.0\"?>\n<tt xmlns=\"http://www.w3.org/ns/ttml\">\n<body><div>\n<p begin=\"00:00:01.000\" end=\"00:00:02.000\">Hi\n"),
			nil, http.StatusUnprocessableEntity, "Line "},
		{"doctype", "evil.ttml", []byte("<?xml version=\"1.0\"?>\n<!DOCTYPE tt [<!ENTITY a \"aaaa\">]>\n<tt xmlns=\"http://www.w3.org/ns/ttml\"><body><div><p begin=\"0s\" end=\"1s\">&a;</p></div></body></tt>"),
			nil, http.StatusUnprocessableEntity, "DOCTYPE"},
		{"unknown encoding", "message.srt", []byte(vladivostokSRT), map[string]string{"encoding": "ebcdic"}, http.StatusUnprocessableEntity, "Unknown character encoding."},
		{"over the limit", "huge.srt", make([]byte, maxSubtitleBytes+1), nil, http.StatusRequestEntityTooLarge, "larger than 10 MB"},
		{"over the request limit", "huger.srt", make([]byte, 30<<20), nil, http.StatusRequestEntityTooLarge, "The upload is too large."},
	}
	for _, tc := range cases {
		resp, body := c.postFile(base, tc.fields, tc.file, tc.data)
		if resp.StatusCode != tc.status || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d, want %d with %q\n%.2000s", tc.name, resp.StatusCode, tc.status, tc.want, body)
		}
	}
	// Without a file, and with a token that was never given out.
	if resp, _ := c.post(base, url.Values{}); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("no file: %d", resp.StatusCode)
	}
	for _, token := range []string{"../../etc/passwd", "0123456789abcdef0123456789abcdef"} {
		if resp, _ := c.post(base+"/confirm", url.Values{"token": {token}, "filename": {"x.srt"}}); resp.StatusCode != http.StatusGone {
			t.Errorf("token %q: %d", token, resp.StatusCode)
		}
	}
	// A file that loads with problems: its preview reports them by cue and line (a cue out of
	// order and one past 24 hours), and a bad language blocks the confirmation.
	odd := "1\n00:00:01,000 --> 00:00:01,800\nSecond\n\n2\n00:00:00,200 --> 00:00:00,900\nFirst\n\n" +
		"3\n25:00:00,000 --> 25:00:01,000\nTomorrow\n\n4\n00:00:01,000 --> 00:00:01,000\nNever\n"
	resp, body := c.postFile(base, map[string]string{"lang": "en"}, "odd.srt", []byte(odd))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("odd file: %d\n%s", resp.StatusCode, body)
	}
	for _, want := range []string{"Cue 2, line 6: The cue starts before cue 1, which is above it.",
		"Cue 3, line 10: The cue starts after the end of the video.", "Cue 4, line 14: The cue has no duration and never shows."} {
		if !strings.Contains(body, want) {
			t.Errorf("report lacks %q:\n%s", want, body)
		}
	}
	token := tokenRe.FindStringSubmatch(body)[1]
	resp, body = c.post(base+"/confirm", url.Values{"token": {token}, "filename": {"odd.srt"}, "lang_0": {"not a tag!"}, "kind_0": {"subtitles"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Enter a language tag") {
		t.Errorf("bad language: %d\n%s", resp.StatusCode, body)
	}
	if n := e.countRows("subtitle_tracks"); n != 0 {
		t.Errorf("bad input saved %d tracks", n)
	}
	// In Korean, the same refusal is in Korean.
	c.lang = "ko"
	_, body = c.postFile(base, nil, "clip.srt", garbage)
	if !strings.Contains(body, "바이너리 데이터") {
		t.Errorf("Korean refusal missing")
	}
}

// hostileSRT tries to put markup on the pages that show subtitles.
const hostileSRT = "1\n00:00:00,100 --> 00:00:00,900\n<script>alert(1)</script>Hello\n\n" +
	"2\n00:00:01,000 --> 00:00:01,500\n<img src=x onerror=alert(2)><b onclick=\"alert(3)\">bold</b>\n\n" +
	"3\n00:00:01,500 --> 00:00:01,700\n</track></video><iframe src=javascript:alert(4)>\n\n" +
	"4\n00:00:01,700 --> 00:00:01,900\n1 < 2 & 3 > 2\n"

// TestTrackHostileCueText imports a hostile file: no tag or attribute of it reaches the stored
// WebVTT, the served file, the admin pages or the watch page.
func TestTrackHostileCueText(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	_, _, p := seedVladivostok(t, e)
	v := seedVideo(t, e, p, video.StatePublished, ruOnly)
	c := e.userClient(auth.RoleEditor)
	base := "/admin/videos/" + itoa64(v.ID) + "/tracks/import"
	resp, preview := c.postFile(base, nil, "hostile.en.srt", []byte(hostileSRT))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("preview: %d", resp.StatusCode)
	}
	list := importFile(t, c, v.ID, "hostile.en.srt", []byte(hostileSRT), url.Values{"lang_0": {"en"}, "kind_0": {"subtitles"}, "default_0": {"1"}})
	tr := list[0]
	e.inTx(func(tx *sql.Tx) error {
		if err := track.Submit(context.Background(), tx, track.Step{Track: tr, Version: tr.Version, At: fixedNow}); err != nil {
			return err
		}
		return track.Approve(context.Background(), tx, track.Step{Track: tr, Version: tr.Version, At: fixedNow})
	})
	// A label typed in the admin is text too.
	resp, _ = c.post("/admin/videos/"+itoa64(v.ID)+"/tracks/"+itoa64(tr.ID), url.Values{"lang": {"en"}, "kind": {"subtitles"},
		"label": {`"><script>alert(5)</script>`}, "default": {"1"}, "version": {itoa64(tr.Version)}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("label: %d", resp.StatusCode)
	}
	tr, _ = track.Get(context.Background(), e.db.R, tr.ID)
	_, vtt := e.client().get(trackURL(tr))
	_, admin := c.get("/admin/videos/" + itoa64(v.ID) + "/tracks")
	_, watch := e.client().get("/en/videos/" + itoa64(v.ID))
	for name, body := range map[string]string{"stored": tr.VTT, "served": vtt, "preview": preview, "admin": admin, "watch": watch} {
		for _, bad := range []string{"<script>alert", `"><script>`, "<img", "onerror=", "onclick=", "<iframe", "</track></video>"} {
			if strings.Contains(body, bad) {
				t.Errorf("%s contains %q", name, bad)
			}
		}
	}
	if !strings.Contains(vtt, "<b>bold</b>") || !strings.Contains(vtt, "1 &lt; 2 &amp; 3 &gt; 2") {
		t.Errorf("served WebVTT lost the allowed markup or the escapes:\n%s", vtt)
	}
	if !strings.Contains(watch, `label="&#34;&gt;&lt;script&gt;alert(5)&lt;/script&gt;"`) {
		t.Errorf("watch page lacks the escaped label")
	}
	if !strings.Contains(watch, "</span> Hello</button>") || !strings.Contains(watch, "</span> bold</button>") ||
		!strings.Contains(watch, "</span> 1 &lt; 2 &amp; 3 &gt; 2</button>") {
		t.Errorf("watch page transcript lacks the text shown as text")
	}
}

// TestTrackMediaServing serves approved tracks of public videos as WebVTT with an ETag, and
// nothing else.
func TestTrackMediaServing(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	_, _, p := seedVladivostok(t, e)
	v := seedVideo(t, e, p, video.StatePublished, ruOnly)
	approved := addTrack(t, e, v.ID, "ru", track.StatusApproved, true, "Дорогие жители Пусана!")
	draft := addTrack(t, e, v.ID, "ko", track.StatusDraft, false, "안녕하세요")
	hidden := draftVideo(t, e)
	unpublished := addTrack(t, e, hidden.ID, "ru", track.StatusApproved, false, "Секрет")
	c := e.client()
	resp, body := c.get(trackURL(approved))
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/vtt; charset=utf-8" ||
		!strings.HasPrefix(body, "WEBVTT") || !strings.Contains(body, "Дорогие жители Пусана!") {
		t.Fatalf("approved track: %d %q\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	etag := resp.Header.Get("ETag")
	if etag == "" || !strings.Contains(resp.Header.Get("Cache-Control"), "max-age") {
		t.Errorf("headers: %v", resp.Header)
	}
	req, _ := http.NewRequest("GET", e.ts.URL+trackURL(approved), nil)
	req.Header.Set("If-None-Match", etag)
	r2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	if r2.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: %d, want 304", r2.StatusCode)
	}
	for _, path := range []string{trackURL(draft), trackURL(unpublished), "/media/tracks/999999.vtt", "/media/tracks/abc.vtt",
		"/media/tracks/" + itoa64(approved.ID), "/media/tracks/" + itoa64(approved.ID) + ".srt"} {
		if resp, _ := c.get(path); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", path, resp.StatusCode)
		}
	}
}

// TestTrackExportRoundTrip downloads a track in each format and reads it back to the same cues.
func TestTrackExportRoundTrip(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	v := draftVideo(t, e)
	tr := addTrack(t, e, v.ID, "ko", track.StatusDraft, false, "부산 시민 여러분, 안녕하세요!", "함께 이겨 냅시다.", "<i>Busan</i> & Vladivostok")
	c := e.userClient(auth.RoleViewer)
	want, _ := tr.Cues()
	types := map[string]string{"srt": "application/x-subrip; charset=utf-8", "vtt": "text/vtt; charset=utf-8",
		"sbv": "text/plain; charset=utf-8", "ttml": "application/ttml+xml; charset=utf-8"}
	for format, ctype := range types {
		resp, body := c.get("/admin/tracks/" + itoa64(tr.ID) + "/export/" + format)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != ctype {
			t.Errorf("%s: %d %q", format, resp.StatusCode, resp.Header.Get("Content-Type"))
			continue
		}
		name := "video-" + itoa64(v.ID) + "-ko-" + itoa64(tr.ID) + "." + format
		if cd := resp.Header.Get("Content-Disposition"); !strings.Contains(cd, "attachment") || !strings.Contains(cd, name) {
			t.Errorf("%s: Content-Disposition %q", format, cd)
		}
		got, _, err := subtitle.Parse(name, []byte(body), subtitle.EncodingAuto)
		if err != nil {
			t.Errorf("%s does not read back: %v\n%s", format, err, body)
			continue
		}
		if len(got) != 1 || len(got[0].Cues) != len(want.Cues) {
			t.Errorf("%s: %d tracks", format, len(got))
			continue
		}
		for i, c := range got[0].Cues {
			w := want.Cues[i]
			if c.Start != w.Start || c.End != w.End || track.PlainCueText(c.Text) != track.PlainCueText(w.Text) {
				t.Errorf("%s cue %d: %v–%v %q, want %v–%v %q", format, i+1, c.Start, c.End, c.Text, w.Start, w.End, w.Text)
			}
		}
	}
	if resp, _ := c.get("/admin/tracks/" + itoa64(tr.ID) + "/export/docx"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown format: %d", resp.StatusCode)
	}
}

// TestTrackWatchPageOffersTracks: the watch page has a <track> per approved track and marks as
// default the one in the page's language, else the video's default; drafts are not offered.
func TestTrackWatchPageOffersTracks(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	_, _, p := seedVladivostok(t, e)
	v := seedVideo(t, e, p, video.StatePublished, ruOnly)
	ko := addTrack(t, e, v.ID, "ko", track.StatusApproved, true, "부산 시민 여러분, 안녕하세요!")
	ru := addTrack(t, e, v.ID, "ru", track.StatusApproved, false, "Здравствуйте, жители Пусана!")
	en := addTrack(t, e, v.ID, "en", track.StatusApproved, false, "Hello, people of Busan!")
	fr := addTrack(t, e, v.ID, "fr", track.StatusDraft, false, "Bonjour")
	trackRe := regexp.MustCompile(`<track kind="subtitles" src="(/media/tracks/\d+\.vtt)" srclang="([a-z]+)" label="[^"]*" data-track-id="\d+"( default)?>`)
	c := e.client()
	for lang, want := range map[string]*track.Track{"ko": ko, "ru": ru, "en": en} {
		_, body := c.get("/" + lang + "/videos/" + itoa64(v.ID))
		found := trackRe.FindAllStringSubmatch(body, -1)
		if len(found) != 3 {
			t.Errorf("/%s: %d tracks:\n%s", lang, len(found), body)
			continue
		}
		defaults := 0
		for _, m := range found {
			if m[3] != "" {
				defaults++
				if m[1] != trackURL(want) || m[2] != lang {
					t.Errorf("/%s: default is %s (%s)", lang, m[1], m[2])
				}
			}
		}
		if defaults != 1 {
			t.Errorf("/%s: %d defaults", lang, defaults)
		}
		if strings.Contains(body, trackURL(fr)) {
			t.Errorf("/%s offers the draft", lang)
		}
		text := map[string]string{"ko": "부산 시민 여러분, 안녕하세요!", "ru": "Здравствуйте, жители Пусана!", "en": "Hello, people of Busan!"}[lang]
		if !strings.Contains(body, `data-start="0.000" data-end="0.500"><span class="cue-time">0:00</span> `+text) {
			t.Errorf("/%s: the transcript lacks %q", lang, text)
		}
	}
	// Without Korean, Russian or English tracks in the page's language, the video's default.
	e.inTx(func(tx *sql.Tx) error { return track.Delete(context.Background(), tx, en.ID) })
	_, body := c.get("/en/videos/" + itoa64(v.ID))
	if !strings.Contains(body, `src="`+trackURL(ko)+`" srclang="ko" label="한국어" data-track-id="`+itoa64(ko.ID)+`" default>`) {
		t.Errorf("/en without an English track does not fall back to the default:\n%s", body)
	}
}

// TestTrackIndexSearch finds a video by words of its approved transcript, in Russian, whatever
// their case, and by its title; a draft's words find nothing.
func TestTrackIndexSearch(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	_, _, p := seedVladivostok(t, e)
	v := seedVideo(t, e, p, video.StatePublished, ruOnly)
	addTrack(t, e, v.ID, "ru", track.StatusApproved, true, "Дорогие жители Пусана!", "Владивосток поддерживает вас.")
	addTrack(t, e, v.ID, "ko", track.StatusDraft, false, "비밀 초안")
	c := e.client()
	for q, want := range map[string]bool{"ПОДДЕРЖИВАЕТ": true, "жители": true, "Видеообращение": true, "비밀": false, "нет такого": false, "%": false} {
		_, body := c.get("/ru/videos?q=" + url.QueryEscape(q))
		if got := strings.Contains(body, "/ru/videos/"+itoa64(v.ID)); got != want {
			t.Errorf("q=%q finds the video: %v, want %v", q, got, want)
		}
	}
	_, body := c.get("/ru/videos?q=" + url.QueryEscape("поддерживает"))
	if !strings.Contains(body, `<q lang="ru">Владивосток поддерживает вас.</q>`) || !strings.Contains(body, `value="поддерживает"`) {
		t.Errorf("no snippet:\n%s", body)
	}
}

// TestTrackAdminPage shows the report with cue and line numbers, saves metadata (a stale form
// gets 409, a bad tag 422) and deletes, each change audited.
func TestTrackAdminPage(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	v := draftVideo(t, e)
	tr := addTrack(t, e, v.ID, "ru", track.StatusDraft, false, "Дорогие жители Пусана!", "")
	viewer := e.userClient(auth.RoleViewer)
	viewer.lang = "ru"
	_, body := viewer.get("/admin/videos/" + itoa64(v.ID) + "/tracks")
	if !strings.Contains(body, "Реплика 2, строка 6: В реплике нет текста.") || strings.Contains(body, `action="/admin/videos/`+itoa64(v.ID)+`/tracks/import"`) {
		t.Errorf("viewer's page:\n%s", body)
	}
	c := e.userClient(auth.RoleEditor)
	path := "/admin/videos/" + itoa64(v.ID) + "/tracks/" + itoa64(tr.ID)
	read := tr.Version
	resp, _ := c.post(path, url.Values{"lang": {"ru-RU"}, "kind": {"captions"}, "label": {"Русский"}, "default": {"1"}, "version": {itoa64(read)}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d", resp.StatusCode)
	}
	got, _ := track.Get(context.Background(), e.db.R, tr.ID)
	if got.Lang != "ru-RU" || got.Kind != subtitle.KindCaptions || got.Label != "Русский" || !got.Default || got.Version != read+1 {
		t.Errorf("saved: %+v", got)
	}
	resp, body = c.post(path, url.Values{"lang": {"ru"}, "kind": {"subtitles"}, "version": {itoa64(read)}})
	if resp.StatusCode != http.StatusConflict {
		t.Errorf("stale form: %d\n%s", resp.StatusCode, body)
	}
	resp, body = c.post(path, url.Values{"lang": {"русский"}, "kind": {"subtitles"}, "version": {itoa64(got.Version)}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Enter a language tag") {
		t.Errorf("bad tag: %d", resp.StatusCode)
	}
	other := draftVideo(t, e)
	if resp, _ := c.post("/admin/videos/"+itoa64(other.ID)+"/tracks/"+itoa64(tr.ID)+"/delete", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("delete through another video: %d", resp.StatusCode)
	}
	if resp, _ := c.post(path+"/delete", nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("delete: %d", resp.StatusCode)
	}
	if n := e.countRows("subtitle_tracks"); n != 0 {
		t.Errorf("%d tracks left", n)
	}
	var audited int
	if err := e.db.R.QueryRow("SELECT COUNT(*) FROM audit_log WHERE entity = 'subtitle_track'").Scan(&audited); err != nil || audited != 2 {
		t.Errorf("audit entries: %d %v", audited, err)
	}
	if resp, _ := c.get("/admin/videos/999999/tracks"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown video: %d", resp.StatusCode)
	}
}

// TestTrackImportRepairs: files that load with repairs — UTF-16 with its BOM, a BOM and a NUL
// in the middle of a UTF-8 file, CP949 with a UTF-8 line pasted in — show what was detected and
// repaired, by line, before anything is saved.
func TestTrackImportRepairs(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	v := draftVideo(t, e)
	c := e.userClient(auth.RoleEditor)
	c.lang = "en"
	utf16, err := os.ReadFile("../subtitle/testdata/busan-ko.utf16le.srt")
	if err != nil {
		t.Fatal(err)
	}
	mixed := append(encode(t, korean.EUCKR, "1\n00:00:00,200 --> 00:00:01,000\n블라디보스토크 시민 여러분\n\n"),
		[]byte("2\n00:00:01,000 --> 00:00:01,800\n부산에서 응원합니다\n")...)
	cases := []struct {
		name string
		data []byte
		want []string
	}{
		{"busan.srt", utf16, []string{"Unicode (UTF-16, little endian)", "SubRip (SRT)"}},
		{"bom.srt", []byte("\uFEFF1\n00:00:00,200 --> 00:00:01,000\nHello\n\n\uFEFF2\n00:00:01,000 --> 00:00:01,800\nBu\x00san\n"),
			[]string{"Unicode (UTF-8)", "A byte order mark in the middle of the text was removed.", "NUL bytes were replaced.", "Line 5", "Line 7"}},
		{"mixed.srt", mixed, []string{"Korean (CP949/EUC-KR)", "Line 7: ", "Lines of the file are in different encodings",
			"블라디보스토크 시민 여러분", "부산에서 응원합니다"}},
	}
	for _, tc := range cases {
		resp, body := c.postFile("/admin/videos/"+itoa64(v.ID)+"/tracks/import", nil, tc.name, tc.data)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %d", tc.name, resp.StatusCode)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: preview lacks %q", tc.name, w)
			}
		}
	}
	if n := e.countRows("subtitle_tracks"); n != 0 {
		t.Errorf("previews saved %d tracks", n)
	}
}

// TestTrackImportSweep: an upload previewed and never confirmed is deleted a day later, at the
// next upload.
func TestTrackImportSweep(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := context.Background()
	key := trackImportKey(1, randomHex(16))
	if err := e.srv.docs.Put(ctx, key, strings.NewReader(vladivostokSRT)); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", "/", nil)
	e.srv.sweepTrackImports(req, time.Now())
	if _, err := e.srv.docs.Stat(ctx, key); err != nil {
		t.Fatalf("a fresh upload was swept: %v", err)
	}
	e.srv.sweepTrackImports(req, time.Now().Add(trackImportExpiry+time.Hour))
	if _, err := e.srv.docs.Stat(ctx, key); err == nil {
		t.Fatalf("an upload older than a day was kept")
	}
}
