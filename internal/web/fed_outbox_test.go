package web

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	"sistercity/internal/auth"
	"sistercity/internal/fed"
	"sistercity/internal/identity"
	"sistercity/internal/polltest"
	"sistercity/internal/publog"
	"sistercity/internal/video"
)

// TestFedVideoReachesFollowers: a follower on a Mastodon-shaped server gets the signed Create of
// a video published after it followed — the Video object with its titles in every language —
// once, however often the sender looks, and the Delete when the video is withdrawn.
func TestFedVideoReachesFollowers(t *testing.T) {
	t.Parallel()
	e := newFedEnv(t)
	f := newFollower(t, "Alice")
	actorURL := e.ts.URL + "/ap/actor"
	if got := f.send(e, "/ap/inbox", map[string]any{"id": f.id() + "#follows/1", "type": "Follow", "actor": f.id(), "object": actorURL}); got != 202 {
		t.Fatalf("follow: %d", got)
	}
	polltest.Until(t, "the Accept reaches the follower", func() (bool, string) {
		return len(f.received("Accept")) == 1, strings.Join(f.badSig, "; ")
	})
	sender, err := NewOutboxSender(e.db, e.srv.fed, e.srv.cfg.BaseURL, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	_, _, p := seedVladivostok(t, e)
	v := seedVideo(t, e, p, video.StatePublished, video.Text{Lang: "ko", Title: "부산 응원 영상"},
		video.Text{Lang: "ru", Title: "Видеообращение Владивостока"})
	if n, err := sender.SendOnce(ctx); err != nil || n != 1 {
		t.Fatalf("send: %d activities, %v", n, err)
	}
	polltest.Until(t, "the Create reaches the follower", func() (bool, string) {
		return len(f.received("Create")) == 1, strings.Join(f.badSig, "; ")
	})
	create := f.received("Create")[0]
	obj, _ := create["object"].(map[string]any)
	names, _ := obj["nameMap"].(map[string]any)
	if create["actor"] != actorURL || create["@context"] == nil || obj["type"] != "Video" ||
		obj["id"] != e.ts.URL+"/ap/videos/"+itoa64(v.ID) || names["ru"] != "Видеообращение Владивостока" || names["ko"] != "부산 응원 영상" {
		t.Fatalf("create: %v", create)
	}
	if len(f.badSig) != 0 {
		t.Fatalf("bad signatures: %v", f.badSig)
	}
	// Each delivery is in the video's publication log: the server, the result, the attempts.
	polltest.Until(t, "the delivery in the publication log", func() (bool, string) {
		entries, err := publog.List(ctx, e.db.R, v.ID)
		if err != nil {
			return false, err.Error()
		}
		for _, en := range entries {
			if en.Channel == publog.ChannelFediverse {
				return en.Status == publog.StatusOK && en.Name == strings.TrimPrefix(f.ts.URL, "http://") && en.HasCount && en.Count == 1,
					fmt.Sprintf("%+v", en)
			}
		}
		return false, fmt.Sprintf("%d entries, none of the fediverse", len(entries))
	})
	// A like from the follower is counted on the video's publication log.
	if got := f.send(e, "/ap/inbox", map[string]any{"id": f.id() + "#likes/1", "type": "Like", "actor": f.id(),
		"object": e.ts.URL + "/ap/videos/" + itoa64(v.ID)}); got != 202 {
		t.Fatalf("like: %d", got)
	}
	if _, body := e.userClient(auth.RoleViewer).get("/admin/videos/" + itoa64(v.ID) + "/publications"); !strings.Contains(body, "On the fediverse: 1 like and 0 boosts.") ||
		!strings.Contains(body, "publog-fediverse") {
		t.Errorf("publication log without the fediverse:\n%s", body)
	}
	// Sent once: a second look finds nothing new.
	if n, err := sender.SendOnce(ctx); err != nil || n != 0 {
		t.Fatalf("second send: %d activities, %v", n, err)
	}
	setState(t, e, v.ID, video.StateWithdrawn)
	if n, err := sender.SendOnce(ctx); err != nil || n != 1 {
		t.Fatalf("send after withdrawal: %d activities, %v", n, err)
	}
	polltest.Until(t, "the Delete reaches the follower", func() (bool, string) {
		return len(f.received("Delete")) == 1, strings.Join(f.badSig, "; ")
	})
	if got := len(f.received("Create")); got != 1 {
		t.Fatalf("the Create was sent %d times", got)
	}
}

// TestFedActorIdentity: the actor carries the city's name as the admin set it for the site, in
// every language, and its logo as the icon.
func TestFedActorIdentity(t *testing.T) {
	t.Parallel()
	e := newFedEnv(t)
	ctx := context.Background()
	logo, err := identity.CheckImage(identity.KindLogo, testPNG(t, 64, 48))
	if err != nil {
		t.Fatal(err)
	}
	e.inTx(func(tx *sql.Tx) error {
		if err := identity.Save(ctx, tx, identity.Identity{Names: map[string]string{"ko": "부산광역시", "ru": "Пусан", "en": "Busan"}}); err != nil {
			return err
		}
		return identity.SaveAsset(ctx, tx, identity.KindLogo, logo)
	})
	resp, body := e.getAccept("/ap/actor", fed.ContentType)
	var actor struct {
		Name    string
		NameMap map[string]string
		Icon    struct {
			Type, MediaType, URL string
			Width, Height        int
		}
	}
	if err := json.Unmarshal([]byte(body), &actor); err != nil || resp.StatusCode != 200 {
		t.Fatalf("actor: %d %v\n%s", resp.StatusCode, err, body)
	}
	if actor.Name != "Busan" || actor.NameMap["ko"] != "부산광역시" || actor.NameMap["ru"] != "Пусан" {
		t.Errorf("names: %q %v", actor.Name, actor.NameMap)
	}
	if actor.Icon.Type != "Image" || actor.Icon.MediaType != "image/png" || actor.Icon.Width != 64 || actor.Icon.Height != 48 ||
		!strings.HasPrefix(actor.Icon.URL, e.ts.URL+"/site/logo?v=") {
		t.Fatalf("icon: %+v", actor.Icon)
	}
	if resp, _ := e.client().get(strings.TrimPrefix(actor.Icon.URL, e.ts.URL)); resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" {
		t.Errorf("icon URL: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

// SendOnce hands at most outboxBatch activities to the followers and tells how many it read,
// as one outbox.send job would: the tests that send by hand, without a queue that runs the job.
func (o *OutboxSender) SendOnce(ctx context.Context) (int, error) {
	// Most looks find nothing new: they read, and write nothing.
	var pending bool
	if err := o.db.R.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM ap_outbox WHERE id >
		COALESCE((SELECT CAST(value AS BIGINT) FROM settings WHERE key = $1), 0))`, outboxSentKey).Scan(&pending); err != nil {
		return 0, fmt.Errorf("fediverse: outbox: %w", err)
	}
	if !pending {
		return 0, nil
	}
	var n int
	err := o.db.InTxQuiet(ctx, func(tx *sql.Tx) error {
		var err error
		n, err = o.send(ctx, tx)
		return err
	})
	return n, err
}
