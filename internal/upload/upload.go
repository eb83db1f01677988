// Package upload receives video sources over the tus resumable-upload protocol (tus 1.0, served
// by github.com/tus/tusd/v2): an upload of several GiB that breaks off — a network drop, a
// closed browser, a restarted server — resumes where it stopped. Unfinished uploads wait in a
// directory of the data directory; a finished one is moved into the media store, attached to
// its video and queued for processing in one transaction, then its temporary file goes.
//
// The package knows no routes: the web package mounts Handler under a path, checks the role and
// the CSRF token, and tells it who is asking and in which language.
package upload

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/tus/tusd/v2/pkg/handler"
	"github.com/tus/tusd/v2/pkg/memorylocker"

	"sistercity/internal/auth"
	"sistercity/internal/blob"
	"sistercity/internal/db"
	"sistercity/internal/i18n"
	"sistercity/internal/jobs"
	"sistercity/internal/problem"
	"sistercity/internal/video"
)

// Metadata of an upload. The client sends the video and the file's name; the server adds the
// uploader, so that a completion finished after a restart is audited under the right name.
const (
	MetaVideo    = "video"
	MetaFilename = "filename"
	// MetaCheck is a value kept for Options.Check (at most 128 bytes).
	MetaCheck    = "check"
	metaUserID   = "user_id"
	metaUsername = "username"
)

// maxFilename bounds the file name a client declares.
const maxFilename = 255

// Options are what a Handler is built from.
type Options struct {
	// Dir keeps the unfinished uploads (DataDir/uploads); it is made on the first upload.
	// With Bucket, it keeps only the parts being gathered before they go to the bucket.
	Dir string
	// Bucket, when set, keeps the unfinished uploads in an S3 bucket (under BucketPrefix)
	// instead of Dir, so that every replica sees them.
	Bucket *Bucket
	// Locker holds an upload for one request at a time; nil is an in-process locker, right
	// for one process. Replicas share NewPGLocker's.
	Locker handler.Locker
	// LockWait is how long a request waits for an upload's lock before it is answered 423;
	// StallAfter is how long a PATCH may receive nothing before it gives its lock to a request
	// that asks for it (see yieldingLocker). Zero is the default of each.
	LockWait, StallAfter time.Duration
	// BasePath is the URL path the handler is mounted at, e.g. "/admin/uploads/"; the
	// Location of a new upload is BasePath plus its ID.
	BasePath string
	// MaxSize bounds one upload.
	MaxSize int64
	// Quota bounds the bytes of the media store plus the uploads in progress; 0 is none.
	Quota int64
	// Expiry is how long an unfinished upload may stay untouched before Sweep deletes it.
	Expiry time.Duration
	// IdleExpiry is how long an upload that has received no byte may hold its reservation
	// before SweepIdle deletes it; 0 leaves it to Expiry.
	IdleExpiry time.Duration
	// ReservePerUser bounds the declared sizes of one user's unfinished uploads together; 0
	// is no bound beyond Quota.
	ReservePerUser int64
	// StoreOnDisk says the media store is on the disk of Dir: a finished upload is copied
	// into it before its temporary file goes, so for a moment it takes twice its size.
	StoreOnDisk bool

	DB    *db.DB
	Store blob.Store
	Queue *jobs.Queue
	Log   *slog.Logger
	// Localize gives the language of a request, for the messages of a refusal.
	Localize func(r *http.Request) *i18n.Localizer
	// Actor is the signed-in user making a request.
	Actor func(r *http.Request) *auth.User
	// Now pins the clock (tests); nil is time.Now.
	Now func() time.Time
	// Check judges a finished upload for video vid before it is attached (nil accepts all):
	// a *problem.Error refuses it, the upload is deleted and the client that sent its last
	// byte hears why. open reads the upload; hash is the value the upload's metadata keeps
	// under MetaCheck, given at creation by the one who forwarded it.
	Check func(ctx context.Context, vid int64, hash string, open func() (io.ReadCloser, error)) error
}

