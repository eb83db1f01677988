package messages

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"sistercity/internal/blob"
	"sistercity/internal/db"
	"sistercity/internal/jobs"
	"sistercity/internal/media"
	"sistercity/internal/subtitle"
	"sistercity/internal/track"
	"sistercity/internal/video"
)

// A compilation joins approved video messages, in the order an editor chose, into one new
// draft video: each message is normalised to one picture size, frame rate and loudness (EBU
// R128, ffmpeg's loudnorm) with a name card in the partners' languages over its first seconds;
// the parts are joined, the result is attached as the source of a new draft video and processed
// like any other, and the video gets a WebVTT chapters track per language (one chapter per
// message) and subtitle tracks that begin with the messages' texts. The editor may put a
// processed video of the office's own first (intro) and last (outro): normalised the same way
// without a card, each is a chapter of its own ("messages3.text.intro", "messages3.text.outro").

// CompileArgs is the job that makes compilation CompilationID.
type CompileArgs struct {
	CompilationID int64 `json:"compilation_id" river:"unique"`
}

// Kind names the job in the queue.
func (CompileArgs) Kind() string { return "messages.compile" }

// Picture and sound every part is brought to.
const (
	compileWidth, compileHeight = 640, 360
	compileFPS                  = 25
	compileSampleRate           = 48000
	// cardSeconds is how long the name card shows at the start of a message.
	cardSeconds = 4
)

// CompileDeps is what a compilation needs.
type CompileDeps struct {
	DB    *db.DB
	Store blob.Store
	Queue *jobs.Queue
	// WorkDir holds the parts while they are made.
	WorkDir string
	// Langs are the site's languages: a chapters track and a subtitle track each. CardLangs
	// are those the name cards are written in (the partners').
	Langs, CardLangs []string
	// Text gives a catalog string in a language: "messages2.text.chapter", "messages2.text.card",
	// "messages2.text.compilation_title", "messages.anonymous", "messages3.text.intro",
	// "messages3.text.outro".
	Text func(lang, key string, args ...any) string
	// Width and Height override the picture size (tests use a small one).
	Width, Height int
	Log           *slog.Logger
}

// EnqueueCompilation queues the job of compilation id, in tx.
func EnqueueCompilation(ctx context.Context, tx *sql.Tx, q *jobs.Queue, id int64) error {
	if _, err := q.Insert(ctx, tx, CompileArgs{CompilationID: id}, &jobs.InsertOpts{Unique: true, MaxAttempts: 2}); err != nil {
		return fmt.Errorf("messages: enqueue compilation %d: %w", id, err)
	}
	return nil
}

// RegisterCompile adds the compilation worker to q.
func RegisterCompile(q *jobs.Queue, deps CompileDeps) error {
	return jobs.Register(q, jobs.WorkFunc[CompileArgs](func(ctx context.Context, job *jobs.Job[CompileArgs]) error {
		return Compile(ctx, deps, job.Args.CompilationID)
	}))
}

// compilePart is one message of a compilation, or its intro or outro, made ready.
type compilePart struct {
	m *Message
	// end is "intro" or "outro" for those, "" for a message.
	end      string
	file     string
	duration time.Duration
}

