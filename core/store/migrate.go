package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strconv"
	"time"

	"github.com/bangui/bangui/core"
)

// migrationRE is the migration file naming rule: NNNN_name.sql.
var migrationRE = regexp.MustCompile(`^([0-9]{4})_([a-z0-9][a-z0-9_]*)\.sql$`)

// migration is one schema file.
type migration struct {
	version int
	name    string // the file name, e.g. 0001_init.sql
}

// Migrate applies the migrations in fsys (files NNNN_name.sql at its root,
// taken in lexical order) that db has not applied yet. Each file's statements
// and its row in schema_migrations commit in one BEGIN IMMEDIATE transaction,
// or not at all. A database whose schema is newer than the newest file is
// refused, before anything is written, with a *core.Error of code
// core.ECONFLICT.
func Migrate(ctx context.Context, db *sql.DB, fsys fs.FS) error {
	list, err := readMigrations(fsys)
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	known := 0
	if len(list) > 0 {
		known = list[len(list)-1].version
	}

	// Read-only check first: a newer cache must not be touched at all.
	current, err := SchemaVersion(ctx, db)
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	if current > known {
		return fmt.Errorf("store: migrate: %w", newerSchemaError(ctx, db, current, known))
	}

	for _, m := range list {
		if err := apply(ctx, db, fsys, m, known); err != nil {
			return fmt.Errorf("store: migrate %s: %w", m.name, err)
		}
	}
	return nil
}

// SchemaVersion returns the highest migration version applied to db, or 0
// for a database that has none (including a new, empty file).
func SchemaVersion(ctx context.Context, db *sql.DB) (int, error) {
	v, err := schemaVersion(ctx, db)
	if err != nil {
		return 0, fmt.Errorf("store: schema version: %w", err)
	}
	return v, nil
}

// querier is what *sql.DB and *sql.Conn have in common.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func schemaVersion(ctx context.Context, q querier) (int, error) {
	var exists int
	err := q.QueryRowContext(ctx,
		`SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'`).Scan(&exists)
	if err != nil || exists == 0 {
		return 0, err
	}
	var v int
	err = q.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}

// readMigrations lists fsys's migration files in order and refuses names
// that do not follow the convention or repeat a version.
func readMigrations(fsys fs.FS) ([]migration, error) {
	if fsys == nil {
		return nil, errors.New("no migration files given (nil fs.FS)")
	}
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("read migration files: %w", err)
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	var list []migration
	for _, e := range entries {
		m := migrationRE.FindStringSubmatch(e.Name())
		if m == nil || e.IsDir() {
			return nil, fmt.Errorf("migration file %q: name must look like 0001_init.sql (four digits, '_', lower-case letters, digits or '_', '.sql')", e.Name())
		}
		v, _ := strconv.Atoi(m[1]) // four digits: cannot fail
		if v == 0 {
			return nil, fmt.Errorf("migration file %q: versions start at 0001", e.Name())
		}
		if n := len(list); n > 0 && list[n-1].version == v {
			return nil, fmt.Errorf("migration files %q and %q have the same version %d", list[n-1].name, e.Name(), v)
		}
		list = append(list, migration{version: v, name: e.Name()})
	}
	return list, nil
}

// apply runs one migration in its own BEGIN IMMEDIATE transaction on a
// dedicated connection, unless it is already applied. known is the newest
// version fsys holds; the newer-schema check is repeated under the lock in
// case another process migrated meanwhile.
func apply(ctx context.Context, db *sql.DB, fsys fs.FS, m migration, known int) (err error) {
	body, err := fs.ReadFile(fsys, m.name)
	if err != nil {
		return err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()

	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return err
	}
	committed := false
	defer func() {
		if committed {
			return
		}
		// Roll back even if ctx is done. If that fails the transaction may
		// still be open: drop the connection so the pool never reuses it.
		if _, rbErr := conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK"); rbErr != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}()

	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT    NOT NULL,
		applied_at INTEGER NOT NULL
	) STRICT`); err != nil {
		return err
	}
	current, err := schemaVersion(ctx, conn)
	if err != nil {
		return err
	}
	if current > known {
		return newerSchemaError(ctx, conn, current, known)
	}
	var done int
	if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, m.version).Scan(&done); err != nil {
		return err
	}
	if done > 0 {
		return nil // the deferred ROLLBACK undoes nothing but the no-op CREATE
	}
	if _, err := conn.ExecContext(ctx, string(body)); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx,
		`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		m.version, m.name, time.Now().Unix()); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return err
	}
	committed = true
	return nil
}

// newerSchemaError explains a cache written by a newer BanGUI and what the
// user can do about it.
func newerSchemaError(ctx context.Context, q querier, have, known int) error {
	file := "the cache file"
	var path string
	if err := q.QueryRowContext(ctx, `SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(&path); err == nil && path != "" {
		file = strconv.Quote(path)
	}
	return core.Errorf(core.ECONFLICT,
		"%s was written by a newer BanGUI (schema %d, this app knows up to %d): "+
			"use the newer BanGUI, or quit and move the file aside to start a fresh cache",
		file, have, known)
}
