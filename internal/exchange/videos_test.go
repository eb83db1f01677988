package exchange

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	"sistercity/internal/db"
	"sistercity/internal/video"
)

func (f *fixture) video(t *testing.T, state string, texts ...video.Text) int64 {
	t.Helper()
	ctx := context.Background()
	v := &video.Video{OriginalLang: "ru", State: state, Texts: texts}
	if err := f.d.InTx(ctx, func(tx *sql.Tx) error { return video.Create(ctx, tx, v) }); err != nil {
		t.Fatal(err)
	}
	return v.ID
}

func (f *fixture) link(t *testing.T, aid, vid int64) (bool, error) {
	t.Helper()
	ctx := context.Background()
	var made bool
	err := f.d.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		made, err = LinkVideo(ctx, tx, aid, vid)
		return err
	})
	return made, err
}

func TestActivityVideos(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a := f.conference(t)
	f.create(t, a, "2020-04-01")
	support := f.video(t, video.StatePublished, video.Text{Lang: "ru", Title: "Видеообращение"}, video.Text{Lang: "ko", Title: "응원 영상"})
	draft := f.video(t, video.StateDraft, video.Text{Lang: "ru", Title: "Черновик"})

	for i, want := range []bool{true, false} { // the second link changes nothing
		made, err := f.link(t, a.ID, support)
		if err != nil || made != want {
			t.Fatalf("link %d: made %v, %v; want %v", i, made, err, want)
		}
	}
	if _, err := f.link(t, a.ID, draft); err != nil {
		t.Fatal(err)
	}
	if _, err := f.link(t, a.ID, 999999); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("link to a missing video: %v, want not found", err)
	}
	if _, err := f.link(t, 999999, support); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("link to a missing activity: %v, want not found", err)
	}

	got, err := Get(ctx, f.d.R, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Videos) != 2 || got.Videos[0].ID != support || got.Videos[1].ID != draft {
		t.Fatalf("videos = %+v", got.Videos)
	}
	if !got.Videos[0].Published() || got.Videos[1].Published() {
		t.Errorf("published: %v %v", got.Videos[0].Published(), got.Videos[1].Published())
	}
	ko := got.Videos[0].Localize("ko")
	if ko.Title != "응원 영상" || ko.Lang != "ko" || ko.URL != "/ko/videos/"+itoa(int(support)) {
		t.Errorf("ko = %+v", ko)
	}
	if en := got.Videos[0].Localize("en"); en.Title != "Видеообращение" || en.Lang != "ru" || en.URL != "/en/videos/"+itoa(int(support)) {
		t.Errorf("en falls back to the original language: %+v", en)
	}

	list, err := List(ctx, f.d.R)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || len(list[0].Videos) != 2 || len(list[0].Videos[0].Texts) != 2 {
		t.Fatalf("list videos = %+v", list[0].Videos)
	}

	err = f.d.InTx(ctx, func(tx *sql.Tx) error { return UnlinkVideo(ctx, tx, a.ID, draft) })
	if err != nil {
		t.Fatal(err)
	}
	err = f.d.InTx(ctx, func(tx *sql.Tx) error { return UnlinkVideo(ctx, tx, a.ID, draft) })
	if !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("second unlink: %v, want not found", err)
	}
	// Deleting the video removes its link; deleting the activity removes the rest.
	if _, err := f.d.W.ExecContext(ctx, "DELETE FROM videos WHERE id = $1", support); err != nil {
		t.Fatal(err)
	}
	if got, err = Get(ctx, f.d.R, a.ID); err != nil || len(got.Videos) != 0 {
		t.Fatalf("after deleting the video: %+v, %v", got.Videos, err)
	}
	if _, err := f.link(t, a.ID, draft); err != nil {
		t.Fatal(err)
	}
	if err := f.d.InTx(ctx, func(tx *sql.Tx) error { _, err := Delete(ctx, tx, a.ID); return err }); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := f.d.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM activity_videos").Scan(&n); err != nil || n != 0 {
		t.Fatalf("links left: %d, %v", n, err)
	}
}
