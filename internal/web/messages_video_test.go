package web

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"sistercity/internal/db"
	"sistercity/internal/media"
	"sistercity/internal/messages"
	"sistercity/internal/video"
)

var metaCSRF = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)"`)

// videoMessageEnv is a message environment with a data directory for the uploads and a call,
// open today, that accepts videos of at most 1 MB and 5 s.
func videoMessageEnv(t *testing.T) (*messageEnv, int64) {
	e := messageEnvOn(t, newUploadEnv(t, nil))
	today := time.Now().UTC()
	f := e.callForm(today.AddDate(0, 0, -1).Format("2006-01-02"), today.AddDate(0, 0, 30).Format("2006-01-02"))
	f.Set("accepts_video", "on")
	f.Set("max_video_mb", "1")
	f.Set("max_video_seconds", "5")
	f.Set("consent_video_en", "I agree to use in the video.")
	f.Set("consent_video_ko", "영상 사용에 동의합니다.")
	resp, body := e.editor.post("/admin/messages", f)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create call: %d\n%s", resp.StatusCode, body)
	}
	id, _ := strconv.ParseInt(strings.TrimPrefix(strings.Split(resp.Header.Get("Location"), "?")[0], "/admin/messages/"), 10, 64)
	return e, id
}

// sendVideoMessage sends a message that will carry a video and returns its status path and
// the upload capability from the redirect's fragment.
func (e *messageEnv) sendVideoMessage(c *client, lang string, call int64, body string) (status, token string) {
	e.t.Helper()
	resp, out, _ := e.send(c, lang, call, url.Values{"name": {"Мария"}, "lang": {lang}, "body": {body}, "video": {"on"},
		"consent_publish": {"on"}, "consent_video": {"on"}}, true, nil)
	if resp.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("send: %d\n%s", resp.StatusCode, out)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(loc.Fragment, "upload=") {
		e.t.Fatalf("send: Location %q has no upload capability", resp.Header.Get("Location"))
	}
	return loc.Path, strings.TrimPrefix(loc.Fragment, "upload=")
}

// publicTus is a tus client as the status page's script is: the page's CSRF token, no account.
func (e *messageEnv) publicTus(c *client, status string) *tusClient {
	e.t.Helper()
	resp, page := c.get(status)
	m := metaCSRF.FindStringSubmatch(page)
	if resp.StatusCode != http.StatusOK || m == nil {
		e.t.Fatalf("status page %s: %d, no upload form\n%s", status, resp.StatusCode, page)
	}
	return &tusClient{c: c, token: m[1]}
}

func tokenMeta(token, name string) string {
	return "token " + base64.StdEncoding.EncodeToString([]byte(token)) + ",filename " + base64.StdEncoding.EncodeToString([]byte(name))
}

// uploadMessageVideo uploads data as the video of the message with capability token.
func (e *messageEnv) uploadMessageVideo(tc *tusClient, call int64, token string, data []byte) {
	e.t.Helper()
	if resp, body, _ := e.sendMessageVideo(tc, call, token, data); resp.StatusCode != http.StatusNoContent {
		e.t.Fatalf("patch: %d %s", resp.StatusCode, body)
	}
}

