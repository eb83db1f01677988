package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"image"
	"image/jpeg"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"sistercity/internal/altcha"
	"sistercity/internal/auth"
	"sistercity/internal/blob"
	"sistercity/internal/civil"
	"sistercity/internal/exchange"
	"sistercity/internal/messages"
	"sistercity/internal/register"
)

// messageEnv is a server with a campaign activity and an editor, for the citizens' messages.
type messageEnv struct {
	*testEnv
	editor   *client
	activity int64
	partner  *register.City
}

func newMessageEnv(t *testing.T) *messageEnv { return messageEnvOn(t, newTestEnv(t)) }

// messageEnvOn is newMessageEnv on the server of e.
func messageEnvOn(t *testing.T, e *testEnv) *messageEnv {
	e.srv.altchaMax = 2000 // a quick search for the tests; the protocol is the same
	_, partner, p := seedVladivostok(t, e)
	a := &exchange.Activity{Kind: exchange.KindCampaign, Status: exchange.StatusConfirmed, Mode: exchange.ModeOnline,
		FirstMode: exchange.ModeOnline, OrganiserKind: exchange.OrganiserCity, Partnerships: []int64{p.ID}, Visibility: "public",
		Texts:   []exchange.Text{{Lang: "en", Title: "Messages of encouragement"}, {Lang: "ru", Title: "Слова поддержки"}, {Lang: "ko", Title: "응원 메시지"}},
		Planned: exchange.Span{Start: exchange.OnDate(civil.MustParse("2020-07-01"))}}
	e.inTx(func(tx *sql.Tx) error {
		return exchange.Create(context.Background(), tx, a, civil.MustParse("2020-06-01"), nil, 0)
	})
	return &messageEnv{testEnv: e, editor: e.userClient(auth.RoleEditor), activity: a.ID, partner: partner}
}

func (e *messageEnv) callForm(opens, closes string) url.Values {
	return url.Values{
		"activity": {strconv.FormatInt(e.activity, 10)}, "opens_on": {opens}, "closes_on": {closes},
		"accepts_photo": {"on"}, "max_photo_mb": {"2"}, "retention_days": {"30"},
		"cities":   {strconv.FormatInt(e.partner.ID, 10)},
		"title_en": {"Messages to Busan"}, "title_ru": {"Послания Пусану"}, "title_ko": {"부산에 보내는 메시지"},
		"invitation_ru":      {"Напишите слова поддержки."},
		"consent_publish_en": {"I agree to publication on the site."}, "consent_publish_ru": {"Я согласен на публикацию на сайте."},
		"consent_publish_ko": {"사이트 게시에 동의합니다."}, "consent_video_ru": {"Я согласен на использование в видео."},
	}
}

// createCall makes a call through the admin's form and returns its id.
func (e *messageEnv) createCall(opens, closes string) int64 {
	e.t.Helper()
	resp, body := e.editor.post("/admin/messages", e.callForm(opens, closes))
	if resp.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("create call: %d\n%s", resp.StatusCode, body)
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(strings.Split(resp.Header.Get("Location"), "?")[0], "/admin/messages/"), 10, 64)
	if err != nil {
		e.t.Fatalf("create call: location %q", resp.Header.Get("Location"))
	}
	return id
}

var altchaRe = regexp.MustCompile(`data-altcha="([^"]+)"`)

// solveAltcha finds the challenge's number as the browser's module does.
func solveAltcha(t *testing.T, page string) string {
	t.Helper()
	m := altchaRe.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no challenge on the form")
	}
	var c altcha.Challenge
	if err := json.Unmarshal([]byte(html.UnescapeString(m[1])), &c); err != nil {
		t.Fatal(err)
	}
	for n := int64(0); n <= c.MaxNumber; n++ {
		sum := sha256.Sum256([]byte(c.Salt + strconv.FormatInt(n, 10)))
		if hex.EncodeToString(sum[:]) == c.Challenge {
			b, _ := json.Marshal(altcha.Payload{Algorithm: c.Algorithm, Challenge: c.Challenge, Number: n, Salt: c.Salt, Signature: c.Signature})
			return base64.StdEncoding.EncodeToString(b)
		}
	}
	t.Fatal("challenge has no solution")
	return ""
}

