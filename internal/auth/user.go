package auth

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"sistercity/internal/db"
	"sistercity/internal/i18n"
	"sistercity/internal/problem"
)

// Role is what a user may do. Each role includes the ones below it.
type Role string

const (
	RoleLiaison    Role = "liaison"    // a partner city's liaison: reads what is shared with that city, nothing else
	RoleViewer     Role = "viewer"     // reads the admin
	RoleTranslator Role = "translator" // works on assigned translations
	RoleEditor     Role = "editor"     // keeps the register, plans exchanges, publishes
	RoleAdmin      Role = "admin"      // accounts, settings, the audit log
)

// Roles lists the roles from the least to the most powerful.
var Roles = []Role{RoleLiaison, RoleViewer, RoleTranslator, RoleEditor, RoleAdmin}

// AtLeast tells whether r includes min.
func (r Role) AtLeast(min Role) bool {
	i, j := slices.Index(Roles, r), slices.Index(Roles, min)
	return i >= 0 && j >= 0 && i >= j
}

// Valid tells whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// User is an account of the admin.
type User struct {
	ID           int64
	Username     string
	DisplayName  string
	Role         Role
	Locale       string
	Disabled     bool
	CreatedAt    time.Time
	passwordHash string
}

// stamp is a fingerprint of the password hash kept in the session: when the password changes,
// older sessions no longer match.
func (u *User) stamp() string {
	sum := sha256.Sum256([]byte(u.passwordHash))
	return hex.EncodeToString(sum[:8])
}

// Name returns what to call the user.
func (u *User) Name() string {
	if u.DisplayName != "" {
		return u.DisplayName
	}
	return u.Username
}

var usernameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,39}$`)

// ValidateAccount checks a username, a role and (when not empty) a password.
func ValidateAccount(username string, role Role, password string) problem.Fields {
	var f problem.Fields
	if !usernameRe.MatchString(username) {
		f.Add("username", "auth.username_rule")
	}
	if !role.Valid() {
		f.Add("role", "validation.choice")
	}
	if password != "" {
		if n := utf8.RuneCountInString(password); n < MinPasswordLength || len(password) > maxPasswordLength {
			f.Add("password", "auth.password_rule", "count", MinPasswordLength)
		}
	}
	return f
}

// ErrUsernameTaken is returned when a username is in use.
var ErrUsernameTaken = errors.New("auth: username taken")

// CreateUser adds an account.
func CreateUser(ctx context.Context, tx *sql.Tx, username, displayName, password string, role Role) (*User, error) {
	username = strings.ToLower(strings.TrimSpace(username))
	f := ValidateAccount(username, role, password)
	if password == "" {
		f.Add("password", "auth.password_rule", "count", MinPasswordLength)
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	u := &User{Username: username, DisplayName: displayName, Role: role, CreatedAt: now}
	err = tx.QueryRowContext(ctx, `INSERT INTO users (username, display_name, password_hash, role, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $5) RETURNING id`, username, displayName, hash, string(role), now).Scan(&u.ID)
	if db.IsUniqueViolation(err) {
		return nil, ErrUsernameTaken
	}
	if err != nil {
		return nil, fmt.Errorf("auth: create user %s: %w", username, err)
	}
	return u, nil
}

const userColumns = "id, username, display_name, role, locale, disabled, created_at, password_hash"

func scanUser(row interface{ Scan(...any) error }) (*User, error) {
	var u User
	var role string
	err := row.Scan(&u.ID, &u.Username, &u.DisplayName, &role, &u.Locale, &u.Disabled, &u.CreatedAt, &u.passwordHash)
	u.Role = Role(role)
	return &u, err
}

// GetUser returns the account with id.
func GetUser(ctx context.Context, q db.Querier, id int64) (*User, error) {
	u, err := scanUser(q.QueryRowContext(ctx, "SELECT "+userColumns+" FROM users WHERE id = $1", id))
	if err != nil {
		return nil, db.NotFound(err, fmt.Sprintf("auth: user %d", id))
	}
	return u, nil
}

// GetUserByName returns the account with username.
func GetUserByName(ctx context.Context, q db.Querier, username string) (*User, error) {
	u, err := scanUser(q.QueryRowContext(ctx, "SELECT "+userColumns+" FROM users WHERE username = $1",
		strings.ToLower(strings.TrimSpace(username))))
	if err != nil {
		return nil, db.NotFound(err, "auth: user "+username)
	}
	return u, nil
}

// Users lists every account.
func Users(ctx context.Context, q db.Querier) ([]*User, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+userColumns+" FROM users ORDER BY username")
	if err != nil {
		return nil, fmt.Errorf("auth: list users: %w", err)
	}
	defer rows.Close()
	var users []*User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("auth: list users: %w", err)
		}
		users = append(users, u)
	}
	return users, rows.Err()
}

// UserSearch returns up to limit accounts from offset, by user name, whose user name or
// display name contains search (case-insensitive; "" for all), and how many match in all.
func UserSearch(ctx context.Context, q db.Querier, search string, limit, offset int) ([]*User, int, error) {
	cond, args := "", []any{}
	if search != "" {
		cond = ` WHERE sc_fold(username) LIKE $1 ESCAPE '\' OR sc_fold(display_name) LIKE $1 ESCAPE '\'`
		args = append(args, db.ContainsPattern(search))
	}
	var total int
	if err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM users"+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("auth: count users: %w", err)
	}
	n := len(args)
	rows, err := q.QueryContext(ctx, "SELECT "+userColumns+" FROM users"+cond+
		fmt.Sprintf(" ORDER BY username LIMIT $%d OFFSET $%d", n+1, n+2), append(args, limit, offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("auth: list users: %w", err)
	}
	defer rows.Close()
	var users []*User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("auth: list users: %w", err)
		}
		users = append(users, u)
	}
	return users, total, rows.Err()
}

// SetRole changes an account's role.
func SetRole(ctx context.Context, tx *sql.Tx, id int64, role Role) error {
	if !role.Valid() {
		return problem.Fields{{Field: "role", Msg: i18n.M("validation.choice")}}
	}
	return updateUser(ctx, tx, id, "role = $1", string(role))
}

// SetPassword changes an account's password and signs it out everywhere.
func SetPassword(ctx context.Context, tx *sql.Tx, id int64, password string) error {
	if n := utf8.RuneCountInString(password); n < MinPasswordLength || len(password) > maxPasswordLength {
		return problem.Fields{{Field: "password", Msg: i18n.M("auth.password_rule", "count", MinPasswordLength)}}
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	return updateUser(ctx, tx, id, "password_hash = $1", hash)
}

// SetDisabled disables or enables an account. Disabling ends the account's sessions for good:
// enabling it again does not bring them back.
func SetDisabled(ctx context.Context, tx *sql.Tx, id int64, disabled bool) error {
	if err := updateUser(ctx, tx, id, "disabled = $1", disabled); err != nil {
		return err
	}
	if disabled {
		return EndSessions(ctx, tx, id)
	}
	return nil
}

func updateUser(ctx context.Context, tx *sql.Tx, id int64, set string, value any) error {
	res, err := tx.ExecContext(ctx, "UPDATE users SET "+set+", updated_at = $2 WHERE id = $3", value, time.Now().UTC(), id)
	if err != nil {
		return fmt.Errorf("auth: update user %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("auth: user %d: %w", id, db.ErrNotFound)
	}
	return nil
}

// CountAdmins returns how many enabled admins there are; the last one may not be demoted.
func CountAdmins(ctx context.Context, q db.Querier) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled = $1", false).Scan(&n)
	return n, err
}
