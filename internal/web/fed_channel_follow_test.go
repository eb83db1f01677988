package web

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"

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