// send opens the form as a visitor does and sends it with fields; solve false leaves the
// challenge unsolved. photo, when not nil, goes as the photo file.
func (e *messageEnv) send(c *client, lang string, call int64, fields url.Values, solve bool, photo []byte) (*http.Response, string, string) {
	e.t.Helper()
	e.srv.sendRate.mu.Lock()
	clear(e.srv.sendRate.buckets)
	e.srv.sendRate.mu.Unlock()
	path := fmt.Sprintf("/%s/messages/%d/send", lang, call)
	resp, page := c.get(path)
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("GET %s: %d", path, resp.StatusCode)
	}
	form := url.Values{}
	for k, v := range fields {
		form[k] = v
	}
	form.Set("csrf_token", csrfRe.FindStringSubmatch(page)[1])
	solution := ""
	if solve {
		solution = solveAltcha(e.t.(*testing.T), page)
		form.Set("altcha", solution)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, vs := range form {
		for _, v := range vs {
			_ = mw.WriteField(k, v)
		}
	}
	if photo != nil {
		fw, _ := mw.CreateFormFile("photo", "photo.jpg")
		_, _ = fw.Write(photo)
	}
	_ = mw.Close()
	resp, out := c.do("POST", path, &body, mw.FormDataContentType())
	return resp, out, solution
}

func gpsJPEG(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, image.NewRGBA(image.Rect(0, 0, 40, 30)), nil); err != nil {
		t.Fatal(err)
	}
	// An APP1 segment as a camera writes one (its content only needs to be recognisable).
	app1 := append([]byte{0xff, 0xe1, 0, 0}, []byte("Exif\x00\x00GPSLatitude 35.1 N")...)
	app1[3] = byte(len(app1) - 2)
	return append(append([]byte{0xff, 0xd8}, app1...), b.Bytes()[2:]...)
}

