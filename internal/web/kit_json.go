package web

import (
	"encoding/json"
	"net/http"

	"sistercity/internal/i18n"
)

// JSON answers of the admin's scripts (the cue editor's autosave, the processing status): one
// writer, never cached, in the reader's language, and errors in the same shape as pages give
// them, through classify. Feeds, oEmbed and JSON-LD have formats of their own.

// jsonError is a JSON error: a message in the user's language, and the cues of an autosave it
// is about.
type jsonError struct {
	Error string             `json:"error"`
	Cues  []editorCueProblem `json:"cues,omitempty"`
}

// writeJSON answers v as JSON with status, never cached; lang, when set, is its
// Content-Language.
func writeJSON(w http.ResponseWriter, status int, lang string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if lang != "" {
		w.Header().Set("Content-Language", lang)
	}
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// failJSON answers err as {"error": "…"} in the user's language, with the status and the
// message classify gives.
func (s *Server) failJSON(w http.ResponseWriter, r *http.Request, l *i18n.Localizer, err error) {
	status, msg := classify(err)
	if status >= 500 {
		s.log.Error("request failed", "path", r.URL.Path, "err", err)
	}
	retryStorage(w, err)
	writeJSON(w, status, l.Lang, jsonError{Error: l.Msg(msg)})
}
