package web

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"sistercity/internal/publish"
)

// oEmbed (https://oembed.com) at /oembed?url=…: for the URL of a watch page or of the embed,
// the iframe of the embeddable player with its size, as JSON (format=json, the default) or XML
// (format=xml), within maxwidth×maxheight, in the interface language lang (else the URL's).
// Every refusal is a small JSON or XML error, never a page: another site's URL or a video that
// is not published is 404, a malformed parameter 400, another format 501 (as oEmbed says).

// maxOEmbedURL bounds the url parameter.
const maxOEmbedURL = 2048

// oembedCacheAge is how long a consumer may keep an answer (seconds): titles and tracks change
// rarely, and the iframe shows the current state anyway.
const oembedCacheAge = 3600

func (s *Server) oembed(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	format := q.Get("format")
	if format == "" {
		format = "json"
	}
	lang := s.cat.Match(r.Header.Get("Accept-Language"))
	if q.Get("lang") != "" {
		l, _ := s.embedLang(r)
		lang = l
	}
	if format != "json" && format != "xml" {
		s.oembedError(w, r, "json", lang, http.StatusNotImplemented, "embed.oembed.error.format")
		return
	}
	maxW, okW := dimension(q, "maxwidth")
	maxH, okH := dimension(q, "maxheight")
	if !okW || !okH {
		s.oembedError(w, r, format, lang, http.StatusBadRequest, "embed.oembed.error.size")
		return
	}
	raw := q.Get("url")
	if raw == "" || len(raw) > maxOEmbedURL {
		s.oembedError(w, r, format, lang, http.StatusBadRequest, "embed.oembed.error.url")
		return
	}
	id, urlLang, ok := s.videoOfURL(r, raw)
	if !ok {
		s.oembedError(w, r, format, lang, http.StatusNotFound, "embed.oembed.error.not_ours")
		return
	}
	if q.Get("lang") == "" && urlLang != "" {
		lang = urlLang
	}
	v, err := s.embeddable(r.Context(), id)
	if err != nil {
		if isNotFound(err) || errors.Is(err, errWithdrawn) {
			s.oembedError(w, r, format, lang, http.StatusNotFound, "embed.oembed.error.not_found")
			return
		}
		s.log.Error("oembed", "err", err)
		s.oembedError(w, r, format, lang, http.StatusInternalServerError, "error.internal")
		return
	}
	fw, fh := embedFrame(v, maxW, maxH)
	o := publish.OEmbed{Type: "video", Version: "1.0", Title: v.Title(lang), ProviderName: s.siteName(r.Context(), lang),
		ProviderURL: s.absoluteURL(r, "/"+lang+"/"), CacheAge: oembedCacheAge,
		HTML: s.embedCode(r, v, lang, "", fw, fh), Width: fw, Height: fh}
	if v.PosterKey != "" {
		best := v.Best()
		o.ThumbnailURL, o.ThumbnailWidth, o.ThumbnailHeight = s.absoluteURL(r, mediaURL(v.PosterKey)), best.Width, best.Height
	}
	body, ctype, err := encodeOEmbed(format, o)
	if err != nil {
		s.log.Error("oembed", "err", err)
		s.oembedError(w, r, format, lang, http.StatusInternalServerError, "error.internal")
		return
	}
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Access-Control-Allow-Origin", "*")
	addVary(h, "Accept-Language")
	if s.cachePublic(w, r, body) {
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write(body)
}

// dimension reads maxwidth or maxheight: absent is 0 (no bound); anything but a positive whole
// number is refused.
func dimension(q url.Values, name string) (int, bool) {
	raw := q.Get(name)
	if raw == "" {
		return 0, true
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n <= 0 || len(raw) > 6 {
		return 0, false
	}
	return n, true
}

// videoOfURL finds the video a URL of this site names: a watch page /{lang}/videos/{id} (with its
// language) or the embed /embed/videos/{id}. A URL of another host or another page names none.
func (s *Server) videoOfURL(r *http.Request, raw string) (id, lang string, ok bool) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.User != nil {
		return "", "", false
	}
	own, err := url.Parse(s.origin(r))
	if err != nil || !strings.EqualFold(u.Host, own.Host) {
		return "", "", false
	}
	parts := strings.Split(strings.TrimPrefix(u.Path, "/"), "/")
	if len(parts) != 3 || parts[1] != "videos" || parts[2] == "" {
		return "", "", false
	}
	switch {
	case parts[0] == "embed":
		return parts[2], "", true
	case s.cat.Has(parts[0]):
		return parts[2], parts[0], true
	}
	return "", "", false
}

func encodeOEmbed(format string, v any) ([]byte, string, error) {
	if format == "xml" {
		var b bytes.Buffer
		b.WriteString(xml.Header)
		if err := xml.NewEncoder(&b).Encode(v); err != nil {
			return nil, "", err
		}
		return b.Bytes(), "text/xml; charset=utf-8", nil
	}
	b, err := json.Marshal(v)
	return b, "application/json; charset=utf-8", err
}

// oembedError answers with status and the message key's text in lang, in the asked format.
func (s *Server) oembedError(w http.ResponseWriter, r *http.Request, format, lang string, status int, key string) {
	body, ctype, err := encodeOEmbed(format, publish.OEmbedError{Status: status, Error: s.cat.Localizer(lang).T(key)})
	if err != nil {
		http.Error(w, http.StatusText(status), status)
		return
	}
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Cache-Control", privateNoStore)
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
