package remote_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/f2b/f2btest"
	"github.com/bangui/bangui/core/jailconf"
	"github.com/bangui/bangui/core/jailinfo"
	"github.com/bangui/bangui/remote"
	"github.com/bangui/bangui/remote/sshtest"
)

// These tests run remote.Host against a private sshd (sshtest) on this
// machine, so what the server did is checked with the os package, and a
// private fail2ban-server (f2btest) for the Editor and jailinfo.

// openDir makes a folder that every user may enter (t.TempDir is 0700).
func openDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("", "bghost")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	if err := os.Chmod(d, 0o755); err != nil {
		t.Fatal(err)
	}
	return d
}

func permOf(t *testing.T, p string) fs.FileMode {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

// hostContract checks core.Host's file rules and List through h in dir.
func hostContract(t *testing.T, h remote.Host, dir string) {
	ctx := ctxT(t)
	p := filepath.Join(dir, "bangui.local")

	_, err := h.ReadFile(ctx, p)
	if !errors.Is(err, fs.ErrNotExist) || core.ErrorCode(err) != core.ENOTFOUND || !strings.Contains(core.ErrorMessage(err), p) {
		t.Fatalf("missing file: %s %v", core.ErrorCode(err), err)
	}
	binary := []byte("[app1]\nmaxretry = 3\n\x00\xff it's \"quoted\" $(id) `id` \\\n")
	for _, c := range []struct {
		data []byte
		perm fs.FileMode
	}{{[]byte("first\n"), 0o640}, {binary, 0o604}, {nil, 0o644}} {
		if err := h.WriteFile(ctx, p, c.data, c.perm); err != nil {
			t.Fatal(err)
		}
		if m := permOf(t, p); m != c.perm {
			t.Errorf("mode %v after WriteFile, want %v", m, c.perm)
		}
		got, err := h.ReadFile(ctx, p)
		if err != nil || !bytes.Equal(got, c.data) {
			t.Fatalf("read back %q %v, want %q", got, err, c.data)
		}
	}
	if err := h.WriteFile(ctx, filepath.Join(dir, "no", "such"), []byte("x"), 0o644); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("write into a missing folder: %v", err)
	}

	sub := filepath.Join(dir, "jail.d")
	if err := h.Mkdir(ctx, sub, 0o775); err != nil { // sshd's umask 022 would make it 0755
		t.Fatal(err)
	}
	if m := permOf(t, sub); m != 0o775 {
		t.Errorf("folder mode %v, want 0775", m)
	}
	if err := h.Mkdir(ctx, sub, 0o755); !errors.Is(err, fs.ErrExist) {
		t.Errorf("existing folder: %v", err)
	}
	if err := h.Mkdir(ctx, filepath.Join(dir, "missing", "jail.d"), 0o755); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing parent: %v", err)
	}
	if err := os.Symlink(p, filepath.Join(dir, "link.conf")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/nonexistent", filepath.Join(dir, "broken.conf")); err != nil {
		t.Fatal(err)
	}
	names, err := h.List(ctx, dir)
	slices.Sort(names)
	if err != nil || !slices.Equal(names, []string{"bangui.local", "link.conf"}) {
		t.Errorf("List = %q %v (no temporary files, no folders, no broken links)", names, err)
	}
	if _, err := h.List(ctx, filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("List of a missing folder: %v", err)
	}
	if _, err := h.List(ctx, p); core.ErrorCode(err) != core.EINVALID {
		t.Errorf("List of a file: %v", err)
	}
	if err := h.RemoveFile(ctx, p); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(p); !os.IsNotExist(err) {
		t.Errorf("still there after RemoveFile: %v", err)
	}
	if err := h.RemoveFile(ctx, p); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("removing a missing file: %v", err)
	}
	if _, err := h.ReadFile(ctx, "relative/x"); core.ErrorCode(err) != core.EINVALID {
		t.Errorf("relative path: %v", err)
	}
}

