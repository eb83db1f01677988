package web

import (
	"context"
	"database/sql"
	"net/http"

	"sistercity/internal/auth"
	"sistercity/internal/db"
)

// loadRecord reads the record named by the request's {id} with get. When the id is malformed
// or names nothing it answers (404) and reports false.
func loadRecord[T any](s *Server, w http.ResponseWriter, r *http.Request, get func(context.Context, db.Querier, int64) (T, error)) (T, bool) {
	var zero T
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return zero, false
	}
	rec, err := get(r.Context(), s.db.R, id)
	if err != nil {
		s.fail(w, r, err)
		return zero, false
	}
	return rec, true
}

// deleteRecord is the handler that deletes the record named by {id}: read, deleted and audited
// as entity in one transaction, then the stored files del names removed (after the commit, so
// a failed transaction never leaves a record without its file), then a redirect to done.
func deleteRecord[T any](s *Server, entity auth.Entity, done string, get func(context.Context, db.Querier, int64) (T, error),
	del func(context.Context, *sql.Tx, int64) (files []string, err error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := pathID(r, "id")
		if !ok {
			s.notFound(w, r)
			return
		}
		ctx := r.Context()
		var files []string
		err := s.change(r, auth.ActionDelete, entity, func(tx *sql.Tx) (int64, any, any, error) {
			before, err := get(ctx, tx, id)
			if err != nil {
				return 0, nil, nil, err
			}
			files, err = del(ctx, tx, id)
			return id, before, nil, err
		})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.deleteBlobs(r, files...)
		http.Redirect(w, r, done, http.StatusSeeOther)
	}
}

// noFiles adapts the delete of a record that has no stored files to deleteRecord.
func noFiles(del func(context.Context, *sql.Tx, int64) error) func(context.Context, *sql.Tx, int64) ([]string, error) {
	return func(ctx context.Context, tx *sql.Tx, id int64) ([]string, error) { return nil, del(ctx, tx, id) }
}
