package jailconf_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/jailconf"
	"github.com/bangui/bangui/core/local"
	"github.com/bangui/bangui/internal/testenv"
)

// fakeHost is the local machine with fail2ban-client replaced by run,
// which replays outputs recorded from fail2ban-client 1.0.2.
type fakeHost struct {
	local.Host
	run   func(argv []string) (stdout, stderr string, status int)
	calls [][]string
}

func (h *fakeHost) Run(ctx context.Context, argv []string) ([]byte, []byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, core.Wrap(err, core.ECANCELED, "cancelled")
	}
	h.calls = append(h.calls, argv)
	out, errOut, status := h.run(argv)
	if status != 0 {
		return []byte(out), []byte(errOut), &core.ExitError{Argv: argv, Status: status, Stderr: []byte(errOut)}
	}
	return []byte(out), []byte(errOut), nil
}

var (
	_ core.Host = (*fakeHost)(nil)
	_ core.Host = noHost{}
	_ core.Host = (*raceHost)(nil)
)

// noHost fails the test on any use: bad input must not reach the host.
type noHost struct{ t *testing.T }

func (h noHost) fail(what string) error {
	h.t.Errorf("host used: %s", what)
	return core.Errorf(core.EINTERNAL, "unexpected")
}
func (h noHost) ReadFile(_ context.Context, p string) ([]byte, error) {
	return nil, h.fail("read " + p)
}
func (h noHost) WriteFile(_ context.Context, p string, _ []byte, _ os.FileMode) error {
	return h.fail("write " + p)
}
func (h noHost) RemoveFile(_ context.Context, p string) error { return h.fail("remove " + p) }
func (h noHost) Mkdir(_ context.Context, p string, _ os.FileMode) error {
	return h.fail("mkdir " + p)
}
func (h noHost) Run(_ context.Context, argv []string) ([]byte, []byte, error) {
	return nil, nil, h.fail(strings.Join(argv, " "))
}

func TestBadInputTouchesNothing(t *testing.T) {
	ed := &jailconf.Editor{Host: noHost{t}, ConfigDir: t.TempDir()}
	ctx := context.Background()
	for _, tc := range []struct {
		jail string
		c    []jailconf.Change
	}{
		{"app1", []jailconf.Change{{Key: "bantime", Value: "-5"}}},
		{"app1", []jailconf.Change{{Key: "bantime", Value: "1e9"}}},
		{"app1", []jailconf.Change{{Key: "bantime", Value: "0"}}},
		{"app1", []jailconf.Change{{Key: "findtime", Value: "-1"}}},
		{"app1", []jailconf.Change{{Key: "maxretry", Value: "0"}}},
		{"app1", []jailconf.Change{{Key: "ignoreip", Value: "300.1.1.1"}}},
		{"app1", []jailconf.Change{{Key: "ignoreself", Value: "maybe"}}},
		{"app1", []jailconf.Change{{Key: "bantime", Value: "1h"}, {Key: "logpath", Value: "/etc/shadow"}}},
		{"app1", []jailconf.Change{{Key: "enabled", Value: "false"}}},
		{"app1", nil},
		{"../x", []jailconf.Change{{Key: "bantime", Value: "1h"}}},
		{"DEFAULT", []jailconf.Change{{Key: "bantime", Value: "1h"}}},
		{"app1]\n[app2", []jailconf.Change{{Key: "bantime", Value: "1h"}}},
	} {
		if _, err := ed.Apply(ctx, tc.jail, tc.c); core.ErrorCode(err) != core.EINVALID {
			t.Errorf("Apply(%q, %v) = %v, want EINVALID", tc.jail, tc.c, err)
		}
	}
	if _, err := ed.Read(ctx, "../x"); core.ErrorCode(err) != core.EINVALID {
		t.Errorf("Read(../x) = %v", err)
	}
	if entries, _ := os.ReadDir(ed.ConfigDir); len(entries) != 0 {
		t.Errorf("written: %v", entries)
	}
}

