package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-fed/httpsig"

	"sistercity/internal/db/dbtest"
)

// A small run of the benchmark on the test database (SQLite, or PostgreSQL with
// SISTERCITY_TEST_DATABASE_URL): 20 followers on 3 servers and 30 on 12 (each server on a
// loopback address of its own; the shared inboxes of 12 servers share batch jobs), both modes,
// both sides; every delivery arrives, verified, once. And the servers do verify: a request
// signed with another key is refused (401), and so is one signed for another server's Host.
func TestFanoutSmall(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct{ servers, n int }{{3, 20}, {12, 30}} {
		b, err := setup(ctx, dbtest.URL(t), t.TempDir(), 4, c.servers)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(b.close)
		b.trace.on = true // -trace's queries run on both databases
		for mode, want := range map[string]int{modePersonal: c.n, modeShared: c.servers} {
			deliveries, err := b.followers(ctx, mode, c.n)
			if err != nil {
				t.Fatal(err)
			}
			if deliveries != want {
				t.Fatalf("%d servers, %s: %d deliveries, want %d", c.servers, mode, deliveries, want)
			}
			for _, side := range []string{sideSistercity, sideBaseline} {
				// Generous: the CI machine is busy.
				r, err := b.round(ctx, side, deliveries, 2*time.Minute)
				if err != nil {
					t.Fatalf("%d servers, %s %s: %v", c.servers, mode, side, err)
				}
				if r.deliveries != want || r.reached != c.n {
					t.Fatalf("%d servers, %s %s: %d deliveries reaching %d followers, want %d reaching %d",
						c.servers, mode, side, r.deliveries, r.reached, want, c.n)
				}
			}
		}
		refusals(t, b)
	}
}

// refusals checks that b's servers refuse a request signed with another key, and one signed
// for another server than the one it reaches, and that a refusal fails the round.
func refusals(t *testing.T, b *bench) {
	ctx := context.Background()
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	activity := createActivity(b.fs.ActorID(), 1000+b.rounds)
	body, _ := json.Marshal(activity)
	b.farm.expect(activity["id"].(string), 1)
	good := b.key
	b.key = other
	err = b.post(ctx, b.inboxes[0], body, b.fs.KeyID())
	b.key = good
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("a request signed with another key: %v, want 401", err)
	}
	if _, err := b.farm.wait(ctx); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("the refusal did not fail the round: %v", err)
	}

	// Signed, with the right key, for server 0's Host, and sent to server 1.
	b.farm.expect(activity["id"].(string), 1)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.farm.urls[1]+"/inbox", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Host = strings.TrimPrefix(b.farm.urls[0], "http://")
	req.Header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	req.Header.Set("Host", req.Host)
	signer, _, err := httpsig.NewSigner([]httpsig.Algorithm{httpsig.RSA_SHA256}, httpsig.DigestSha256,
		[]string{httpsig.RequestTarget, "host", "date", "digest"}, httpsig.Signature, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := signer.SignRequest(b.key, b.fs.KeyID(), req, body); err != nil {
		t.Fatal(err)
	}
	req.Header.Del("Host")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a request signed for server 0 sent to server 1: %d, want 401", resp.StatusCode)
	}
	if _, err := b.farm.wait(ctx); err == nil || !strings.Contains(err.Error(), "signed for host") {
		t.Fatalf("the wrong Host did not fail the round: %v", err)
	}
}
