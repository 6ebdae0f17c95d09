package store_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/store"
	"github.com/bangui/bangui/migrations"
)

func sqlFile(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }

// appliedVersions returns schema_migrations' versions in order.
func appliedVersions(t *testing.T, db *sql.DB) []int {
	t.Helper()
	rows, err := db.Query(`SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var vs []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return vs
}

func tableExists(t *testing.T, db *sql.DB, name string) bool {
	t.Helper()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?`, name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n > 0
}

func openFS(t *testing.T, path string, fsys fstest.MapFS) (*store.DB, error) {
	t.Helper()
	db, err := store.Open(context.Background(), path, fsys)
	if err == nil {
		t.Cleanup(func() { db.Close() })
	}
	return db, err
}

func TestMigrateAppliesOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.db")
	fsys := fstest.MapFS{
		"0001_a.sql": sqlFile(`CREATE TABLE a (x INTEGER) STRICT;`),
		"0002_b.sql": sqlFile(`CREATE TABLE b (x INTEGER) STRICT; INSERT INTO b VALUES (1);`),
	}
	db, err := openFS(t, path, fsys)
	if err != nil {
		t.Fatal(err)
	}
	if got := appliedVersions(t, db.Read); len(got) != 2 || got[0] != 1 || got[1] != 2 {
		t.Fatalf("applied %v, want [1 2]", got)
	}
	var name string
	if err := db.Read.QueryRow(`SELECT name FROM schema_migrations WHERE version = 2`).Scan(&name); err != nil || name != "0002_b.sql" {
		t.Errorf("name of version 2 = %q, %v; want 0002_b.sql", name, err)
	}
	db.Close()

	// Re-open with the same files: nothing runs again (the INSERT would
	// double the row in b).
	db, err = openFS(t, path, fsys)
	if err != nil {
		t.Fatalf("re-open: %v", err)
	}
	var n int
	if err := db.Read.QueryRow(`SELECT count(*) FROM b`).Scan(&n); err != nil || n != 1 {
		t.Errorf("rows in b after re-open = %d, %v; want 1", n, err)
	}
	// Migrate on an up-to-date database is a no-op too.
	if err := store.Migrate(context.Background(), db.Write, fsys); err != nil {
		t.Errorf("Migrate again: %v", err)
	}
	db.Close()

	// A new file is applied on its own.
	fsys["0003_c.sql"] = sqlFile(`CREATE TABLE c (x INTEGER) STRICT;`)
	db, err = openFS(t, path, fsys)
	if err != nil {
		t.Fatalf("open with 0003: %v", err)
	}
	if got := appliedVersions(t, db.Read); len(got) != 3 {
		t.Errorf("applied %v, want [1 2 3]", got)
	}
	if v, err := store.SchemaVersion(context.Background(), db.Read); err != nil || v != 3 {
		t.Errorf("SchemaVersion = %d, %v; want 3", v, err)
	}
}

// TestMigrateFailureLeavesNoTrace checks the per-file transaction: the first
// statement's table and the version row must both be gone.
func TestMigrateFailureLeavesNoTrace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.db")
	good := fstest.MapFS{"0001_a.sql": sqlFile(`CREATE TABLE a (x INTEGER) STRICT;`)}
	bad := fstest.MapFS{
		"0001_a.sql":   good["0001_a.sql"],
		"0002_bad.sql": sqlFile(`CREATE TABLE half (x INTEGER) STRICT; INSERT INTO no_such_table VALUES (1);`),
	}
	_, err := openFS(t, path, bad)
	if err == nil {
		t.Fatal("Open with a failing migration succeeded")
	}
	if !strings.Contains(err.Error(), "0002_bad.sql") {
		t.Errorf("error %q does not name the file", err)
	}

	db, err := openFS(t, path, good)
	if err != nil {
		t.Fatal(err)
	}
	if tableExists(t, db.Read, "half") {
		t.Error("table from the failed migration's first statement survived")
	}
	if !tableExists(t, db.Read, "a") {
		t.Error("table from the good migration is missing")
	}
	if got := appliedVersions(t, db.Read); len(got) != 1 || got[0] != 1 {
		t.Errorf("applied %v, want [1]", got)
	}
}

