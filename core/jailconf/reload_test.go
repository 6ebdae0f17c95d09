package jailconf_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/jailconf"
	"github.com/bangui/bangui/core/local"
)

// raceHost is the local machine, except that during the first forward
// "reload" someone else's broken file appears in jail.d: a colleague's
// edit landing between our check and our reload. fail2ban's check does not
// evaluate time values, so "bantime = abc" passes it and only the reload
// fails, which makes fail2ban stop and drop the jail.
type raceHost struct {
	local.Host
	poison string
	done   atomic.Bool
}

func (h *raceHost) Run(ctx context.Context, argv []string) ([]byte, []byte, error) {
	if slices.Contains(argv, "reload") && !slices.Contains(argv, "--if-exists") && h.done.CompareAndSwap(false, true) {
		if err := os.WriteFile(h.poison, []byte("[app1]\nbantime = abc\n"), 0o644); err != nil {
			return nil, nil, err
		}
		defer os.Remove(h.poison)
	}
	return h.Host.Run(ctx, argv)
}

func TestApplyReloadFailsRollsBack(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("jail not running", func(t *testing.T) {
		t.Parallel()
		srv, ed := start(t)
		if _, err := ed.Apply(ctx, "app1", []jailconf.Change{{Key: "bantime", Value: "1h"}}); err != nil {
			t.Fatal(err)
		}
		prev, _ := os.ReadFile(ours(srv.ConfDir))
		// app3 is no jail of this server: the check passes (a disabled
		// section), the reload fails before the server changes anything.
		_, err := ed.Apply(ctx, "app3", []jailconf.Change{{Key: "bantime", Value: "1h"}})
		msg := core.ErrorMessage(err)
		t.Logf("error shown:\n%s", msg)
		if core.ErrorCode(err) != core.ESERVER || !strings.Contains(msg, "Sorry but the jail 'app3' does not exist") ||
			!strings.Contains(msg, "the server was not changed") {
			t.Fatalf("%s %q", core.ErrorCode(err), msg)
		}
		if b, _ := os.ReadFile(ours(srv.ConfDir)); string(b) != string(prev) {
			t.Errorf("our file is\n%s\nwant\n%s", b, prev)
		}
		if got := get(t, srv, "app1", "bantime"); got != "3600" {
			t.Errorf("app1 bantime = %q", got)
		}
	})

	t.Run("config changed between check and reload", func(t *testing.T) {
		t.Parallel()
		srv, ed := start(t)
		h := &raceHost{poison: filepath.Join(srv.ConfDir, "jail.d", "zz-colleague.local")}
		ed.Host = h
		srv.Client(t, "set", "app1", "banip", "192.0.2.60")
		t0 := time.Now()
		_, err := ed.Apply(ctx, "app1", []jailconf.Change{{Key: "bantime", Value: "1h"}})
		msg := core.ErrorMessage(err)
		t.Logf("failed Apply with rollback and second reload took %v; error shown:\n%s", time.Since(t0).Round(time.Millisecond), msg)
		if core.ErrorCode(err) != core.ESERVER || !strings.Contains(msg, "fail2ban could not reload jail app1") ||
			!strings.Contains(msg, "name 'abc' is not defined") || !strings.Contains(msg, "runs with its previous settings") {
			t.Fatalf("%s %q", core.ErrorCode(err), msg)
		}
		if !h.done.Load() {
			t.Fatal("the race was not staged")
		}
		if _, err := os.Lstat(ours(srv.ConfDir)); !os.IsNotExist(err) {
			t.Errorf("our file is still there: %v", err)
		}
		if got := srv.Client(t, "status"); !strings.Contains(got, "app1, app2") {
			t.Errorf("status = %q, want app1 back", got)
		}
		if got := get(t, srv, "app1", "bantime"); got != "600" {
			t.Errorf("app1 bantime = %q, want the old 600", got)
		}
		if got := srv.Client(t, "get", "app1", "banned", "192.0.2.60"); got != "1" {
			t.Errorf("the ban did not come back: banned = %q", got)
		}
	})

	t.Run("broken value already there, no way back", func(t *testing.T) {
		t.Parallel()
		srv, ed := start(t)
		other := filepath.Join(srv.ConfDir, "jail.d", "zz-colleague.local")
		writeFile(t, other, "[app1]\nbantime = abc\n")
		_, err := ed.Apply(ctx, "app1", []jailconf.Change{{Key: "maxretry", Value: "4"}})
		msg := core.ErrorMessage(err)
		t.Logf("error shown:\n%s", msg)
		if core.ErrorCode(err) != core.ESERVER || !strings.Contains(msg, "name 'abc' is not defined") ||
			!strings.Contains(msg, "reloading it with the previous file failed too") || !strings.Contains(msg, "fail2ban has stopped jail app1") {
			t.Fatalf("%s %q", core.ErrorCode(err), msg)
		}
		if _, err := os.Lstat(ours(srv.ConfDir)); !os.IsNotExist(err) {
			t.Errorf("our file is still there: %v", err)
		}
		// The jail is gone; fixing the file and reloading the server
		// brings it back.
		if got := srv.Client(t, "status"); strings.Contains(got, "app1") {
			t.Errorf("status = %q, want app1 stopped", got)
		}
		if err := os.Remove(other); err != nil {
			t.Fatal(err)
		}
		if _, err := ed.ReloadServer(ctx); err != nil {
			t.Fatal(err)
		}
		if got := srv.Client(t, "status"); !strings.Contains(got, "app1, app2") {
			t.Errorf("status after ReloadServer = %q", got)
		}
	})
}