// Bucket is an S3 bucket that keeps unfinished uploads: the media bucket (blob.S3Bucket).
type Bucket struct {
	Client *s3.Client
	Name   string
}

// Handler serves the tus protocol for video sources and finishes completed uploads.
type Handler struct {
	o      Options
	sp     space
	locker handler.Locker
	tus    *handler.Handler

	// busy holds the uploads being completed, so that the request that sent the last byte and
	// a sweep never finish the same upload at once in this process (the upload's lock and the
	// attaching transaction keep replicas apart).
	mu   sync.Mutex
	busy map[string]chan struct{}
	// reading tells how recently the PATCH holding an upload received a byte.
	reading map[string]*activity
}

// New builds a Handler. Nothing touches the disk until the first upload.
func New(o Options) (*Handler, error) {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.LockWait <= 0 {
		o.LockWait = defaultLockWait
	}
	if o.StallAfter <= 0 {
		o.StallAfter = defaultStallAfter
	}
	h := &Handler{o: o, busy: map[string]chan struct{}{}, reading: map[string]*activity{}}
	if o.Bucket != nil {
		h.sp = newBucketSpace(o.Bucket.Client, o.Bucket.Name, o.Dir)
	} else {
		h.sp = newDiskSpace(o.Dir)
	}
	inner := o.Locker
	if inner == nil {
		inner = memorylocker.New()
	}
	h.locker = yieldingLocker{inner: inner, h: h}
	// Only the core protocol and termination: a deferred length or a concatenation would
	// escape the size and quota checks made at creation.
	core, term := h.sp.store(), h.sp.terminater()
	if o.Bucket != nil {
		fs := faultStore{inner: core, term: term}
		core, term = fs, fs
	}
	composer := handler.NewStoreComposer()
	composer.UseCore(core)
	composer.UseTerminater(term)
	composer.UseLocker(h.locker)
	tus, err := handler.NewHandler(handler.Config{
		StoreComposer:        composer,
		MaxSize:              o.MaxSize,
		BasePath:             o.BasePath,
		DisableDownload:      true,
		DisableConcatenation: true,
		Cors:                 &handler.CorsConfig{Disable: true},
		Logger:               newTusLogger(o.Log),
		// The last PATCH is answered once the source is attached (or left for Sweep, or still
		// being copied after finishWait): a completion does not depend on a channel someone
		// must drain, and a crash before it is finished by the next Sweep.
		PreFinishResponseCallback: h.finished,
	})
	if err != nil {
		return nil, fmt.Errorf("upload: %w", err)
	}
	h.tus = tus
	return h, nil
}

// MaxSize is the largest upload accepted.
func (h *Handler) MaxSize() int64 { return h.o.MaxSize }

// Uploadable tells whether a source may be uploaded for v: while it is being prepared (not
// once scheduled, public or withdrawn) and not while a source is being processed.
func Uploadable(v *video.Video) bool {
	return acceptsSource(v) && v.Processing != video.ProcProcessing
}

// acceptsSource tells whether v's state lets a new source replace its renditions: only while
// it is being prepared. A scheduled, public or withdrawn video keeps its renditions; to
// replace them, the editor withdraws it and brings it back to draft first. Checked when an
// upload is created, on every PATCH, and again when it completes (in the attaching
// transaction), since the video may have been published meanwhile.
func acceptsSource(v *video.Video) bool {
	switch v.State {
	case video.StatePlanned, video.StateDraft, video.StateInReview:
		return true
	}
	return false
}

// errPublished refuses an upload whose video left preparation (was scheduled, published or
// withdrawn) after the upload began; the upload is deleted.
var errPublished = problem.New(http.StatusConflict, "upload.error.left_review")

// diskID is the form of the IDs tusd's file store makes; s3ID of its S3 store's: the object's
// ID, "+" and the multipart upload's ID (a UUID, or a longer token on some services).
var (
	diskID = regexp.MustCompile(`^[0-9a-f]{32}$`)
	s3ID   = regexp.MustCompile(`^[0-9a-f]{32}\+[A-Za-z0-9._~=-]{1,400}$`)
)

