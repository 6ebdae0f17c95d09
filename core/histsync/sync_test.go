package histsync_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/f2bdb"
	"github.com/bangui/bangui/core/f2bdb/gen"
	"github.com/bangui/bangui/core/histsync"
	"github.com/bangui/bangui/core/store"
	"github.com/bangui/bangui/core/store/storetest"
)

// cache opens a fresh cache with one server in it.
func cache(t *testing.T) (*store.DB, core.Server) {
	t.Helper()
	ctx := context.Background()
	db := storetest.Open(t)
	s, err := db.AddServer(ctx, core.Server{Name: "web1", Kind: core.ServerLocal})
	if err != nil {
		t.Fatal(err)
	}
	return db, s
}

// fileTarget syncs the fail2ban database at path.
func fileTarget(s core.Server, path string, purge time.Duration) histsync.Target {
	return histsync.Target{
		Server: s,
		Info:   func(context.Context) (string, time.Duration, error) { return path, purge, nil },
		Open:   histsync.OpenFile,
	}
}

// f2bFile creates an empty fail2ban (1.0.2 layout) database and returns a
// read-write handle on it, opened the way fail2ban opens it.
func f2bFile(t *testing.T) (string, *sql.DB) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fail2ban.sqlite3")
	db := openRW(t, path)
	if _, err := db.Exec(gen.SchemaV4); err != nil {
		t.Fatal(err)
	}
	return path, db
}

