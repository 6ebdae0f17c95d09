package f2bdb

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/internal/testenv"
)

func TestOpenMissing(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "fail2ban.sqlite3")
	_, err := Open(context.Background(), missing)
	wantCode(t, err, core.ENOTFOUND)
	msg := core.ErrorMessage(err)
	if !strings.Contains(msg, missing) || !strings.Contains(msg, "is dbfile set? (get dbfile)") {
		t.Fatalf("message %q", msg)
	}
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("%v does not match os.ErrNotExist", err)
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Open created the file: %v", err)
	}

	// A path through a regular file (ENOTDIR) is missing too.
	file := makeDB(t, schemaV4)
	_, err = Open(context.Background(), filepath.Join(file, "x"))
	wantCode(t, err, core.ENOTFOUND)

	for _, p := range []string{"", ":memory:"} {
		_, err := Open(context.Background(), p)
		wantCode(t, err, core.ENOTFOUND)
	}
}

func TestOpenNotFail2banDB(t *testing.T) {
	dir := t.TempDir()
	_, err := Open(context.Background(), dir)
	wantCode(t, err, core.EINVALID)

	garbage := filepath.Join(dir, "garbage")
	if err := os.WriteFile(garbage, []byte(strings.Repeat("not a database\n", 100)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Open(context.Background(), garbage)
	wantCode(t, err, core.EINVALID)
	if !strings.Contains(core.ErrorMessage(err), "not an SQLite database") {
		t.Fatalf("message %q", core.ErrorMessage(err))
	}

	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Open(context.Background(), empty)
	wantCode(t, err, core.EINVALID)
	if fi, err := os.Stat(empty); err != nil || fi.Size() != 0 {
		t.Fatalf("empty file changed: %v %v", fi, err)
	}

	_, err = Open(context.Background(), makeDB(t, "CREATE TABLE other(x)"))
	wantCode(t, err, core.EINVALID)
	_, err = Open(context.Background(), makeDB(t, "CREATE TABLE fail2banDb(version INTEGER)"))
	wantCode(t, err, core.EINVALID)
	_, err = Open(context.Background(), makeDB(t, "CREATE TABLE fail2banDb(version INTEGER)", "INSERT INTO fail2banDb VALUES('four')"))
	wantCode(t, err, core.EINVALID)
	_, err = Open(context.Background(), makeDB(t, "CREATE TABLE fail2banDb(version INTEGER)", "INSERT INTO fail2banDb VALUES(4)"))
	wantCode(t, err, core.EINVALID) // no bans table
}

func TestOpenVersions(t *testing.T) {
	for _, tt := range []struct {
		version string
		code    string
	}{{"0", core.EUNSUPPORTED}, {"1", core.EUNSUPPORTED}, {"5", core.ECONFLICT}, {"99", core.ECONFLICT}} {
		path := makeDB(t, schemaV4, "UPDATE fail2banDb SET version = "+tt.version)
		_, err := Open(context.Background(), path)
		wantCode(t, err, tt.code)
		if msg := core.ErrorMessage(err); !strings.Contains(msg, "layout version "+tt.version) || !strings.Contains(msg, "2 to 4") {
			t.Fatalf("version %s: message %q", tt.version, msg)
		}
	}
	for _, tt := range []struct {
		schema  string
		version int
	}{{schemaV2, 2}, {schemaV3, 3}, {schemaV4, 4}} {
		if v := openT(t, makeDB(t, tt.schema)).Version(); v != tt.version {
			t.Fatalf("Version() = %d, want %d", v, tt.version)
		}
	}
}

// Folder names with characters that mean something in a URI.
func TestOpenOddPath(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a b?c#d%20e&mode=rw")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "f2b.sqlite3")
	execFile(t, path, schemaV4, `INSERT INTO bips VALUES('192.0.2.1', 'j', 1, 600, 1, '{"failures": 4}')`)
	db := openT(t, path)
	f, err := db.Failures(context.Background())
	if err != nil || f["j|192.0.2.1"] != 4 {
		t.Fatalf("%v %v", f, err)
	}
	if db.Path() != path {
		t.Fatalf("Path() = %q", db.Path())
	}
}

// Nothing can be written through the handle, and reading changes nothing on
// disk.
func TestReadOnly(t *testing.T) {
	path := makeDB(t, schemaV4,
		`INSERT INTO bans VALUES('j', '192.0.2.1', 1, 600, 1, CAST('{"failures": 2}' AS BLOB))`,
		`INSERT INTO bips VALUES('192.0.2.1', 'j', 1, 600, 1, CAST('{"failures": 2}' AS BLOB))`)
	before := stateOf(t, path)
	db := openT(t, path)
	ctx := context.Background()
	for _, stmt := range []string{
		"DELETE FROM bans", "CREATE TABLE x(y)", "PRAGMA journal_mode=WAL", "PRAGMA user_version=7", "VACUUM",
	} {
		if _, err := db.sql.ExecContext(ctx, stmt); err == nil || !strings.Contains(err.Error(), "readonly") {
			t.Errorf("%s: %v, want a read-only error", stmt, err)
		}
	}
	if _, err := db.Current(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Bans(ctx, "", 0, 0); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	after := stateOf(t, path)
	if !reflect.DeepEqual(before, after) {
		t.Fatalf("the file changed: mtime %v → %v, %d → %d bytes, folder %v → %v",
			before.mtime, after.mtime, len(before.data), len(after.data), before.names, after.names)
	}
}

func TestCanceled(t *testing.T) {
	db := openT(t, makeDB(t, schemaV4))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := db.Current(ctx)
	wantCode(t, err, core.ECANCELED)
	_, err = db.Bans(ctx, "", 0, 0)
	wantCode(t, err, core.ECANCELED)
	_, err = db.Failures(ctx)
	wantCode(t, err, core.ECANCELED)
	_, err = Open(ctx, db.Path())
	wantCode(t, err, core.ECANCELED)
}

// TestPermissionDenied checks the error for a root-only file; as root it
// re-runs itself as nobody (BANGUI_F2BDB_AS_NOBODY names the file).
func TestPermissionDenied(t *testing.T) {
	if path := os.Getenv("BANGUI_F2BDB_AS_NOBODY"); path != "" {
		_, err := Open(context.Background(), path)
		wantCode(t, err, core.EPERMISSION)
		msg := core.ErrorMessage(err)
		if !strings.Contains(msg, path+" is root-only (0600)") || !strings.Contains(msg, "run BanGUI as root") {
			t.Fatalf("as uid %d: %q", os.Getuid(), msg)
		}
		return
	}
	dir, err := os.MkdirTemp("", "f2bdb")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "fail2ban.sqlite3")
	execFile(t, path, schemaV4)
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if os.Getuid() != 0 {
		if err := os.Chmod(path, 0); err != nil {
			t.Fatal(err)
		}
		_, err := Open(context.Background(), path)
		wantCode(t, err, core.EPERMISSION)
		return
	}
	testenv.RunAsNobody(t, dir, "TestPermissionDenied", "BANGUI_F2BDB_AS_NOBODY="+path)
}
