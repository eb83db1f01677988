package web

import (
	"archive/zip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"sistercity/internal/csvsafe"
	"sistercity/internal/messages"
	"sistercity/internal/video"
)

// The export of a call's messages for the partner city's office: a ZIP with the approved
// messages whose senders agreed to the sharing, their photos and videos, a CSV (each cell made
// safe for spreadsheets) and a JSON manifest with the consent records as they were given.

// exportedMessage is a message as the manifest keeps it.
type exportedMessage struct {
	ID           int64             `json:"id"`
	Name         string            `json:"name,omitempty"`
	City         string            `json:"city,omitempty"`
	Lang         string            `json:"lang"`
	Text         string            `json:"text"`
	Translations map[string]string `json:"translations,omitempty"`
	Sent         time.Time         `json:"sent"`
	Approved     time.Time         `json:"approved"`
	Photo        string            `json:"photo,omitempty"`
	Video        string            `json:"video,omitempty"`
	Consents     []exportedConsent `json:"consents"`
}

type exportedConsent struct {
	Purpose string    `json:"purpose"`
	Lang    string    `json:"lang"`
	Version int       `json:"version"`
	Wording string    `json:"wording"`
	Given   time.Time `json:"given"`
}

func (s *Server) messageExport(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	c, ok := s.pathCall(w, r)
	if !ok {
		return
	}
	id := c.ID
	ms, err := messages.List(ctx, s.db.R, id, messages.StatusApproved)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var out []exportedMessage
	files := map[string]string{} // name in the ZIP → key in the store
	for _, m := range ms {
		if !m.Gave(messages.PurposePartner) {
			continue
		}
		x := exportedMessage{ID: m.ID, Name: m.Name, City: m.City, Lang: m.Lang, Text: m.Body, Sent: m.CreatedAt, Approved: m.DecidedAt}
		for _, t := range m.Translations {
			if t.Done {
				if x.Translations == nil {
					x.Translations = map[string]string{}
				}
				x.Translations[t.Lang] = t.Body
			}
		}
		for _, con := range m.Consents {
			x.Consents = append(x.Consents, exportedConsent{Purpose: con.Purpose, Lang: con.Lang, Version: con.Version, Wording: con.Wording, Given: con.GivenAt})
		}
		if m.PhotoKey != "" {
			x.Photo = fmt.Sprintf("media/%d.jpg", m.ID)
			files[x.Photo] = m.PhotoKey
		}
		if m.VideoID != 0 {
			if v, err := video.Get(ctx, s.db.R, m.VideoID); err == nil && v.Processed() {
				x.Video = fmt.Sprintf("media/%d.mp4", m.ID)
				files[x.Video] = v.Default().Key
			}
		}
		out = append(out, x)
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="messages-%d.zip"`, c.ID))
	w.Header().Set("Cache-Control", privateNoStore)
	zw := zip.NewWriter(w)
	defer zw.Close()
	cw, err := zw.Create("messages.csv")
	if err != nil {
		return
	}
	csv := csvsafe.NewWriter(cw)
	_ = csv.Write([]string{"id", "name", "city", "lang", "text", "sent", "approved", "photo", "video", "consents"})
	for _, x := range out {
		consents := ""
		for i, con := range x.Consents {
			if i > 0 {
				consents += "; "
			}
			consents += fmt.Sprintf("%s v%d %s %s", con.Purpose, con.Version, con.Lang, con.Given.Format(time.RFC3339))
		}
		_ = csv.Write([]string{strconv.FormatInt(x.ID, 10), x.Name, x.City, x.Lang, x.Text, x.Sent.Format(time.RFC3339),
			x.Approved.Format(time.RFC3339), x.Photo, x.Video, consents})
	}
	csv.Flush()
	jw, err := zw.Create("manifest.json")
	if err != nil {
		return
	}
	enc := json.NewEncoder(jw)
	enc.SetIndent("", "  ")
	_ = enc.Encode(struct {
		Call     int64             `json:"call"`
		Title    string            `json:"title"`
		Made     time.Time         `json:"made"`
		Messages []exportedMessage `json:"messages"`
	}{c.ID, c.Text("en").Title, s.now().UTC(), out})
	for _, x := range out {
		for _, name := range []string{x.Photo, x.Video} {
			if name == "" {
				continue
			}
			f, err := s.docs.Open(ctx, files[name])
			if err != nil {
				s.log.Error("message export: media", "key", files[name], "err", err)
				continue
			}
			fw, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store, Modified: x.Approved})
			if err == nil {
				_, _ = io.Copy(fw, f)
			}
			f.Close()
		}
	}
}
