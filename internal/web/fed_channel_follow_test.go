package web

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"

	"sistercity/internal/fed"
	"sistercity/internal/polltest"
	"sistercity/internal/video"
)

// TestFedChannelFollow: a remote that follows the city's channel (the Group, as PeerTube users
// follow a channel) is accepted by the channel — the Accept's actor, signed under the channel's
// key id, which the follower's server fetches and verifies — and then gets the Create of a
// video published afterwards, as the city's followers do; its Undo ends the follow.
func TestFedChannelFollow(t *testing.T) {
	t.Parallel()
	e := newFedEnv(t)
	f := newFollower(t, "PeerTube viewer")
	channelURL := e.ts.URL + "/ap/channel"
	followID := f.id() + "#follows/channel"
	if got := f.send(e, "/ap/inbox", map[string]any{"id": followID, "type": "Follow", "actor": f.id(), "object": channelURL}); got != 202 {
		t.Fatalf("follow: %d", got)
	}
	polltest.Until(t, "the channel's Accept reaches the follower", func() (bool, string) {
		return len(f.received("Accept")) == 1, strings.Join(f.badSig, "; ")
	})
	acc := f.received("Accept")[0]
	obj, _ := acc["object"].(map[string]any)
	if acc["actor"] != channelURL || obj["id"] != followID || obj["object"] != channelURL || obj["actor"] != f.id() {
		t.Fatalf("accept: %v", acc)
	}
	if by := f.signedBy(0); by != channelURL+"#main-key" {
		t.Fatalf("the Accept signed under %q, want the channel's key id", by)
	}
	if st := e.followerState(f.id()); st != "accepted" {
		t.Fatalf("follower state %q", st)
	}

	sender, err := NewOutboxSender(e.db, e.srv.fed, e.srv.cfg.BaseURL, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	_, _, p := seedVladivostok(t, e)
	v := seedVideo(t, e, p, video.StatePublished, video.Text{Lang: "ko", Title: "부산 응원 영상"},
		video.Text{Lang: "ru", Title: "Видеообращение Владивостока"})
	if n, err := sender.SendOnce(context.Background()); err != nil || n != 1 {
		t.Fatalf("send: %d activities, %v", n, err)
	}
	polltest.Until(t, "the Create reaches the channel's follower", func() (bool, string) {
		return len(f.received("Create")) == 1, strings.Join(f.badSig, "; ")
	})
	create := f.received("Create")[0]
	video, _ := create["object"].(map[string]any)
	if video["type"] != "Video" || video["id"] != e.ts.URL+"/ap/videos/"+itoa64(v.ID) {
		t.Fatalf("create: %v", create)
	}
	// PeerTube files the video under the channel named in its attributedTo.
	if by, _ := json.Marshal(video["attributedTo"]); !strings.Contains(string(by), `"`+channelURL+`"`) {
		t.Fatalf("the video's attributedTo names no channel: %v", video["attributedTo"])
	}
	if len(f.badSig) != 0 {
		t.Fatalf("bad signatures: %v", f.badSig)
	}

	if got := f.send(e, "/ap/inbox", map[string]any{"id": f.id() + "#undo/channel", "type": "Undo", "actor": f.id(),
		"object": map[string]any{"id": followID, "type": "Follow", "actor": f.id(), "object": channelURL}}); got != 202 {
		t.Fatalf("undo: %d", got)
	}
	if st := e.followerState(f.id()); st != "" {
		t.Fatalf("after Undo: state %q", st)
	}
}

// TestFedFollowCityAndChannel: a remote that follows both the city and its channel keeps both
// follows, gets an Accept for each from the actor it followed (signed under that actor's key
// id), counts once in each actor's followers collection, receives a fan-out once at its shared
// inbox, and its Undo of one follow ends only that one.
func TestFedFollowCityAndChannel(t *testing.T) {
	t.Parallel()
	e := newFedEnv(t)
	f := newFollower(t, "Both")
	cityURL, channelURL := e.ts.URL+"/ap/actor", e.ts.URL+"/ap/channel"
	follows := map[string]string{cityURL: f.id() + "#follows/city", channelURL: f.id() + "#follows/channel"}
	for _, target := range []string{cityURL, channelURL} {
		if got := f.send(e, "/ap/inbox", map[string]any{"id": follows[target], "type": "Follow", "actor": f.id(), "object": target}); got != 202 {
			t.Fatalf("follow of %s: %d", target, got)
		}
	}
	polltest.Until(t, "both Accepts reach the follower", func() (bool, string) {
		return len(f.received("Accept")) == 2, strings.Join(f.badSig, "; ")
	})
	for i, a := range f.received("Accept") {
		actor, _ := a["actor"].(string)
		obj, _ := a["object"].(map[string]any)
		if follows[actor] == "" || obj["id"] != follows[actor] || obj["object"] != actor {
			t.Fatalf("accept %d: %v", i, a)
		}
	}
	// The Accepts are the first two activities received: each signed under its actor's key id.
	keys := map[string]bool{f.signedBy(0): true, f.signedBy(1): true}
	if !keys[cityURL+"#main-key"] || !keys[channelURL+"#main-key"] {
		t.Fatalf("the Accepts signed under %v", keys)
	}
	if a, b := e.followerStateOf(f.id(), ""), e.followerStateOf(f.id(), channelURL); a != "accepted" || b != "accepted" {
		t.Fatalf("follows: city %q, channel %q", a, b)
	}
	counts := func(city, channel, account int) {
		t.Helper()
		for path, want := range map[string]int{"/ap/actor/followers": city, "/ap/channel/followers": channel, "/ap/account/followers": account} {
			if _, body := e.getAccept(path, fed.ContentType); !strings.Contains(body, `"totalItems":`+strconv.Itoa(want)+`,`) {
				t.Fatalf("%s: want %d: %s", path, want, body)
			}
		}
	}
	counts(1, 1, 0)
	if _, body := e.getAccept("/ap/channel", fed.ContentType); !strings.Contains(body, `"followers":"`+channelURL+`/followers"`) {
		t.Fatalf("the channel names no followers collection of its own: %s", body)
	}

	e.inTx(func(tx *sql.Tx) error {
		return e.srv.fed.Fanout(context.Background(), tx, map[string]any{"id": cityURL + "#create/both", "type": "Create", "actor": cityURL})
	})
	polltest.Until(t, "the fan-out's deliveries finish", func() (bool, string) {
		n := e.unfinishedDeliveries()
		return n == 0 && len(f.received("Create")) > 0, fmt.Sprintf("%d unfinished, %d received", n, len(f.received("Create")))
	})
	if n := len(f.received("Create")); n != 1 {
		t.Fatalf("the Create arrived %d times at the shared inbox of a remote following two actors", n)
	}

	if got := f.send(e, "/ap/inbox", map[string]any{"id": f.id() + "#undo/channel", "type": "Undo", "actor": f.id(),
		"object": map[string]any{"id": follows[channelURL], "type": "Follow", "actor": f.id(), "object": channelURL}}); got != 202 {
		t.Fatalf("undo: %d", got)
	}
	if a, b := e.followerStateOf(f.id(), ""), e.followerStateOf(f.id(), channelURL); a != "accepted" || b != "" {
		t.Fatalf("after the Undo of the channel's follow: city %q, channel %q", a, b)
	}
	counts(1, 0, 0)
	// An Undo whose Follow id we do not know, naming the city: that follow ends.
	if got := f.send(e, "/ap/inbox", map[string]any{"id": f.id() + "#undo/city", "type": "Undo", "actor": f.id(),
		"object": map[string]any{"id": f.id() + "#follows/unknown", "type": "Follow", "actor": f.id(), "object": cityURL}}); got != 202 {
		t.Fatalf("undo: %d", got)
	}
	counts(0, 0, 0)
	if len(f.badSig) != 0 {
		t.Fatalf("bad signatures: %v", f.badSig)
	}
}

// followerStateOf is the state of actor's follow of followed ("" for the city), "" for none.
func (e *testEnv) followerStateOf(actor, followed string) string {
	var st string
	err := e.db.R.QueryRow("SELECT state FROM fed_followers WHERE actor_id = $1 AND followed = $2", actor, followed).Scan(&st)
	if err == sql.ErrNoRows {
		return ""
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return st
}

// unfinishedDeliveries counts the delivery jobs not yet completed, cancelled or discarded.
func (e *testEnv) unfinishedDeliveries() int {
	var n int
	if err := e.db.R.QueryRow(`SELECT COUNT(*) FROM river_job WHERE kind LIKE 'fed.deliver%'
		AND state NOT IN ('completed', 'cancelled', 'discarded')`).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}
