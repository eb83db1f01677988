package web

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The call's page in the editors' order, and the export for the partner: only the messages
// whose senders agreed to the sharing, with their consent records; CSV cells made safe.
func TestMessagesOrderAndExport(t *testing.T) {
	t.Parallel()
	e := newMessageEnv(t)
	f := e.callForm("2020-07-01", "2020-07-31")
	f.Set("consent_partner_ru", "Я согласен передать послание городу-партнёру.")
	resp, _ := e.editor.post("/admin/messages", f)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create call: %d", resp.StatusCode)
	}
	call := int64(1)
	var ids []int64
	for i, body := range []string{"=HYPERLINK(\"http://x\")", "Второе послание"} {
		consents := url.Values{"name": {"Олег"}, "lang": {"ru"}, "body": {body}, "consent_publish": {"on"}, "consent_partner": {"on"}}
		var photo []byte // the second with a photo, which the export carries
		if i == 1 {
			photo = gpsJPEG(t)
		}
		if resp, out, _ := e.send(e.client(), "ru", call, consents, true, photo); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("send: %d %s", resp.StatusCode, out)
		}
		ids = append(ids, lastMessage(t, e, call).ID)
		if resp, _ := e.editor.post(fmt.Sprintf("/admin/messages/%d/queue/%d/approve", call, ids[len(ids)-1]), nil); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("approve: %d", resp.StatusCode)
		}
	}
	// Sent without the partner consent: not exported.
	if resp, _, _ := e.send(e.client(), "ru", call, url.Values{"name": {"Ира"}, "lang": {"ru"}, "body": {"Только на сайт"}, "consent_publish": {"on"}}, true, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatal("send without partner consent")
	}
	third := lastMessage(t, e, call).ID
	e.editor.post(fmt.Sprintf("/admin/messages/%d/queue/%d/approve", call, third), nil)

	// Newest first by default; the editors' order once chosen.
	_, page := e.client().get(fmt.Sprintf("/ru/messages/%d", call))
	if strings.Index(page, "Только на сайт") > strings.Index(page, "Второе послание") {
		t.Error("newest message not first")
	}
	order := url.Values{"order": {"curated"}, fmt.Sprintf("position_%d", ids[0]): {"1"}, fmt.Sprintf("position_%d", third): {"2"}}
	if resp, body := e.editor.post(fmt.Sprintf("/admin/messages/%d/order", call), order); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("order: %d %s", resp.StatusCode, body)
	}
	_, page = e.client().get(fmt.Sprintf("/ru/messages/%d", call))
	a, b, c := strings.Index(page, "HYPERLINK"), strings.Index(page, "Только на сайт"), strings.Index(page, "Второе послание")
	if a < 0 || !(a < b && b < c) {
		t.Errorf("curated order not followed: %d %d %d", a, b, c)
	}
	if resp, _ := e.editor.post(fmt.Sprintf("/admin/messages/%d/order", call), url.Values{"order": {"curated"}, fmt.Sprintf("position_%d", ids[0]): {"x"}}); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("bad place: %d", resp.StatusCode)
	}
	viewer := e.userClient("viewer")
	if resp, _ := viewer.get(fmt.Sprintf("/admin/messages/%d/export.zip", call)); resp.StatusCode != http.StatusForbidden {
		t.Errorf("viewer exports: %d", resp.StatusCode)
	}

	resp, body := e.editor.get(fmt.Sprintf("/admin/messages/%d/export.zip", call))
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/zip" {
		t.Fatalf("export: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	zr, err := zip.NewReader(bytes.NewReader([]byte(body)), int64(len(body)))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, f := range zr.File {
		r, _ := f.Open()
		b, _ := io.ReadAll(r)
		r.Close()
		files[f.Name] = string(b)
	}
	csv := files["messages.csv"]
	if !strings.Contains(csv, `"'=HYPERLINK`) || strings.Contains(csv, "Только на сайт") || !strings.Contains(csv, "Второе послание") {
		t.Errorf("messages.csv:\n%s", csv)
	}
	var manifest struct {
		Messages []struct {
			ID       int64  `json:"id"`
			Photo    string `json:"photo"`
			Consents []struct {
				Purpose, Wording string
			} `json:"consents"`
		} `json:"messages"`
	}
	if err := json.Unmarshal([]byte(files["manifest.json"]), &manifest); err != nil || len(manifest.Messages) != 2 {
		t.Fatalf("manifest: %v\n%s", err, files["manifest.json"])
	}
	found := false
	for _, c := range manifest.Messages[0].Consents {
		found = found || c.Purpose == "partner" && strings.Contains(c.Wording, "городу-партнёру")
	}
	if !found {
		t.Errorf("the partner consent's record is not in the manifest: %+v", manifest.Messages[0])
	}
	// The photo message's photo is in the archive, as the manifest names it, without metadata.
	photos := 0
	for _, m := range manifest.Messages {
		if m.Photo == "" {
			continue
		}
		photos++
		jpg := files[m.Photo]
		if m.ID != ids[1] || !strings.HasPrefix(jpg, "\xff\xd8") || strings.Contains(jpg, "Exif") {
			t.Errorf("message %d's photo %q: %d bytes, want message %d's JPEG without metadata", m.ID, m.Photo, len(jpg), ids[1])
		}
	}
	if photos != 1 {
		t.Errorf("%d photos in the manifest, want 1", photos)
	}
}