// waitFile returns once p exists (a command has started), or fails the
// test when ctx ends first.
func waitFile(t *testing.T, ctx context.Context, p string) {
	t.Helper()
	for {
		if _, err := os.Stat(p); err == nil {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s never appeared", p)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func TestHostOverSSH(t *testing.T) {
	f2bSrv := f2btest.Start(t, f2btest.Options{})
	conf, sock := f2bSrv.ConfDir, f2bSrv.Socket
	scratch := openDir(t)
	sudoUser := sshtest.UniqueName("bghs")
	noUser := sshtest.UniqueName("bghn")
	bannerUser := sshtest.UniqueName("bghb")
	rules, err := remote.HostSudoersLines(sudoUser, conf)
	if err != nil {
		t.Fatal(err)
	}
	scratchRules, err := remote.HostSudoersLines(sudoUser, scratch)
	if err != nil {
		t.Fatal(err)
	}
	srv := sshtest.Start(t, sshtest.Options{Users: []sshtest.User{
		{Name: "root"},
		{Name: sudoUser, Sudoers: strings.Join(append(rules, scratchRules[1]), "\n")},
		{Name: noUser},
		{Name: bannerUser},
	}})
	e := newEnv(t)
	if err := os.MkdirAll(filepath.Dir(e.kh), 0o700); err != nil {
		t.Fatal(err)
	}
	srv.WriteKnownHosts(t, e.kh, false)
	root := dial(t, e.target(t, srv, "root"), e.opts())
	sudo := dial(t, e.target(t, srv, sudoUser), e.opts())
	none := dial(t, e.target(t, srv, noUser), e.opts())

	t.Run("root", func(t *testing.T) {
		h := remote.Host{SSH: root}
		hostContract(t, h, t.TempDir())
		ctx := ctxT(t)
		out, errOut, err := h.Run(ctx, []string{"sh", "-c", `echo "out $1"; echo err >&2`, "sh", "a b'c;$(id)"})
		if err != nil || string(out) != "out a b'c;$(id)\n" || string(errOut) != "err\n" {
			t.Fatalf("Run = %q %q %v", out, errOut, err)
		}
		out, errOut, err = h.Run(ctx, []string{"sh", "-c", "echo partial; echo 'ERROR bad thing' >&2; exit 3"})
		var ee *core.ExitError
		if !errors.As(err, &ee) || ee.Status != 3 || string(ee.Stderr) != "ERROR bad thing\n" || string(out) != "partial\n" || string(errOut) != "ERROR bad thing\n" {
			t.Fatalf("exit 3: %#v %q %q", err, out, errOut)
		}
		remote.MustCode(t, errOnly(h.Run(ctx, []string{"/no/such/program"})), core.ENOTFOUND, "/no/such/program not found on 127.0.0.1")
	})

	t.Run("cancel and lost connection", func(t *testing.T) {
		dir := openDir(t)
		// The command says when it has started and when it got SIGTERM.
		script := `touch "$1/started"; trap 'touch "$1/stopped"; exit 1' TERM; sleep 60 & wait`
		run := func(h remote.Host, ctx context.Context, sub string) chan error {
			d := filepath.Join(dir, sub)
			if err := os.Mkdir(d, 0o777); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(d, 0o777); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() {
				_, _, err := h.Run(ctx, []string{"sh", "-c", script, "sh", d})
				done <- err
			}()
			waitFile(t, ctxT(t), filepath.Join(d, "started"))
			return done
		}
		for _, c := range []struct {
			name string
			h    remote.Host
		}{{"root", remote.Host{SSH: root}}, {"user", remote.Host{SSH: sudo}}} {
			ctx, cancel := context.WithCancel(ctxT(t))
			done := run(c.h, ctx, c.name)
			cancel()
			err := <-done
			if core.ErrorCode(err) != core.ECANCELED || !errors.Is(err, context.Canceled) {
				t.Errorf("%s: cancelled Run: %s %v", c.name, core.ErrorCode(err), err)
			}
			if c.name == "user" {
				// sshd passes the signal on for users other than root
				// (for root it refuses: "session signalling requires
				// privilege separation"), and the command stops.
				waitFile(t, ctxT(t), filepath.Join(dir, c.name, "stopped"))
			}
		}

		c := dial(t, e.target(t, srv, "root"), e.opts())
		done := run(remote.Host{SSH: c}, ctxT(t), "lost")
		c.Close()
		remote.MustCode(t, <-done, core.EUNAVAILABLE, "SSH connection to 127.0.0.1")
		_, err := remote.Host{SSH: c}.ReadFile(ctxT(t), "/etc/hostname")
		remote.MustCode(t, err, core.EUNAVAILABLE)
	})

	t.Run("sudo user", func(t *testing.T) {
		h := remote.Host{SSH: sudo, Sudo: true, ConfigDir: scratch}
		hostContract(t, h, scratch)
		ctx := ctxT(t)
		out, _, err := h.Run(ctx, []string{"fail2ban-client", "-c", conf, "-s", sock, "ping"})
		if err != nil || !strings.Contains(string(out), "pong") {
			t.Fatalf("fail2ban-client ping under sudo: %q %v", out, err)
		}
		_, _, err = h.Run(ctx, []string{"fail2ban-client", "-c", conf, "-s", sock, "get", "nosuchjail", "bantime"})
		var ee *core.ExitError
		if !errors.As(err, &ee) || ee.Status == 0 || !strings.Contains(string(ee.Stderr), "nosuchjail") {
			t.Errorf("failing fail2ban-client: %#v", err)
		}
		// Only fail2ban-client and the file script are allowed.
		remote.MustCode(t, errOnly(h.Run(ctx, []string{"id"})), core.EPERMISSION, sudoUser+" may not run id with sudo", "NOPASSWD")
		// The file rule covers its folder only, even for a path that
		// starts with it.
		_, err = h.ReadFile(ctx, scratch+"x/y")
		remote.MustCode(t, err, core.EPERMISSION, "with sudo without a password", "NOPASSWD: /usr/bin/python3 -I -c ")
		_, err = h.ReadFile(ctx, "/etc/shadow")
		remote.MustCode(t, err, core.EPERMISSION)
	})

	t.Run("user without sudo", func(t *testing.T) {
		ctx := ctxT(t)
		h := remote.Host{SSH: none, ConfigDir: conf}
		p := filepath.Join(scratch, "root-only.local")
		if err := os.WriteFile(p, []byte("secret"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := h.ReadFile(ctx, p)
		remote.MustCode(t, err, core.EPERMISSION, noUser+" may not read "+p+" on 127.0.0.1", "connect as root", "turn on sudo",
			noUser+" ALL=(root) NOPASSWD: /usr/bin/fail2ban-client *", " "+conf+"/*")
		if !errors.Is(err, fs.ErrPermission) {
			t.Errorf("not fs.ErrPermission: %v", err)
		}
		remote.MustCode(t, h.WriteFile(ctx, p, []byte("x"), 0o644), core.EPERMISSION, noUser+" may not write "+p)
		if b, _ := os.ReadFile(p); string(b) != "secret" {
			t.Errorf("file changed: %q", b)
		}
		remote.MustCode(t, h.Mkdir(ctx, filepath.Join(scratch, "d"), 0o755), core.EPERMISSION, "may not create folder")
		remote.MustCode(t, h.RemoveFile(ctx, p), core.EPERMISSION, "may not remove")

		// Sudo turned on without a rule: sudo's refusal, with the rules.
		hs := remote.Host{SSH: none, Sudo: true, ConfigDir: conf}
		_, err = hs.ReadFile(ctx, p)
		remote.MustCode(t, err, core.EPERMISSION, "sudo said", noUser+" ALL=(root) NOPASSWD: /usr/bin/python3 -I -c ")
		_, _, err = hs.Run(ctx, []string{"fail2ban-client", "ping"})
		remote.MustCode(t, err, core.EPERMISSION, noUser+" ALL=(root) NOPASSWD: /usr/bin/fail2ban-client *")

		// The Editor gives the same clear error and changes nothing.
		ed := &jailconf.Editor{Host: h, ConfigDir: conf, Socket: sock}
		_, err = ed.Apply(ctx, "app1", []jailconf.Change{{Key: "maxretry", Value: "7"}})
		remote.MustCode(t, err, core.EPERMISSION, noUser+" may not")
		if got := f2bSrv.Client(t, "get", "app1", "maxretry"); got != "2" {
			t.Errorf("maxretry = %q", got)
		}
	})

	t.Run("login script prints", func(t *testing.T) {
		// sshd runs ~/.ssh/rc before the command; what it prints lands on
		// the session's stdout, ahead of the file.
		rc := filepath.Join(srv.HomeDir(bannerUser), ".ssh", "rc")
		if err := os.MkdirAll(filepath.Dir(rc), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(rc, []byte("echo Welcome to the test host\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		c := dial(t, e.target(t, srv, bannerUser), e.opts())
		_, err := remote.Host{SSH: c}.ReadFile(ctxT(t), "/etc/hostname")
		remote.MustCode(t, err, core.EPROTOCOL, "Welcome to the test host", "~/.ssh/rc")
	})

	t.Run("jailconf and jailinfo as sudo user", func(t *testing.T) {
		editorOverSSH(t, f2bSrv, remote.Host{SSH: sudo, Sudo: true, ConfigDir: conf})
	})
	t.Run("jailconf and jailinfo as root", func(t *testing.T) {
		ctx := ctxT(t)
		h := remote.Host{SSH: root}
		ed := &jailconf.Editor{Host: h, ConfigDir: conf, Socket: sock}
		if _, err := ed.Apply(ctx, "app2", []jailconf.Change{{Key: "findtime", Value: "20m"}}); err != nil {
			t.Fatal(err)
		}
		if got := f2bSrv.Client(t, "get", "app2", "findtime"); got != "1200" {
			t.Errorf("app2 findtime = %q, want 1200", got)
		}
		infos, err := jailinfo.Read(ctx, h, conf)
		if err != nil || infos["app2"].FilterName != "test-auth" || infos["app2"].Backend != "polling" {
			t.Errorf("jailinfo.Read = %+v %v", infos, err)
		}
	})
}

// editorOverSSH runs the Editor through h against f2bSrv: a real change,
// then a change whose check fails and is rolled back.
func editorOverSSH(t *testing.T, f2bSrv *f2btest.Server, h remote.Host) {
	ctx := ctxT(t)
	conf := f2bSrv.ConfDir
	ours := filepath.Join(conf, "jail.d", "bangui.local")
	ed := &jailconf.Editor{Host: h, ConfigDir: conf, Socket: f2bSrv.Socket}
	f2bSrv.Client(t, "set", "app1", "banip", "192.0.2.80")

	res, err := ed.Apply(ctx, "app1", []jailconf.Change{{Key: "maxretry", Value: "5"}, {Key: "bantime", Value: "1h"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Apply over SSH: %+v", res)
	if !strings.Contains(res.Check, "OK: configuration test is successful") || res.Reload != "OK" || res.Path != ours {
		t.Errorf("Result = %+v", res)
	}
	for key, want := range map[string]string{"maxretry": "5", "bantime": "3600"} {
		if got := f2bSrv.Client(t, "get", "app1", key); got != want {
			t.Errorf("app1 %s = %q, want %q", key, got, want)
		}
	}
	if got := f2bSrv.Client(t, "get", "app1", "banned", "192.0.2.80"); got != "1" {
		t.Errorf("ban lost by the reload: %q", got)
	}
	data, err := os.ReadFile(ours)
	if err != nil || !strings.Contains(string(data), "[app1]\nmaxretry = 5\nbantime = 3600\n") {
		t.Fatalf("%s: %q %v", ours, data, err)
	}
	if m := permOf(t, ours); m != 0o644 {
		t.Errorf("mode %v, want 0644", m)
	}
	if got, err := ed.Read(ctx, "app1"); err != nil || got["maxretry"] != "5" {
		t.Errorf("Read = %v %v", got, err)
	}

	// jailinfo through the same host sees our file in jail.d.
	infos, err := jailinfo.Read(ctx, h, conf)
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range f2bSrv.Jails {
		if inf := infos[j]; inf.FilterName != "test-auth" || inf.Backend != "polling" || inf.Err != nil {
			t.Errorf("jailinfo %s = %+v", j, inf)
		}
	}

	// The check fails (app2's log file is gone): ours is put back byte for
	// byte, nothing is reloaded, fail2ban keeps running.
	if err := os.Remove(f2bSrv.LogFile("app2")); err != nil {
		t.Fatal(err)
	}
	_, err = ed.Apply(ctx, "app1", []jailconf.Change{{Key: "maxretry", Value: "9"}})
	remote.MustCode(t, err, core.ESERVER, "configuration check failed", "Have not found any log file for app2 jail", "put "+ours+" back")
	if err := os.WriteFile(f2bSrv.LogFile("app2"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(ours); !bytes.Equal(b, data) {
		t.Errorf("not restored:\n%s\nwant\n%s", b, data)
	}
	if got := f2bSrv.Client(t, "get", "app1", "maxretry"); got != "5" {
		t.Errorf("maxretry = %q after the rollback, want 5", got)
	}
	if got := f2bSrv.Client(t, "ping"); !strings.Contains(got, "pong") {
		t.Errorf("ping = %q", got)
	}

	// Someone else's broken file and none of ours: ours is removed again.
	if err := os.Remove(ours); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(conf, "jail.d", "zz-other.local")
	if err := os.WriteFile(other, []byte("[app1\nbantime = 5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = ed.Apply(ctx, "app1", []jailconf.Change{{Key: "maxretry", Value: "4"}})
	remote.MustCode(t, err, core.ESERVER, "File contains no section headers", "removed "+ours+" again")
	if _, err := os.Lstat(ours); !os.IsNotExist(err) {
		t.Errorf("ours still there: %v", err)
	}
	if err := os.Remove(other); err != nil {
		t.Fatal(err)
	}
	// ReloadServer puts the runtime back to what the files say.
	if _, err := ed.ReloadServer(ctx); err != nil {
		t.Fatal(err)
	}
	if got := f2bSrv.Client(t, "get", "app1", "maxretry"); got != "2" {
		t.Errorf("maxretry = %q after ReloadServer without our file, want 2", got)
	}
}

func errOnly(_, _ []byte, err error) error { return err }
