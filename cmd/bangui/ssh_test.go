package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/f2b"
	"github.com/bangui/bangui/core/f2b/f2btest"
	"github.com/bangui/bangui/core/store"
	"github.com/bangui/bangui/core/store/storetest"
	"github.com/bangui/bangui/remote/sshtest"
	"github.com/bangui/bangui/ui"
)

// sshHome is a temporary home whose ~/.ssh/id_ed25519 is root's key on
// srv (no known_hosts yet).
func sshHome(t *testing.T, srv *sshtest.Server) string {
	t.Helper()
	home := t.TempDir()
	key, err := os.ReadFile(srv.ClientKeyPath("root"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(home, ".ssh"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".ssh", "id_ed25519"), key, 0o600); err != nil {
		t.Fatal(err)
	}
	return home
}

// sshEnv is a real fail2ban behind a real private sshd (root login), a
// home whose key and known_hosts reach it, a fresh cache and a context.
type sshEnv struct {
	f2b  *f2btest.Server
	sshd *sshtest.Server
	home string
	db   *store.DB
	ctx  context.Context
}

func newSSHEnv(t *testing.T) sshEnv {
	t.Helper()
	e := sshEnv{f2b: f2btest.Start(t, f2btest.Options{}), sshd: sshtest.Start(t, sshtest.Options{Users: []sshtest.User{{Name: "root"}}})}
	t.Setenv("SSH_AUTH_SOCK", "")
	e.home = sshHome(t, e.sshd)
	e.sshd.WriteKnownHosts(t, filepath.Join(e.home, ".ssh", "known_hosts"), false)
	e.db = storetest.Open(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	e.ctx = ctx
	return e
}

// server saves an SSH server named name that reaches e's fail2ban as root.
func (e sshEnv) server(t *testing.T, name string) core.Server {
	t.Helper()
	s, err := e.db.AddServer(e.ctx, core.Server{Name: name, Kind: core.ServerSSH, Host: e.sshd.Host, Port: e.sshd.Port, User: "root",
		Socket: e.f2b.Socket, ConfigDir: e.f2b.ConfDir})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// clients are the app's clients of e's cache, with e's home.
func (e sshEnv) clients(t *testing.T) *clients {
	c := newClients(e.db, "")
	c.ssh.home = e.home
	t.Cleanup(c.Close)
	return c
}

// An SSH server in the cache works like the local one through the app's
// clients: a real fail2ban behind a real private sshd, root's key in a
// temporary home, the unknown host key confirmed once through the prompt
// (then found in known_hosts), and refused when the user says no.
func TestSSHServerThroughTheAppsClients(t *testing.T) {
	f2bSrv := f2btest.Start(t, f2btest.Options{})
	srv := sshtest.Start(t, sshtest.Options{Users: []sshtest.User{{Name: "root"}}})
	t.Setenv("SSH_AUTH_SOCK", "")
	home := sshHome(t, srv)
	var err error
	server := core.Server{ID: 9, Name: "web1", Kind: core.ServerSSH, Host: srv.Host, Port: srv.Port, User: "root", Socket: f2bSrv.Socket}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// The user refuses the unknown key: nothing connects, nothing is saved.
	asked := 0
	links := &sshLinks{home: home, askHost: func(context.Context, string, string) (bool, error) { asked++; return false, nil }}
	c := f2b.New(links.dialer(server), f2b.Config{})
	err = c.Ping(ctx)
	c.Close()
	links.Close()
	if err == nil || asked != 1 {
		t.Fatalf("refused host key: asked %d, err %v", asked, err)
	}
	if _, err := os.Stat(filepath.Join(home, ".ssh", "known_hosts")); err == nil {
		t.Error("a refused host key was saved")
	}

	// The user trusts it: fail2ban answers over SSH.
	var fingerprint string
	links = &sshLinks{home: home, askHost: func(_ context.Context, _ string, fp string) (bool, error) { fingerprint = fp; return true, nil }}
	c = f2b.New(links.dialer(server), f2b.Config{})
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("ping over SSH: %v", err)
	}
	st, err := c.JailStatus(ctx, f2bSrv.Jails[0])
	if err != nil || st.Name != f2bSrv.Jails[0] {
		t.Fatalf("status over SSH: %+v %v", st, err)
	}
	c.Close()
	links.Close()
	if !strings.HasPrefix(fingerprint, "SHA256:") {
		t.Errorf("fingerprint shown %q", fingerprint)
	}

	// Next start: known_hosts has it, nobody is asked.
	links = &sshLinks{home: home, askHost: func(context.Context, string, string) (bool, error) {
		t.Error("asked about a known host")
		return false, nil
	}}
	defer links.Close()
	c = f2b.New(links.dialer(server), f2b.Config{})
	defer c.Close()
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("ping with a known host: %v", err)
	}
}

// The connection test of the servers view, step by step, against the
// real sshd and fail2ban; and a host that does not listen.
func TestServerConnectionTest(t *testing.T) {
	f2bSrv := f2btest.Start(t, f2btest.Options{})
	srv := sshtest.Start(t, sshtest.Options{Users: []sshtest.User{{Name: "root"}}})
	t.Setenv("SSH_AUTH_SOCK", "")
	home := sshHome(t, srv)
	srv.WriteKnownHosts(t, filepath.Join(home, ".ssh", "known_hosts"), true)
	db := storetest.Open(t)
	admin := &serverAdmin{db: db, links: &sshLinks{home: home}}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	var steps []string
	s := core.Server{Name: "web1", Kind: core.ServerSSH, Host: srv.Host, Port: srv.Port, User: "root", Socket: f2bSrv.Socket}
	err := admin.TestServer(ctx, s, func(st ui.TestStep) {
		if st.State != ui.StepRunning {
			steps = append(steps, st.Name+"="+st.State)
		}
	})
	if err != nil {
		t.Fatalf("test: %v (%v)", err, steps)
	}
	want := "ssh settings=ok TCP=ok host key and login=ok path to fail2ban=ok fail2ban answers=ok version=ok database=ok"
	if got := strings.Join(steps, " "); got != want {
		t.Errorf("steps %q, want %q", got, want)
	}

	// Nothing listens on the port: the TCP step fails with what to check.
	srv.Stop()
	steps = nil
	err = admin.TestServer(ctx, s, func(st ui.TestStep) {
		if st.State == ui.StepFailed {
			steps = append(steps, st.Name+": "+st.Detail)
		}
	})
	if err == nil || len(steps) != 1 || !strings.HasPrefix(steps[0], "TCP: ") || !strings.Contains(steps[0], "firewall") {
		t.Errorf("stopped sshd: %v %q", err, steps)
	}

	// Saving validates: a host with a shell line in it is refused.
	if _, err := admin.AddServer(ctx, core.Server{Name: "bad", Kind: core.ServerSSH, Host: "h; rm -rf /"}); core.ErrorCode(err) != core.EINVALID {
		t.Errorf("bad host saved: %v", err)
	}
	added, err := admin.AddServer(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if err := admin.DeleteServer(ctx, added.ID); err != nil {
		t.Fatal(err)
	}
}

// A server named by a Host alias of ~/.ssh/config: HostName, Port and User
// come from the config; an option BanGUI does not know is reported in the
// connection test, not fatal.
func TestServerFromSSHConfigAlias(t *testing.T) {
	f2bSrv := f2btest.Start(t, f2btest.Options{})
	srv := sshtest.Start(t, sshtest.Options{Users: []sshtest.User{{Name: "root"}}})
	t.Setenv("SSH_AUTH_SOCK", "")
	home := sshHome(t, srv)
	srv.WriteKnownHosts(t, filepath.Join(home, ".ssh", "known_hosts"), false)
	config := "Host testbox\n  HostName 127.0.0.1\n  Port " + strconv.Itoa(srv.Port) + "\n  User root\n  FrobnicateKeys yes\n"
	if err := os.WriteFile(filepath.Join(home, ".ssh", "config"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	admin := &serverAdmin{db: storetest.Open(t), links: &sshLinks{home: home}}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var settings string
	var failed []string
	err := admin.TestServer(ctx, core.Server{Name: "box", Kind: core.ServerSSH, Host: "testbox", Socket: f2bSrv.Socket}, func(st ui.TestStep) {
		if st.Name == "ssh settings" && st.State == ui.StepOK {
			settings = st.Detail
		}
		if st.State == ui.StepFailed {
			failed = append(failed, st.Name+": "+st.Detail)
		}
	})
	if err != nil || len(failed) > 0 {
		t.Fatalf("test through the alias: %v %v", err, failed)
	}
	if !strings.Contains(settings, "root@127.0.0.1:"+strconv.Itoa(srv.Port)) || !strings.Contains(settings, "FrobnicateKeys") {
		t.Errorf("ssh settings step says %q", settings)
	}
}

// TestSSHConnectionKilledMidCommand kills the SSH connection while a
// command waits for fail2ban (frozen with SIGSTOP): the call returns a
// clear "connection lost" error instead of hanging until its deadline, and
// the next call reconnects by itself.
func TestSSHConnectionKilledMidCommand(t *testing.T) {
	f2bSrv := f2btest.Start(t, f2btest.Options{})
	srv := sshtest.Start(t, sshtest.Options{Users: []sshtest.User{{Name: "root"}}})
	t.Setenv("SSH_AUTH_SOCK", "")
	home := sshHome(t, srv)
	srv.WriteKnownHosts(t, filepath.Join(home, ".ssh", "known_hosts"), false)
	server := core.Server{ID: 3, Name: "web3", Kind: core.ServerSSH, Host: srv.Host, Port: srv.Port, User: "root", Socket: f2bSrv.Socket}
	links := &sshLinks{home: home}
	defer links.Close()
	c := f2b.New(links.dialer(server), f2b.Config{Timeout: 2 * time.Minute})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("ping: %v", err)
	}

	pidText, err := os.ReadFile(f2bSrv.PidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(pidText)))
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	resumed := false
	resume := func() {
		if !resumed {
			resumed = true
			_ = syscall.Kill(pid, syscall.SIGCONT)
		}
	}
	defer resume()

	done := make(chan error, 1)
	go func() { _, err := c.JailStatus(ctx, f2bSrv.Jails[0]); done <- err }()
	select {
	case err := <-done:
		t.Fatalf("the command returned while fail2ban is frozen: %v", err)
	case <-time.After(500 * time.Millisecond): // in flight
	}
	srv.Restart(t) // kills sshd and every session below it
	select {
	case err = <-done:
	case <-ctx.Done():
		t.Fatal("the command hung after the connection died")
	}
	if err == nil || core.ErrorCode(err) == core.ECANCELED {
		t.Fatalf("killed mid-command: err %v (code %s), want a lost-connection error", err, core.ErrorCode(err))
	}
	t.Logf("mid-command: %s (%s)", core.ErrorMessage(err), core.ErrorCode(err))

	resume()
	// The next call dials again (the Reconnector's back-off may refuse the
	// first tries for a moment).
	var last error
	for range 40 {
		if last = c.Ping(ctx); last == nil {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	if last != nil {
		t.Fatalf("no reconnect after the restart: %v", last)
	}
	if st, err := c.JailStatus(ctx, f2bSrv.Jails[0]); err != nil || st.Name != f2bSrv.Jails[0] {
		t.Fatalf("status after reconnect: %+v %v", st, err)
	}
}
