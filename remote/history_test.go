package remote_test

// Integration tests of the history reader (remote/history.go) against a
// real fail2ban-server (f2btest) and a real private sshd (sshtest): what
// it reads over SSH must equal what core/f2bdb reads from the same file
// locally, row for row.

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/f2b"
	"github.com/bangui/bangui/core/f2b/f2btest"
	"github.com/bangui/bangui/core/f2bdb"
	"github.com/bangui/bangui/core/f2bdb/gen"
	"github.com/bangui/bangui/core/histsync"
	"github.com/bangui/bangui/core/store"
	"github.com/bangui/bangui/core/store/storetest"
	"github.com/bangui/bangui/remote"
	"github.com/bangui/bangui/remote/sshtest"
)

func TestHistoryScriptCharacters(t *testing.T) {
	cmd, err := remote.HistoryCommand("", true)
	if err != nil {
		t.Fatal(err)
	}
	const prefix = "sudo -n /usr/bin/python3 -I -c '"
	if !strings.HasPrefix(cmd, prefix) || !strings.HasSuffix(cmd, "'") {
		t.Fatalf("command %.80q…", cmd)
	}
	script := strings.TrimSuffix(strings.TrimPrefix(cmd, prefix), "'")
	// Single quotes end the shell quoting; backslashes, * ? [ ] and #
	// mean something in sudoers; sudo compares the words of the rule, so
	// whitespace must be single spaces; ^...$ would be a regex.
	if i := strings.IndexAny(script, "'\\*?[]#!\t\n\r"); i >= 0 {
		t.Errorf("the script holds %q at %d: %.60q", script[i], i, script[max(0, i-30):])
	}
	if strings.Contains(script, "  ") || strings.Contains(script, ` "" `) || script != strings.TrimSpace(script) || strings.HasPrefix(script, "^") {
		t.Error("the script holds double spaces, an empty word or outer spaces")
	}
	if _, err := remote.HistoryCommand("/usr/bin/python3; rm -rf /", false); core.ErrorCode(err) != core.EINVALID {
		t.Errorf("a python path with a shell command: %v", err)
	}
	if c, _ := remote.HistoryCommand("/opt/py/bin/python3", false); !strings.HasPrefix(c, "/opt/py/bin/python3 -I -c '") {
		t.Errorf("custom python: %.60q", c)
	}
}

func TestHistorySudoersLine(t *testing.T) {
	line := remote.HistorySudoersLine("f2bops")
	if !strings.HasPrefix(line, `f2bops ALL=(root) NOPASSWD: /usr/bin/python3 -I -c import sys\,os`) {
		t.Errorf("line %.100s", line)
	}
	visudo, err := exec.LookPath("visudo")
	if err != nil {
		if _, err = os.Stat("/usr/sbin/visudo"); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatal("no visudo")
			}
			t.Skip("no visudo")
		}
		visudo = "/usr/sbin/visudo"
	}
	f := filepath.Join(t.TempDir(), "sudoers")
	if err := os.WriteFile(f, []byte(line+"\n"), 0o440); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(visudo, "-cf", f).CombinedOutput(); err != nil {
		t.Errorf("visudo rejects the line: %v\n%s", err, out)
	}
}

// histEnv is a fail2ban server with bans, an sshd with its users, and
// the client side's home.
type histEnv struct {
	f2b  *f2btest.Server
	ssh  *sshtest.Server
	e    env
	sudo string // a user with HistorySudoersLine and the socat relay rule
	none string // a user without sudo rules
	bann string // a user with the rule whose ~/.ssh/rc prints a banner
}

