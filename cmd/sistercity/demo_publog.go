package main

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"sistercity/internal/publog"
)

// The demo video's channels beyond the site, as the story tells them: "released on the Busan
// website, the official SNS and the Busan International Foundation website". The SNS post is
// recorded by hand, as an officer would; the demo names no real account, so it has no link.
var (
	demoSNSName = "Busan's official SNS"
	demoSNSAt   = time.Date(2020, 7, 10, 0, 0, 0, 0, time.UTC)
)

// demoPublications writes the demo video's publication on the site and its hand-recorded SNS
// post, each unless the log already has it, so that loading the demo again changes nothing.
func demoPublications(ctx context.Context, tx *sql.Tx, id int64) error {
	var site, sns int
	err := tx.QueryRowContext(ctx, `SELECT
			(SELECT COUNT(*) FROM publication_log WHERE video_id = $1 AND channel = $2),
			(SELECT COUNT(*) FROM publication_log WHERE video_id = $1 AND channel = $3 AND name = $4)`,
		id, publog.ChannelSite, publog.ChannelManual, demoSNSName).Scan(&site, &sns)
	if err != nil {
		return fmt.Errorf("demo: publication log: %w", err)
	}
	if site == 0 {
		if err := publog.RecordSitePublication(ctx, tx, id, demoVideoPublished); err != nil {
			return err
		}
	}
	if sns > 0 {
		return nil
	}
	e, errs := publog.ValidateManual(publog.Manual{Name: demoSNSName, Lang: "ko", At: demoSNSAt}, id, 0)
	if err := errs.Err(); err != nil {
		return fmt.Errorf("demo: SNS post: %w", err)
	}
	return publog.Add(ctx, tx, e)
}
