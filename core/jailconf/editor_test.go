package jailconf_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/f2b/f2btest"
	"github.com/bangui/bangui/core/jailconf"
	"github.com/bangui/bangui/core/local"
)

// start runs a private fail2ban server and returns an Editor for it.
func start(t *testing.T) (*f2btest.Server, *jailconf.Editor) {
	t.Helper()
	srv := f2btest.Start(t, f2btest.Options{})
	return srv, &jailconf.Editor{Host: local.Host{}, ConfigDir: srv.ConfDir, Socket: srv.Socket}
}

// ours returns the path of BanGUI's file in dir.
func ours(dir string) string { return filepath.Join(dir, "jail.d", "bangui.local") }

// sections returns the file at p without its leading comment lines, and
// fails the test when the header is missing.
func sections(t *testing.T, p string) string {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	if !strings.HasPrefix(s, "# This file is managed by BanGUI.") || !strings.Contains(s, "Hand edits may be\n# overwritten") {
		t.Fatalf("%s lacks BanGUI's header:\n%s", p, s)
	}
	i := strings.Index(s, "\n[")
	if i < 0 {
		t.Fatalf("%s has no section:\n%s", p, s)
	}
	for _, l := range strings.Split(s[:i], "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			t.Fatalf("%s: unexpected line %q before the first section", p, l)
		}
	}
	return s[i+1:]
}

// get returns "fail2ban-client get jail key", asked independently of the
// code under test.
func get(t *testing.T, srv *f2btest.Server, jail, key string) string {
	t.Helper()
	return srv.Client(t, "get", jail, key)
}