func TestMessagesFlow(t *testing.T) {
	t.Parallel()
	e := newMessageEnv(t)
	ctx := context.Background()
	step := func(name string, fn func(t *testing.T)) {
		if !t.Run(name, fn) {
			t.FailNow()
		}
	}
	var call int64
	step("call form refuses bad input", func(t *testing.T) {
		f := e.callForm("2020-07-31", "2020-07-01")
		f.Set("title_ru", "<b>x</b>"+strings.Repeat("я", 300))
		resp, body := e.editor.post("/admin/messages", f)
		if resp.StatusCode != http.StatusUnprocessableEntity || e.count("message_calls") != 0 {
			t.Fatalf("status %d, calls %d", resp.StatusCode, e.count("message_calls"))
		}
		if strings.Contains(body, "<b>x</b>") {
			t.Error("markup not escaped in the form shown again")
		}
		viewer := e.userClient(auth.RoleViewer)
		if resp, _ := viewer.post("/admin/messages", e.callForm("2020-07-01", "2020-07-31")); resp.StatusCode != http.StatusForbidden {
			t.Errorf("viewer creates a call: %d", resp.StatusCode)
		}
	})
	step("call created, public in each language", func(t *testing.T) {
		call = e.createCall("2020-07-01", "2020-07-31")
		for lang, title := range map[string]string{"ru": "Послания Пусану", "ko": "부산에 보내는 메시지", "en": "Messages to Busan"} {
			resp, body := e.client().get(fmt.Sprintf("/%s/messages/%d", lang, call))
			if resp.StatusCode != http.StatusOK || !strings.Contains(body, title) {
				t.Errorf("%s: %d, title %q missing", lang, resp.StatusCode, title)
			}
			_, home := e.client().get("/" + lang + "/")
			if !strings.Contains(home, fmt.Sprintf("/%s/messages/%d", lang, call)) {
				t.Errorf("%s home page does not link the open call", lang)
			}
		}
		_, partner := e.client().get(fmt.Sprintf("/ru/partners/%d", e.partner.ID))
		if !strings.Contains(partner, fmt.Sprintf("/ru/messages/%d", call)) {
			t.Error("the partner's page does not link the open call")
		}
		// The campaign's activity, on the partner's timeline, links its call too.
		if !regexp.MustCompile(fmt.Sprintf(`<li[^>\n]*><time[^\n]*Слова поддержки[^\n]*<a href="/ru/messages/%d">`, call)).MatchString(partner) {
			t.Error("the campaign's activity on the partner's timeline does not link its open call")
		}
		resp, ics := e.client().get(fmt.Sprintf("/ru/messages/%d/calendar.ics", call))
		if resp.StatusCode != http.StatusOK || !strings.Contains(ics, "DTSTART;VALUE=DATE:20200731") {
			t.Errorf("calendar: %d\n%s", resp.StatusCode, ics)
		}
		if resp, _ := e.client().get("/ru/messages/99999"); resp.StatusCode != http.StatusNotFound {
			t.Errorf("unknown call: %d", resp.StatusCode)
		}
	})
	visitor := e.client()
	visitor.lang = "ru"
	text := url.Values{"name": {"Анна"}, "city": {"Владивосток"}, "lang": {"ru"}, "body": {"Держитесь! <script>alert(1)</script>"},
		"consent_publish": {"on"}, "email": {"anna@example.org"}}
	var status string
	step("refused without a solved challenge, nothing stored", func(t *testing.T) {
		resp, body, _ := e.send(visitor, "ru", call, text, false, nil)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "не робот") {
			t.Fatalf("status %d", resp.StatusCode)
		}
		if n := e.count("citizen_messages"); n != 0 {
			t.Errorf("%d messages stored", n)
		}
	})
	step("sent, status page, replay refused", func(t *testing.T) {
		resp, body, solution := e.send(visitor, "ru", call, text, true, nil)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("send: %d\n%s", resp.StatusCode, body)
		}
		status, _, _ = strings.Cut(resp.Header.Get("Location"), "?")
		resp, page := visitor.get(status)
		if resp.StatusCode != http.StatusOK || !strings.Contains(page, "Ожидает модерации") {
			t.Fatalf("status page: %d", resp.StatusCode)
		}
		if strings.Contains(page, "<script>alert") || !strings.Contains(page, "&lt;script&gt;") {
			t.Error("the message's markup is not escaped")
		}
		if n := e.count("citizen_message_contacts"); n != 1 {
			t.Errorf("%d contacts kept", n)
		}
		var wording, lang string
		var version int
		_ = e.db.R.QueryRow("SELECT wording, lang, version FROM citizen_message_consents WHERE purpose = 'publish'").Scan(&wording, &lang, &version)
		if wording != "Я согласен на публикацию на сайте." || lang != "ru" || version != 1 {
			t.Errorf("consent recorded as %q, %s, v%d", wording, lang, version)
		}
		// The same solution again, on a fresh form: refused.
		_, page = visitor.get(fmt.Sprintf("/ru/messages/%d/send", call))
		form := url.Values{}
		for k, v := range text {
			form[k] = v
		}
		form.Set("csrf_token", csrfRe.FindStringSubmatch(page)[1])
		form.Set("altcha", solution)
		resp, body = visitor.do("POST", fmt.Sprintf("/ru/messages/%d/send", call), strings.NewReader(form.Encode()), "application/x-www-form-urlencoded")
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "уже использована") || e.count("citizen_messages") != 1 {
			t.Errorf("replay: %d, %d messages", resp.StatusCode, e.count("citizen_messages"))
		}
	})
	step("a changed consent wording is a new version; the message keeps its own", func(t *testing.T) {
		f := e.callForm("2020-07-01", "2020-07-31")
		f.Set("version", "1")
		f.Set("consent_publish_ru", "Я согласна на публикацию.")
		if resp, body := e.editor.post(fmt.Sprintf("/admin/messages/%d", call), f); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("update: %d\n%s", resp.StatusCode, body)
		}
		var version int
		_ = e.db.R.QueryRow("SELECT consent_version FROM message_calls WHERE id = $1", call).Scan(&version)
		var wording string
		_ = e.db.R.QueryRow("SELECT wording FROM citizen_message_consents WHERE purpose = 'publish'").Scan(&wording)
		if version != 2 || wording != "Я согласен на публикацию на сайте." {
			t.Errorf("consent version %d, the message's wording %q", version, wording)
		}
		// A second save from the same version is someone else's change: refused.
		if resp, _ := e.editor.post(fmt.Sprintf("/admin/messages/%d", call), f); resp.StatusCode != http.StatusConflict {
			t.Errorf("stale save: %d", resp.StatusCode)
		}
		_, form := e.client().get(fmt.Sprintf("/ru/messages/%d/send", call))
		if !strings.Contains(form, "Я согласна на публикацию.") {
			t.Error("the form does not ask with the new wording")
		}
	})
	step("bad input refused in the sender's language", func(t *testing.T) {
		for name, tc := range map[string]struct {
			change url.Values
			photo  []byte
			want   string
		}{
			"long text":   {url.Values{"body": {strings.Repeat("а", 1001)}}, nil, "Послание — не более"},
			"no consent":  {url.Values{"consent_publish": {""}}, nil, "хотя бы один"},
			"bad e-mail":  {url.Values{"email": {"not an address"}}, nil, "электронной почты"},
			"script file": {nil, []byte("#!/bin/sh\necho hi\n"), "не фотография"},
			"too large":   {nil, append(gpsJPEG(t), make([]byte, 3<<20)...), "слишком большая"},
		} {
			f := url.Values{}
			for k, v := range text {
				f[k] = v
			}
			for k, v := range tc.change {
				f[k] = v
			}
			resp, body, _ := e.send(visitor, "ru", call, f, true, tc.photo)
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, tc.want) {
				t.Errorf("%s: %d, want a message with %q", name, resp.StatusCode, tc.want)
			}
		}
		if n := e.count("citizen_messages"); n != 1 {
			t.Errorf("%d messages stored", n)
		}
	})
	step("approved, shown in ru and ko with its translation marked", func(t *testing.T) {
		var id int64
		_ = e.db.R.QueryRow("SELECT id FROM citizen_messages").Scan(&id)
		if resp, _ := e.client().post(fmt.Sprintf("/admin/messages/%d/queue/%d/approve", call, id), nil); resp.StatusCode != http.StatusForbidden {
			t.Errorf("anonymous approval: %d", resp.StatusCode)
		}
		resp, queue := e.editor.get(fmt.Sprintf("/admin/messages/%d/queue", call))
		if resp.StatusCode != http.StatusOK || !strings.Contains(queue, "&lt;script&gt;") || !strings.Contains(queue, "Я согласен на публикацию на сайте.") {
			t.Errorf("queue: %d, or the message and its consent are not shown escaped", resp.StatusCode)
		}
		resp, body := e.editor.post(fmt.Sprintf("/admin/messages/%d/queue/%d/approve", call, id), nil)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("approve: %d\n%s", resp.StatusCode, body)
		}
		resp, _ = e.editor.post(fmt.Sprintf("/admin/messages/%d/queue/%d/translation", call, id),
			url.Values{"lang": {"ko"}, "body": {"힘내세요!"}, "action": {"save"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("translation: %d", resp.StatusCode)
		}
		_, ru := e.client().get(fmt.Sprintf("/ru/messages/%d", call))
		if !strings.Contains(ru, "Держитесь!") || !strings.Contains(ru, "Оригинал") {
			t.Error("the Russian page lacks the original")
		}
		_, ko := e.client().get(fmt.Sprintf("/ko/messages/%d", call))
		if !strings.Contains(ko, "힘내세요!") || !strings.Contains(ko, "번역") {
			t.Error("the Korean page lacks the marked translation")
		}
	})
	var photoKey string
	step("photo stored without metadata; rejection deletes it", func(t *testing.T) {
		f := url.Values{"name": {""}, "anonymous": {"on"}, "lang": {"ko"}, "body": {"사진과 함께"}, "consent_publish": {"on"}}
		resp, body, _ := e.send(e.client(), "ko", call, f, true, gpsJPEG(t))
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("send: %d\n%s", resp.StatusCode, body)
		}
		var id int64
		_ = e.db.R.QueryRow("SELECT id, photo_key FROM citizen_messages WHERE lang = 'ko'").Scan(&id, &photoKey)
		rc, err := e.srv.docs.Open(ctx, photoKey)
		if err != nil {
			t.Fatal(err)
		}
		var stored bytes.Buffer
		_, _ = stored.ReadFrom(rc)
		rc.Close()
		if bytes.Contains(stored.Bytes(), []byte("Exif")) || bytes.Contains(stored.Bytes(), []byte("GPS")) {
			t.Error("the stored photo keeps its metadata")
		}
		resp, _ = e.editor.post(fmt.Sprintf("/admin/messages/%d/queue/%d/reject", call, id), url.Values{"reason": {"Не по теме"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("reject: %d", resp.StatusCode)
		}
		if _, err := e.srv.docs.Stat(ctx, photoKey); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("the rejected message's photo is still stored: %v", err)
		}
	})
	step("withdrawn: off the page, link used up, guessed link refused", func(t *testing.T) {
		_, page := visitor.get(status)
		token := url.Values{"csrf_token": {csrfRe.FindStringSubmatch(page)[1]}}
		resp, _ := visitor.post(status+"/withdraw", token)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("withdraw: %d", resp.StatusCode)
		}
		_, ru := e.client().get(fmt.Sprintf("/ru/messages/%d", call))
		if strings.Contains(ru, "Держитесь!") {
			t.Error("the withdrawn message is still shown")
		}
		if n := e.count("citizen_message_contacts"); n != 0 {
			t.Errorf("the withdrawn message's e-mail is kept (%d)", n)
		}
		if resp, _ := visitor.post(status+"/withdraw", token); resp.StatusCode != http.StatusGone {
			t.Errorf("withdrawn twice: %d", resp.StatusCode)
		}
		guessed := status[:strings.LastIndex(status, "/")+1] + strings.Repeat("A", 32)
		if resp, _ := visitor.get(guessed); resp.StatusCode != http.StatusNotFound {
			t.Errorf("guessed link: %d", resp.StatusCode)
		}
	})
	step("100 posts a minute from one address are throttled", func(t *testing.T) {
		e.srv.sendRate.mu.Lock()
		clear(e.srv.sendRate.buckets)
		e.srv.sendRate.mu.Unlock()
		_, page := visitor.get(fmt.Sprintf("/ru/messages/%d/send", call))
		form := url.Values{"csrf_token": {csrfRe.FindStringSubmatch(page)[1]}, "body": {"x"}}
		throttled := 0
		for range 100 {
			resp, _ := visitor.do("POST", fmt.Sprintf("/ru/messages/%d/send", call), strings.NewReader(form.Encode()), "application/x-www-form-urlencoded")
			if resp.StatusCode == http.StatusTooManyRequests {
				throttled++
			}
		}
		if throttled < 90 {
			t.Errorf("%d of 100 throttled", throttled)
		}
	})
	step("closed call refuses", func(t *testing.T) {
		closed := e.createCall("2020-06-01", "2020-06-30")
		if resp, _ := e.client().get(fmt.Sprintf("/ru/messages/%d/send", closed)); resp.StatusCode != http.StatusConflict {
			t.Errorf("closed call's form: %d", resp.StatusCode)
		}
		_, home := e.client().get("/ru/")
		if strings.Contains(home, fmt.Sprintf("/ru/messages/%d\"", closed)) {
			t.Error("the home page links a closed call")
		}
		if resp, _ := e.editor.post(fmt.Sprintf("/admin/messages/%d/delete", call), nil); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("delete: %d", resp.StatusCode)
		}
		if n := e.count("citizen_messages"); n != 0 {
			t.Errorf("%d messages left after the call's deletion", n)
		}
	})
}