// validID tells whether id has the form of the space's IDs.
func (h *Handler) validID(id string) bool {
	if h.o.Bucket != nil {
		return s3ID.MatchString(id)
	}
	return diskID.MatchString(id)
}

// ServeHTTP serves one tus request; r.URL.Path is relative to BasePath ("" to create, the
// upload's ID otherwise).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// The method the router and the CSRF check saw is the one served.
	r.Header.Del("X-HTTP-Method-Override")
	// The store's refusals speak the request's language; found only when one is needed.
	r = r.WithContext(context.WithValue(r.Context(), localizerKey{}, func() *i18n.Localizer { return h.o.Localize(r) }))
	id := strings.Trim(r.URL.Path, "/")
	switch {
	case id == "" && r.Method == http.MethodPost:
		if err := h.admit(r); err != nil {
			h.refuse(w, r, err)
			return
		}
	case id == "" && r.Method == http.MethodOptions:
		// Discovery of the server's limits and extensions: tusd answers.
	case !h.validID(id):
		h.refuse(w, r, problem.New(http.StatusNotFound, "upload.error.not_found"))
		return
	case r.Method == http.MethodHead && h.done(r.Context(), id, w):
		return
	case r.Method == http.MethodPatch:
		// The video may have been published since the upload began: no byte more for it.
		if err := h.stillWanted(r.Context(), id); err != nil {
			h.refuse(w, r, err)
			return
		}
		// A replica may receive the rest of an upload another one began.
		if err := h.sp.prepare(r.Context()); err != nil {
			h.refuse(w, r, err)
			return
		}
		body, end := h.watchBody(id, r.Body)
		defer end()
		r.Body = body
	}
	h.tus.ServeHTTP(w, r)
}

// admit checks a creation request and rewrites its metadata to the checked values plus the
// uploader. It returns a *problem.Error for the client's mistakes.
func (h *Handler) admit(r *http.Request) error {
	ctx := r.Context()
	if r.Header.Get("Upload-Defer-Length") != "" || r.Header.Get("Upload-Concat") != "" {
		return problem.BadRequest("upload.error.no_length")
	}
	size, err := strconv.ParseInt(r.Header.Get("Upload-Length"), 10, 64)
	switch {
	case err != nil || size < 0:
		return problem.BadRequest("upload.error.no_length")
	case size == 0:
		return problem.BadRequest("upload.error.empty")
	}
	meta := handler.ParseMetadataHeader(r.Header.Get("Upload-Metadata"))
	vid, err := strconv.ParseInt(meta[MetaVideo], 10, 64)
	name := meta[MetaFilename]
	if err != nil || vid <= 0 || !validFilename(name) {
		return problem.BadRequest("upload.error.metadata")
	}
	v, err := video.Get(ctx, h.o.DB.R, vid)
	switch {
	case errors.Is(err, db.ErrNotFound):
		return problem.New(http.StatusNotFound, "upload.error.no_video")
	case err != nil:
		return err
	case v.Public() || v.State == video.StateScheduled:
		return problem.New(http.StatusConflict, "upload.error.published")
	case !Uploadable(v):
		return problem.New(http.StatusConflict, "upload.error.not_editable")
	case size > h.o.MaxSize:
		return problem.New(http.StatusRequestEntityTooLarge, "upload.error.too_large", "size", Size(size), "max", Size(h.o.MaxSize))
	}
	u := h.o.Actor(r)
	if err := h.checkSpace(ctx, size, u); err != nil {
		return err
	}
	clean := map[string]string{MetaVideo: strconv.FormatInt(vid, 10), MetaFilename: name}
	if c := meta[MetaCheck]; c != "" && len(c) <= 128 {
		clean[MetaCheck] = c
	}
	if u != nil {
		clean[metaUserID], clean[metaUsername] = strconv.FormatInt(u.ID, 10), u.Username
	}
	r.Header.Set("Upload-Metadata", handler.SerializeMetadataHeader(clean))
	return nil
}

