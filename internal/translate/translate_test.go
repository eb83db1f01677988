package translate_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"sistercity/internal/translate"
)

const testKey = "secret-key-123"

// standIn is a local LibreTranslate: it checks the key and translates word by word from a
// small Korean–Russian dictionary, leaving unknown words and tags as they are.
type standIn struct {
	mu       sync.Mutex
	requests []map[string]any
}

var dictionary = map[string]string{"부산": "Пусан", "블라디보스토크": "Владивосток", "친구": "друзья", "안녕하세요": "Здравствуйте"}

func (s *standIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if r.Method != http.MethodPost || r.URL.Path != "/translate" {
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"error":"Not Found"}`))
		return
	}
	var req struct {
		Q      []string `json:"q"`
		Source string   `json:"source"`
		Target string   `json:"target"`
		Format string   `json:"format"`
		APIKey string   `json:"api_key"`
	}
	raw := map[string]any{}
	if err := json.NewDecoder(r.Body).Decode(&raw); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":"Invalid request"}`))
		return
	}
	b, _ := json.Marshal(raw)
	_ = json.Unmarshal(b, &req)
	s.mu.Lock()
	s.requests = append(s.requests, raw)
	s.mu.Unlock()
	if req.APIKey != testKey {
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(`{"error":"Invalid API key"}`))
		return
	}
	if req.Source != "ko" || req.Target != "ru" {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":"` + req.Target + ` is not supported"}`))
		return
	}
	out := make([]string, len(req.Q))
	for i, q := range req.Q {
		words := strings.Fields(q)
		for j, w := range words {
			if t, ok := dictionary[w]; ok {
				words[j] = t
			}
		}
		out[i] = strings.Join(words, " ")
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"translatedText": out})
}

func TestLibreTranslate(t *testing.T) {
	si := &standIn{}
	ts := httptest.NewServer(si)
	defer ts.Close()
	lt, err := translate.NewLibreTranslate(ts.URL+"/", testKey)
	if err != nil {
		t.Fatal(err)
	}
	lt.Batch = 2
	var tr translate.Translator = lt
	got, err := tr.Translate(context.Background(), []string{"부산 친구", "", "블라디보스토크", "<i>안녕하세요</i>", "  "}, "ko-KR", "ru")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Пусан друзья", "", "Владивосток", "<i>안녕하세요</i>", ""}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("text %d = %q, want %q", i, got[i], want[i])
		}
	}
	if len(si.requests) != 2 {
		t.Fatalf("%d requests, want 2 batches of at most 2", len(si.requests))
	}
	first, second := si.requests[0], si.requests[1]
	if first["api_key"] != testKey || first["source"] != "ko" || first["target"] != "ru" || first["format"] != "text" {
		t.Errorf("first request %v", first)
	}
	if second["format"] != "html" {
		t.Errorf("a batch with markup went as %v, want html", second["format"])
	}
}

func TestLibreTranslateErrors(t *testing.T) {
	si := &standIn{}
	ts := httptest.NewServer(si)
	defer ts.Close()
	ctx := context.Background()

	// A wrong key: the service's message, the status, and never the key itself.
	lt, _ := translate.NewLibreTranslate(ts.URL, "wrong-"+testKey)
	_, err := lt.Translate(ctx, []string{"부산"}, "ko", "ru")
	var te *translate.Error
	if !errors.As(err, &te) || te.Status != http.StatusForbidden || te.Message != "Invalid API key" {
		t.Errorf("wrong key: %v", err)
	}
	if strings.Contains(err.Error(), testKey) {
		t.Errorf("error shows the key: %v", err)
	}

	// An unsupported language pair.
	lt, _ = translate.NewLibreTranslate(ts.URL, testKey)
	if _, err := lt.Translate(ctx, []string{"부산"}, "ko", "en"); !errors.As(err, &te) || te.Status != http.StatusBadRequest {
		t.Errorf("unsupported pair: %v", err)
	}
	if _, err := lt.Translate(ctx, []string{"부산"}, "not a tag!", "ru"); err == nil {
		t.Error("a malformed language tag was sent")
	}

	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		want    error
		status  int
	}{
		{"echoes the key", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = w.Write([]byte(`{"error":"Slow down, ` + testKey + `"}`))
		}, nil, http.StatusTooManyRequests},
		{"not JSON error", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "<html>bad gateway</html>", http.StatusBadGateway)
		}, nil, http.StatusBadGateway},
		{"not JSON", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("hello")) }, translate.ErrBadResponse, 0},
		{"wrong count", func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`{"translatedText":["a","b"]}`))
		}, translate.ErrBadResponse, 0},
		{"one string for many", func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`{"translatedText":"a"}`))
		}, translate.ErrBadResponse, 0},
		{"too large", func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`{"translatedText":["` + strings.Repeat("a", translate.MaxResponseBytes) + `"]}`))
		}, translate.ErrBadResponse, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			defer srv.Close()
			lt, _ := translate.NewLibreTranslate(srv.URL, testKey)
			_, err := lt.Translate(ctx, []string{"부산"}, "ko", "ru")
			switch {
			case err == nil:
				t.Fatal("no error")
			case tc.want != nil && !errors.Is(err, tc.want):
				t.Errorf("err = %v, want %v", err, tc.want)
			case tc.status != 0 && (!errors.As(err, &te) || te.Status != tc.status):
				t.Errorf("err = %v, want status %d", err, tc.status)
			}
			if strings.Contains(err.Error(), testKey) {
				t.Errorf("error shows the key: %v", err)
			}
		})
	}
}

func TestLibreTranslateTimeout(t *testing.T) {
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(release)
	lt, _ := translate.NewLibreTranslate(slow.URL, testKey)
	lt.SetTimeout(200 * time.Millisecond)
	_, err := lt.Translate(context.Background(), []string{"부산"}, "ko", "ru")
	if !errors.Is(err, translate.ErrUnavailable) {
		t.Errorf("slow service: %v, want ErrUnavailable", err)
	}
	if err != nil && strings.Contains(err.Error(), testKey) {
		t.Errorf("error shows the key: %v", err)
	}

	// The caller's deadline counts too.
	lt.SetTimeout(time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := lt.Translate(ctx, []string{"부산"}, "ko", "ru"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("caller's deadline: %v", err)
	}
}

func TestNewLibreTranslate(t *testing.T) {
	for _, bad := range []string{"", "ftp://x", "localhost:5000", "http://"} {
		if _, err := translate.NewLibreTranslate(bad, ""); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