func startHistEnv(t *testing.T) *histEnv {
	t.Helper()
	f := f2btest.Start(t, f2btest.Options{DBPurgeAge: "3h"})
	h := &histEnv{f2b: f, sudo: sshtest.UniqueName("bhs"), none: sshtest.UniqueName("bhn"), bann: sshtest.UniqueName("bhb")}
	h.ssh = sshtest.Start(t, sshtest.Options{Users: []sshtest.User{
		{Name: "root"},
		{Name: h.sudo, Sudoers: remote.HistorySudoersLine(h.sudo) + "\n" + remote.SudoersLine(h.sudo, f.Socket, remote.MethodSocat)},
		{Name: h.none},
		{Name: h.bann, Sudoers: remote.HistorySudoersLine(h.bann)},
	}})
	h.e = newEnv(t)
	if err := os.MkdirAll(filepath.Dir(h.e.kh), 0o700); err != nil {
		t.Fatal(err)
	}
	h.ssh.WriteKnownHosts(t, h.e.kh, false)
	return h
}

func (h *histEnv) dial(t *testing.T, user string) *remote.Client {
	t.Helper()
	return dial(t, h.e.target(t, h.ssh, user), h.e.opts())
}

// waitBansRows polls until fail2ban's observer wrote n bans rows.
func waitBansRows(t *testing.T, path string, n int) {
	t.Helper()
	db, err := sql.Open("sqlite", store.URI(path, "mode=ro", "_pragma=busy_timeout(5000)"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var got int
		if err := db.QueryRow(`SELECT count(rowid) FROM bans`).Scan(&got); err == nil && got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("fail2ban wrote fewer than %d bans rows in 30 s", n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// cacheRows lists the cache's bans, every column but the ids and times
// of the sync, in a fixed order.
func cacheRows(t *testing.T, db *store.DB) []string {
	t.Helper()
	rows, err := db.Read.Query(`SELECT jail, ip, time_of_ban, ban_time, ban_count, failures, matches, origin, source FROM bans ORDER BY time_of_ban, jail, ip`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var jail, ip, matches, origin, source string
		var tob, bt, bc, fails int64
		if err := rows.Scan(&jail, &ip, &tob, &bt, &bc, &fails, &matches, &origin, &source); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s|%s|%d|%d|%d|%d|%s|%s|%s", jail, ip, tob, bt, bc, fails, matches, origin, source))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// syncInto syncs tg into a fresh cache and returns the cache.
func syncInto(t *testing.T, name string, tg func(core.Server) histsync.Target) (*store.DB, histsync.Target) {
	t.Helper()
	db := storetest.Open(t)
	s, err := db.AddServer(context.Background(), core.Server{Name: name, Kind: core.ServerLocal})
	if err != nil {
		t.Fatal(err)
	}
	target := tg(s)
	res, err := (&histsync.Syncer{Store: db}).Sync(ctxT(t), target)
	if err != nil {
		t.Fatalf("sync %s: %v", name, err)
	}
	t.Logf("sync %s: %s", name, res)
	return db, target
}

// sameRecords compares records field by field (DataErr by its text).
func sameRecords(t *testing.T, what string, got, want []f2bdb.BanRecord) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d records, want %d", what, len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		ge, we := fmt.Sprint(g.DataErr), fmt.Sprint(w.DataErr)
		g.DataErr, w.DataErr = nil, nil
		if !reflect.DeepEqual(g, w) || ge != we {
			t.Fatalf("%s: record %d\n got %+v (%s)\nwant %+v (%s)", what, i, g, ge, w, we)
		}
	}
}

func TestHistorySync(t *testing.T) {
	h := startHistEnv(t)
	f := h.f2b
	ctx := ctxT(t)
	f.WriteFailures(t, "app1", "192.0.2.10", 3)
	f.WriteFailures(t, "app1", "2001:db8::10", 3)
	f.WaitBanned(t, "app1", "192.0.2.10", 30*time.Second)
	f.WaitBanned(t, "app1", "2001:db8::10", 30*time.Second)
	f.Client(t, "set", "app2", "banip", "198.51.100.20", "203.0.113.30")
	waitBansRows(t, f.DBFile, 4)

	local := f2b.New(f2b.UnixDialer{Path: f.Socket}, f2b.Config{})
	defer local.Close()
	want, _ := syncInto(t, "local", func(s core.Server) histsync.Target { return histsync.LocalTarget(s, local) })
	wantRows := cacheRows(t, want)
	if len(wantRows) != 4 {
		t.Fatalf("local sync cached %d rows, want 4: %v", len(wantRows), wantRows)
	}
	ldb, err := f2bdb.Open(ctx, f.DBFile)
	if err != nil {
		t.Fatal(err)
	}
	defer ldb.Close()
	wantFails, err := ldb.Failures(ctx)
	if err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		user string
		sudo bool
		f2b  func(*remote.Client) core.Dialer
	}{
		{"root", false, func(c *remote.Client) core.Dialer { return remote.StreamLocal{SSH: c, Socket: f.Socket} }},
		{h.sudo, true, func(c *remote.Client) core.Dialer {
			return remote.SudoRelay{SSH: c, Socket: f.Socket, Relay: remote.MethodSocat}
		}},
	} {
		t.Run(c.user, func(t *testing.T) {
			sc := h.dial(t, c.user)
			fc := f2b.New(c.f2b(sc), f2b.Config{})
			defer fc.Close()
			got, target := syncInto(t, "ssh", func(s core.Server) histsync.Target { return remote.HistoryTarget(s, fc, sc, c.sudo) })
			if rows := cacheRows(t, got); !slices.Equal(rows, wantRows) {
				t.Fatalf("over SSH the cache holds\n%s\nlocally\n%s", strings.Join(rows, "\n"), strings.Join(wantRows, "\n"))
			}
			res, err := (&histsync.Syncer{Store: got}).Sync(ctx, target)
			if err != nil || res.Copied != 0 || res.Read != 4 {
				t.Fatalf("second sync: %+v %v; want the 4 rows read again (overlap), none copied", res, err)
			}
			fails, err := remote.FailureCounts(ctx, sc, fc, c.sudo)
			if err != nil || !reflect.DeepEqual(fails, wantFails) {
				t.Fatalf("failures %v %v, want %v", fails, err, wantFails)
			}
		})
	}
}

// genDB writes a generated fail2ban database of n rows.
func genDB(t testing.TB, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "f2b.sqlite3")
	if err := gen.Generate(context.Background(), path, gen.Options{N: n, Seed: 7, End: time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)}, nil); err != nil {
		t.Fatal(err)
	}
	return path
}

// execDB runs statements on the database at path (read-write).
func execDB(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", store.URI(path, "_pragma=busy_timeout(5000)"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// pageAll walks jail with BansAfter pages of limit rows, as the sync does.
func pageAll(t *testing.T, r histsync.Reader, jail string, limit int) []f2bdb.BanRecord {
	t.Helper()
	var out []f2bdb.BanRecord
	after, row := time.Unix(0, 0), int64(-1<<62)
	for {
		recs, err := r.BansAfter(ctxT(t), jail, after, row, limit)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, recs...)
		if len(recs) < limit {
			return out
		}
		last := recs[len(recs)-1]
		after, row = last.TimeOfBan, last.RowID
	}
}

func TestHistoryPagesMatchLocal(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{Users: []sshtest.User{{Name: "root"}}})
	e := newEnv(t)
	os.MkdirAll(filepath.Dir(e.kh), 0o700)
	srv.WriteKnownHosts(t, e.kh, false)
	c := dial(t, e.target(t, srv, "root"), e.opts())
	ctx := ctxT(t)

	path := genDB(t, 20_000)
	// Rows of the odd kinds fail2ban's files hold (or a user's sqlite3
	// session left), next to the generated ones.
	big := fmt.Sprintf(`CAST('{"failures": 1, "x": "' || printf('%%.%dc', 'a') || '"}' AS BLOB)`, f2bdb.MaxDataBytes)
	execDB(t, path,
		`INSERT INTO bans VALUES('odd', '192.0.2.1', 1000.6, 600.4, 2.0, X'7b226661696c75726573223a20342e307d')`,
		`INSERT INTO bans VALUES('odd', '192.0.2.2', '1001', '60', '3', NULL)`,
		`INSERT INTO bans VALUES('odd', '192.0.2.3', 1002, 600, 1, X'00ff')`,
		`INSERT INTO bans VALUES('odd', '192.0.2.4', 1003, 600, 1, `+big+`)`,
		`INSERT INTO bans VALUES('odd', NULL, 1004, 'x', '', 'not json')`,
		`INSERT INTO bans VALUES('odd', '2001:db8::5', 1005, -1, 1, '{"failures": 2.5, "matches": ["\u00e9", ["a", null, "b"]], "x": [1, 2]}')`,
		`INSERT INTO bans VALUES('odd', '198.51.100.6', 1006, 600, 1, CAST('{"matches": ["caf' || char(233) || '"], "failures": 1}' AS TEXT))`,
		`INSERT INTO bips SELECT ip, jail, timeofban, bantime, bancount, data FROM bans WHERE jail = 'odd' AND ip IS NOT NULL`,
	)
	local, err := f2bdb.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	r, err := remote.OpenHistory(ctx, c, path, remote.HistoryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Version() != 4 {
		t.Errorf("version %d", r.Version())
	}
	jails, err := r.Jails(ctx)
	wantJails, _ := local.Jails(ctx)
	if err != nil || !slices.Equal(jails, wantJails) {
		t.Fatalf("jails %v %v, want %v", jails, err, wantJails)
	}
	total := 0
	for _, jail := range jails {
		for _, limit := range []int{1000, 7} {
			if limit == 7 && jail != "odd" && jail != "recidive" {
				continue
			}
			got := pageAll(t, r, jail, limit)
			sameRecords(t, fmt.Sprintf("%s by %d", jail, limit), got, pageAll(t, local, jail, limit))
			if limit == 1000 {
				total += len(got)
			}
		}
	}
	if total != 20_007 {
		t.Errorf("read %d rows, want 20007", total)
	}
	fails, err := r.Failures(ctx)
	wantFails, _ := local.Failures(ctx)
	if err != nil || !reflect.DeepEqual(fails, wantFails) {
		t.Fatalf("failures differ (%d vs %d entries): %v", len(fails), len(wantFails), err)
	}

	// Older layouts: version 2 (no bantime, bancount, bips) and 3.
	for _, v := range []struct {
		name, schema string
	}{
		{"v2", `CREATE TABLE fail2banDb(version INTEGER); CREATE TABLE jails(name TEXT NOT NULL UNIQUE, enabled INTEGER NOT NULL DEFAULT 1);
			CREATE TABLE bans(jail TEXT NOT NULL, ip TEXT, timeofban INTEGER NOT NULL, data JSON); INSERT INTO fail2banDb VALUES(2)`},
		{"v3", `CREATE TABLE fail2banDb(version INTEGER); CREATE TABLE jails(name TEXT NOT NULL UNIQUE, enabled INTEGER NOT NULL DEFAULT 1);
			CREATE TABLE bans(jail TEXT NOT NULL, ip TEXT, timeofban INTEGER NOT NULL, bantime INTEGER NOT NULL, bancount INTEGER NOT NULL default 1, data JSON);
			INSERT INTO fail2banDb VALUES(3)`},
	} {
		p := filepath.Join(t.TempDir(), v.name+".sqlite3")
		cols := "jail, ip, timeofban, data"
		if v.name == "v3" {
			cols = "jail, ip, timeofban, bantime, bancount, data"
		}
		vals := `'j', '192.0.2.9', 5, '{"failures": 3}'`
		if v.name == "v3" {
			vals = `'j', '192.0.2.9', 5, 60, 2, '{"failures": 3}'`
		}
		execDB(t, p, v.schema, `INSERT INTO jails VALUES('empty', 1)`,
			`INSERT INTO bans(`+cols+`) VALUES(`+vals+`)`, `INSERT INTO bans(`+cols+`) VALUES(`+vals+`)`)
		l, err := f2bdb.Open(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		rr, err := remote.OpenHistory(ctx, c, p, remote.HistoryOptions{})
		if err != nil {
			t.Fatal(err)
		}
		sameRecords(t, v.name, pageAll(t, rr, "j", 10), pageAll(t, l, "j", 10))
		gj, _ := rr.Jails(ctx)
		wj, _ := l.Jails(ctx)
		gf, _ := rr.Failures(ctx)
		wf, _ := l.Failures(ctx)
		if !slices.Equal(gj, wj) || !reflect.DeepEqual(gf, wf) || rr.Version() != l.Version() {
			t.Errorf("%s: jails %v / %v, failures %v / %v", v.name, gj, wj, gf, wf)
		}
		rr.Close()
		l.Close()
	}
}

func TestHistoryBadInput(t *testing.T) {
	h := startHistEnv(t)
	db := h.f2b.DBFile
	root := h.dial(t, "root")
	sudo := h.dial(t, h.sudo)
	ctx := ctxT(t)
	open := func(c *remote.Client, path string, o remote.HistoryOptions) error {
		t.Helper()
		r, err := remote.OpenHistory(ctx, c, path, o)
		if err == nil {
			r.Close()
		}
		return err
	}

	t.Run("python3 missing", func(t *testing.T) {
		for _, c := range []*remote.Client{root, sudo} {
			err := open(c, db, remote.HistoryOptions{Python: "/nonexistent/python3"})
			remote.MustCode(t, err, core.ENOTFOUND, "/nonexistent/python3 is missing", "install python3")
		}
		err := open(root, db, remote.HistoryOptions{Python: "/nonexistent/python3", Sudo: true})
		remote.MustCode(t, err, core.ENOTFOUND, "/nonexistent/python3 is missing", "install python3")
		// The user's rule pins /usr/bin/python3: sudo refuses, or says
		// the command does not exist.
		err = open(sudo, db, remote.HistoryOptions{Python: "/nonexistent/python3", Sudo: true})
		t.Logf("other python under sudo: %v", err)
		if c := core.ErrorCode(err); c != core.EUNAVAILABLE && c != core.EPERMISSION {
			t.Errorf("code %s: %v", c, err)
		}
	})
	t.Run("no sudo rule", func(t *testing.T) {
		c := h.dial(t, h.none)
		err := open(c, db, remote.HistoryOptions{Sudo: true})
		remote.MustCode(t, err, core.EPERMISSION, "visudo", remote.HistorySudoersLine(h.none), "nothing else")
		// Without sudo the user may not read the root-only file.
		err = open(c, db, remote.HistoryOptions{})
		remote.MustCode(t, err, core.EPERMISSION, "root-only", remote.HistorySudoersLine(h.none))
	})
	t.Run("login banner", func(t *testing.T) {
		rc := filepath.Join(h.ssh.HomeDir(h.bann), ".ssh", "rc")
		if err := os.MkdirAll(filepath.Dir(rc), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(rc, []byte("echo Welcome to the test host\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		c := h.dial(t, h.bann)
		err := open(c, db, remote.HistoryOptions{Sudo: true})
		remote.MustCode(t, err, core.EPROTOCOL, `"Welcome to the test host\n"`, "login script", h.bann)
	})
	t.Run("database missing", func(t *testing.T) {
		for _, c := range []struct {
			c    *remote.Client
			sudo bool
		}{{root, false}, {sudo, true}} {
			err := open(c.c, "/nonexistent/fail2ban.sqlite3", remote.HistoryOptions{Sudo: c.sudo})
			remote.MustCode(t, err, core.ENOTFOUND, "/nonexistent/fail2ban.sqlite3 does not exist", "dbfile")
		}
		remote.MustCode(t, open(root, "", remote.HistoryOptions{}), core.ENOTFOUND, "dbfile")
		remote.MustCode(t, open(root, "fail2ban.sqlite3", remote.HistoryOptions{}), core.EINVALID, "absolute")
		remote.MustCode(t, open(root, "/tmp", remote.HistoryOptions{}), core.EINVALID, "folder")
		notDB := filepath.Join(t.TempDir(), "text")
		os.WriteFile(notDB, []byte(strings.Repeat("not a database\n", 100)), 0o644)
		remote.MustCode(t, open(root, notDB, remote.HistoryOptions{}), core.EINVALID, "not an SQLite database")
		other := filepath.Join(t.TempDir(), "other.sqlite3")
		execDB(t, other, `CREATE TABLE x(a)`)
		remote.MustCode(t, open(root, other, remote.HistoryOptions{}), core.EINVALID, "no fail2banDb table")
		newer := filepath.Join(t.TempDir(), "newer.sqlite3")
		execDB(t, newer, gen.SchemaV4, `UPDATE fail2banDb SET version = 9`)
		remote.MustCode(t, open(root, newer, remote.HistoryOptions{}), core.ECONFLICT, "layout version 9")
	})

	// A database held locked by a writer: the reader waits for it, which
	// makes a request that is under way for sure.
	path := genDB(t, 2000)
	lockDB := func(t *testing.T) func() {
		t.Helper()
		db, err := sql.Open("sqlite", store.URI(path, "_pragma=busy_timeout(5000)"))
		if err != nil {
			t.Fatal(err)
		}
		conn, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.ExecContext(ctx, "BEGIN EXCLUSIVE"); err != nil {
			t.Fatal(err)
		}
		return func() {
			conn.ExecContext(context.Background(), "ROLLBACK")
			conn.Close()
			db.Close()
		}
	}
	t.Run("locked", func(t *testing.T) {
		r, err := remote.OpenHistory(ctx, root, path, remote.HistoryOptions{BusyTimeout: 200 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		unlock := lockDB(t)
		_, err = r.BansAfter(ctx, "sshd", time.Unix(0, 0), 0, 10)
		unlock()
		remote.MustCode(t, err, core.EUNAVAILABLE, "locked", "try again")
		// The same process answers once the lock is gone.
		if recs, err := r.BansAfter(ctx, "sshd", time.Unix(0, 0), 0, 10); err != nil || len(recs) != 10 {
			t.Fatalf("after the lock: %d rows, %v", len(recs), err)
		}
	})
	t.Run("cancelled mid-read", func(t *testing.T) {
		r, err := remote.OpenHistory(ctx, root, path, remote.HistoryOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		unlock := lockDB(t)
		cctx, cancel := context.WithCancel(ctx)
		time.AfterFunc(300*time.Millisecond, cancel)
		_, err = r.BansAfter(cctx, "sshd", time.Unix(0, 0), 0, 10)
		unlock()
		remote.MustCode(t, err, core.ECANCELED, "cancelled")
		// The next request starts a new process.
		if recs, err := r.BansAfter(ctx, "sshd", time.Unix(0, 0), 0, 10); err != nil || len(recs) != 10 {
			t.Fatalf("after cancelling: %d rows, %v", len(recs), err)
		}
	})
	t.Run("connection closed mid-read", func(t *testing.T) {
		c := h.dial(t, "root")
		r, err := remote.OpenHistory(ctx, c, path, remote.HistoryOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		unlock := lockDB(t)
		defer unlock()
		time.AfterFunc(300*time.Millisecond, func() { c.Close() })
		_, err = r.BansAfter(ctx, "sshd", time.Unix(0, 0), 0, 10)
		remote.MustCode(t, err, core.EUNAVAILABLE, "SSH connection", "lost")
		_, err = r.Jails(ctx)
		remote.MustCode(t, err, core.EUNAVAILABLE)
	})
}
