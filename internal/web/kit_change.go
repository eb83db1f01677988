package web

import (
	"database/sql"
	"net/http"

	"sistercity/internal/auth"
)

// change makes a change and its audit entry in one transaction, as the signed-in user, so the
// log and the data never disagree. do makes the change inside the transaction and returns
// what the entry records: the id of the record and the record before and after the change (nil
// for a creation's before or a deletion's after). Its results are taken after it returns, so
// a new record's id or an updated version may be read there; compute after once the change is
// made, not in the same return statement as the call that makes it.
func (s *Server) change(r *http.Request, action auth.Action, entity auth.Entity,
	do func(tx *sql.Tx) (id int64, before, after any, err error)) error {
	ctx := r.Context()
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		id, before, after, err := do(tx)
		if err != nil {
			return err
		}
		return auth.Audit(ctx, tx, userFrom(r), action, entity, id, before, after)
	})
}