// sendMessageVideo uploads data in one PATCH and returns its answer and the upload's path.
func (e *messageEnv) sendMessageVideo(tc *tusClient, call int64, token string, data []byte) (*http.Response, string, string) {
	e.t.Helper()
	resp, body := tc.do("POST", fmt.Sprintf("/ru/messages/%d/uploads/", call), map[string]string{
		"Upload-Length": strconv.Itoa(len(data)), "Upload-Metadata": tokenMeta(token, "moi.mp4")}, nil)
	if resp.StatusCode != http.StatusCreated {
		e.t.Fatalf("create upload: %d %s", resp.StatusCode, body)
	}
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if !strings.HasPrefix(loc.Path, fmt.Sprintf("/ru/messages/%d/uploads/", call)) {
		e.t.Fatalf("upload Location %q", loc)
	}
	resp, body = tc.do("PATCH", loc.Path, map[string]string{"Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}, data)
	return resp, body, loc.Path
}

// processMessageVideo runs the processing of message id's video, as the queue's worker does.
func (e *messageEnv) processMessageVideo(id int64) *video.Video {
	e.t.Helper()
	ctx := context.Background()
	m, err := messages.GetMessage(ctx, e.db.R, id)
	if err != nil || m.VideoID == 0 {
		e.t.Fatalf("message %d: video %d, %v", id, m.VideoID, err)
	}
	deps := video.Deps{DB: e.db, Store: e.srv.docs, WorkDir: e.t.TempDir(), Encoder: media.X264{Preset: "ultrafast"}, Heights: []int{180}}
	_ = video.ProcessVideo(ctx, deps, m.VideoID)
	v, err := video.Get(ctx, e.db.R, m.VideoID)
	if err != nil {
		e.t.Fatal(err)
	}
	return v
}

// videoFiles counts the files of video vid in the store.
func (e *messageEnv) videoFiles(vid int64) int {
	n := 0
	for _, prefix := range []string{video.KeyPrefix(vid), video.SourceKey(vid, "")} {
		for _, err := range e.srv.docs.List(context.Background(), prefix) {
			if err != nil {
				e.t.Fatal(err)
			}
			n++
		}
	}
	return n
}

func lastMessage(t *testing.T, e *messageEnv, call int64) *messages.Message {
	t.Helper()
	ms, err := messages.List(context.Background(), e.db.R, call, "")
	if err != nil || len(ms) == 0 {
		t.Fatalf("messages of %d: %v", call, err)
	}
	return ms[0]
}

func TestMessagesVideo(t *testing.T) {
	t.Parallel()
	e, call := videoMessageEnv(t)
	visitor := e.client()
	_, clip := testClip(t, 2*time.Second)

	status, token := e.sendVideoMessage(visitor, "ru", call, "Держитесь, Пусан!")
	m := lastMessage(t, e, call)
	tc := e.publicTus(visitor, status)

	// Over the call's size, and without the capability: refused, nothing kept.
	resp, body := tc.do("POST", fmt.Sprintf("/ru/messages/%d/uploads/", call), map[string]string{
		"Upload-Length": strconv.Itoa(2 << 20), "Upload-Metadata": tokenMeta(token, "big.mp4")}, nil)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(body, "слишком большое") {
		t.Errorf("video over the call's size: %d %s", resp.StatusCode, body)
	}
	resp, body = tc.do("POST", fmt.Sprintf("/ru/messages/%d/uploads/", call), map[string]string{
		"Upload-Length": "100", "Upload-Metadata": tokenMeta(strings.Repeat("x", 32), "x.mp4")}, nil)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "недействительна") {
		t.Errorf("guessed capability: %d %s", resp.StatusCode, body)
	}

	e.uploadMessageVideo(tc, call, token, clip)
	// The capability served once.
	resp, _ = tc.do("POST", fmt.Sprintf("/ru/messages/%d/uploads/", call), map[string]string{
		"Upload-Length": strconv.Itoa(len(clip)), "Upload-Metadata": tokenMeta(token, "again.mp4")}, nil)
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("capability used twice: %d", resp.StatusCode)
	}
	if v := e.processMessageVideo(m.ID); !v.Processed() {
		t.Fatalf("video not processed: %q %q", v.Processing, v.Failure)
	}
	if _, page := visitor.get(status); !strings.Contains(page, "Готово") {
		t.Errorf("status page does not say the video is ready")
	}

	// Approved: shown, and served, on the call's page.
	if resp, body := e.editor.post(fmt.Sprintf("/admin/messages/%d/queue/%d/approve", call, m.ID), nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("approve: %d %s", resp.StatusCode, body)
	}
	src := fmt.Sprintf("/ko/messages/%d/videos/%d", call, m.ID)
	if _, page := e.client().get(fmt.Sprintf("/ko/messages/%d", call)); !strings.Contains(page, `<video src="`+src+`"`) {
		t.Errorf("the Korean call page does not show the video")
	}
	if resp, _ := e.client().get(src); resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "video/mp4" {
		t.Errorf("video: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}

	// Withdrawn: gone from the page and from the store.
	vid := lastMessage(t, e, call).VideoID
	if e.videoFiles(vid) == 0 {
		t.Fatal("no stored file of the video before the withdrawal")
	}
	if resp, body := visitor.post(status+"/withdraw", url.Values{"csrf_token": {tc.token}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("withdraw: %d %s", resp.StatusCode, body)
	}
	if n := e.videoFiles(vid); n != 0 {
		t.Errorf("%d files of the withdrawn message's video left in the store", n)
	}
	if _, err := video.Get(context.Background(), e.db.R, vid); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("the withdrawn message's video is still there: %v", err)
	}
	if resp, _ := e.client().get(src); resp.StatusCode != http.StatusNotFound {
		t.Errorf("withdrawn video still served: %d", resp.StatusCode)
	}
}

// A "video" that is not one is refused when its upload completes, in the sender's language,
// and leaves no file; the capability comes back for another file. Once rejected, the message
// leaves no video.
func TestMessagesVideoNotAVideo(t *testing.T) {
	t.Parallel()
	e, call := videoMessageEnv(t)
	visitor := e.client()
	status, token := e.sendVideoMessage(visitor, "ru", call, "Это не видео.")
	m := lastMessage(t, e, call)
	tc := e.publicTus(visitor, status)
	resp, body, up := e.sendMessageVideo(tc, call, token, []byte("#!/bin/sh\necho this is a script, not a video\n"))
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "не удалось прочитать как видео") {
		t.Fatalf("a script as a video: %d %s", resp.StatusCode, body)
	}
	if resp, _ := tc.do("HEAD", up, nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the refused upload is still there: HEAD %d", resp.StatusCode)
	}
	if n := e.videoFiles(m.VideoID); n != 0 {
		t.Errorf("%d files of the refused video stored", n)
	}
	if _, page := visitor.get(status); !strings.Contains(page, "Ожидается файл") {
		t.Error("the status page does not wait for another file")
	}
	// The capability is given back: another file may be sent.
	resp, _ = tc.do("POST", fmt.Sprintf("/ru/messages/%d/uploads/", call), map[string]string{
		"Upload-Length": "100", "Upload-Metadata": tokenMeta(token, "again.mp4")}, nil)
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("capability after a refused file: %d", resp.StatusCode)
	}
	editor := e.editor
	if resp, _ := editor.post(fmt.Sprintf("/admin/messages/%d/queue/%d/approve", call, m.ID), nil); resp.StatusCode != http.StatusConflict {
		t.Errorf("approving a message without its video: %d", resp.StatusCode)
	}
	if resp, _ := editor.post(fmt.Sprintf("/admin/messages/%d/queue/%d/reject", call, m.ID), url.Values{"reason": {"no video"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("reject: %d", resp.StatusCode)
	}
	if n := e.videoFiles(m.VideoID); n != 0 {
		t.Errorf("%d files of the rejected message's video left", n)
	}
	var left int
	e.inTx(func(tx *sql.Tx) error {
		return tx.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM videos WHERE id = $1", m.VideoID).Scan(&left)
	})
	if left != 0 {
		t.Error("the rejected message's video row is left")
	}
}

// A video longer than the call allows is probed and refused when its upload completes, with
// its length and the limit in the sender's language, and leaves no file; a short one sent with
// the same capability afterwards is kept.
func TestMessagesVideoTooLong(t *testing.T) {
	t.Parallel()
	e, call := videoMessageEnv(t)
	e.inTx(func(tx *sql.Tx) error {
		_, err := tx.ExecContext(context.Background(), "UPDATE message_calls SET max_video_seconds = 1 WHERE id = $1", call)
		return err
	})
	_, long := testClip(t, 3*time.Second)
	_, short := testClip(t, time.Second)
	visitor := e.client()
	status, token := e.sendVideoMessage(visitor, "ru", call, "Длинное видео.")
	m := lastMessage(t, e, call)
	tc := e.publicTus(visitor, status)
	resp, body, up := e.sendMessageVideo(tc, call, token, long)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "длится 3\u00a0с") || !strings.Contains(body, "не длиннее 1\u00a0с") {
		t.Fatalf("a 3 s video for a call of 1 s: %d %s", resp.StatusCode, body)
	}
	if resp, _ := tc.do("HEAD", up, nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the refused upload is still there: HEAD %d", resp.StatusCode)
	}
	if n := e.videoFiles(m.VideoID); n != 0 {
		t.Errorf("%d files of the refused video stored", n)
	}
	if v, err := video.Get(context.Background(), e.db.R, m.VideoID); err != nil || v.SourceKey != "" {
		t.Errorf("the refused video is attached: %v", err)
	}
	e.uploadMessageVideo(tc, call, token, short)
	if v, err := video.Get(context.Background(), e.db.R, m.VideoID); err != nil || v.SourceKey == "" {
		t.Errorf("the short video is not attached: %v", err)
	}
}

// TestUploadPagesWithoutTusClient: a build without tus-js-client (a fresh clone built with go
// build alone, before any make target) serves both upload pages — the admin's and a citizen's
// message status page — with a notice in the reader's language that uploading is not
// available, as an alert, and without the form and scripts that could not work.
func TestUploadPagesWithoutTusClient(t *testing.T) {
	t.Parallel()
	e, call := videoMessageEnv(t)
	if e.srv.tusLib == "" {
		t.Fatal("tus-js-client is not embedded: run scripts/tusjs.sh (make test runs it) before the tests")
	}
	status, _ := e.sendVideoMessage(e.client(), "ru", call, "Держитесь, Пусан!")
	v := e.uploadVideo(video.StateDraft)
	admin := "/admin/videos/" + itoa64(v.ID) + "/upload"
	pages := []struct {
		c          *client
		path, want string
	}{
		{e.editor, admin, "Uploading is not available in this build"},
		{e.client(), status, "Сейчас отправить видео на этом сайте нельзя"},
	}
	for _, p := range pages {
		if _, body := p.c.get(p.path); !strings.Contains(body, `id="upload-form"`) || !strings.Contains(body, "tus.min.") {
			t.Errorf("%s with tus-js-client: no upload form or no client\n%s", p.path, body)
		}
	}
	e.srv.tusLib = ""
	for _, p := range pages {
		resp, body := p.c.get(p.path)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, `role="alert">`+p.want) {
			t.Errorf("%s without tus-js-client: %d, want the notice %q\n%s", p.path, resp.StatusCode, p.want, body)
		}
		for _, absent := range []string{`id="upload-form"`, "upload.js", "tus.min."} {
			if strings.Contains(body, absent) {
				t.Errorf("%s without tus-js-client still has %s", p.path, absent)
			}
		}
	}
}
