package main

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"sistercity/internal/blob"
	"sistercity/internal/db/dbtest"
	"sistercity/internal/publog"
	"sistercity/internal/video"
)

// TestDemoPublicationLog: the demo video's publication log shows its publication on the site
// and the post on Busan's official SNS recorded by hand; loading the demo again adds nothing.
func TestDemoPublicationLog(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.Open(t)
	store, err := blob.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	dataDir := t.TempDir()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := loadDemo(ctx, d, io.Discard, log); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := loadVideoDemo(ctx, d, store, dataDir, log); err != nil {
			t.Fatal(err)
		}
	}
	id, err := video.FindDemo(ctx, d.R, demoVideoKey)
	if err != nil {
		t.Fatal(err)
	}
	es, err := publog.List(ctx, d.R, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 2 || es[0].Channel != publog.ChannelSite || !es[0].At.Equal(demoVideoPublished) ||
		es[1].Channel != publog.ChannelManual || es[1].Name != demoSNSName || es[1].Lang != "ko" {
		t.Errorf("demo log: %+v", es)
	}
}