func openRW(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", store.URI(path, "_pragma=journal_mode(MEMORY)", "_pragma=busy_timeout(5000)"))
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

func mustExec(t *testing.T, db *sql.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// ban writes one bans row as fail2ban does (data as a BLOB).
func ban(t *testing.T, db *sql.DB, jail, ip string, at int64, data string) {
	t.Helper()
	mustExec(t, db, `INSERT OR IGNORE INTO jails(name) VALUES (?)`, jail)
	var d any
	if data != "" {
		d = []byte(data)
	}
	var ipv any
	if ip != "" {
		ipv = ip
	}
	mustExec(t, db, `INSERT INTO bans(jail, ip, timeofban, bantime, bancount, data) VALUES (?, ?, ?, 600, 1, ?)`, jail, ipv, at, d)
}

const autoData = `{"matches": [["", "2026-11-27 02:42:29", " auth failure from %[1]s"], "2026-11-27 02:42:30 auth failure from %[1]s"], "failures": 2, "ip4": "%[1]s"}`

func autoBan(ip string) string { return fmt.Sprintf(autoData, ip) }

const manualData = `{"matches": [], "failures": 0}`

func count(t *testing.T, db *store.DB) int {
	t.Helper()
	n, err := db.CountHistory(context.Background(), core.HistoryFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSyncGeneratedDatabase(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "f2b.sqlite3")
	if err := gen.Generate(ctx, path, gen.Options{N: 4000, Seed: 3}, nil); err != nil {
		t.Fatal(err)
	}
	db, srv := cache(t)
	s := &histsync.Syncer{Store: db, PageSize: 700}
	res, err := s.Sync(ctx, fileTarget(srv, path, 30*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if res.Copied != 4000 || res.Read != 4000 || res.Skipped != 0 || res.BadData != 0 {
		t.Fatalf("first sync: %+v, want 4000 copied", res)
	}
	if n := count(t, db); n != 4000 {
		t.Fatalf("cache holds %d bans, want 4000", n)
	}
	// Every row as fail2ban holds it: failures, log lines, origin.
	src, err := f2bdb.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	recs, err := src.Bans(ctx, "", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	manual := 0
	for _, r := range recs[:500] {
		tl, err := db.IPTimeline(ctx, r.IP)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, b := range tl {
			if b.Jail == r.Jail && b.TimeOfBan.Equal(r.TimeOfBan) {
				found = true
				if b.Failures != r.Failures || strings.Join(b.Matches, "\n") != strings.Join(r.Matches, "\n") || b.BanCount != r.BanCount || b.BanTime != r.BanTime {
					t.Fatalf("cached %+v, fail2ban has %+v", b, r)
				}
				if (r.Failures == 0) != (b.Origin == core.OriginManual) {
					t.Fatalf("origin %s for a row with %d failures", b.Origin, r.Failures)
				}
				if b.Origin == core.OriginManual {
					manual++
				}
			}
		}
		if !found {
			t.Fatalf("row %+v not in the cache", r)
		}
	}
	if manual == 0 {
		t.Error("no manual ban among 500 generated rows: the origin split is not exercised")
	}
	// A second sync reads only the overlap and copies nothing.
	res, err = s.Sync(ctx, fileTarget(srv, path, 30*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if res.Copied != 0 {
		t.Errorf("second sync copied %d rows", res.Copied)
	}
	if res.Read >= 4000 {
		t.Errorf("second sync read %d rows: the cursor did not hold", res.Read)
	}
	states, err := db.SyncStates(ctx)
	if err != nil || len(states) != 1 || states[0].SyncedAt.IsZero() || states[0].Error != "" || states[0].DBPath != path {
		t.Fatalf("sync state = %+v, %v", states, err)
	}
}

func TestSyncKeepsPurgedRowsAndSurvivesRowidReuse(t *testing.T) {
	ctx := context.Background()
	path, f2b := f2bFile(t)
	now := time.Now().Unix()
	for i := range 20 {
		ban(t, f2b, "sshd", fmt.Sprintf("192.0.2.%d", i), now-3600+int64(i), autoBan(fmt.Sprintf("192.0.2.%d", i)))
	}
	db, srv := cache(t)
	s := &histsync.Syncer{Store: db}
	if _, err := s.Sync(ctx, fileTarget(srv, path, 0)); err != nil {
		t.Fatal(err)
	}
	// fail2ban unbans (deletes) the newest rows and purges old ones; new
	// bans then get the freed rowids.
	mustExec(t, f2b, `DELETE FROM bans`)
	for i := range 5 {
		ban(t, f2b, "sshd", fmt.Sprintf("198.51.100.%d", i), now+int64(i), manualData)
	}
	var maxRow int
	if err := f2b.QueryRow(`SELECT max(rowid) FROM bans`).Scan(&maxRow); err != nil || maxRow != 5 {
		t.Fatalf("max rowid %d (%v): the test wants reused rowids", maxRow, err)
	}
	res, err := s.Sync(ctx, fileTarget(srv, path, 0))
	if err != nil {
		t.Fatal(err)
	}
	if res.Copied != 5 || count(t, db) != 25 {
		t.Fatalf("after purge and new bans: copied %d, cache %d; want 5 and 25", res.Copied, count(t, db))
	}
	tl, err := db.IPTimeline(ctx, "192.0.2.3")
	if err != nil || len(tl) != 1 {
		t.Fatalf("a purged ban is gone from the cache: %v %v", tl, err)
	}
}

func TestSyncBadRows(t *testing.T) {
	ctx := context.Background()
	path, f2b := f2bFile(t)
	now := time.Now().Unix()
	ban(t, f2b, "sshd", "192.0.2.1", now-100, "this is not JSON")
	ban(t, f2b, "sshd", "192.0.2.2", now-99, `[1, 2, 3]`)
	ban(t, f2b, "sshd", "192.0.2.3", now-98, `{"failures": "many", "matches": {"a": 1}}`)
	ban(t, f2b, "sshd", "", now-97, autoBan("nobody"))   // NULL ip
	ban(t, f2b, "sshd", "not-an-ip", now-96, manualData) // garbage ip
	ban(t, f2b, "sshd", "192.0.2.6", now+30*86400, autoBan("192.0.2.6"))
	// A jail that no longer exists: fail2ban dropped it from jails.
	mustExec(t, f2b, `PRAGMA foreign_keys = OFF`)
	mustExec(t, f2b, `INSERT INTO bans(jail, ip, timeofban, bantime, bancount, data) VALUES ('gone', '192.0.2.7', ?, 600, 1, ?)`, now-95, []byte(autoBan("192.0.2.7")))

	db, srv := cache(t)
	s := &histsync.Syncer{Store: db}
	res, err := s.Sync(ctx, fileTarget(srv, path, 0))
	if err != nil {
		t.Fatal(err)
	}
	if res.Copied != 5 || res.Skipped != 2 || res.BadData != 2 {
		t.Fatalf("result %+v: want 5 copied (3 odd data, future, gone jail), 2 skipped (no IP), 2 unreadable data (not JSON, a list)", res)
	}
	for _, s := range []string{"2 rows without a valid IP skipped", "2 rows with unreadable data"} {
		if !strings.Contains(res.String(), s) {
			t.Errorf("summary %q lacks %q", res.String(), s)
		}
	}
	if tl, _ := db.IPTimeline(ctx, "192.0.2.7"); len(tl) != 1 || tl[0].Jail != "gone" {
		t.Errorf("row of a removed jail: %+v", tl)
	}
	// The row dated in the future did not move the cursor past now: a ban
	// written after this sync is still found.
	ban(t, f2b, "sshd", "192.0.2.8", now+5, autoBan("192.0.2.8"))
	res, err = s.Sync(ctx, fileTarget(srv, path, 0))
	if err != nil {
		t.Fatal(err)
	}
	if res.Copied != 1 {
		t.Fatalf("a ban after a future-dated row: copied %d, want 1", res.Copied)
	}
}

func TestSyncBadFilesLeaveCacheUntouched(t *testing.T) {
	ctx := context.Background()
	good := filepath.Join(t.TempDir(), "good.sqlite3")
	if err := gen.Generate(ctx, good, gen.Options{N: 3000, Seed: 1}, nil); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	corrupt := append([]byte(nil), data...)
	for i := 4096; i < len(corrupt); i += 97 {
		corrupt[i] ^= 0x5a
	}
	newer, f2b := f2bFile(t)
	mustExec(t, f2b, `UPDATE fail2banDb SET version = 9`)
	ban(t, f2b, "sshd", "192.0.2.1", time.Now().Unix(), manualData)

	cases := []struct {
		name, path string
		code       string
		says       string
	}{
		{"truncated", write("truncated.sqlite3", data[:len(data)/3]), "", "fail2ban's database"},
		{"corrupt", write("corrupt.sqlite3", corrupt), "", "fail2ban's database"},
		{"not sqlite", write("text.sqlite3", []byte(strings.Repeat("hello\n", 1000))), core.EINVALID, "not an SQLite database"},
		{"unknown schema", newer, core.ECONFLICT, "update BanGUI"},
		{"missing", filepath.Join(dir, "nope.sqlite3"), core.ENOTFOUND, "does not exist"},
		{"no dbfile (fail2ban runs without a database)", "", core.ENOTFOUND, "set dbfile in fail2ban.local"},
	}
	db, srv := cache(t)
	// Some rows in the cache before: a failed sync must leave them alone.
	s := &histsync.Syncer{Store: db, Retries: 1}
	if _, err := s.Sync(ctx, fileTarget(srv, good, 0)); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.Sync(ctx, fileTarget(srv, c.path, 0))
			if err == nil {
				t.Fatal("sync of a bad file succeeded")
			}
			if c.code != "" && core.ErrorCode(err) != c.code {
				t.Errorf("code %s, want %s (%v)", core.ErrorCode(err), c.code, err)
			}
			if !strings.Contains(core.ErrorMessage(err), c.says) {
				t.Errorf("message %q lacks %q", core.ErrorMessage(err), c.says)
			}
			if n := count(t, db); n != 3000 {
				t.Errorf("cache holds %d rows after a failed sync, want the 3000 it had", n)
			}
			st, _ := db.SyncStates(ctx)
			if len(st) != 1 || st[0].Error == "" || st[0].SyncedAt.IsZero() {
				t.Errorf("status %+v: want the error recorded and the last success kept", st)
			}
		})
	}
}

func TestSyncWaitsForLockedDatabase(t *testing.T) {
	ctx := context.Background()
	path, f2b := f2bFile(t)
	ban(t, f2b, "sshd", "192.0.2.1", time.Now().Unix(), autoBan("192.0.2.1"))

	// A writer holds the file locked for longer than one read waits (5 s).
	conn, err := f2b.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, `BEGIN EXCLUSIVE`); err != nil {
		t.Fatal(err)
	}
	released := make(chan struct{})
	go func() {
		time.Sleep(7 * time.Second)
		conn.ExecContext(ctx, `COMMIT`)
		conn.Close()
		close(released)
	}()
	db, srv := cache(t)
	s := &histsync.Syncer{Store: db, Backoff: 200 * time.Millisecond}
	res, err := s.Sync(ctx, fileTarget(srv, path, 0))
	<-released
	if err != nil {
		t.Fatalf("sync failed while the database was locked: %v", err)
	}
	if res.Copied != 1 {
		t.Fatalf("copied %d, want 1", res.Copied)
	}
}

func TestSyncPurgeAgeWarning(t *testing.T) {
	ctx := context.Background()
	path, f2b := f2bFile(t)
	ban(t, f2b, "sshd", "192.0.2.1", time.Now().Unix(), manualData)
	db, srv := cache(t)
	s := &histsync.Syncer{Store: db, Interval: 5 * time.Minute}
	res, err := s.Sync(ctx, fileTarget(srv, path, 6*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Warning, "dbpurgeage") || !strings.Contains(res.Warning, "6m") {
		t.Errorf("warning %q: want one naming dbpurgeage 6m", res.Warning)
	}
	// A last sync older than dbpurgeage: rows may be missing.
	now := time.Now()
	s.Now = func() time.Time { return now.Add(3 * 24 * time.Hour) }
	res, err = s.Sync(ctx, fileTarget(srv, path, 24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Warning, "may be missing") {
		t.Errorf("warning %q: want the gap named", res.Warning)
	}
	st, _ := db.SyncStates(ctx)
	if len(st) != 1 || st[0].Warning != res.Warning {
		t.Errorf("status %+v lacks the warning", st)
	}
}
