package web

import (
	"context"
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/tus/tusd/v2/pkg/handler"

	"sistercity/internal/auth"
	"sistercity/internal/blob"
	"sistercity/internal/config"
	"sistercity/internal/db"
	"sistercity/internal/i18n"
	"sistercity/internal/jobs"
	"sistercity/internal/problem"
	"sistercity/internal/upload"
	"sistercity/internal/video"
)

// uploadsPath is where the tus endpoint is mounted.
const uploadsPath = "/admin/uploads/"

// uploadChunkBytes is the size of one PATCH the upload page sends: small enough that a drop
// loses little, large enough that a GiB takes few requests.
const uploadChunkBytes = 8 << 20

// tusLibPath is where scripts/tusjs.sh puts the tus-js-client bundle among the static files.
const tusLibPath = "vendor/tus.min.js"

// tusLibURL is the content-hashed URL of the embedded tus-js-client, "" when the build has
// none (a fresh clone built without make).
func tusLibURL() string {
	if _, ok := staticAssets().byName[tusLibPath]; !ok {
		return ""
	}
	return staticURL(tusLibPath)
}

// videoUploadRoutes are the upload page of a video and the tus endpoint behind it (POST to
// create, HEAD to learn the offset, PATCH to append, DELETE to give up, OPTIONS to discover).
func (s *Server) videoUploadRoutes() []route {
	tus := http.StripPrefix(strings.TrimSuffix(uploadsPath, "/"), s.uploads).ServeHTTP
	return []route{
		{"GET /admin/videos/{id}/upload", auth.RoleEditor, s.adminVideoUpload},
		{"POST " + uploadsPath + "{$}", auth.RoleEditor, tus},
		{"HEAD " + uploadsPath + "{id}", auth.RoleEditor, tus},
		{"PATCH " + uploadsPath + "{id}", auth.RoleEditor, tus},
		{"DELETE " + uploadsPath + "{id}", auth.RoleEditor, tus},
		{"OPTIONS " + uploadsPath, auth.RoleEditor, tus},
	}
}

// newUploads builds the tus handler: over DataDir/uploads, or, with media on S3, over the
// bucket, so that any replica continues an upload; on PostgreSQL the uploads' locks are held
// in the database, shared by the replicas.
func (s *Server) newUploads() (*upload.Handler, error) {
	return newUploadHandler(s.cfg, s.db, s.docs, s.queue, s.log,
		func(r *http.Request) *i18n.Localizer { return s.cat.Localizer(s.langOf(r)) }, userFrom, s.now)
}

// newUploadHandler is newUploads for a process with or without a web server.
func newUploadHandler(cfg config.Config, d *db.DB, store blob.Store, q *jobs.Queue, log *slog.Logger,
	localize func(*http.Request) *i18n.Localizer, actor func(*http.Request) *auth.User, now func() time.Time) (*upload.Handler, error) {
	var bucket *upload.Bucket
	if client, name, ok := blob.S3Bucket(store); ok {
		bucket = &upload.Bucket{Client: client, Name: name}
	}
	var locker handler.Locker
	if d.Dialect == db.Postgres {
		l, err := upload.NewPGLocker(d.URL())
		if err != nil {
			return nil, err
		}
		locker = l
	}
	return upload.New(upload.Options{
		Bucket:   bucket,
		Locker:   locker,
		Dir:      filepath.Join(cfg.DataDir, "uploads"),
		BasePath: uploadsPath,
		MaxSize:  cfg.MaxUploadBytes,
		Quota:    cfg.StorageQuota,
		Expiry:   cfg.UploadExpiry,
		// A file:// media directory is taken to share the data directory's disk.
		StoreOnDisk: cfg.MediaURL == "" || strings.HasPrefix(cfg.MediaURL, "file://"),
		DB:          d,
		Store:       store,
		Queue:       q,
		Log:         log,
		Localize:    localize,
		Actor:       actor,
		Now:         now,
		// What one user's unfinished uploads may reserve, and how long one may receive nothing.
		ReservePerUser: cfg.UploadReservePerUser,
		IdleExpiry:     cfg.UploadIdleExpiry,
		// A citizen's video message is probed before it is kept.
		Check: messageUploadCheck(d, filepath.Join(cfg.DataDir, "tmp")),
	})
}