func TestConfigFolder(t *testing.T) {
	ctx := context.Background()
	missing := filepath.Join(t.TempDir(), "fail2ban")
	ed := &jailconf.Editor{Host: local.Host{}, ConfigDir: missing}
	_, err := ed.Apply(ctx, "app1", []jailconf.Change{{Key: "bantime", Value: "1h"}})
	want := "fail2ban config folder " + missing + " does not exist: set the server's config folder"
	if core.ErrorCode(err) != core.ENOTFOUND || core.ErrorMessage(err) != want {
		t.Fatalf("%s %q", core.ErrorCode(err), core.ErrorMessage(err))
	}
	if _, err := os.Lstat(missing); !os.IsNotExist(err) {
		t.Errorf("the folder was created: %v", err)
	}

	// jail.d is created when missing; a fake stands in for fail2ban-client.
	dir := t.TempDir()
	h := &fakeHost{run: func([]string) (string, string, int) { return "OK\n", "", 0 }}
	ed = &jailconf.Editor{Host: h, ConfigDir: dir, Socket: "/run/f2b.sock"}
	res, err := ed.Apply(ctx, "sshd", []jailconf.Change{{Key: "findtime", Value: "10 m"}})
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "jail.d")); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("jail.d: %v %v", fi.Mode(), err)
	}
	if got := sections(t, res.Path); got != "[sshd]\nfindtime = 600\n" {
		t.Errorf("file sections %q", got)
	}
	wantCalls := [][]string{
		{"fail2ban-client", "-c", dir, "-s", "/run/f2b.sock", "-t"},
		{"fail2ban-client", "-c", dir, "-s", "/run/f2b.sock", "reload", "sshd"},
	}
	if !slices.EqualFunc(h.calls, wantCalls, slices.Equal) {
		t.Errorf("commands run:\n%q\nwant\n%q", h.calls, wantCalls)
	}

	// A file BanGUI cannot read is left alone.
	writeFile(t, res.Path, "[sshd]\nfailregex = a\n  b\n")
	_, err = ed.Apply(ctx, "sshd", []jailconf.Change{{Key: "bantime", Value: "1h"}})
	if core.ErrorCode(err) != core.ECONFLICT || !strings.Contains(core.ErrorMessage(err), "left alone") {
		t.Fatalf("unreadable file: %v", err)
	}
	if b, _ := os.ReadFile(res.Path); string(b) != "[sshd]\nfailregex = a\n  b\n" {
		t.Errorf("file changed: %q", b)
	}
}

// fail2ban-client says "Could not find server" both when nothing listens
// and when the socket is root-only; a ping tells which. Outputs recorded as
// nobody and without a server.
func TestReloadUnreachable(t *testing.T) {
	ctx := context.Background()
	const noServer = "2026-11-27 04:38:03,042 fail2ban                [23225]: ERROR   Could not find server\n"
	for name, tc := range map[string]struct {
		ping, code, want string
	}{
		"root-only socket": {"2026-11-27 04:38:04,839 fail2ban                [23242]: ERROR   Permission denied to socket: /run/f2b.sock, (you must be root)\n",
			core.EPERMISSION, "may not open the server's socket as this user (Permission denied to socket: /run/f2b.sock, (you must be root)): " + core.PermissionHint},
		"not running": {"2026-11-27 04:38:08,486 fail2ban                [23284]: ERROR   Failed to access socket path: /run/f2b.sock. Is fail2ban running?\n",
			core.EUNAVAILABLE, "fail2ban is not running or not on this socket (Failed to access socket path: /run/f2b.sock. Is fail2ban running?)"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			h := &fakeHost{run: func(argv []string) (string, string, int) {
				switch argv[len(argv)-1] {
				case "-t":
					return "OK: configuration test is successful\n", "", 0
				case "ping":
					return "", tc.ping, 255
				}
				return "", noServer, 255
			}}
			ed := &jailconf.Editor{Host: h, ConfigDir: dir}
			_, err := ed.Apply(ctx, "app1", []jailconf.Change{{Key: "bantime", Value: "1h"}})
			if core.ErrorCode(err) != tc.code || !strings.Contains(core.ErrorMessage(err), tc.want) ||
				!strings.Contains(core.ErrorMessage(err), "removed") {
				t.Fatalf("%s %q", core.ErrorCode(err), core.ErrorMessage(err))
			}
			if n := len(h.calls); n != 3 { // -t, reload, ping: no second reload
				t.Errorf("%d commands run: %q", n, h.calls)
			}
			if _, err := os.Lstat(ours(dir)); !os.IsNotExist(err) {
				t.Errorf("our file is still there: %v", err)
			}
			_, err = ed.ReloadServer(ctx)
			if core.ErrorCode(err) != tc.code {
				t.Errorf("ReloadServer: %s %q", core.ErrorCode(err), core.ErrorMessage(err))
			}
		})
	}
}

