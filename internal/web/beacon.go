package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"sistercity/internal/publog"
)

// The viewing beacon. Players (static/beacon.js, on the watch page and the embed page) report a
// view, the subtitle language shown and the quarters played to POST /beacon with
// navigator.sendBeacon. What protects it:
//
//   - No session and no cookie, so there is nothing a forged request could act for; the usual
//     CSRF token (bound to a session or a cookie) cannot apply. Instead each page carries a
//     token signed with the server's secret for one video and one channel, good for two days
//     (beaconTokenLife; renewed every hour, so that a cached page keeps one token for an hour
//     and its ETag holds): a beacon needs a page of ours, and cannot count for another video.
//   - A rate per client address (beaconBurst, then beaconRefill a second), kept in memory only.
//   - Bots (by user agent, which is looked at and not kept) and prefetches (Sec-Purpose,
//     Purpose, X-Moz) are not counted; neither is a video that is not public, a field that makes
//     no sense, or a body over beaconMaxBody.
//
// A determined person can still add counts at the rate's pace from each address they have:
// these are figures for an office, not for billing. Whatever happens the answer is 204 with no
// body, so the beacon tells a prober nothing and never shows an error page.
const (
	beaconPath      = "/beacon"
	beaconMaxBody   = 2 << 10
	beaconTokenLife = 48 * time.Hour
	beaconBurst     = 60
	beaconRefill    = 1.0 // beacons a second per address, after the burst
	// beaconAddrs bounds the rate table; when full, addresses that have had their burst back
	// are forgotten first, then all.
	beaconAddrs = 100_000
)

// beaconToken signs video id and channel for the page being rendered.
func (s *Server) beaconToken(id int64, channel string) string {
	expiry := s.now().Truncate(time.Hour).Add(beaconTokenLife).Unix()
	b := make([]byte, 8, 8+16)
	binary.BigEndian.PutUint64(b, uint64(expiry))
	b = append(b, s.beaconMAC(id, channel, expiry)...)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (s *Server) beaconMAC(id int64, channel string, expiry int64) []byte {
	m := hmac.New(sha256.New, s.csrfSecret)
	m.Write([]byte("sistercity beacon v1\x00" + strconv.FormatInt(id, 10) + "\x00" + channel + "\x00"))
	var e [8]byte
	binary.BigEndian.PutUint64(e[:], uint64(expiry))
	m.Write(e[:])
	return m.Sum(nil)[:16]
}

// checkBeaconToken tells whether token is an unexpired token for video id and channel.
func (s *Server) checkBeaconToken(token string, id int64, channel string) bool {
	if len(token) != base64.RawURLEncoding.EncodedLen(8+16) {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) != 8+16 {
		return false
	}
	expiry := int64(binary.BigEndian.Uint64(b[:8]))
	now := s.now().Unix()
	if expiry <= now || expiry > now+int64((beaconTokenLife+time.Hour)/time.Second) {
		return false
	}
	return hmac.Equal(b[8:], s.beaconMAC(id, channel, expiry))
}

// botAgent matches the user agents of crawlers, link previews, scripts and headless browsers.
var botAgent = regexp.MustCompile(`(?i)bot\b|bot/|crawl|spider|slurp|preview|fetcher|facebookexternalhit|embedly|` +
	`curl/|wget/|python|go-http-client|java/|okhttp|httpclient|libwww|headless|phantomjs|lighthouse`)

// notAViewer tells whether r comes from something other than a person's browser: a bot, or a
// prefetch or prerender, which nobody watches.
func notAViewer(r *http.Request) bool {
	ua := r.UserAgent()
	if ua == "" || len(ua) > 1024 || botAgent.MatchString(ua) {
		return true
	}
	for _, h := range []string{"Sec-Purpose", "Purpose", "X-Moz", "X-Purpose"} {
		v := strings.ToLower(r.Header.Get(h))
		if strings.Contains(v, "prefetch") || strings.Contains(v, "prerender") || strings.Contains(v, "preview") {
			return true
		}
	}
	return false
}

// beacon counts one report from a player. It answers 204 whatever happens (see above).
func (s *Server) beacon(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	defer w.WriteHeader(http.StatusNoContent)
	if notAViewer(r) || !s.beaconRate.allow(clientAddr(r), s.now()) {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, beaconMaxBody)
	if err := r.ParseForm(); err != nil {
		return
	}
	id, err := strconv.ParseInt(r.PostForm.Get("v"), 10, 64)
	channel := r.PostForm.Get("c")
	if err != nil || id <= 0 || (channel != publog.ViewSite && channel != publog.ViewEmbed) ||
		!s.checkBeaconToken(r.PostForm.Get("t"), id, channel) {
		return
	}
	b := publog.Beacon{VideoID: id, Channel: channel, Event: r.PostForm.Get("e"), Lang: r.PostForm.Get("lang")}
	if b.Event == publog.EventQuartile {
		if b.Quartile, err = strconv.Atoi(r.PostForm.Get("q")); err != nil {
			return
		}
	}
	if channel == publog.ViewEmbed {
		b.Domain, b.Origin = publog.Domain(r.PostForm.Get("ref"))
	}
	err = s.publog.Count(r.Context(), s.db, b, s.now())
	switch {
	case errors.Is(err, publog.ErrUnknownVideo), errors.Is(err, publog.ErrBadBeacon):
		s.log.Debug("beacon dropped", "video", id, "reason", err)
	case err != nil:
		s.log.Warn("beacon not counted", "video", id, "err", err)
	}
}