// UploadsShared tells whether every replica sees every upload: they wait in the media bucket
// and their locks are PostgreSQL's. The upload sweep is then a periodic job
// (RegisterUploadSweep), run once across the processes that run jobs; otherwise each serve
// sweeps its own data directory (SweepUploads).
func UploadsShared(d *db.DB, store blob.Store) bool {
	_, _, bucket := blob.S3Bucket(store)
	return bucket && d.Dialect == db.Postgres
}

// RegisterUploadSweep registers the upload sweep as a periodic job every interval, when the
// uploads are shared (UploadsShared); otherwise it does nothing. The job's handler serves no
// request, so a worker process can run it.
func RegisterUploadSweep(q *jobs.Queue, cfg config.Config, d *db.DB, store blob.Store, cat *i18n.Catalog, log *slog.Logger, every time.Duration) error {
	if !UploadsShared(d, store) {
		return nil
	}
	h, err := newUploadHandler(cfg, d, store, q, log,
		func(r *http.Request) *i18n.Localizer {
			return cat.Localizer(cat.Match(r.Header.Get("Accept-Language")))
		}, userFrom, time.Now)
	if err != nil {
		return err
	}
	return upload.RegisterSweep(q, h, every)
}

// SweepUploads finishes uploads left complete by a stopped server, then every interval deletes
// the unfinished ones untouched for the configured expiry, and those that have received no byte
// for the idle expiry, until ctx ends.
func (s *Server) SweepUploads(ctx context.Context, every time.Duration) {
	go s.uploads.RunIdle(ctx, every)
	s.uploads.Run(ctx, every)
}

// tusChunk tells the CSRF middleware that a request carries upload data: its body is a file
// bounded by the upload's size, not a form bounded by maxFormBytes.
func tusChunk(r *http.Request) bool {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return r.Method == http.MethodPatch && ct == "application/offset+octet-stream" &&
		(strings.HasPrefix(r.URL.Path, uploadsPath) || messageUploads.MatchString(r.URL.Path))
}

type videoUploadPage struct {
	ID         int64
	Title      string
	TitleLang  string
	Uploadable bool
	Status     string
	Active     bool   // waiting or processing: the status script keeps asking
	Ready      bool   // processed: the page links the video, its tracks and its watch page
	Watch      string // the public watch page, while the video is public
	MaxBytes   int64
	Max        string
	Chunk      int
	TusLib     string // the upload client; "" when the build has none
}

func (s *Server) adminVideoUpload(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	v, err := video.Get(r.Context(), s.db.R, id)
	if err != nil {
		if errors.Is(err, db.ErrNotFound) {
			err = problem.New(http.StatusNotFound, "upload.error.no_video")
		}
		s.fail(w, r, err)
		return
	}
	p := s.adminPage(w, r, "upload.title")
	p.Data = videoUploadPage{
		ID:         v.ID,
		Title:      v.Title(p.Lang),
		TitleLang:  v.TitleLang(p.Lang),
		Uploadable: upload.Uploadable(v),
		Status:     uploadStatusText(p.L, v),
		Active:     v.Processing == video.ProcWaiting || v.Processing == video.ProcProcessing,
		Ready:      v.Processing == video.ProcReady,
		MaxBytes:   s.uploads.MaxSize(),
		Max:        p.L.Msg(upload.Size(s.uploads.MaxSize())),
		Chunk:      uploadChunkBytes,
		TusLib:     s.tusLib,
	}
	if v.Public() {
		d := p.Data.(videoUploadPage)
		d.Watch = "/" + p.Lang + "/videos/" + strconv.FormatInt(v.ID, 10)
		p.Data = d
	}
	s.render(w, r, http.StatusOK, "admin/video-upload", p)
}

// uploadStatusText is the processing status of v as the page first shows it; the status
// script keeps it current afterwards.
func uploadStatusText(l *i18n.Localizer, v *video.Video) string {
	switch v.Processing {
	case video.ProcProcessing:
		return l.T("video.processing.processing", "percent", v.Progress)
	case video.ProcFailed:
		reason := v.Failure
		code, _, _ := strings.Cut(reason, ":")
		if msg := l.T("video.media_error." + code); msg != "video.media_error."+code {
			reason = msg
		}
		return l.T("video.processing.failed", "reason", reason)
	}
	return l.T("video.processing." + v.Processing)
}