// messageCall makes, once, an open call with an approved message that has a photo.
func (f *publicFixture) messageCall(t *testing.T) (call, msg int64) {
	t.Helper()
	if f.call != 0 {
		return f.call, f.callMessage
	}
	ctx := context.Background()
	a := &exchange.Activity{Kind: exchange.KindCampaign, Status: exchange.StatusConfirmed, Mode: exchange.ModeOnline,
		FirstMode: exchange.ModeOnline, OrganiserKind: exchange.OrganiserCity, Visibility: "public",
		Texts:   []exchange.Text{{Lang: "en", Title: "Messages of encouragement"}},
		Planned: exchange.Span{Start: exchange.OnDate(civil.MustParse("2020-07-01"))}}
	photo, err := messages.ReencodePhoto(gpsJPEG(t))
	if err != nil {
		t.Fatal(err)
	}
	key := "messages/fixture/photo.jpg"
	if err := f.e.srv.docs.Put(ctx, key, bytes.NewReader(photo)); err != nil {
		t.Fatal(err)
	}
	f.e.inTx(func(tx *sql.Tx) error {
		if err := exchange.Create(ctx, tx, a, civil.MustParse("2020-06-01"), nil, 0); err != nil {
			return err
		}
		c := &messages.Call{ActivityID: a.ID, OpensOn: civil.MustParse("2020-07-01"), ClosesOn: civil.MustParse("2020-07-31"),
			AcceptsPhoto: true, MaxPhotoBytes: 1 << 20, RetentionDays: 30,
			Texts:    []messages.CallText{{Lang: "en", Title: "Messages to Busan"}},
			Consents: []messages.Wording{{Lang: "en", Purpose: messages.PurposePublish, Text: "I agree."}}}
		if err := messages.CreateCall(ctx, tx, c); err != nil {
			return err
		}
		m, _, err := messages.Submit(ctx, tx, c, &messages.Submission{Name: "Anna", Lang: "en", Body: "Stay strong!",
			Consents: []string{messages.PurposePublish}}, key, fixedNow)
		if err != nil {
			return err
		}
		f.call, f.callMessage = c.ID, m.ID
		if _, err := messages.Decide(ctx, tx, m.ID, messages.StatusApproved, "", fixedNow); err != nil {
			return err
		}
		// The message's video is the fixture's processed one, so that its route answers.
		_, err = tx.ExecContext(ctx, "UPDATE citizen_messages SET video_id = $1 WHERE id = $2", f.video.ID, m.ID)
		return err
	})
	return f.call, f.callMessage
}