// A cancelled Apply still puts the previous file back.
func TestApplyCanceledRollsBack(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	h := &fakeHost{run: func([]string) (string, string, int) { cancel(); return "", "", 0 }}
	ed := &jailconf.Editor{Host: h, ConfigDir: dir}
	if err := os.Mkdir(filepath.Join(dir, "jail.d"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, ours(dir), "[app1]\nbantime = 60\n")
	// The fake "check" cancels ctx; the reload then fails as cancelled.
	_, err := ed.Apply(ctx, "app1", []jailconf.Change{{Key: "bantime", Value: "1h"}})
	if core.ErrorCode(err) != core.ECANCELED || !strings.Contains(core.ErrorMessage(err), "reloaded app1 with it") {
		t.Fatalf("%s %q", core.ErrorCode(err), core.ErrorMessage(err))
	}
	if b, _ := os.ReadFile(ours(dir)); string(b) != "[app1]\nbantime = 60\n" {
		t.Errorf("file %q", b)
	}
}

// TestApplyNotWritable runs Apply as nobody on a root-owned config folder:
// as root it re-runs this test binary under setpriv.
func TestApplyNotWritable(t *testing.T) {
	if dir := os.Getenv("BANGUI_JAILCONF_AS_NOBODY"); dir != "" {
		ctx := context.Background()
		for _, sub := range []string{"with-jail.d", "without-jail.d"} {
			ed := &jailconf.Editor{Host: local.Host{}, ConfigDir: filepath.Join(dir, sub), Client: "/bin/true"}
			_, err := ed.Apply(ctx, "app1", []jailconf.Change{{Key: "bantime", Value: "1h"}})
			msg := core.ErrorMessage(err)
			if core.ErrorCode(err) != core.EPERMISSION || !strings.Contains(msg, filepath.Join(dir, sub, "jail.d")) ||
				!strings.Contains(msg, core.PermissionHint) {
				t.Errorf("%s as uid %d: %s %q", sub, os.Getuid(), core.ErrorCode(err), msg)
			}
			t.Logf("%s: %s", sub, msg)
		}
		return
	}
	if os.Getuid() != 0 {
		t.Skip("run as root to test this (it drops to nobody with setpriv)")
	}
	dir := testenv.NobodyDir(t)
	for _, d := range []string{dir, filepath.Join(dir, "with-jail.d"), filepath.Join(dir, "with-jail.d", "jail.d"), filepath.Join(dir, "without-jail.d")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	out := testenv.RunAsNobody(t, dir, "TestApplyNotWritable", "BANGUI_JAILCONF_AS_NOBODY="+dir)
	t.Logf("as nobody:\n%s", out)
	if _, err := os.Lstat(filepath.Join(dir, "without-jail.d", "jail.d")); !os.IsNotExist(err) {
		t.Errorf("jail.d created: %v", err)
	}
}
