// Package attach keeps the records of files attached to other records: the signed agreements
// of a partnership, the minutes and programmes of an exchange activity. The bytes live in the
// blob store; a record says what they are (title, name, sniffed type, size, SHA-256) and where.
// Every owner kind has its own table of the same shape, so a file goes with its owner by the
// table's foreign key; this package is the one place that reads and writes them.
package attach

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"sistercity/internal/db"
)

// Document is an uploaded file attached to a record.
type Document struct {
	ID          int64     `json:"id"`
	Title       string    `json:"title"`
	Filename    string    `json:"filename"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	StorageKey  string    `json:"-"`
	UploadedAt  time.Time `json:"uploaded_at"`
}

// Owner is a kind of record files attach to: its table of documents and the column naming the
// owning row. Owners are the package's own values, never built from input.
type Owner struct {
	table, column string
}

// The owner kinds.
var (
	Partnership = Owner{"partnership_documents", "partnership_id"}
	Activity    = Owner{"activity_documents", "activity_id"}
)

const columns = "id, title, filename, content_type, size, sha256, storage_key, uploaded_at"

func scan(row interface{ Scan(...any) error }, d *Document) error {
	err := row.Scan(&d.ID, &d.Title, &d.Filename, &d.ContentType, &d.Size, &d.SHA256, &d.StorageKey, &d.UploadedAt)
	d.UploadedAt = d.UploadedAt.UTC()
	return err
}

// Add records a document whose bytes are already stored under d.StorageKey, and sets its ID and
// UploadedAt. userID 0 records no uploader.
func Add(ctx context.Context, tx *sql.Tx, o Owner, ownerID int64, d *Document, userID int64) error {
	d.UploadedAt = time.Now().UTC()
	var user any
	if userID != 0 {
		user = userID
	}
	err := tx.QueryRowContext(ctx, `INSERT INTO `+o.table+` (`+o.column+`, title, filename, content_type, size,
		sha256, storage_key, uploaded_at, user_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		ownerID, d.Title, d.Filename, d.ContentType, d.Size, d.SHA256, d.StorageKey, d.UploadedAt, user).Scan(&d.ID)
	if err != nil {
		return fmt.Errorf("attach: add to %s %d: %w", o.column, ownerID, err)
	}
	return nil
}

// Get returns document id of the owning row ownerID.
func Get(ctx context.Context, q db.Querier, o Owner, ownerID, id int64) (*Document, error) {
	var d Document
	err := scan(q.QueryRowContext(ctx, "SELECT "+columns+" FROM "+o.table+" WHERE id = $1 AND "+o.column+" = $2", id, ownerID), &d)
	if err != nil {
		return nil, db.NotFound(err, fmt.Sprintf("attach: %s document %d", o.column, id))
	}
	return &d, nil
}

// List returns the documents of the owning row ownerID, oldest first.
func List(ctx context.Context, q db.Querier, o Owner, ownerID int64) ([]Document, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+columns+" FROM "+o.table+" WHERE "+o.column+" = $1 ORDER BY id", ownerID)
	if err != nil {
		return nil, fmt.Errorf("attach: list %s %d: %w", o.column, ownerID, err)
	}
	defer rows.Close()
	var out []Document
	for rows.Next() {
		var d Document
		if err := scan(rows, &d); err != nil {
			return nil, fmt.Errorf("attach: list %s %d: %w", o.column, ownerID, err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// Keys returns the storage keys of the documents of ownerID, for removing the bytes after the
// owner is deleted (the rows go with it by cascade).
func Keys(ctx context.Context, q db.Querier, o Owner, ownerID int64) ([]string, error) {
	docs, err := List(ctx, q, o, ownerID)
	keys := make([]string, 0, len(docs))
	for _, d := range docs {
		keys = append(keys, d.StorageKey)
	}
	return keys, err
}

// Delete removes a document record; the caller removes its bytes after the commit.
func Delete(ctx context.Context, tx *sql.Tx, o Owner, ownerID, id int64) error {
	res, err := tx.ExecContext(ctx, "DELETE FROM "+o.table+" WHERE id = $1 AND "+o.column+" = $2", id, ownerID)
	if err != nil {
		return fmt.Errorf("attach: delete %s document %d: %w", o.column, id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("attach: %s document %d: %w", o.column, id, db.ErrNotFound)
	}
	return nil
}
