package histsync_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/f2b"
	"github.com/bangui/bangui/core/f2b/f2btest"
	"github.com/bangui/bangui/core/f2bdb"
	"github.com/bangui/bangui/core/f2bdb/gen"
	"github.com/bangui/bangui/core/histsync"
	"github.com/bangui/bangui/core/store"
	"github.com/bangui/bangui/migrations"
)

// waitRows polls until fail2ban's observer has written n rows (it writes
// asynchronously, within about a second of the ban).
func waitRows(t *testing.T, path string, n int) {
	t.Helper()
	db := openRW(t, path)
	deadline := time.Now().Add(30 * time.Second)
	for {
		var got int
		if err := db.QueryRow(`SELECT count(*) FROM bans`).Scan(&got); err == nil && got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("fail2ban wrote fewer than %d bans rows in 30 s", n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestSyncRealServer(t *testing.T) {
	srv := f2btest.Start(t, f2btest.Options{DBPurgeAge: "3h"})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	srv.WriteFailures(t, "app1", "192.0.2.10", 3)
	srv.WaitBanned(t, "app1", "192.0.2.10", 30*time.Second)
	srv.Client(t, "set", "app2", "banip", "198.51.100.20")
	waitRows(t, srv.DBFile, 2)

	db, s := cache(t)
	client := f2b.New(f2b.UnixDialer{Path: srv.Socket}, f2b.Config{})
	defer client.Close()
	sy := &histsync.Syncer{Store: db}
	res, err := sy.Sync(ctx, histsync.LocalTarget(s, client))
	if err != nil {
		t.Fatal(err)
	}
	if res.Copied != 2 || res.Warning != "" {
		t.Fatalf("result %+v: want 2 bans copied, no warning for dbpurgeage 3h", res)
	}
	auto, err := db.IPTimeline(ctx, "192.0.2.10")
	if err != nil || len(auto) != 1 {
		t.Fatalf("timeline of the detected ban: %+v %v", auto, err)
	}
	if a := auto[0]; a.Origin != core.OriginAuto || a.Failures < 2 || len(a.Matches) < 2 || a.Jail != "app1" || a.BanTime != 600*time.Second {
		t.Errorf("detected ban cached as %+v", a)
	}
	manual, err := db.IPTimeline(ctx, "198.51.100.20")
	if err != nil || len(manual) != 1 || manual[0].Origin != core.OriginManual || manual[0].Jail != "app2" {
		t.Errorf("manual ban cached as %+v (%v)", manual, err)
	}

	// Unbanning makes fail2ban delete the rows; the cache keeps them.
	srv.Client(t, "unban", "--all")
	res, err = sy.Sync(ctx, histsync.LocalTarget(s, client))
	if err != nil {
		t.Fatal(err)
	}
	if res.Read != 0 || count(t, db) != 2 {
		t.Errorf("after unban --all: read %d, cache %d; want 0 and the 2 kept", res.Read, count(t, db))
	}
	st, _ := db.SyncStates(ctx)
	if len(st) != 1 || st[0].DBPath != srv.DBFile {
		t.Errorf("status %+v: want the path fail2ban gave", st)
	}
}

// childEnv names the cache and database a child process syncs.
const childEnv = "BANGUI_HISTSYNC_CHILD"

// TestMain lets the test binary act as an app that syncs and gets killed.
func TestMain(m *testing.M) {
	if v := os.Getenv(childEnv); v != "" {
		os.Exit(runChild(v))
	}
	os.Exit(m.Run())
}

// runChild syncs the database named in spec ("cache|db|serverID") slowly,
// page by page, until killed.
func runChild(spec string) int {
	var cachePath, dbPath string
	var id int64
	if _, err := fmt.Sscanf(spec, "%s %s %d", &cachePath, &dbPath, &id); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	ctx := context.Background()
	db, err := store.Open(ctx, cachePath, migrations.FS)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	sy := &histsync.Syncer{Store: db, PageSize: 250}
	t := histsync.Target{
		Server: core.Server{ID: id, Name: "crashy"},
		Info:   func(context.Context) (string, time.Duration, error) { return dbPath, 0, nil },
		Open: func(ctx context.Context, path string) (histsync.Reader, error) {
			r, err := histsync.OpenFile(ctx, path)
			if err != nil {
				return nil, err
			}
			return slowReader{r}, nil
		},
	}
	if _, err := sy.Sync(ctx, t); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

type f2bRecord = f2bdb.BanRecord

// slowReader makes each page take a while, so the parent can kill the
// child in the middle of a sync.
type slowReader struct{ histsync.Reader }

func (r slowReader) BansAfter(ctx context.Context, jail string, after time.Time, row int64, limit int) ([]f2bRecord, error) {
	time.Sleep(20 * time.Millisecond)
	return r.Reader.BansAfter(ctx, jail, after, row, limit)
}

func TestSyncKilledMidwayResumes(t *testing.T) {
	// A real server writes real bans, then stops (fail2ban stopped).
	srv := f2btest.Start(t, f2btest.Options{})
	srv.WriteFailures(t, "app1", "192.0.2.44", 3)
	srv.WaitBanned(t, "app1", "192.0.2.44", 30*time.Second)
	waitRows(t, srv.DBFile, 1)
	srv.Stop(t)
	// Many more rows of the same layout, so a sync takes many pages.
	extra := filepath.Join(t.TempDir(), "extra.sqlite3")
	if err := gen.Generate(context.Background(), extra, gen.Options{N: 20_000, Seed: 9, Jails: []string{"app1", "app2"}}, nil); err != nil {
		t.Fatal(err)
	}
	rw := openRW(t, srv.DBFile)
	mustExec(t, rw, `ATTACH ? AS g`, extra)
	mustExec(t, rw, `INSERT INTO bans SELECT * FROM g.bans`)
	mustExec(t, rw, `DETACH g`)
	// A row is identified by (time, server, jail, IP): the generator
	// sometimes bans one address twice in the same second, which the
	// cache stores once.
	var want int
	if err := rw.QueryRow(`SELECT count(*) FROM (SELECT DISTINCT jail, ip, timeofban FROM bans)`).Scan(&want); err != nil {
		t.Fatal(err)
	}

	db, s := cache(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+db.Path()+" "+srv.DBFile+" "+strconv.FormatInt(s.ID, 10))
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill -9 once part of the history is in the cache.
	deadline := time.Now().Add(60 * time.Second)
	for {
		n := count(t, db)
		if n > 1000 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("the child copied only %d rows in 60 s", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	partial := count(t, db)
	t.Logf("child killed (%v) with %d of %d rows copied", err, partial, want)
	if partial >= want {
		t.Fatalf("the child finished (%d rows) before it was killed: the test proves nothing", partial)
	}

	// The next sync completes: every row once.
	sy := &histsync.Syncer{Store: db}
	res, err := sy.Sync(context.Background(), fileTarget(s, srv.DBFile, 0))
	if err != nil {
		t.Fatal(err)
	}
	if got := count(t, db); got != want || res.Copied != want-partial {
		t.Fatalf("after resuming: cache %d rows (copied %d), want %d (copied %d)", got, res.Copied, want, want-partial)
	}
	var distinct int
	if err := db.Read.QueryRow(`SELECT count(*) FROM (SELECT DISTINCT server_id, jail, ip, time_of_ban FROM bans)`).Scan(&distinct); err != nil || distinct != want {
		t.Fatalf("distinct rows %d (%v), want %d", distinct, err, want)
	}
	d, err := db.Dashboard(context.Background(), core.HistoryFilter{From: time.Now().Add(-400 * 24 * time.Hour), To: time.Now().Add(time.Hour)})
	if err != nil || d.Total != want {
		t.Fatalf("dashboard total %d (%v) after the crash, want %d: the roll-ups drifted", d.Total, err, want)
	}
}