// Compile makes compilation id: a draft video with its chapters and subtitle tracks. A failure
// the editor can act on (a message withdrawn or its video gone) is recorded on the compilation.
func Compile(ctx context.Context, deps CompileDeps, id int64) error {
	if deps.Log == nil {
		deps.Log = slog.Default()
	}
	if deps.Width == 0 {
		deps.Width, deps.Height = compileWidth, compileHeight
	}
	c, err := GetCompilation(ctx, deps.DB.R, id)
	if err != nil {
		return err
	}
	if c.Status != CompilationWaiting {
		return nil
	}
	call, err := GetCall(ctx, deps.DB.R, c.CallID)
	if err != nil {
		return err
	}
	fail := func(reason string) error {
		return deps.DB.InTx(ctx, func(tx *sql.Tx) error { return FinishCompilation(ctx, tx, id, 0, reason) })
	}
	if err := os.MkdirAll(deps.WorkDir, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(deps.WorkDir, "compile-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	var parts []compilePart
	// end makes the intro or the outro, video vid, a part; ok false when the compilation failed.
	end := func(name string, vid int64) (ok bool, err error) {
		v, err := video.Get(ctx, deps.DB.R, vid)
		if err != nil {
			return false, err
		}
		if !v.Processed() {
			return false, fail(fmt.Sprintf("the %s, video %d, is not processed", name, vid))
		}
		src, err := video.LocalFile(ctx, deps.Store, v.Best().Key, filepath.Join(tmp, name+"-src.mp4"))
		if err != nil {
			return false, err
		}
		info, err := media.Probe(ctx, src)
		if err != nil {
			return false, fail(fmt.Sprintf("the %s, video %d: %v", name, vid, err))
		}
		out := filepath.Join(tmp, name+".mp4")
		if err := runFFmpeg(ctx, NormalizeArgs(src, "", out, len(info.Audio) > 0, info.Duration, deps.Width, deps.Height)); err != nil {
			return false, fail(fmt.Sprintf("the %s: %v", name, err))
		}
		pi, err := media.Probe(ctx, out)
		if err != nil {
			return false, err
		}
		parts = append(parts, compilePart{end: name, file: out, duration: pi.Duration})
		return true, nil
	}
	if c.IntroID != 0 {
		if ok, err := end("intro", c.IntroID); !ok || err != nil {
			return err
		}
	}
	for i, mid := range c.Messages {
		m, err := GetMessage(ctx, deps.DB.R, mid)
		if err != nil {
			return err
		}
		if m.Status != StatusApproved || !m.Gave(PurposeVideo) || m.VideoID == 0 {
			return fail(fmt.Sprintf("message %d is not an approved video message with consent", mid))
		}
		v, err := video.Get(ctx, deps.DB.R, m.VideoID)
		if err != nil {
			return err
		}
		if !v.Processed() {
			return fail(fmt.Sprintf("the video of message %d is not processed", mid))
		}
		src, err := video.LocalFile(ctx, deps.Store, v.Best().Key, filepath.Join(tmp, fmt.Sprintf("src-%d.mp4", i)))
		if err != nil {
			return err
		}
		info, err := media.Probe(ctx, src)
		if err != nil {
			return fail(fmt.Sprintf("the video of message %d: %v", mid, err))
		}
		card := filepath.Join(tmp, fmt.Sprintf("card-%d.txt", i))
		if err := os.WriteFile(card, []byte(cardText(deps, m)), 0o600); err != nil {
			return err
		}
		out := filepath.Join(tmp, fmt.Sprintf("part-%d.mp4", i))
		if err := runFFmpeg(ctx, NormalizeArgs(src, card, out, len(info.Audio) > 0, info.Duration, deps.Width, deps.Height)); err != nil {
			return fail(fmt.Sprintf("message %d: %v", mid, err))
		}
		pi, err := media.Probe(ctx, out)
		if err != nil {
			return err
		}
		parts = append(parts, compilePart{m: m, file: out, duration: pi.Duration})
	}
	if c.OutroID != 0 {
		if ok, err := end("outro", c.OutroID); !ok || err != nil {
			return err
		}
	}
	list := filepath.Join(tmp, "parts.txt")
	var b strings.Builder
	for _, p := range parts {
		fmt.Fprintf(&b, "file '%s'\n", strings.ReplaceAll(p.file, "'", `'\''`))
	}
	if err := os.WriteFile(list, []byte(b.String()), 0o600); err != nil {
		return err
	}
	joined := filepath.Join(tmp, "compilation.mp4")
	if err := runFFmpeg(ctx, ConcatArgs(list, joined)); err != nil {
		return fail(err.Error())
	}
	return deps.DB.InTx(ctx, func(tx *sql.Tx) error {
		v := &video.Video{OriginalLang: call.Text("").Lang, State: video.StateDraft}
		for _, lang := range deps.Langs {
			v.Texts = append(v.Texts, video.Text{Lang: lang, Title: deps.Text(lang, "messages2.text.compilation_title", "title", call.Text(lang).Title)})
		}
		if v.OriginalLang == "" {
			v.OriginalLang = deps.Langs[0]
		}
		v.Normalize()
		if err := video.Create(ctx, tx, v); err != nil {
			return err
		}
		key := video.SourceKey(v.ID, "compilation.mp4")
		f, err := os.Open(joined)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := deps.Store.Put(ctx, key, f); err != nil {
			return err
		}
		if err := video.AttachSource(ctx, tx, v.ID, key); err != nil {
			return err
		}
		if err := video.EnqueueProcessing(ctx, tx, deps.Queue, v.ID); err != nil {
			return err
		}
		for _, lang := range deps.Langs {
			if err := addTracks(ctx, tx, deps, v.ID, lang, parts); err != nil {
				return err
			}
		}
		return FinishCompilation(ctx, tx, id, v.ID, "")
	})
}

// addTracks gives video vid the chapters track and the subtitle track in lang.
func addTracks(ctx context.Context, tx *sql.Tx, deps CompileDeps, vid int64, lang string, parts []compilePart) error {
	chapters := &subtitle.Track{}
	subs := &subtitle.Track{}
	var at time.Duration
	n := 0 // messages so far
	for i, p := range parts {
		ch := subtitle.NewCue()
		ch.ID, ch.Start, ch.End = strconv.Itoa(i+1), at, at+p.duration
		if p.m == nil {
			ch.Text = deps.Text(lang, "messages3.text."+p.end)
			chapters.Cues = append(chapters.Cues, ch)
			at += p.duration
			continue
		}
		n++
		ch.Text = deps.Text(lang, "messages2.text.chapter", "number", n, "name", who(deps, lang, p.m))
		chapters.Cues = append(chapters.Cues, ch)
		body, _, _ := p.m.In(lang)
		sc := subtitle.NewCue()
		sc.Start, sc.End = at, at+p.duration
		sc.Text = body
		subs.Cues = append(subs.Cues, sc)
		at += p.duration
	}
	for _, t := range []struct {
		kind  subtitle.Kind
		cues  *subtitle.Track
		label string
	}{{subtitle.KindChapters, chapters, deps.Text(lang, "messages2.text.chapters_label")}, {subtitle.KindSubtitles, subs, deps.Text(lang, "language.self")}} {
		tr := &track.Track{VideoID: vid, Lang: lang, Kind: t.kind, Label: t.label, Status: track.StatusDraft, Origin: "compilation"}
		if err := tr.SetCues(t.cues); err != nil {
			return err
		}
		if err := tr.Validate(); err != nil {
			return err
		}
		if err := track.Create(ctx, tx, tr); err != nil {
			return err
		}
	}
	return nil
}

// cardText is a message's name card: its sender and city in each card language, a line each.
func cardText(deps CompileDeps, m *Message) string {
	var lines []string
	for _, lang := range deps.CardLangs {
		lines = append(lines, deps.Text(lang, "messages2.text.card", "name", who(deps, lang, m)))
	}
	return strings.Join(lines, "\n")
}

// who is a message's sender as a card or a chapter names them: the name (or "Anonymous" in
// lang) and the city.
func who(deps CompileDeps, lang string, m *Message) string {
	name := m.Name
	if name == "" {
		name = deps.Text(lang, "messages.anonymous")
	}
	if m.City != "" {
		return name + ", " + m.City
	}
	return name
}

// NormalizeArgs are the arguments of the ffmpeg run that brings a message's video to the
// compilation's picture (w×h, letterboxed, compileFPS) and sound (48 kHz stereo at -16 LUFS,
// EBU R128), with its name card (read from the file card, none when card is "") over the first
// seconds. A video without sound gets silence of its duration, so that every part has the same
// streams.
func NormalizeArgs(in, card, out string, audio bool, duration time.Duration, w, h int) []string {
	args := []string{"-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", in}
	if !audio {
		// As long as the picture: -shortest does not end a filter graph fed by an endless source.
		args = append(args, "-f", "lavfi", "-t", strconv.FormatFloat(duration.Seconds(), 'f', 3, 64),
			"-i", fmt.Sprintf("anullsrc=r=%d:cl=stereo", compileSampleRate))
	}
	size := max(h/18, 10)
	vf := fmt.Sprintf("[0:v]scale=%d:%d:force_original_aspect_ratio=decrease,pad=%d:%d:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=%d,format=yuv420p",
		w, h, w, h, compileFPS)
	if card != "" {
		vf += fmt.Sprintf(",drawtext=font='%s':textfile='%s':fontsize=%d:fontcolor=white:box=1:boxcolor=black@0.6:boxborderw=%d:x=(w-text_w)/2:y=h-text_h-%d:enable='lt(t,%d)'",
			media.DefaultBurnFont, filterPath(card), size, size/2, size, cardSeconds)
	}
	vf += "[v]"
	a := "0:a:0"
	if !audio {
		a = "1:a"
	}
	af := fmt.Sprintf("[%s]loudnorm=I=-16:TP=-1.5:LRA=11,aresample=%d,aformat=channel_layouts=stereo[a]", a, compileSampleRate)
	args = append(args, "-filter_complex", vf+";"+af, "-map", "[v]", "-map", "[a]")
	return append(args, "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-g", strconv.Itoa(2*compileFPS),
		"-c:a", "aac", "-b:a", "128k", "-ar", strconv.Itoa(compileSampleRate),
		"-map_metadata", "-1", "-map_chapters", "-1", "-movflags", "+faststart", out)
}

// ConcatArgs join the parts listed in list (all made by NormalizeArgs, so alike) without
// encoding them again.
func ConcatArgs(list, out string) []string {
	return []string{"-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-f", "concat", "-safe", "0", "-i", list,
		"-c", "copy", "-movflags", "+faststart", out}
}

// filterPath escapes a path for a filter option's quoted value.
func filterPath(p string) string {
	return strings.NewReplacer(`\`, `\\`, `'`, `'\''`, `:`, `\:`).Replace(p)
}

func runFFmpeg(ctx context.Context, args []string) error {
	cmd := exec.CommandContext(ctx, "ffmpeg", args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		tail := strings.TrimSpace(string(out))
		if len(tail) > 500 {
			tail = tail[len(tail)-500:]
		}
		return fmt.Errorf("ffmpeg: %w: %s", err, tail)
	}
	return nil
}
