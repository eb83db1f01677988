package upload

import (
	"context"
	"log/slog"

	expslog "golang.org/x/exp/slog"
)

// tusLog passes tusd's log records on to the application's logger. tusd v2 logs through
// golang.org/x/exp/slog, whose handlers are not log/slog's; only warnings and errors pass,
// because the web server's middleware logs every request already.
type tusLog struct {
	to    slog.Handler
	attrs []slog.Attr
}

func newTusLogger(log *slog.Logger) *expslog.Logger {
	return expslog.New(tusLog{to: log.Handler()})
}

func (h tusLog) Enabled(ctx context.Context, level expslog.Level) bool {
	return level >= expslog.LevelWarn && h.to.Enabled(ctx, slog.Level(level))
}

func (h tusLog) Handle(ctx context.Context, r expslog.Record) error {
	out := slog.NewRecord(r.Time, slog.Level(r.Level), "tus: "+r.Message, r.PC)
	out.AddAttrs(h.attrs...)
	r.Attrs(func(a expslog.Attr) bool {
		out.AddAttrs(slog.Any(a.Key, a.Value.Any()))
		return true
	})
	return h.to.Handle(ctx, out)
}

func (h tusLog) WithAttrs(attrs []expslog.Attr) expslog.Handler {
	next := tusLog{to: h.to, attrs: append([]slog.Attr(nil), h.attrs...)}
	for _, a := range attrs {
		next.attrs = append(next.attrs, slog.Any(a.Key, a.Value.Any()))
	}
	return next
}

// WithGroup keeps records flat: tusd does not group its attributes.
func (h tusLog) WithGroup(string) expslog.Handler { return h }
