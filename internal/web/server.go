// Package web is sistercity's HTTP face: the router, middleware, handlers and the embedded
// templates and static files. It is thin: handlers parse requests, call into the feature
// packages inside one transaction, audit, and render.
package web

import (
	"context"
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/prometheus/client_golang/prometheus"

	"sistercity/internal/blob"
	"sistercity/internal/config"
	"sistercity/internal/db"
	"sistercity/internal/fed"
	"sistercity/internal/i18n"
	"sistercity/internal/jobs"
	"sistercity/internal/portal"
	"sistercity/internal/publog"
	"sistercity/internal/safehttp"
	"sistercity/internal/translate"
	"sistercity/internal/upload"
)

// Server holds what the handlers need. It has no package-level state: tests build as many as
// they like.
type Server struct {
	cfg      config.Config
	db       *db.DB
	cat      *i18n.Catalog
	sessions *scs.SessionManager
	docs     blob.Store
	queue    *jobs.Queue
	uploads  *upload.Handler
	log      *slog.Logger
	pages    map[string]*template.Template
	metrics  *metrics
	lim      *limiter
	routes   []route
	handler  http.Handler
	// csrfSecret signs the CSRF tokens of anonymous forms; lastMod dates public pages.
	csrfSecret []byte
	lastMod    lastModified
	// feeds keeps built feeds for a second (feed_cache.go).
	feeds feedCache

	// pageCache keeps rendered public pages; nil when --page-cache-bytes is 0.
	pageCache *pageCache
	// snap holds what the public pages read, once per data generation (snapshot.go).
	snap snapshots
	// machine is the machine translation, built once by New; nil when it is off.
	machine translate.Translator
	// now returns the current time; tests may pin it.
	now func() time.Time
	// publog records the publication log's once-only entries (feeds, embeds) and counts the
	// viewing beacons, whose rate per address beaconRate keeps in memory.
	publog     *publog.Recorder
	beaconRate *rateLimiter
	// fed is the city on the fediverse; nil while --base-url is unset (federation off).
	fed *fed.Service
	// sendRate limits the citizens' messages sent from one address (messages_public.go);
	// altchaMax bounds their proof of work (tests make it small).
	sendRate  *rateLimiter
	altchaMax int64
	// portal keeps the partner cities' videos (sister portals); nil with federation off.
	portal *portal.Service
	// tusLib is the URL of the embedded tus-js-client, the upload pages' client; "" when the
	// build has none (tusLibURL), and the pages then say that uploading is not available.
	tusLib string
}

// Options are the parts a Server is built from.
type Options struct {
	Config  config.Config
	DB      *db.DB
	Catalog *i18n.Catalog
	Docs    blob.Store
	// Queue takes the jobs handlers enqueue (video processing, publication, burn-ins); it
	// need not run workers in this process.
	Queue *jobs.Queue
	Log   *slog.Logger
	// Registry receives the server's metrics; nil makes a fresh one.
	Registry *prometheus.Registry
	// Now pins the clock (tests); nil is time.Now.
	Now func() time.Time
	// Version is the software version NodeInfo reports.
	Version string
}

// New builds a Server and its routes. It fails when a template is missing or broken, or when
// the machine translation's URL cannot be used.
func New(o Options) (*Server, error) {
	machine, err := newMachine(o.Config)
	if err != nil {
		return nil, err
	}
	s := &Server{
		machine:  machine,
		cfg:      o.Config,
		db:       o.DB,
		cat:      o.Catalog,
		docs:     o.Docs,
		queue:    o.Queue,
		log:      o.Log,
		sessions: nil,
		now:      o.Now,
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.publog, s.beaconRate = publog.NewRecorder(s.now), newRateLimiter(beaconBurst, beaconRefill, beaconAddrs)
	s.sendRate, s.altchaMax = newRateLimiter(sendBurst, sendRefill, sendAddrs), altchaMaxNumber
	s.tusLib = tusLibURL()
	s.sessions = newSessions(o.DB, o.Config)
	if s.fed, err = NewFed(o.Config, o.DB, o.Queue, s.log, o.Version); err != nil {
		return nil, err
	}
	if s.fed != nil {
		s.portal = NewPortal(o.Config, o.DB, s.fed, o.Docs, o.Queue, s.log)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	secret, err := loadCSRFSecret(ctx, o.DB)
	cancel()
	if err != nil {
		return nil, err
	}
	s.csrfSecret = secret
	reg := o.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	s.metrics = newMetrics(reg, o.DB)
	pages, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	s.pages = pages
	if s.uploads, err = s.newUploads(); err != nil {
		return nil, err
	}
	s.pageCache = newPageCache(o.Config.PageCacheBytes)
	s.routes = s.routeTable()
	mux := http.NewServeMux()
	for _, rt := range s.routes {
		mux.Handle(rt.pattern, s.guard(rt))
	}
	mux.Handle("GET /metrics", s.metricsHandler(s.metrics.handler(reg)))
	mux.HandleFunc("/", s.notFound)
	s.lim = s.newLimiter()
	s.handler = s.recoverer(s.limits(s.instrument(securityHeaders(compress(s.cachedPages(s.loadSession(s.csrf(mux))))))))
	return s, nil
}

// ServeHTTP serves a request. Its context carries the queue, so that a write that records an
// outbox activity triggers its sending in the same transaction (jobs.Trigger).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.queue != nil {
		r = r.WithContext(jobs.NewContext(r.Context(), s.queue))
	}
	s.handler.ServeHTTP(w, r)
}

// Run serves on the configured address until ctx ends, then shuts down gracefully.
func (s *Server) Run(ctx context.Context) error {
	srv := &http.Server{
		Addr:              s.cfg.Listen,
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	s.log.Info("listening", "addr", s.cfg.Listen)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}

// NewFed builds the federation service of cfg, or nil when --base-url is unset (federation
// off). Every outbound request goes through the safe client, allowing only the configured
// private ranges (--fed-allow-private). serve and worker both build one: the worker to deliver.
func NewFed(cfg config.Config, d *db.DB, q *jobs.Queue, log *slog.Logger, version string) (*fed.Service, error) {
	if cfg.BaseURL == "" {
		return nil, nil
	}
	return fed.New(fed.Options{DB: d, BaseURL: cfg.BaseURL, Client: safehttp.New(safehttp.Options{Allow: cfg.FedAllowed}),
		Queue: q, Log: log, Version: version})
}

// NewPortal builds the sister portals over fs (which then passes partner activities to it):
// posters are cached in store, fetched through the safe client as fs's requests are.
func NewPortal(cfg config.Config, d *db.DB, fs *fed.Service, store blob.Store, q *jobs.Queue, log *slog.Logger) *portal.Service {
	p := portal.New(portal.Options{DB: d, Fed: fs, Store: store, Client: safehttp.New(safehttp.Options{Allow: cfg.FedAllowed}),
		Queue: q, Log: log})
	fs.SetPartners(p)
	return p
}
