package f2bdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/store"
)

// Layout versions (fail2banDb.version) this package reads. fail2ban 0.9 and
// 0.10 write 2 (bans without bantime and bancount, no bips table), 0.11 and
// later 4 (fail2ban 1.0.2 included); 3 is a step of fail2ban's own upgrade.
const (
	MinVersion = 2
	MaxVersion = 4
)

// driverName is modernc.org/sqlite's database/sql driver name.
const driverName = "sqlite"

// DB is a read-only handle on fail2ban's database. It is safe for
// concurrent use. Every method runs one short SELECT (an implicit read
// transaction that ends before the rows are decoded), so the server, which
// waits at most 5 s for readers, is never held up.
type DB struct {
	sql     *sql.DB
	path    string
	version int
	layout  layout
}

// layout says which columns and tables the file has; fail2ban changed them
// between layout versions.
type layout struct {
	hasBips     bool // version 4: the current/last ban per (ip, jail)
	hasBanTime  bool // version 3+: bans.bantime
	hasBanCount bool // version 3+: bans.bancount
}

// Open opens fail2ban's database at path read-only: SQLite's mode=ro (the
// file is never created or written) plus query_only, with a 5 s busy
// timeout. It checks the layout version (see MinVersion and MaxVersion).
//
// Errors are *core.Error values: ENOTFOUND when the file does not exist (or
// path is empty or ":memory:"), EPERMISSION when this user may not read it,
// EINVALID when it is not an SQLite file or not fail2ban's database,
// EUNSUPPORTED for a layout older than MinVersion, ECONFLICT for one newer
// than MaxVersion, ECANCELED when ctx ends first.
//
// The layout is read once here: after fail2ban was upgraded on the host,
// open the database again.
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" || path == ":memory:" {
		return nil, core.Errorf(core.ENOTFOUND,
			"fail2ban keeps no database file (dbfile = %q), so there is no ban history or failure count to read: set dbfile in fail2ban.local (Debian: /var/lib/fail2ban/fail2ban.sqlite3)", path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, core.Wrap(err, core.EINVALID, fmt.Sprintf("cannot use %q as fail2ban's database", path))
	}
	if err := checkFile(abs); err != nil {
		return nil, err
	}
	conn, err := sql.Open(driverName, dsn(abs))
	if err != nil {
		return nil, core.Wrap(err, core.EINTERNAL, fmt.Sprintf("cannot open fail2ban's database %s", abs))
	}
	conn.SetMaxOpenConns(4)
	conn.SetMaxIdleConns(2)
	// Idle connections hold no lock, but they keep the file open: let them
	// go, so that a file fail2ban replaced (repairDB) is seen again.
	conn.SetConnMaxIdleTime(30 * time.Second)

	db := &DB{sql: conn, path: abs}
	if err := db.readLayout(ctx); err != nil {
		conn.Close()
		return nil, err
	}
	return db, nil
}

// Path returns the absolute path of the database file.
func (db *DB) Path() string { return db.path }

// Version returns the layout version found in fail2banDb.
func (db *DB) Version() int { return db.version }

// Close closes the connections.
func (db *DB) Close() error {
	if err := db.sql.Close(); err != nil {
		return core.Wrap(err, core.EINTERNAL, fmt.Sprintf("closing fail2ban's database %s", db.path))
	}
	return nil
}

// checkFile turns a missing or unreadable file into a clear error before
// SQLite sees it (SQLite says only "unable to open database file").
func checkFile(path string) error {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR):
		return core.Wrap(err, core.ENOTFOUND,
			fmt.Sprintf("fail2ban's database %s does not exist: is dbfile set? (get dbfile)", path))
	case errors.Is(err, fs.ErrPermission):
		return permissionError(path, nil, err)
	case err != nil:
		return core.Wrap(err, core.EUNAVAILABLE, fmt.Sprintf("cannot read fail2ban's database %s", path))
	case fi.IsDir():
		return core.Errorf(core.EINVALID, "%s is a folder, not fail2ban's database", path)
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrPermission) {
		return permissionError(path, fi, err)
	}
	if err != nil {
		return core.Wrap(err, core.EUNAVAILABLE, fmt.Sprintf("cannot read fail2ban's database %s", path))
	}
	return f.Close()
}

