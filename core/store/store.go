// Package store is BanGUI's local cache: one SQLite file (modernc.org/sqlite,
// no cgo) holding the servers the user manages and the app's settings. It
// never holds secrets.
//
// All SQLite conventions live in this file. A DB has two pools on the same
// file: Write, a single connection whose transactions start with BEGIN
// IMMEDIATE, and Read, several query-only connections. Both run in WAL mode,
// so readers keep working while a write transaction is open. Open creates the
// file with mode 0600 and applies the embedded migrations (see Migrate).
//
// Methods are safe for concurrent use, block until done and honour ctx.
// Missing rows come back as errors that match core.ErrNotFound with
// errors.Is; bad input comes back as a *core.Error with code core.EINVALID.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// driverName is modernc.org/sqlite's database/sql driver name.
const driverName = "sqlite"

// pragmas run on every new connection of both pools. busy_timeout makes a
// connection wait for a lock instead of failing with SQLITE_BUSY.
var pragmas = []string{
	"busy_timeout(5000)",
	"journal_mode(WAL)",
	"synchronous(NORMAL)",
	"foreign_keys(1)",
}

// DB is an open cache file. Its fields may be used directly by callers that
// need SQL the methods do not offer; Write must stay the only pool that writes.
type DB struct {
	// Write is the writer pool: one connection, transactions BEGIN IMMEDIATE.
	Write *sql.DB
	// Read is the reader pool: several connections with query_only set.
	Read *sql.DB
	// Now is the clock used for created_at/updated_at; tests replace it.
	// It defaults to time.Now.
	Now func() time.Time

	path string
}

// Open opens (creating it if needed) the cache file at path, applies the
// migrations in fsys with Migrate and returns the DB. The parent folder is
// created with mode 0700 and the file is created with, or set to, mode 0600.
// A cache written by a newer BanGUI is refused with a *core.Error of code
// core.ECONFLICT, and left unchanged.
func Open(ctx context.Context, path string, fsys fs.FS) (*DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("store: open %q: %w", path, err)
	}
	if err := prepareFile(abs); err != nil {
		return nil, fmt.Errorf("store: open %q: %w", abs, err)
	}

	db := &DB{Now: time.Now, path: abs}
	db.Write, err = sql.Open(driverName, dsn(abs, "_txlock=immediate"))
	if err != nil {
		return nil, fmt.Errorf("store: open %q: %w", abs, err)
	}
	db.Write.SetMaxOpenConns(1)
	db.Write.SetMaxIdleConns(1)
	db.Write.SetConnMaxIdleTime(0)
	db.Write.SetConnMaxLifetime(0)
	if err := db.Write.PingContext(ctx); err != nil {
		db.Write.Close()
		return nil, fmt.Errorf("store: open %q: %w", abs, err)
	}
	if err := Migrate(ctx, db.Write, fsys); err != nil {
		db.Write.Close()
		return nil, fmt.Errorf("store: open %q: %w", abs, err)
	}

	db.Read, err = sql.Open(driverName, dsn(abs, "_pragma=query_only(1)"))
	if err != nil {
		db.Write.Close()
		return nil, fmt.Errorf("store: open %q: %w", abs, err)
	}
	n := max(4, runtime.NumCPU())
	db.Read.SetMaxOpenConns(n)
	db.Read.SetMaxIdleConns(n)
	if err := db.Read.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open %q: %w", abs, err)
	}
	return db, nil
}

// Path returns the absolute path of the cache file.
func (db *DB) Path() string { return db.path }

// Close closes both pools. Once the last connection closes, SQLite folds
// the WAL back into the main file.
func (db *DB) Close() error {
	var errs []error
	if db.Read != nil {
		errs = append(errs, db.Read.Close())
	}
	if db.Write != nil {
		errs = append(errs, db.Write.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("store: close %q: %w", db.path, err)
	}
	return nil
}

// now returns the current time in whole seconds, as the cache stores it.
func (db *DB) now() time.Time {
	clock := db.Now
	if clock == nil {
		clock = time.Now
	}
	return clock().Truncate(time.Second)
}

// prepareFile creates the parent folder (0700) and an empty file (0600) if
// they are missing, and sets an existing file and its WAL sidecars to 0600.
func prepareFile(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// dsn builds the DSN of the cache: URI with the pragmas every connection
// runs, plus extra parameters.
func dsn(path string, extra ...string) string {
	q := make([]string, 0, len(pragmas)+len(extra))
	for _, pr := range pragmas {
		q = append(q, "_pragma="+url.QueryEscape(pr))
	}
	return URI(path, append(q, extra...)...)
}

// URI builds a modernc.org/sqlite DSN for an absolute path: a
// percent-encoded file: URI followed by the query parameters (already
// escaped). Spaces, '?', '#' and '%' in folder names are safe: the driver
// splits the DSN at the first '?', and SQLite decodes the URI path; and
// SQLite itself applies URI parameters such as mode=ro, which a plain path
// would drop.
func URI(path string, query ...string) string {
	p := filepath.ToSlash(path)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // Windows: C:/x → /C:/x, as SQLite expects in file: URIs
	}
	u := url.URL{Scheme: "file", Path: p}
	if len(query) == 0 {
		return u.String()
	}
	return u.String() + "?" + strings.Join(query, "&")
}

// queryAll runs q on the read pool and scans every row with scan; what
// names the query in errors ("list servers").
func queryAll[T any](ctx context.Context, db *DB, what string, scan func(rowScanner) (T, error), q string, args ...any) ([]T, error) {
	rows, err := db.Read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	defer rows.Close()
	var list []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("store: %s: %w", what, err)
		}
		list = append(list, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	return list, nil
}