func writeFile(t *testing.T, p, content string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestApplyWritesMergesAndReloads(t *testing.T) {
	t.Parallel()
	srv, ed := start(t)
	ctx := context.Background()
	srv.Client(t, "set", "app1", "banip", "192.0.2.50")

	t0 := time.Now()
	res, err := ed.Apply(ctx, "app1", []jailconf.Change{{Key: "bantime", Value: "1h"}})
	t.Logf("Apply (write, check, reload) took %v", time.Since(t0).Round(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	p := ours(srv.ConfDir)
	if got := sections(t, p); got != "[app1]\nbantime = 3600\n" {
		t.Fatalf("file sections:\n%q", got)
	}
	if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v %v, want 0644", fi.Mode(), err)
	}
	if res.Path != p || res.Jail != "app1" || len(res.Changes) != 1 || res.Changes[0] != (jailconf.Change{Key: "bantime", Value: "3600"}) {
		t.Errorf("Result = %+v", res)
	}
	if !strings.Contains(res.Check, "OK: configuration test is successful") || res.Reload != "OK" {
		t.Errorf("Output = %+v", res.Output)
	}
	if got := get(t, srv, "app1", "bantime"); got != "3600" {
		t.Errorf("app1 bantime = %q after reload, want 3600", got)
	}
	if got := get(t, srv, "app2", "bantime"); got != "600" {
		t.Errorf("app2 bantime = %q, want 600 (untouched)", got)
	}
	if got := srv.Client(t, "get", "app1", "banned", "192.0.2.50"); got != "1" {
		t.Errorf("ban lost by the reload: banned = %q", got)
	}

	// A second Apply merges keys; another jail gets its own section.
	if _, err := ed.Apply(ctx, "app1", []jailconf.Change{{Key: "maxretry", Value: "5"}, {Key: "ignoreip", Value: "192.0.2.7, 198.51.100.0/24"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := ed.Apply(ctx, "app2", []jailconf.Change{{Key: "findtime", Value: "20m"}, {Key: "ignoreself", Value: "true"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := ed.Apply(ctx, "app1", []jailconf.Change{{Key: "bantime", Value: "2h"}}); err != nil {
		t.Fatal(err)
	}
	want := "[app1]\nbantime = 7200\nmaxretry = 5\nignoreip = 192.0.2.7 198.51.100.0/24\n\n[app2]\nfindtime = 1200\nignoreself = true\n"
	if got := sections(t, p); got != want {
		t.Fatalf("merged file:\n%s\nwant:\n%s", got, want)
	}
	for _, c := range []struct{ jail, key, want string }{
		{"app1", "bantime", "7200"}, {"app1", "maxretry", "5"}, {"app2", "findtime", "1200"}, {"app2", "bantime", "600"},
	} {
		if got := get(t, srv, c.jail, c.key); got != c.want {
			t.Errorf("%s %s = %q, want %q", c.jail, c.key, got, c.want)
		}
	}
	if got := get(t, srv, "app1", "ignoreip"); !strings.Contains(got, "192.0.2.7") || !strings.Contains(got, "198.51.100.0/24") {
		t.Errorf("app1 ignoreip = %q", got)
	}
	if got := get(t, srv, "app2", "ignoreself"); got != "True" {
		t.Errorf("app2 ignoreself = %q", got)
	}

	got, err := ed.Read(ctx, "app1")
	if err != nil || len(got) != 3 || got["bantime"] != "7200" || got["maxretry"] != "5" || got["ignoreip"] != "192.0.2.7 198.51.100.0/24" {
		t.Errorf("Read(app1) = %v, %v", got, err)
	}
	if got, err := ed.Read(ctx, "app3"); err != nil || len(got) != 0 {
		t.Errorf("Read(app3) = %v, %v", got, err)
	}

	// The point of it all: a runtime change is undone by a reload, and the
	// permanent value comes back.
	srv.Client(t, "set", "app1", "bantime", "77")
	if _, err := ed.ReloadJail(ctx, "app1"); err != nil {
		t.Fatal(err)
	}
	if got := get(t, srv, "app1", "bantime"); got != "7200" {
		t.Errorf("app1 bantime after ReloadJail = %q, want 7200", got)
	}
}

// A failing check puts the previous file back byte for byte (or removes
// ours when there was none) and reloads nothing.
func TestApplyCheckFailsRollsBack(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("someone else's broken file, none of ours", func(t *testing.T) {
		t.Parallel()
		srv, ed := start(t)
		other := filepath.Join(srv.ConfDir, "jail.d", "zz-other.local")
		writeFile(t, other, "[app1\nbantime = 5\n")
		_, err := ed.Apply(ctx, "app1", []jailconf.Change{{Key: "bantime", Value: "1h"}})
		msg := core.ErrorMessage(err)
		t.Logf("error shown:\n%s", msg)
		if core.ErrorCode(err) != core.ESERVER || !strings.Contains(msg, "configuration check failed") ||
			!strings.Contains(msg, "File contains no section headers") || !strings.Contains(msg, "zz-other.local") ||
			!strings.Contains(msg, "removed "+ours(srv.ConfDir)+" again") {
			t.Fatalf("%s %q", core.ErrorCode(err), msg)
		}
		if _, err := os.Lstat(ours(srv.ConfDir)); !os.IsNotExist(err) {
			t.Errorf("our file is still there: %v", err)
		}
		if b, _ := os.ReadFile(other); string(b) != "[app1\nbantime = 5\n" {
			t.Errorf("the other file changed: %q", b)
		}
		if got := get(t, srv, "app1", "bantime"); got != "600" {
			t.Errorf("bantime = %q, want the old 600", got)
		}
		if got := srv.Client(t, "ping"); !strings.Contains(got, "pong") {
			t.Errorf("ping = %q", got)
		}
	})

	t.Run("a jail's log file is gone, ours restored byte for byte", func(t *testing.T) {
		t.Parallel()
		srv, ed := start(t)
		prev := "; written by hand, kept as is\n[app1]\nbantime=3600\n\n\n"
		writeFile(t, ours(srv.ConfDir), prev)
		if _, err := ed.ReloadJail(ctx, "app1"); err != nil {
			t.Fatal(err)
		}
		// fail2ban keeps running app2 on the open file, but the check
		// wants every enabled jail to have a log file.
		if err := os.Remove(srv.LogFile("app2")); err != nil {
			t.Fatal(err)
		}
		t0 := time.Now()
		_, err := ed.Apply(ctx, "app1", []jailconf.Change{{Key: "bantime", Value: "2h"}, {Key: "maxretry", Value: "9"}})
		t.Logf("failed Apply with rollback took %v; error shown:\n%s", time.Since(t0).Round(time.Millisecond), core.ErrorMessage(err))
		if core.ErrorCode(err) != core.ESERVER || !strings.Contains(core.ErrorMessage(err), "Have not found any log file for app2 jail") {
			t.Fatalf("%s %q", core.ErrorCode(err), core.ErrorMessage(err))
		}
		if b, _ := os.ReadFile(ours(srv.ConfDir)); string(b) != prev {
			t.Errorf("our file is %q, want the previous %q", b, prev)
		}
		if got := get(t, srv, "app1", "bantime"); got != "3600" {
			t.Errorf("bantime = %q, want 3600", got)
		}
		if got := get(t, srv, "app1", "maxretry"); got != "2" {
			t.Errorf("maxretry = %q, want 2", got)
		}
		writeFile(t, srv.LogFile("app2"), "")
	})
}