// stillWanted checks, before a PATCH, that the video of upload id still accepts a source; when
// it no longer does, the upload is deleted and errPublished returned. An upload that is gone
// is left to tusd to answer.
func (h *Handler) stillWanted(ctx context.Context, id string) error {
	info, err := h.info(ctx, id)
	if err != nil {
		return nil
	}
	vid, _ := strconv.ParseInt(info.MetaData[MetaVideo], 10, 64)
	v, err := video.Get(ctx, h.o.DB.R, vid)
	if errors.Is(err, db.ErrNotFound) {
		return nil // complete deletes it once finished; Sweep once abandoned
	}
	if err != nil {
		return err
	}
	if acceptsSource(v) {
		return nil
	}
	h.o.Log.Info("upload: the video no longer accepts a source; the upload is deleted", "upload", id, "video", vid, "state", v.State)
	if err := h.discard(ctx, id); err != nil {
		h.o.Log.Warn("upload: deleting a refused upload", "upload", id, "err", err)
	}
	return errPublished
}

func validFilename(name string) bool {
	if name == "" || len(name) > maxFilename || !utf8.ValidString(name) {
		return false
	}
	for _, c := range name {
		if unicode.IsControl(c) {
			return false
		}
	}
	return true
}

// checkSpace refuses an upload of size bytes by u that would go over u's reservations, the
// quota or fill the disk. Uploads in progress count with their declared size: they will take
// it; those that have received nothing for IdleExpiry are deleted first. Two creations at the
// same moment may both pass; the quota is a budget, not a hard wall.
func (h *Handler) checkSpace(ctx context.Context, size int64, u *auth.User) error {
	if err := h.sp.prepare(ctx); err != nil {
		return err
	}
	if err := h.SweepIdle(ctx); err != nil {
		h.o.Log.Warn("upload: sweep of idle uploads", "err", err)
	}
	pending, err := h.pending(ctx)
	if err != nil {
		return err
	}
	var declared, remaining, mine int64
	for _, info := range pending {
		declared += info.Size
		remaining += info.Size - info.Offset
		if u != nil && info.Offset < info.Size && info.MetaData[metaUserID] == strconv.FormatInt(u.ID, 10) {
			mine += info.Size
		}
	}
	if h.o.ReservePerUser > 0 && u != nil && mine+size > h.o.ReservePerUser {
		return problem.New(http.StatusRequestEntityTooLarge, "upload.error.reserved", "size", Size(size),
			"reserved", Size(mine), "max", Size(h.o.ReservePerUser))
	}
	if h.o.Quota > 0 {
		used := declared
		for a, err := range h.o.Store.List(ctx, "") {
			if err != nil {
				return fmt.Errorf("upload: quota: %w", err)
			}
			if strings.HasPrefix(a.Key, BucketPrefix) {
				continue // the uploads in the bucket, counted above by their declared sizes
			}
			used += a.Size
		}
		if used+size > h.o.Quota {
			return problem.New(http.StatusRequestEntityTooLarge, "upload.error.quota", "size", Size(size), "free", Size(max(h.o.Quota-used, 0)))
		}
	}
	if free, ok := h.sp.free(); ok {
		need := size + remaining
		if h.o.StoreOnDisk {
			need += size
		}
		if need > free {
			return problem.New(http.StatusRequestEntityTooLarge, "upload.error.disk_full", "size", Size(size), "free", Size(max(free-remaining, 0)))
		}
	}
	return nil
}