// TestMessagesFormCookie: the message form and the status page are the only public pages that
// set a cookie — the anonymous CSRF nonce, scoped to the call's pages in one language — and
// neither makes a session or is kept by a cache.
func TestMessagesFormCookie(t *testing.T) {
	t.Parallel()
	e := newMessageEnv(t)
	call := e.createCall("2020-07-01", "2020-07-31")
	sessions := e.countRows("sessions")
	resp, _ := e.client().get(fmt.Sprintf("/ko/messages/%d/send", call))
	cookies := resp.Cookies()
	if len(cookies) != 1 || cookies[0].Name != csrfCookie || cookies[0].Path != fmt.Sprintf("/ko/messages/%d/", call) || !cookies[0].HttpOnly {
		t.Errorf("cookies %v", resp.Header.Values("Set-Cookie"))
	}
	if cc := resp.Header.Get("Cache-Control"); cc != privateNoStore {
		t.Errorf("Cache-Control %q", cc)
	}
	resp, _ = e.client().get(fmt.Sprintf("/ko/messages/%d", call))
	if len(resp.Cookies()) != 0 || !strings.HasPrefix(resp.Header.Get("Cache-Control"), "public") {
		t.Errorf("the call's page: cookies %v, Cache-Control %q", resp.Cookies(), resp.Header.Get("Cache-Control"))
	}
	if n := e.countRows("sessions"); n != sessions {
		t.Errorf("sessions %d, want %d", n, sessions)
	}
}

