// Package translate is sistercity's optional machine translation of subtitle cues: a small
// Translator interface and a client for the LibreTranslate HTTP API, which self-hosted and
// commercial services both speak. It is off unless an endpoint is configured; a person always
// reviews what it fills in.
package translate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/text/language"
)

// Translator translates texts from one language to another, keeping their order: the result
// has one text per input text.
type Translator interface {
	Translate(ctx context.Context, texts []string, from, to string) ([]string, error)
}

// Limits of the LibreTranslate client.
const (
	// DefaultTimeout bounds one request, the service's work included.
	DefaultTimeout = 30 * time.Second
	// DefaultBatch is how many texts go in one request; LibreTranslate's own default limit on
	// characters per request (5000) is met by DefaultBatchChars.
	DefaultBatch      = 50
	DefaultBatchChars = 4000
	// MaxResponseBytes bounds what is read of an answer.
	MaxResponseBytes = 4 << 20
	// maxErrorText bounds the service's error message kept in an Error.
	maxErrorText = 200
)

// Errors.
var (
	// ErrUnavailable: the service did not answer in time or could not be reached.
	ErrUnavailable = errors.New("translate: service unavailable")
	// ErrBadResponse: the service answered with something that is not a translation of the
	// texts sent.
	ErrBadResponse = errors.New("translate: unexpected response")
)

// Error is an answer of the service with an error status. Message is the service's own
// explanation ({"error": "…"}), shortened; it is for logs and administrators, not for users.
type Error struct {
	Status  int
	Message string
}

func (e *Error) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("translate: service answered %d", e.Status)
	}
	return fmt.Sprintf("translate: service answered %d: %s", e.Status, e.Message)
}

// LibreTranslate is a client of the LibreTranslate API (POST /translate).
type LibreTranslate struct {
	endpoint string // …/translate, without query or credentials
	key      string
	client   *http.Client
	// Batch and BatchChars bound one request: at most Batch texts and, unless one text is
	// longer by itself, BatchChars characters.
	Batch      int
	BatchChars int
}

// NewLibreTranslate returns a client of the service at base (e.g. https://lt.example.org),
// sending key with every request when it is not empty.
func NewLibreTranslate(base, key string) (*LibreTranslate, error) {
	u, err := url.Parse(strings.TrimSpace(base))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("translate: want an http:// or https:// URL")
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	u.Path = strings.TrimSuffix(u.Path, "/") + "/translate"
	return &LibreTranslate{endpoint: u.String(), key: key, client: &http.Client{Timeout: DefaultTimeout},
		Batch: DefaultBatch, BatchChars: DefaultBatchChars}, nil
}

// SetTimeout changes the time one request may take.
func (lt *LibreTranslate) SetTimeout(d time.Duration) { lt.client.Timeout = d }

type request struct {
	Q      []string `json:"q"`
	Source string   `json:"source"`
	Target string   `json:"target"`
	Format string   `json:"format"`
	APIKey string   `json:"api_key,omitempty"`
}

type response struct {
	TranslatedText json.RawMessage `json:"translatedText"`
	Error          string          `json:"error"`
}

// Translate sends texts in batches. Empty texts are not sent and come back empty.
func (lt *LibreTranslate) Translate(ctx context.Context, texts []string, from, to string) ([]string, error) {
	src, err := serviceLang(from)
	if err != nil {
		return nil, err
	}
	dst, err := serviceLang(to)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(texts))
	var batch []int // indexes into texts
	chars := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		q := make([]string, len(batch))
		for i, j := range batch {
			q[i] = texts[j]
		}
		got, err := lt.send(ctx, q, src, dst)
		if err != nil {
			return err
		}
		for i, j := range batch {
			out[j] = got[i]
		}
		batch, chars = batch[:0], 0
		return nil
	}
	for i, t := range texts {
		if strings.TrimSpace(t) == "" {
			continue
		}
		n := len([]rune(t))
		if len(batch) > 0 && (len(batch) >= lt.Batch || chars+n > lt.BatchChars) {
			if err := flush(); err != nil {
				return nil, err
			}
		}
		batch = append(batch, i)
		chars += n
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return out, nil
}

// serviceLang turns a BCP 47 tag into the code LibreTranslate uses: the base language ("ko",
// "ru", "en"), and Chinese by script ("zh-Hans", "zh-Hant").
func serviceLang(tag string) (string, error) {
	t, err := language.Parse(tag)
	if err != nil {
		return "", fmt.Errorf("translate: language %q: %w", tag, err)
	}
	base, _ := t.Base()
	if base.String() == "zh" {
		if script, _ := t.Script(); script.String() == "Hant" {
			return "zh-Hant", nil
		}
		return "zh-Hans", nil
	}
	return base.String(), nil
}

// send makes one request. Its errors never contain the key: it is sent in the body only, and
// the service's messages are scrubbed of it.
func (lt *LibreTranslate) send(ctx context.Context, q []string, from, to string) ([]string, error) {
	format := "text"
	for _, t := range q {
		// Cue text may carry WebVTT markup (<i>, <b>); the service keeps tags in HTML mode.
		if strings.ContainsRune(t, '<') {
			format = "html"
			break
		}
	}
	body, err := json.Marshal(request{Q: q, Source: from, Target: to, Format: format, APIKey: lt.key})
	if err != nil {
		return nil, fmt.Errorf("translate: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, lt.endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("translate: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := lt.client.Do(req)
	if err != nil {
		// *url.Error names the URL, which holds no credentials; the cause may be a timeout,
		// a refused connection or a cancelled request.
		var ue *url.Error
		cause := err
		if errors.As(err, &ue) {
			cause = ue.Err
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("translate: POST %s: %w", lt.endpoint, ctx.Err())
		}
		return nil, fmt.Errorf("translate: POST %s: %w (%s)", lt.endpoint, ErrUnavailable, lt.scrub(cause.Error()))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	if err != nil {
		return nil, fmt.Errorf("translate: POST %s: read: %w", lt.endpoint, ErrUnavailable)
	}
	if len(raw) > MaxResponseBytes {
		return nil, fmt.Errorf("translate: POST %s: answer larger than %d bytes: %w", lt.endpoint, MaxResponseBytes, ErrBadResponse)
	}
	var r response
	jsonErr := json.Unmarshal(raw, &r)
	if resp.StatusCode != http.StatusOK {
		msg := ""
		if jsonErr == nil {
			msg = r.Error
		}
		msg = lt.scrub(msg)
		if rs := []rune(msg); len(rs) > maxErrorText {
			msg = string(rs[:maxErrorText]) + "…"
		}
		return nil, &Error{Status: resp.StatusCode, Message: msg}
	}
	if jsonErr != nil {
		return nil, fmt.Errorf("translate: POST %s: %w: not JSON", lt.endpoint, ErrBadResponse)
	}
	var got []string
	if err := json.Unmarshal(r.TranslatedText, &got); err != nil || len(got) != len(q) {
		return nil, fmt.Errorf("translate: POST %s: %w: want %d texts", lt.endpoint, ErrBadResponse, len(q))
	}
	return got, nil
}

// scrub removes the key from text that came from elsewhere.
func (lt *LibreTranslate) scrub(text string) string {
	if lt.key == "" {
		return text
	}
	return strings.ReplaceAll(text, lt.key, "[key]")
}
