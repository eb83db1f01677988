package auth

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	"sistercity/internal/db/dbtest"
)

func TestPasswordHash(t *testing.T) {
	h, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := CheckPassword(h, "correct horse battery"); !ok || err != nil {
		t.Fatalf("right password refused: %v %v", ok, err)
	}
	if ok, _ := CheckPassword(h, "wrong horse battery"); ok {
		t.Fatal("wrong password accepted")
	}
	h2, _ := HashPassword("correct horse battery")
	if h == h2 {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
	for _, bad := range []string{"", "$argon2id$v=19$m=1,t=1,p=1$$", "$bcrypt$x", h[:len(h)-5] + "$$$$"} {
		if ok, err := CheckPassword(bad, "x"); ok || err == nil {
			t.Errorf("malformed hash %q: ok=%v err=%v", bad, ok, err)
		}
	}
}

func TestRoles(t *testing.T) {
	if !RoleAdmin.AtLeast(RoleEditor) || !RoleEditor.AtLeast(RoleEditor) || RoleTranslator.AtLeast(RoleEditor) || RoleViewer.AtLeast(RoleTranslator) {
		t.Fatal("role order is wrong")
	}
	if Role("root").AtLeast(RoleViewer) || RoleAdmin.AtLeast(Role("root")) {
		t.Fatal("an unknown role compares")
	}
}

func TestAuthenticateLimitsAttempts(t *testing.T) {
	d := dbtest.Open(t)
	ctx := context.Background()
	err := d.InTx(ctx, func(tx *sql.Tx) error {
		_, err := CreateUser(ctx, tx, "ana", "Ana", "correct horse battery", RoleEditor)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if u, err := Authenticate(ctx, d, "ana", "correct horse battery", "10.0.0.1"); err != nil || u.Username != "ana" {
		t.Fatalf("sign-in: %v", err)
	}
	if _, err := Authenticate(ctx, d, "nobody", "whatever password", "10.0.0.1"); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("unknown user: %v", err)
	}
	for i := 0; i < maxPerAccount; i++ {
		if _, err := Authenticate(ctx, d, "ana", "wrong", "10.0.0.2"); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	// Now even the right password is refused for a while.
	if _, err := Authenticate(ctx, d, "ana", "correct horse battery", "10.0.0.3"); !errors.Is(err, ErrRateLimited) {
		t.Fatalf("after %d failures: %v, want ErrRateLimited", maxPerAccount, err)
	}
}

func TestCreateUserValidates(t *testing.T) {
	d := dbtest.Open(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name, password string
		role           Role
	}{
		{"A", "correct horse battery", RoleViewer},
		{"ana", "short", RoleViewer},
		{"ana", "correct horse battery", Role("root")},
		{"ana", "", RoleViewer},
	} {
		err := d.InTx(ctx, func(tx *sql.Tx) error {
			_, err := CreateUser(ctx, tx, tc.name, "", tc.password, tc.role)
			return err
		})
		if err == nil {
			t.Errorf("CreateUser(%q, %q, %q) succeeded", tc.name, tc.password, tc.role)
		}
	}
	users, _ := Users(ctx, d.R)
	if len(users) != 0 {
		t.Fatalf("%d users saved from invalid input", len(users))
	}
}