// TestMessagesTranslationForTranslators: a translation an editor asks for is the translation
// workflow's: it is on the translators' work list, a translator writes it in the queue and it
// shows on the call's page; moderating stays the editors'.
func TestMessagesTranslationForTranslators(t *testing.T) {
	t.Parallel()
	e := newMessageEnv(t)
	ctx := context.Background()
	call := e.createCall("2020-07-01", "2020-07-31")
	c, err := messages.GetCall(ctx, e.db.R, call)
	if err != nil {
		t.Fatal(err)
	}
	var id int64
	e.inTx(func(tx *sql.Tx) error {
		m, _, err := messages.Submit(ctx, tx, c, &messages.Submission{Name: "Анна", Lang: "ru", Body: "Держитесь, друзья!",
			Consents: []string{messages.PurposePublish}}, "", fixedNow)
		if err != nil {
			return err
		}
		id = m.ID
		_, err = messages.Decide(ctx, tx, m.ID, messages.StatusApproved, "", fixedNow)
		return err
	})
	action := fmt.Sprintf("/admin/messages/%d/queue/%d/translation", call, id)
	if resp, body := e.editor.post(action, url.Values{"lang": {"ko"}, "body": {""}, "action": {"ask"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("ask: %d\n%s", resp.StatusCode, body)
	}
	translator := e.userClient(auth.RoleTranslator)
	link := fmt.Sprintf("/admin/messages/%d/queue#message-%d", call, id)
	if resp, list := translator.get("/admin/translations"); resp.StatusCode != http.StatusOK || !strings.Contains(list, link) || !strings.Contains(list, "Держитесь, друзья!") {
		t.Fatalf("the translators' list (%d) does not offer the message", resp.StatusCode)
	} else if strings.Contains(list, "There is nothing to translate.") {
		t.Error("the translators' list says there is nothing to translate")
	}
	if _, queue := translator.get(fmt.Sprintf("/admin/messages/%d/queue", call)); !strings.Contains(queue, `action="`+action+`"`) {
		t.Error("the queue offers the translator no translation form")
	}
	if resp, _ := translator.post(fmt.Sprintf("/admin/messages/%d/queue/%d/reject", call, id), url.Values{"reason": {"x"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a translator moderates: %d", resp.StatusCode)
	}
	if resp, body := translator.post(action, url.Values{"lang": {"ko"}, "body": {"힘내세요, 친구들!"}, "action": {"save"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the translator's save: %d\n%s", resp.StatusCode, body)
	}
	if _, ko := e.client().get(fmt.Sprintf("/ko/messages/%d", call)); !strings.Contains(ko, "힘내세요, 친구들!") {
		t.Error("the Korean call page lacks the translator's translation")
	}
	if _, list := translator.get("/admin/translations"); strings.Contains(list, link) {
		t.Error("a done translation is still on the list")
	}
}