// SweepIdle deletes the unfinished uploads that have received no byte in the IdleExpiry since
// they were made: a reservation of space that nothing fills. An upload that has received some
// of its bytes is left to Sweep and Expiry, so that it can resume after a long pause.
func (h *Handler) SweepIdle(ctx context.Context) error {
	if h.o.IdleExpiry <= 0 {
		return nil
	}
	pending, err := h.pending(ctx)
	if err != nil {
		return err
	}
	cutoff := h.o.Now().Add(-h.o.IdleExpiry)
	var errs []error
	for _, info := range pending {
		if info.Offset != 0 {
			continue
		}
		// The time of the upload's data is the creation's until a byte comes, and expire
		// checks it again under the upload's lock.
		if t, err := h.sp.touched(ctx, info); err != nil || t.After(cutoff) {
			continue
		}
		if err := h.expire(ctx, info.ID, cutoff); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// RunIdle runs SweepIdle every interval until ctx ends.
func (h *Handler) RunIdle(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := h.SweepIdle(ctx); err != nil && ctx.Err() == nil {
			h.o.Log.Error("upload: sweep of idle uploads", "err", err)
		}
	}
}

// refuse answers with the message of a refusal in the request's language, as plain text the
// upload page shows as it is. A bucket that cannot be reached is a 503 to retry later; any
// other error that is not the client's is logged and answered 500.
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, err error) {
	var pe *problem.Error
	switch {
	case errors.As(err, &pe):
	case errors.Is(err, blob.ErrUnavailable):
		h.o.Log.Warn("upload: the bucket cannot be reached", "path", r.URL.Path, "err", err)
		pe = problem.New(http.StatusServiceUnavailable, "error.storage_unavailable")
		w.Header().Set("Retry-After", storageRetryAfter)
	default:
		h.o.Log.Error("upload: refused", "path", r.URL.Path, "err", err)
		pe = problem.New(http.StatusInternalServerError, "error.internal")
	}
	l := h.o.Localize(r)
	w.Header().Set("Tus-Resumable", "1.0.0")
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Language", l.Lang)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(pe.Status)
	if r.Method != http.MethodHead {
		_, _ = io.WriteString(w, l.Msg(pe.Msg))
	}
}

// Size is a number of bytes as a message in the reader's units: "1.5 GB", "1,5 ГБ".
func Size(n int64) i18n.Msg {
	units := []string{"upload.unit.b", "upload.unit.kb", "upload.unit.mb", "upload.unit.gb", "upload.unit.tb"}
	v, i := float64(n), 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	if i == 0 {
		return i18n.M(units[0], "n", n)
	}
	return i18n.M(units[i], "n", math.Round(v*10)/10)
}

// pending lists the uploads in the space, finished or not.
func (h *Handler) pending(ctx context.Context) ([]handler.FileInfo, error) {
	ids, err := h.sp.ids(ctx)
	if err != nil {
		return nil, err
	}
	var out []handler.FileInfo
	for _, id := range ids {
		info, err := h.info(ctx, id)
		if errors.Is(err, handler.ErrNotFound) {
			continue // finished or deleted meanwhile
		}
		if err != nil {
			return nil, err
		}
		out = append(out, info)
	}
	return out, nil
}

func (h *Handler) info(ctx context.Context, id string) (handler.FileInfo, error) {
	u, err := h.sp.store().GetUpload(ctx, id)
	if err != nil {
		if errors.Is(err, handler.ErrNotFound) {
			return handler.FileInfo{}, err
		}
		return handler.FileInfo{}, fmt.Errorf("upload: %s: %w", id, blob.Classify(err))
	}
	info, err := u.GetInfo(ctx)
	if err != nil && !errors.Is(err, handler.ErrNotFound) {
		return info, fmt.Errorf("upload: %s: %w", id, blob.Classify(err))
	}
	return info, err
}

// done answers HEAD for a completed upload; it reports false for any other.
func (h *Handler) done(ctx context.Context, id string, w http.ResponseWriter) bool {
	size, ok := h.sp.doneSize(ctx, id)
	if !ok {
		return false
	}
	w.Header().Set("Tus-Resumable", "1.0.0")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Upload-Offset", size)
	w.Header().Set("Upload-Length", size)
	w.WriteHeader(http.StatusOK)
	return true
}

// VideoOf returns the video that unfinished upload id is for, handler.ErrNotFound when there
// is no such upload (finished, given up or never made).
func (h *Handler) VideoOf(ctx context.Context, id string) (int64, error) {
	if !h.validID(id) {
		return 0, handler.ErrNotFound
	}
	info, err := h.info(ctx, id)
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(info.MetaData[MetaVideo], 10, 64)
}
