package remote_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/f2b"
	"github.com/bangui/bangui/core/f2b/f2btest"
	"github.com/bangui/bangui/remote"
	"github.com/bangui/bangui/remote/sshtest"
)

// These tests run a private fail2ban-server (f2btest) and a private sshd on
// 127.0.0.1 (sshtest). Known hosts, keys and config live in temp dirs; the
// machine's ~/.ssh is never read (AgentSocket "none", HomeDir set).

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// env is one client side: its own home with known_hosts.
type env struct {
	home string
	kh   string
}

func newEnv(t *testing.T) env {
	home := t.TempDir()
	return env{home: home, kh: filepath.Join(home, ".ssh", "known_hosts")}
}

func (e env) target(t *testing.T, srv *sshtest.Server, user string) remote.Target {
	t.Helper()
	tg, err := remote.Resolve(srv.Host, remote.ResolveOptions{
		ConfigPath: filepath.Join(e.home, "no-config"), HomeDir: e.home, LocalUser: "tester",
		User: user, Port: srv.Port,
	})
	if err != nil {
		t.Fatal(err)
	}
	tg.GlobalKnownHostsFiles = nil
	tg.IdentityFiles = []string{srv.ClientKeyPath(user)}
	return tg
}

func (e env) opts() remote.DialOptions {
	return remote.DialOptions{AgentSocket: "none", HomeDir: e.home, KeepAlive: -1}
}

func dial(t *testing.T, tg remote.Target, o remote.DialOptions) *remote.Client {
	t.Helper()
	c, err := remote.Dial(ctxT(t), tg, o)
	if err != nil {
		t.Fatalf("dial %s: %v", tg, err)
	}
	t.Cleanup(func() { c.Close() })
	t.Logf("dial %s: %v", tg, c.DialTime())
	return c
}

// pingStatus checks the f2b client over d: ping, then the jail's status.
func pingStatus(t *testing.T, d core.Dialer, jail string) {
	t.Helper()
	ctx := ctxT(t)
	fc := f2b.New(d, f2b.Config{})
	defer fc.Close()
	start := time.Now()
	if err := fc.Ping(ctx); err != nil {
		t.Fatalf("ping: %v", err)
	}
	first := time.Since(start)
	start = time.Now()
	for range 20 {
		if err := fc.Ping(ctx); err != nil {
			t.Fatalf("ping: %v", err)
		}
	}
	st, err := fc.JailStatus(ctx, jail)
	if err != nil {
		t.Fatalf("status: %v", err)
	}
	t.Logf("first ping (channel/session + relay start) %v, then %v per ping; jail %+v", first, time.Since(start)/20, st.Name)
}

