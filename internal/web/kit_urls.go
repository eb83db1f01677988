package web

import "net/http"

// The site's URLs that pages of several areas build.

// absoluteURL makes an absolute URL of a path on the site's origin: the configured public URL,
// or the address the request reached (never a Host header the client made up).
func (s *Server) absoluteURL(r *http.Request, path string) string {
	return s.origin(r) + path
}

// mediaURL is the stable public URL of a stored file of a video.
func mediaURL(key string) string {
	if key == "" {
		return ""
	}
	return "/media/" + key
}
