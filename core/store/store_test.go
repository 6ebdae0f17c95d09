package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/store"
	"github.com/bangui/bangui/migrations"
)

// mustOpen opens a fresh cache under tb.TempDir() with the real migrations
// and a fixed clock, and closes it when the test ends.
func mustOpen(tb testing.TB) *store.DB {
	tb.Helper()
	return mustOpenAt(tb, filepath.Join(tb.TempDir(), "bangui.db"))
}

func mustOpenAt(tb testing.TB, path string) *store.DB {
	tb.Helper()
	db, err := store.Open(context.Background(), path, migrations.FS)
	if err != nil {
		tb.Fatalf("Open(%q): %v", path, err)
	}
	db.Now = func() time.Time { return time.Unix(1_700_000_000, 0) }
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return db
}

func TestOpenFileMode(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix file modes")
	}
	dir := filepath.Join(t.TempDir(), "new", "folder")
	db := mustOpenAt(t, filepath.Join(dir, "bangui.db"))
	for path, want := range map[string]os.FileMode{db.Path(): 0o600, dir: 0o700} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s: mode %o, want %o", path, got, want)
		}
	}
}

func TestOpenChmodsExistingFile(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix file modes")
	}
	path := filepath.Join(t.TempDir(), "bangui.db")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil { // undo the umask
		t.Fatal(err)
	}
	mustOpenAt(t, path)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Errorf("mode %o, want 600", got)
	}
}

// TestOpenOddPath checks the DSN escaping: a path with a space, '?', '#' and
// '%' must open that very file, not a truncated name.
func TestOpenOddPath(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "my dir?x=1#frag %41")
	path := filepath.Join(dir, "cache ?.db")
	db := mustOpenAt(t, path)
	if err := db.SetSetting(context.Background(), "k", "v"); err != nil {
		t.Fatal(err)
	}
	if db.Path() != path {
		t.Errorf("Path() = %q, want %q", db.Path(), path)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		switch e.Name() {
		case "cache ?.db", "cache ?.db-wal", "cache ?.db-shm":
		default:
			t.Errorf("unexpected file %q in %q", e.Name(), dir)
		}
	}
	var file string
	if err := db.Read.QueryRow(`SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(&file); err != nil {
		t.Fatal(err)
	}
	if file != path {
		t.Errorf("SQLite opened %q, want %q", file, path)
	}
}

func TestPragmas(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	for _, pool := range []struct {
		name      string
		db        *sql.DB
		queryOnly int
	}{{"Write", db.Write, 0}, {"Read", db.Read, 1}} {
		conn, err := pool.db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var journal string
		var fk, busy, sync, qo int
		for q, dst := range map[string]any{
			"PRAGMA journal_mode": &journal,
			"PRAGMA foreign_keys": &fk,
			"PRAGMA busy_timeout": &busy,
			"PRAGMA synchronous":  &sync,
			"PRAGMA query_only":   &qo,
		} {
			if err := conn.QueryRowContext(ctx, q).Scan(dst); err != nil {
				t.Fatalf("%s: %s: %v", pool.name, q, err)
			}
		}
		conn.Close()
		if journal != "wal" || fk != 1 || busy != 5000 || sync != 1 || qo != pool.queryOnly {
			t.Errorf("%s: journal_mode=%s foreign_keys=%d busy_timeout=%d synchronous=%d query_only=%d; want wal 1 5000 1 %d",
				pool.name, journal, fk, busy, sync, qo, pool.queryOnly)
		}
	}
}

func TestReadPoolRefusesWrites(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	for _, q := range []string{
		`CREATE TABLE x (a INTEGER)`,
		`INSERT INTO settings (key, value, updated_at) VALUES ('k', 'v', 0)`,
	} {
		if _, err := db.Read.ExecContext(ctx, q); err == nil {
			t.Errorf("Read.Exec(%q) succeeded; want a read-only error", q)
		}
	}
	if _, err := db.Setting(ctx, "k"); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("Setting after refused write: %v, want not found", err)
	}
}

// TestReadersDuringWrite checks WAL: while a write transaction is open,
// readers neither block nor see its uncommitted rows.
func TestReadersDuringWrite(t *testing.T) {
	db := mustOpen(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := db.AddServer(ctx, core.Server{Name: "a", Kind: core.ServerLocal}); err != nil {
		t.Fatal(err)
	}
	tx, err := db.Write.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO servers (name, kind, created_at, updated_at) VALUES ('b', 'local', 0, 0)`); err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 8)
	for range cap(errc) {
		go func() {
			list, err := db.Servers(ctx)
			if err == nil && len(list) != 1 {
				err = fmt.Errorf("saw %d servers, want 1 (uncommitted rows leaked)", len(list))
			}
			errc <- err
		}()
	}
	for range cap(errc) {
		if err := <-errc; err != nil {
			t.Errorf("reader during write: %v", err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	list, err := db.Servers(ctx)
	if err != nil || len(list) != 2 {
		t.Fatalf("after commit: %d servers, %v; want 2", len(list), err)
	}
}
