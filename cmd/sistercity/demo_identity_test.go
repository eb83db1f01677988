package main

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"testing"

	"sistercity/internal/db/dbtest"
	"sistercity/internal/identity"
)

// TestDemoIdentity: the demo sets Busan's identity, logo and favicon once, and leaves an
// identity an administrator changed alone.
func TestDemoIdentity(t *testing.T) {
	t.Parallel()
	d := dbtest.Open(t)
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := loadIdentityDemo(ctx, d, log); err != nil {
		t.Fatal(err)
	}
	id, err := identity.Load(ctx, d.R)
	if err != nil {
		t.Fatal(err)
	}
	if id.Name("ko") != "부산광역시" || id.Name("ru") != "Пусан" || id.Name("en") != "Busan Metropolitan City" ||
		id.Logo == nil || id.Logo.ContentType != "image/svg+xml" || id.Logo.Width != 96 || id.Favicon == nil || id.Accent != "#00539f" {
		t.Fatalf("demo identity: %+v", id)
	}
	id.Names["en"] = "Busan"
	if err := d.InTx(ctx, func(tx *sql.Tx) error { return identity.Save(ctx, tx, id) }); err != nil {
		t.Fatal(err)
	}
	if err := loadIdentityDemo(ctx, d, log); err != nil {
		t.Fatal(err)
	}
	if id, _ := identity.Load(ctx, d.R); id.Name("en") != "Busan" {
		t.Errorf("the demo overwrote the admin's identity: %q", id.Name("en"))
	}
}