func TestReloadJailAndServer(t *testing.T) {
	t.Parallel()
	srv, ed := start(t)
	ctx := context.Background()
	admin := filepath.Join(srv.ConfDir, "jail.d", "admin.local")
	writeFile(t, admin, "[app1]\nbantime = 120\n\n[app2]\nbantime = 240\n")
	srv.Client(t, "set", "app2", "bantime", "77")

	t0 := time.Now()
	out, err := ed.ReloadJail(ctx, "app1")
	t.Logf("ReloadJail (check, reload) took %v", time.Since(t0).Round(time.Millisecond))
	if err != nil || !strings.HasPrefix(out.Check, "OK") || out.Reload != "OK" {
		t.Fatalf("ReloadJail = %+v, %v", out, err)
	}
	if a, b := get(t, srv, "app1", "bantime"), get(t, srv, "app2", "bantime"); a != "120" || b != "77" {
		t.Errorf("after ReloadJail(app1): bantime %s, %s; want 120, 77", a, b)
	}
	t0 = time.Now()
	if _, err := ed.ReloadServer(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("ReloadServer (check, reload) took %v", time.Since(t0).Round(time.Millisecond))
	if got := get(t, srv, "app2", "bantime"); got != "240" {
		t.Errorf("after ReloadServer: app2 bantime %s, want 240", got)
	}

	// A broken config refuses both reloads; the server keeps its settings.
	writeFile(t, admin, "[app1\nbantime = 5\n")
	srv.Client(t, "set", "app1", "bantime", "99")
	_, err = ed.ReloadJail(ctx, "app1")
	if core.ErrorCode(err) != core.ESERVER || !strings.Contains(core.ErrorMessage(err), "so jail app1 was not reloaded") ||
		!strings.Contains(core.ErrorMessage(err), "File contains no section headers") {
		t.Fatalf("ReloadJail with a broken config: %s %q", core.ErrorCode(err), core.ErrorMessage(err))
	}
	_, err = ed.ReloadServer(ctx)
	if core.ErrorCode(err) != core.ESERVER || !strings.Contains(core.ErrorMessage(err), "so the server was not reloaded") {
		t.Fatalf("ReloadServer with a broken config: %s %q", core.ErrorCode(err), core.ErrorMessage(err))
	}
	if got := get(t, srv, "app1", "bantime"); got != "99" {
		t.Errorf("app1 bantime = %q: something was reloaded", got)
	}
	if err := os.Remove(admin); err != nil {
		t.Fatal(err)
	}
	_, err = ed.ReloadJail(ctx, "nosuch")
	if core.ErrorCode(err) != core.ESERVER || !strings.Contains(core.ErrorMessage(err), "No section: 'nosuch'") ||
		strings.Contains(core.ErrorMessage(err), "may have stopped") {
		t.Fatalf("ReloadJail(nosuch): %s %q", core.ErrorCode(err), core.ErrorMessage(err))
	}
	if _, err := ed.ReloadJail(ctx, "../x"); core.ErrorCode(err) != core.EINVALID {
		t.Fatalf("ReloadJail(../x): %v", err)
	}
}
