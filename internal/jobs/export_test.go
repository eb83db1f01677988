package jobs

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"

	"sistercity/internal/db"
)

// ForTest sets River's TestOnly on c: maintenance services start without their random
// staggering, so that a test's queue elects itself leader and schedules at once.
func ForTest(c Config) Config {
	c.testOnly = true
	return c
}

// CompleteTx marks job completed inside tx, so that the job's database side effects and its
// completion commit together or not at all: a crash after the commit cannot run it again. The
// worker then returns nil. No worker of the application needs it yet (each keys its effects on
// the domain record); it moves into the package once one does. On SQLite tx must be the worker's only open transaction.
func CompleteTx[T Args](ctx context.Context, tx *sql.Tx, job *Job[T]) error {
	if job.row == nil {
		return fmt.Errorf("jobs: complete job %d: not a job handed out by a queue", job.ID)
	}
	var err error
	// River needs the driver type only to name the transaction type; both are *sql.Tx.
	if job.dialect == db.SQLite {
		_, err = river.JobCompleteTx[*riversqlite.Driver](ctx, tx, job.row)
	} else {
		_, err = river.JobCompleteTx[*riverdatabasesql.Driver](ctx, tx, job.row)
	}
	if err != nil {
		return fmt.Errorf("jobs: complete job %d: %w", job.ID, err)
	}
	return nil
}
