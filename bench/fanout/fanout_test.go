package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"sistercity/internal/db/dbtest"
)

// A small run of the benchmark on the test database (SQLite, or PostgreSQL with
// SISTERCITY_TEST_DATABASE_URL): 20 followers, both modes, both sides; every delivery arrives,
// verified, once. And the servers do verify: a request signed with another key is refused.
func TestFanoutSmall(t *testing.T) {
	ctx := context.Background()
	b, err := setup(ctx, dbtest.URL(t), t.TempDir(), 4, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer b.close()
	b.trace.on = true // -trace's queries run on both databases
	const n = 20
	for mode, want := range map[string]int{modePersonal: n, modeShared: 3} {
		deliveries, err := b.followers(ctx, mode, n)
		if err != nil {
			t.Fatal(err)
		}
		if deliveries != want {
			t.Fatalf("%s: %d deliveries, want %d", mode, deliveries, want)
		}
		for _, side := range []string{sideSistercity, sideBaseline} {
			// Generous: the CI machine is busy, and River picks jobs up by polling.
			r, err := b.round(ctx, side, deliveries, 2*time.Minute)
			if err != nil {
				t.Fatalf("%s %s: %v", mode, side, err)
			}
			if r.deliveries != want || r.reached != n {
				t.Fatalf("%s %s: %d deliveries reaching %d followers, want %d reaching %d", mode, side, r.deliveries, r.reached, want, n)
			}
		}
	}

	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	activity := createActivity(b.fs.ActorID(), 1000)
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
}