// permissionError says that path is root-only; fi, when known, gives the
// file's actual mode.
func permissionError(path string, fi fs.FileInfo, err error) error {
	mode := ""
	if fi != nil {
		mode = fmt.Sprintf(" (%04o)", fi.Mode().Perm())
	}
	return core.Wrap(err, core.EPERMISSION, fmt.Sprintf(
		"%s is root-only%s, so BanGUI cannot read fail2ban's ban history: run BanGUI as root, or give your user read access (sudo setfacl -m u:$USER:r %s)", path, mode, path))
}

// dsn builds the modernc.org/sqlite DSN: a percent-encoded file: URI, so
// that SQLite itself applies mode=ro (a plain path would drop it and open
// read-write, creating a missing file).
func dsn(path string) string {
	return store.URI(path, "mode=ro",
		"_pragma="+url.QueryEscape("busy_timeout(5000)"),
		"_pragma="+url.QueryEscape("query_only(1)"))
}

// readLayout checks fail2banDb.version and which tables and columns exist.
func (db *DB) readLayout(ctx context.Context) error {
	var v any
	err := db.sql.QueryRowContext(ctx, "SELECT version FROM fail2banDb LIMIT 1").Scan(&v)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return core.Errorf(core.EINVALID, "%s is not fail2ban's database: its fail2banDb table is empty", db.path)
	case err != nil && strings.Contains(err.Error(), "no such table"):
		return core.Wrap(err, core.EINVALID, fmt.Sprintf("%s is not fail2ban's database (it has no fail2banDb table)", db.path))
	case err != nil:
		return db.queryError(ctx, err, "reading the layout version of")
	}
	n, ok := toInt64(v)
	if !ok {
		return core.Errorf(core.EINVALID, "%s is not fail2ban's database: its layout version is %v", db.path, v)
	}
	db.version = int(n)
	if n < MinVersion {
		return core.Errorf(core.EUNSUPPORTED,
			"fail2ban's database %s has layout version %d, from a fail2ban older than 0.9; BanGUI reads versions %d to %d: restart fail2ban once to upgrade it",
			db.path, n, MinVersion, MaxVersion)
	}
	if n > MaxVersion {
		return core.Errorf(core.ECONFLICT,
			"fail2ban's database %s has layout version %d; this BanGUI reads versions %d to %d (fail2ban 0.9 to 1.1): update BanGUI",
			db.path, n, MinVersion, MaxVersion)
	}

	rows, err := db.sql.QueryContext(ctx,
		`SELECT 'table:' || name FROM sqlite_master WHERE type = 'table' AND name IN ('bans', 'bips')
		 UNION ALL SELECT 'bans:' || name FROM pragma_table_info('bans')`)
	if err != nil {
		return db.queryError(ctx, err, "reading the layout of")
	}
	seen := map[string]bool{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return db.queryError(ctx, err, "reading the layout of")
		}
		seen[s] = true
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return db.queryError(ctx, err, "reading the layout of")
	}
	for _, need := range []string{"table:bans", "bans:jail", "bans:ip", "bans:timeofban", "bans:data"} {
		if !seen[need] {
			return core.Errorf(core.EINVALID, "fail2ban's database %s (layout version %d) lacks %s",
				db.path, n, strings.Replace(need, ":", " ", 1))
		}
	}
	db.layout = layout{hasBips: seen["table:bips"], hasBanTime: seen["bans:bantime"], hasBanCount: seen["bans:bancount"]}
	return nil
}

// queryError turns a failed query into a *core.Error; what completes
// "<what> fail2ban's database <path>".
func (db *DB) queryError(ctx context.Context, err error, what string) error {
	msg := fmt.Sprintf("%s fail2ban's database %s", what, db.path)
	if ctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return core.Wrap(err, core.ECANCELED, strings.ToUpper(msg[:1])+msg[1:]+" was cancelled")
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return core.Wrap(err, core.EUNAVAILABLE, msg+" failed: fail2ban kept it locked for more than 5 s; try again")
		case sqlite3.SQLITE_NOTADB:
			return core.Wrap(err, core.EINVALID, msg+" failed: it is not an SQLite database")
		case sqlite3.SQLITE_CORRUPT:
			return core.Wrap(err, core.EINVALID, msg+" failed: the file is damaged")
		case sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_IOERR:
			return core.Wrap(err, core.EUNAVAILABLE, msg+" failed: cannot read the file")
		case sqlite3.SQLITE_PERM, sqlite3.SQLITE_AUTH:
			return permissionError(db.path, nil, err)
		}
	}
	return core.Wrap(err, core.EINTERNAL, msg+" failed")
}