func TestSSHTransports(t *testing.T) {
	f2bSrv := f2btest.Start(t, f2btest.Options{})
	sock := f2bSrv.Socket
	if err := remote.ValidateSocket(sock); err != nil {
		t.Fatalf("f2btest socket path: %v", err)
	}
	jail := f2bSrv.Jails[0]
	socatUser := sshtest.UniqueName("bgs")
	pyUser := sshtest.UniqueName("bgp")
	noUser := sshtest.UniqueName("bgn")
	bannerUser := sshtest.UniqueName("bgb")
	srv := sshtest.Start(t, sshtest.Options{
		HostKeys: []string{"ed25519", "ecdsa"},
		Users: []sshtest.User{
			{Name: "root"},
			{Name: socatUser, Sudoers: remote.SudoersLine(socatUser, sock, remote.MethodSocat)},
			{Name: pyUser, Sudoers: remote.SudoersLine(pyUser, sock, remote.MethodPython3)},
			{Name: noUser},
			{Name: bannerUser, Sudoers: remote.SudoersLine(bannerUser, sock, remote.MethodSocat)},
		},
	})
	e := newEnv(t)
	if err := os.MkdirAll(filepath.Dir(e.kh), 0o700); err != nil {
		t.Fatal(err)
	}
	srv.WriteKnownHosts(t, e.kh, true)

	t.Run("root streamlocal", func(t *testing.T) {
		c := dial(t, e.target(t, srv, "root"), e.opts())
		pingStatus(t, remote.StreamLocal{SSH: c, Socket: sock}, jail)
		a := &remote.Auto{SSH: c, Socket: sock}
		pingStatus(t, a, jail)
		if a.Chosen() != remote.MethodStreamLocal {
			t.Errorf("Auto chose %q for root", a.Chosen())
		}
	})
	t.Run("socat relay", func(t *testing.T) {
		c := dial(t, e.target(t, srv, socatUser), e.opts())
		pingStatus(t, remote.SudoRelay{SSH: c, Socket: sock, Relay: remote.MethodSocat}, jail)
		a := &remote.Auto{SSH: c, Socket: sock}
		pingStatus(t, a, jail)
		if a.Chosen() != remote.MethodSocat {
			t.Errorf("Auto chose %q with socat installed", a.Chosen())
		}
		// Not allowed to use the other relay: the error names its rule.
		fc := f2b.New(remote.SudoRelay{SSH: c, Socket: sock, Relay: remote.MethodPython3}, f2b.Config{})
		defer fc.Close()
		remote.MustCode(t, fc.Ping(ctxT(t)), core.EPERMISSION, "NOPASSWD: /usr/bin/python3 -I -c import")
	})
	t.Run("python3 relay", func(t *testing.T) {
		c := dial(t, e.target(t, srv, pyUser), e.opts())
		pingStatus(t, remote.SudoRelay{SSH: c, Socket: sock, Relay: remote.MethodPython3}, jail)
		pingStatus(t, &remote.Auto{SSH: c, Socket: sock, Method: remote.MethodPython3}, jail)
	})
	t.Run("no sudo", func(t *testing.T) {
		c := dial(t, e.target(t, srv, noUser), e.opts())
		fc := f2b.New(remote.SudoRelay{SSH: c, Socket: sock, Relay: remote.MethodSocat}, f2b.Config{})
		defer fc.Close()
		want := noUser + ` ALL=(root) NOPASSWD: /usr/bin/socat STDIO UNIX-CONNECT\:` + sock
		remote.MustCode(t, fc.Ping(ctxT(t)), core.EPERMISSION, want)
		fs := f2b.New(remote.StreamLocal{SSH: c, Socket: sock}, f2b.Config{})
		defer fs.Close()
		remote.MustCode(t, fs.Ping(ctxT(t)), core.EPERMISSION, "cannot open the fail2ban socket", "sudo relay")
	})
	t.Run("login banner", func(t *testing.T) {
		// sshd runs ~/.ssh/rc before the command; what it prints lands
		// on the session's stdout, ahead of fail2ban's reply.
		rc := filepath.Join(srv.HomeDir(bannerUser), ".ssh", "rc")
		if err := os.MkdirAll(filepath.Dir(rc), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(rc, []byte("echo Welcome to the test host\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		c := dial(t, e.target(t, srv, bannerUser), e.opts())
		fc := f2b.New(remote.SudoRelay{SSH: c, Socket: sock, Relay: remote.MethodSocat}, f2b.Config{})
		defer fc.Close()
		remote.MustCode(t, fc.Ping(ctxT(t)), core.EPROTOCOL, "Welcome to the test host")
	})
	t.Run("missing socket", func(t *testing.T) {
		c := dial(t, e.target(t, srv, socatUser), e.opts())
		fc := f2b.New(remote.SudoRelay{SSH: c, Socket: sock + ".nope", Relay: remote.MethodSocat}, f2b.Config{})
		defer fc.Close()
		// The sudoers rule pins the path, so sudo refuses first.
		remote.MustCode(t, fc.Ping(ctxT(t)), core.EPERMISSION, "NOPASSWD")
		cr := dial(t, e.target(t, srv, "root"), e.opts())
		fr := f2b.New(remote.SudoRelay{SSH: cr, Socket: sock + ".nope", Relay: remote.MethodPython3}, f2b.Config{})
		defer fr.Close()
		remote.MustCode(t, fr.Ping(ctxT(t)), core.EUNAVAILABLE, "no fail2ban socket")
	})
}

func TestSSHHostKeys(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{HostKeys: []string{"ed25519", "ecdsa"}, Users: []sshtest.User{{Name: "root"}}})
	e := newEnv(t)
	tg := e.target(t, srv, "root")
	var asked atomic.Int32
	var gotHost, gotFP atomic.Value
	ask := func(answer bool) remote.AskHostKeyFunc {
		return func(ctx context.Context, host string, key ssh.PublicKey, fp string) (bool, error) {
			asked.Add(1)
			gotHost.Store(host)
			gotFP.Store(fp)
			if fp != ssh.FingerprintSHA256(key) {
				t.Errorf("fingerprint %s for key %s", fp, ssh.FingerprintSHA256(key))
			}
			return answer, nil
		}
	}
	serverFPs := map[string]bool{}
	for _, k := range srv.HostPublicKeys() {
		serverFPs[ssh.FingerprintSHA256(k)] = true
	}

	// Unknown, refused.
	o := e.opts()
	o.AskHostKey = ask(false)
	_, err := remote.Dial(ctxT(t), tg, o)
	remote.MustCode(t, err, core.EPERMISSION, "not trusted")
	if asked.Load() != 1 || gotHost.Load() != "["+srv.Host+"]:"+strconv.Itoa(srv.Port) || !serverFPs[gotFP.Load().(string)] {
		t.Fatalf("asked %d times about %v %v", asked.Load(), gotHost.Load(), gotFP.Load())
	}
	if _, err := os.Stat(e.kh); err == nil {
		t.Fatal("known_hosts written for a refused key")
	}

	// Unknown, accepted: saved, the next dial asks nothing.
	asked.Store(0)
	o.AskHostKey = ask(true)
	dial(t, tg, o)
	if asked.Load() != 1 {
		t.Fatalf("asked %d times", asked.Load())
	}
	if want := ssh.FingerprintSHA256(srv.HostPublicKeys()[0]); gotFP.Load() != want {
		t.Errorf("asked about %v, want the ed25519 key %s (OpenSSH's preference)", gotFP.Load(), want)
	}
	b, err := os.ReadFile(e.kh)
	if err != nil || !strings.HasPrefix(string(b), "["+srv.Host+"]:") {
		t.Fatalf("known_hosts %q %v", b, err)
	}
	asked.Store(0)
	dial(t, tg, o)
	if asked.Load() != 0 {
		t.Fatal("asked again about a saved key")
	}

	// Cancelling while the question is open ends the dial.
	e2 := newEnv(t)
	o2 := e2.opts()
	o2.AskHostKey = func(ctx context.Context, host string, key ssh.PublicKey, fp string) (bool, error) {
		<-ctx.Done()
		return false, ctx.Err()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = remote.Dial(ctx, e2.target(t, srv, "root"), o2)
	if err == nil || time.Since(start) > 5*time.Second {
		t.Fatalf("cancelled dial: %v after %v", err, time.Since(start))
	}

	// Only the ed25519 line known while the server also has ecdsa: the
	// dial asks for ed25519 and works (golang/go#49631).
	e3 := newEnv(t)
	os.MkdirAll(filepath.Dir(e3.kh), 0o700)
	ed := srv.HostPublicKeys()[0]
	if ed.Type() != ssh.KeyAlgoED25519 {
		t.Fatalf("first host key is %s", ed.Type())
	}
	os.WriteFile(e3.kh, []byte(knownhosts.Line([]string{knownhosts.Normalize(srv.Addr)}, ed)+"\n"), 0o600)
	o3 := e3.opts()
	o3.AskHostKey = ask(true)
	asked.Store(0)
	dial(t, e3.target(t, srv, "root"), o3)
	if asked.Load() != 0 {
		t.Fatal("asked about a known host")
	}

	// Rotated keys: refused loudly, never asked.
	old := ssh.FingerprintSHA256(ed)
	srv.RotateHostKeys(t)
	asked.Store(0)
	_, err = remote.Dial(ctxT(t), tg, o)
	remote.MustCode(t, err, core.EPERMISSION, "changed", old, ssh.FingerprintSHA256(srv.HostPublicKeys()[0]), "intercept", e.kh)
	if asked.Load() != 0 {
		t.Fatal("AskHostKey called for a changed key")
	}
	_, err = remote.Dial(ctxT(t), e3.target(t, srv, "root"), o3)
	remote.MustCode(t, err, core.EPERMISSION, "changed", "line 1 from "+e3.kh)
}

func TestSSHPassphraseAndReconnect(t *testing.T) {
	user := sshtest.UniqueName("bgk")
	srv := sshtest.Start(t, sshtest.Options{Users: []sshtest.User{{Name: user, Passphrase: "s3cret"}}})
	e := newEnv(t)
	os.MkdirAll(filepath.Dir(e.kh), 0o700)
	srv.WriteKnownHosts(t, e.kh, false)
	tg := e.target(t, srv, user)

	var asks atomic.Int32
	answers := func(list ...string) remote.AskPassphraseFunc {
		return func(ctx context.Context, path string) (string, error) {
			n := int(asks.Add(1)) - 1
			if path != srv.ClientKeyPath(user) {
				t.Errorf("asked for %s", path)
			}
			if n < len(list) {
				return list[n], nil
			}
			return "wrong", nil
		}
	}
	o := e.opts()
	o.AskPassphrase = answers("nope", "nope", "nope", "s3cret")
	_, err := remote.Dial(ctxT(t), tg, o)
	remote.MustCode(t, err, core.EPERMISSION, "wrong passphrase", srv.ClientKeyPath(user))
	if asks.Load() != 3 {
		t.Fatalf("asked %d times, want 3", asks.Load())
	}

	asks.Store(0)
	o.AskPassphrase = answers("nope", "s3cret")
	o.Passphrases = &remote.Passphrases{}
	o.KeepAlive = 200 * time.Millisecond
	r := remote.NewReconnector(tg, o)
	defer r.Close()
	c1, err := r.SSHClient(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if asks.Load() != 2 {
		t.Fatalf("asked %d times, want 2", asks.Load())
	}
	if _, _, err := c1.Output(ctxT(t), "true"); err != nil {
		t.Fatal(err)
	}
	// The server goes away: the client notices, the next call redials
	// and the passphrase is not asked again.
	srv.Restart(t)
	select {
	case <-c1.Done():
		t.Logf("dead after restart: %v", c1.Err())
	case <-time.After(10 * time.Second):
		t.Fatal("the client did not notice the restart")
	}
	var c2 *remote.Client
	deadline := time.Now().Add(10 * time.Second)
	for {
		c2, err = r.SSHClient(ctxT(t))
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	if c2 == c1 || !c2.Alive() {
		t.Fatal("no new client")
	}
	if asks.Load() != 2 {
		t.Fatalf("passphrase asked again on reconnect (%d)", asks.Load())
	}
}

func TestSSHAgentAndProxyJump(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{Users: []sshtest.User{{Name: "root"}}})
	e := newEnv(t)
	os.MkdirAll(filepath.Dir(e.kh), 0o700)
	srv.WriteKnownHosts(t, e.kh, false)

	// An ssh-agent holding the key, on a socket in the temp dir.
	b, err := os.ReadFile(srv.ClientKeyPath("root"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := ssh.ParseRawPrivateKey(b)
	if err != nil {
		t.Fatal(err)
	}
	kr := agent.NewKeyring()
	if err := kr.Add(agent.AddedKey{PrivateKey: raw}); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(e.home, "agent.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { agent.ServeAgent(kr, c); c.Close() }()
		}
	}()
	tg := e.target(t, srv, "root")
	tg.IdentityFiles = nil // the agent alone
	o := e.opts()
	o.AgentSocket = sock
	c := dial(t, tg, o)
	out, _, err := c.Output(ctxT(t), "echo hi")
	if err != nil || strings.TrimSpace(string(out)) != "hi" {
		t.Fatalf("output %q %v", out, err)
	}

	// Through a jump host (the same sshd), two hops deep.
	jt := tg
	jt.ProxyJump = []remote.Target{tg, tg}
	start := time.Now()
	cj := dial(t, jt, o)
	out, _, err = cj.Output(ctxT(t), "echo via jump")
	if err != nil || strings.TrimSpace(string(out)) != "via jump" {
		t.Fatalf("output %q %v", out, err)
	}
	t.Logf("3-hop dial + command: %v", time.Since(start))
	cj.Close()
	select {
	case <-cj.Done():
	case <-time.After(time.Second):
		t.Fatal("Close did not mark the client dead")
	}
	if _, err := cj.SSHClient(ctxT(t)); err == nil {
		t.Fatal("a closed client was handed out")
	}
}
