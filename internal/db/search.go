package db

import (
	"database/sql/driver"
	"strings"

	"modernc.org/sqlite"
)

// Search in lists: both databases match text through one SQL function, sc_fold(x), so that
// one query serves both. SQLite's own lower() and LIKE fold only ASCII, and Russian has cases,
// so on SQLite sc_fold is Go's strings.ToLower, registered here; on PostgreSQL it is lower(),
// created by migration 0015 (Unicode-aware in a UTF-8 database with a UTF-8 ctype, as initdb
// makes them).
func init() {
	if err := sqlite.RegisterDeterministicScalarFunction("sc_fold", 1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		switch v := args[0].(type) {
		case string:
			return strings.ToLower(v), nil
		case []byte:
			return strings.ToLower(string(v)), nil
		default:
			return v, nil
		}
	}); err != nil {
		panic("db: register sc_fold: " + err.Error())
	}
}

// ContainsPattern is the LIKE pattern that finds text containing s, case-insensitively when
// compared with sc_fold(column) and ESCAPE '\': the pattern characters %, _ and \ of s match
// only themselves.
func ContainsPattern(s string) string {
	return "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(strings.ToLower(s)) + "%"
}
