package db

import (
	"context"
	"io/fs"
)

// MigrateFS is Migrate with the migrations in fsys (migrations/<dialect>/NNNN_name.sql) in place
// of the embedded ones, for tests of the runner.
func (d *DB) MigrateFS(ctx context.Context, fsys fs.FS) (int, error) {
	return d.migrate(ctx, fsys, 0)
}

// MigrateTo applies the embedded migrations up to version v only, and not River's: a database
// as an earlier release left it.
func (d *DB) MigrateTo(ctx context.Context, v int64) (int, error) {
	return d.migrate(ctx, migrations, v)
}

// MigrationVersions lists the numbers of the embedded migrations, in order.
func (d *DB) MigrationVersions() ([]int64, error) {
	files, err := d.migrationFiles(migrations)
	if err != nil {
		return nil, err
	}
	vs := make([]int64, len(files))
	for i, f := range files {
		vs[i] = f.version
	}
	return vs, nil
}
