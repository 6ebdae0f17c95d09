package f2bdb

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/f2b/f2btest"
)

var matchLine4 = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d auth failure from 192\.0\.2\.10$`)

func TestRealServer(t *testing.T) {
	srv := f2btest.Start(t, f2btest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start := time.Now().Truncate(time.Second)

	srv.WriteFailures(t, "app1", "192.0.2.10", 3)
	srv.WriteFailures(t, "app2", "2001:db8::10", 3)
	srv.WaitBanned(t, "app1", "192.0.2.10", dbWait)
	srv.WaitBanned(t, "app2", "2001:db8::10", dbWait)
	srv.Client(t, "set", "app1", "banip", "192.0.2.20")
	srv.Client(t, "set", "app2", "banip", "2001:DB8:0::20") // stored as 2001:db8::20

	db, err := Open(ctx, srv.DBFile)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.Version() != 4 {
		t.Fatalf("fail2ban 1.0.2 writes layout 4, found %d", db.Version())
	}
	cur := poll(t, "4 rows in bips", func() ([]BanRecord, bool, error) {
		cur, err := db.Current(ctx)
		return cur, len(cur) == 4, err
	})
	end := time.Now().Add(time.Second)
	want := serverBans(t, srv)
	if got := keysOf(cur); !reflect.DeepEqual(got, want) {
		t.Fatalf("Current has %v, the server reports %v", got, want)
	}
	m := byKey(cur)
	for _, r := range cur {
		if r.BanTime != 600*time.Second || r.BanCount != 1 || r.DataErr != nil ||
			r.TimeOfBan.Before(start) || r.TimeOfBan.After(end) || r.RowID <= 0 {
			t.Errorf("%s: %+v (start %v)", Key(r.Jail, r.IP), r, start)
		}
	}

	t.Run("detected", func(t *testing.T) {
		r := m["app1|192.0.2.10"]
		// maxretry = 2: fail2ban bans after the 2nd line; whether the 3rd
		// is counted depends on how the poller split the lines.
		if r.Failures < 2 || r.Failures > 3 || len(r.Matches) != r.Failures {
			t.Fatalf("failures %d, matches %q", r.Failures, r.Matches)
		}
		for _, line := range r.Matches {
			if !matchLine4.MatchString(line) {
				t.Errorf("match %q is not the log line", line)
			}
		}
		if !reflect.DeepEqual(r.Extra, map[string]string{"ip4": "192.0.2.10"}) {
			t.Errorf("extra %q", r.Extra)
		}
		r6 := m["app2|2001:db8::10"]
		if r6.Failures < 2 || len(r6.Matches) != r6.Failures || !strings.HasSuffix(r6.Matches[0], " auth failure from 2001:db8::10") ||
			r6.Extra["ip6"] != "2001:db8::10" {
			t.Errorf("IPv6: %+v", r6)
		}
	})

	t.Run("manual", func(t *testing.T) {
		for _, k := range []string{"app1|192.0.2.20", "app2|2001:db8::20"} {
			if r := m[k]; r.Failures != 0 || len(r.Matches) != 0 || r.Extra != nil {
				t.Errorf("%s: %+v", k, r)
			}
		}
	})

	t.Run("agree", func(t *testing.T) {
		f, err := db.Failures(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(f) != len(cur) {
			t.Fatalf("Failures %v", f)
		}
		for _, r := range cur {
			if n, ok := f[Key(r.Jail, r.IP)]; !ok || n != r.Failures {
				t.Errorf("Failures[%s] = %d, %v; Current says %d", Key(r.Jail, r.IP), n, ok, r.Failures)
			}
		}
		bans, err := db.Bans(ctx, "", 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if got := keysOf(bans); !reflect.DeepEqual(got, want) {
			t.Fatalf("Bans has %v, want %v", got, want)
		}
		for _, b := range bans {
			c := m[Key(b.Jail, b.IP)]
			c.RowID = b.RowID
			if !reflect.DeepEqual(b, c) {
				t.Errorf("bans row %+v\n  bips row %+v", b, c)
			}
		}
		app2, err := db.Bans(ctx, "app2", 0, 0)
		if err != nil || len(app2) != 2 || app2[0].Jail != "app2" || app2[1].Jail != "app2" {
			t.Fatalf("Bans(app2): %+v %v", app2, err)
		}
	})

	t.Run("cursor", func(t *testing.T) {
		last, err := db.LastRowID(ctx)
		if err != nil {
			t.Fatal(err)
		}
		srv.Client(t, "set", "app1", "banip", "192.0.2.30")
		newer := poll(t, "the new row", func() ([]BanRecord, bool, error) {
			b, err := db.Bans(ctx, "", last, 0)
			return b, len(b) > 0, err
		})
		if len(newer) != 1 || newer[0].IP != "192.0.2.30" || newer[0].RowID != last+1 {
			t.Fatalf("after %d: %+v", last, newer)
		}
		if b, err := db.Bans(ctx, "", newer[0].RowID, 0); err != nil || len(b) != 0 {
			t.Fatalf("after the newest: %+v %v", b, err)
		}

		// What a history sync must cope with: unbanip deletes the rows,
		// and SQLite gives the freed largest rowid to the next ban.
		srv.Client(t, "set", "app1", "unbanip", "192.0.2.30")
		poll(t, "the row deleted", func() (int64, bool, error) {
			n, err := db.LastRowID(ctx)
			return n, n == last, err
		})
		srv.Client(t, "set", "app1", "banip", "192.0.2.31")
		again := poll(t, "the next row", func() ([]BanRecord, bool, error) {
			b, err := db.Bans(ctx, "", last, 0)
			return b, len(b) > 0, err
		})
		if len(again) != 1 || again[0].IP != "192.0.2.31" || again[0].RowID != newer[0].RowID {
			t.Fatalf("expected 192.0.2.31 to reuse rowid %d (fail2ban's bans has no AUTOINCREMENT); got %+v",
				newer[0].RowID, again)
		}
	})

	// Readers polling all the time must not make fail2ban's writes fail:
	// it waits at most 5 s for a lock, then logs the error and loses the
	// row.
	t.Run("concurrent", func(t *testing.T) {
		before, err := db.LastRowID(ctx)
		if err != nil {
			t.Fatal(err)
		}
		stop := make(chan struct{})
		errs := make(chan error, 4)
		for range 4 {
			go func() {
				for {
					select {
					case <-stop:
						errs <- nil
						return
					default:
					}
					if _, err := db.Current(ctx); err != nil {
						errs <- err
						return
					}
					if _, err := db.Bans(ctx, "", 0, 0); err != nil {
						errs <- err
						return
					}
					time.Sleep(time.Millisecond)
				}
			}()
		}
		args := []string{"set", "app2", "banip"}
		for i := range 50 {
			args = append(args, fmt.Sprintf("198.51.100.%d", i))
		}
		srv.Client(t, args...)
		poll(t, "50 new rows", func() (int64, bool, error) {
			n, err := db.LastRowID(ctx)
			return n, n == before+50, err
		})
		close(stop)
		for range 4 {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		log, err := os.ReadFile(filepath.Join(srv.Dir, "fail2ban.log"))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(log), "locked") || strings.Contains(string(log), "ERROR") {
			t.Fatalf("fail2ban logged errors:\n%s", log)
		}
	})

	// With the server stopped nothing else writes the file: our reads must
	// not change a byte, the mtime, or leave a journal behind.
	srv.Stop(t)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	t.Run("unchanged", func(t *testing.T) {
		before := stateOf(t, srv.DBFile)
		time.Sleep(20 * time.Millisecond) // so that a write would show in the mtime
		db, err := Open(ctx, srv.DBFile)
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			if _, err := db.Current(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Bans(ctx, "", 0, 0); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Failures(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		after := stateOf(t, srv.DBFile)
		if !reflect.DeepEqual(before, after) {
			t.Fatalf("the file changed: mtime %v → %v, %d → %d bytes, folder %v → %v",
				before.mtime, after.mtime, len(before.data), len(after.data), before.names, after.names)
		}
	})

	t.Run("newer layout", func(t *testing.T) {
		data, err := os.ReadFile(srv.DBFile)
		if err != nil {
			t.Fatal(err)
		}
		cp := filepath.Join(t.TempDir(), "copy.sqlite3")
		if err := os.WriteFile(cp, data, 0o600); err != nil {
			t.Fatal(err)
		}
		execFile(t, cp, "UPDATE fail2banDb SET version = 99")
		_, err = Open(ctx, cp)
		wantCode(t, err, core.ECONFLICT)
		if msg := core.ErrorMessage(err); !strings.Contains(msg, "layout version 99") || !strings.Contains(msg, cp) {
			t.Fatalf("message %q", msg)
		}
	})
}