func fileHash(t *testing.T, path string) [sha256.Size]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// TestNewerSchemaRefused checks that a cache from a newer BanGUI is refused
// with ECONFLICT, a message saying what to do, and not one byte changed.
func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bangui.db")
	db, err := store.Open(context.Background(), path, migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Write.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, '0099_future.sql', 0)`); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	before := fileHash(t, path)

	_, err = store.Open(context.Background(), path, migrations.FS)
	if err == nil {
		t.Fatal("Open of a newer cache succeeded")
	}
	if code := core.ErrorCode(err); code != core.ECONFLICT {
		t.Errorf("code = %q, want %q (%v)", code, core.ECONFLICT, err)
	}
	msg := core.ErrorMessage(err)
	files, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	known := fmt.Sprintf("up to %d", len(files))
	for _, want := range []string{"newer BanGUI", "schema 99", known, path, "move the file aside"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
	if after := fileHash(t, path); after != before {
		t.Error("the newer cache file was modified")
	}

	// Migrate itself refuses too, without writing.
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=query_only(1)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	err = store.Migrate(context.Background(), raw, migrations.FS)
	if core.ErrorCode(err) != core.ECONFLICT {
		t.Errorf("Migrate on a query-only newer DB: %v, want ECONFLICT before any write", err)
	}
}

func TestMigrateBadNames(t *testing.T) {
	for name, fsys := range map[string]fstest.MapFS{
		"no number":    {"init.sql": sqlFile("SELECT 1;")},
		"three digits": {"001_init.sql": sqlFile("SELECT 1;")},
		"dash":         {"0001-init.sql": sqlFile("SELECT 1;")},
		"not sql":      {"0001_init.txt": sqlFile("SELECT 1;")},
		"upper case":   {"0001_Init.sql": sqlFile("SELECT 1;")},
		"zero":         {"0000_init.sql": sqlFile("SELECT 1;")},
		"same version": {"0001_a.sql": sqlFile("SELECT 1;"), "0001_b.sql": sqlFile("SELECT 1;")},
		"folder":       {"0002_dir.sql/x": sqlFile("SELECT 1;")},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "m.db")
			_, err := openFS(t, path, fsys)
			if err == nil {
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), "migration file") {
				t.Errorf("error %q does not point at the migration files", err)
			}
			raw, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			if tableExists(t, raw, "schema_migrations") {
				t.Error("bookkeeping table created despite the bad name")
			}
		})
	}
}

func TestEmbeddedMigrations(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	v, err := store.SchemaVersion(ctx, db.Read)
	if err != nil || v < 1 {
		t.Fatalf("SchemaVersion = %d, %v", v, err)
	}
	for _, table := range []string{"servers", "settings", "schema_migrations"} {
		var strict int
		if err := db.Read.QueryRow(`SELECT strict FROM pragma_table_list WHERE name = ?`, table).Scan(&strict); err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		if strict != 1 {
			t.Errorf("%s is not STRICT", table)
		}
	}
	// The CHECK on kind holds even for SQL that bypasses the store's validation.
	_, err = db.Write.Exec(`INSERT INTO servers (name, kind, created_at, updated_at) VALUES ('x', 'ftp', 0, 0)`)
	if err == nil {
		t.Error("servers accepted kind 'ftp'")
	}
}

func TestSchemaVersionEmpty(t *testing.T) {
	raw, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "empty.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if v, err := store.SchemaVersion(context.Background(), raw); err != nil || v != 0 {
		t.Errorf("SchemaVersion(empty) = %d, %v; want 0, nil", v, err)
	}
	if err := store.Migrate(context.Background(), raw, nil); err == nil {
		t.Error("Migrate with a nil fs.FS succeeded")
	}
	if err := store.Migrate(context.Background(), raw, fstest.MapFS{}); err != nil {
		t.Errorf("Migrate with no files: %v", err)
	}
}
