package sshtest_test

import (
	"bytes"
	"errors"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/bangui/bangui/remote/sshtest"
)

// dial connects to srv as name with its key, checking the host key against
// the known_hosts file at khPath.
func dial(t *testing.T, srv *sshtest.Server, name, khPath string) (*ssh.Client, error) {
	t.Helper()
	cb, err := knownhosts.New(khPath)
	if err != nil {
		t.Fatal(err)
	}
	return ssh.Dial("tcp", srv.Addr, &ssh.ClientConfig{
		User:            name,
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(srv.ClientSigner(t, name))},
		HostKeyCallback: cb,
		Timeout:         10 * time.Second,
	})
}

// mustDial is dial that fails the test on error.
func mustDial(t *testing.T, srv *sshtest.Server, name, khPath string) *ssh.Client {
	t.Helper()
	c, err := dial(t, srv, name, khPath)
	if err != nil {
		t.Fatalf("dial %s as %s: %v", srv.Addr, name, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// runCmd runs cmd in a new session and returns stdout, stderr and the error.
func runCmd(t *testing.T, c *ssh.Client, cmd string) (string, string, error) {
	t.Helper()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatalf("new session: %v", err)
	}
	defer sess.Close()
	var stdout, stderr bytes.Buffer
	sess.Stdout, sess.Stderr = &stdout, &stderr
	err = sess.Run(cmd)
	return stdout.String(), stderr.String(), err
}

// checkGone registers a cleanup, before Start registers its own, that runs
// after the harness's cleanup and checks that the account and its sudoers
// file are gone.
func checkGone(t *testing.T, names ...string) {
	t.Cleanup(func() {
		for _, name := range names {
			if _, err := user.Lookup(name); err == nil {
				t.Errorf("account %s still exists after the cleanup", name)
			} else if !errors.As(err, new(user.UnknownUserError)) {
				t.Errorf("looking up %s: %v", name, err)
			}
			if _, err := os.Lstat("/etc/sudoers.d/bangui-test-" + name); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("sudoers file of %s: want it gone, got %v", name, err)
			}
		}
	})
}

func TestServer(t *testing.T) {
	name := sshtest.UniqueName("bgt")
	pp := sshtest.UniqueName("bgp")
	checkGone(t, name, pp)
	var dirs []string
	t.Cleanup(func() {
		for _, d := range dirs {
			if _, err := os.Stat(d); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("harness dir %s: want it gone, got %v", d, err)
			}
		}
	})

	start := time.Now()
	srv := sshtest.Start(t, sshtest.Options{
		Users: []sshtest.User{
			{Name: "root"},
			{Name: name, Sudoers: name + " ALL=(root) NOPASSWD: /usr/bin/true"},
			{Name: pp, Passphrase: "correct horse"},
		},
		HostKeys: []string{"ed25519", "ecdsa"},
	})
	t.Logf("Start took %v", time.Since(start))
	dirs = append(dirs, srv.Dir)
	if srv.Host != "127.0.0.1" || srv.Addr != net.JoinHostPort("127.0.0.1", strconv.Itoa(srv.Port)) || srv.Port < 1024 {
		t.Fatalf("Host %q Port %d Addr %q", srv.Host, srv.Port, srv.Addr)
	}
	if n := len(srv.HostPublicKeys()); n != 2 {
		t.Fatalf("HostPublicKeys: got %d keys, want 2", n)
	}

	plain := filepath.Join(t.TempDir(), "known_hosts")
	hashed := filepath.Join(t.TempDir(), "known_hosts_hashed")
	srv.WriteKnownHosts(t, plain, false)
	srv.WriteKnownHosts(t, hashed, true)
	data, err := os.ReadFile(hashed)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), "|1|") || strings.Contains(string(data), "127.0.0.1") {
		t.Errorf("hashed known_hosts looks unhashed:\n%s", data)
	}

	t.Run("id", func(t *testing.T) {
		for _, kh := range []string{plain, hashed} {
			for _, u := range []string{"root", name, pp} {
				t0 := time.Now()
				c := mustDial(t, srv, u, kh)
				t1 := time.Now()
				out, errOut, err := runCmd(t, c, "id -un")
				t.Logf("%s %s: dial %v, id -un %v", u, filepath.Base(kh), t1.Sub(t0).Round(time.Millisecond), time.Since(t1).Round(time.Millisecond))
				if err != nil || strings.TrimSpace(out) != u {
					t.Errorf("%s (%s): id -un = %q, stderr %q, err %v", u, filepath.Base(kh), out, errOut, err)
				}
			}
		}
	})

	t.Run("home", func(t *testing.T) {
		c := mustDial(t, srv, name, plain)
		out, errOut, err := runCmd(t, c, "pwd; echo $HOME; echo $SHELL")
		want := srv.HomeDir(name) + "\n" + srv.HomeDir(name) + "\n/bin/sh\n"
		if err != nil || out != want {
			t.Errorf("got %q (stderr %q, err %v), want %q", out, errOut, err, want)
		}
		if got := srv.HomeDir(name); got != filepath.Join(srv.Dir, "home", name) {
			t.Errorf("HomeDir(%s) = %q", name, got)
		}
		if got := srv.HomeDir("root"); got != "/root" {
			t.Errorf("HomeDir(root) = %q", got)
		}
	})

	t.Run("sudo", func(t *testing.T) {
		c := mustDial(t, srv, name, plain)
		if out, errOut, err := runCmd(t, c, "sudo -n /usr/bin/true"); err != nil {
			t.Errorf("sudo -n /usr/bin/true: %v, stdout %q, stderr %q", err, out, errOut)
		}
		_, errOut, err := runCmd(t, c, "sudo -n /usr/bin/id")
		var exit *ssh.ExitError
		if !errors.As(err, &exit) || exit.ExitStatus() == 0 {
			t.Errorf("sudo -n /usr/bin/id: want a non-zero exit status, got %v", err)
		}
		if !strings.Contains(errOut, "a password is required") {
			t.Errorf("sudo -n /usr/bin/id: stderr %q, want \"a password is required\"", errOut)
		}
		// The passphrase user has no sudoers rule at all.
		c2 := mustDial(t, srv, pp, plain)
		if _, errOut, err := runCmd(t, c2, "sudo -n /usr/bin/true"); err == nil {
			t.Errorf("sudo as %s without a rule succeeded (stderr %q)", pp, errOut)
		}
	})

	t.Run("passphrase", func(t *testing.T) {
		data, err := os.ReadFile(srv.ClientKeyPath(pp))
		if err != nil {
			t.Fatal(err)
		}
		_, err = ssh.ParsePrivateKey(data)
		var missing *ssh.PassphraseMissingError
		if !errors.As(err, &missing) {
			t.Errorf("ParsePrivateKey of the encrypted key: got %v, want PassphraseMissingError", err)
		}
		if _, err := ssh.ParsePrivateKeyWithPassphrase(data, []byte("wrong")); err == nil {
			t.Error("wrong passphrase accepted")
		}
		if s := srv.ClientSigner(t, pp); s.PublicKey().Type() != ssh.KeyAlgoED25519 {
			t.Errorf("key type %s", s.PublicKey().Type())
		}
		// The unencrypted keys parse without a passphrase.
		data, err = os.ReadFile(srv.ClientKeyPath(name))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ssh.ParsePrivateKey(data); err != nil {
			t.Errorf("ParsePrivateKey(%s): %v", name, err)
		}
		fi, err := os.Stat(srv.ClientKeyPath(name))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("key file mode: %v %v", fi.Mode(), err)
		}
	})

	t.Run("wrong key", func(t *testing.T) {
		// root's key does not open name's account.
		cb, err := knownhosts.New(plain)
		if err != nil {
			t.Fatal(err)
		}
		_, err = ssh.Dial("tcp", srv.Addr, &ssh.ClientConfig{
			User:            name,
			Auth:            []ssh.AuthMethod{ssh.PublicKeys(srv.ClientSigner(t, "root"))},
			HostKeyCallback: cb,
		})
		if err == nil || !strings.Contains(err.Error(), "unable to authenticate") {
			t.Errorf("got %v, want an authentication error", err)
		}
	})

	t.Run("streamlocal", func(t *testing.T) {
		// A unix socket owned by root, reached as root.
		sock := filepath.Join(srv.Dir, "t.sock")
		l, err := net.Listen("unix", sock)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		go func() {
			c, err := l.Accept()
			if err == nil {
				_, _ = c.Write([]byte("hello"))
				_ = c.Close()
			}
		}()
		c := mustDial(t, srv, "root", plain)
		conn, err := c.Dial("unix", sock)
		if err != nil {
			t.Fatalf("streamlocal dial: %v", err)
		}
		defer conn.Close()
		buf := make([]byte, 5)
		if _, err := conn.Read(buf); err != nil || string(buf) != "hello" {
			t.Errorf("read %q, %v", buf, err)
		}
	})

	t.Run("restart", func(t *testing.T) {
		c := mustDial(t, srv, name, plain)
		before := srv.HostPublicKeys()
		start := time.Now()
		srv.Restart(t)
		t.Logf("Restart took %v", time.Since(start))
		// The old connection is gone.
		if _, _, err := runCmd2(c, "true"); err == nil {
			t.Error("session on a connection from before the restart still works")
		}
		after := srv.HostPublicKeys()
		for i := range before {
			if !bytes.Equal(before[i].Marshal(), after[i].Marshal()) {
				t.Errorf("host key %d changed on Restart", i)
			}
		}
		for _, kh := range []string{plain, hashed} {
			c := mustDial(t, srv, name, kh)
			if out, _, err := runCmd(t, c, "id -un"); err != nil || strings.TrimSpace(out) != name {
				t.Errorf("after restart: %q, %v", out, err)
			}
		}
	})

	t.Run("rotate", func(t *testing.T) {
		before := srv.HostPublicKeys()
		srv.RotateHostKeys(t)
		after := srv.HostPublicKeys()
		if len(after) != len(before) {
			t.Fatalf("%d host keys after rotation, %d before", len(after), len(before))
		}
		for i := range before {
			if bytes.Equal(before[i].Marshal(), after[i].Marshal()) {
				t.Errorf("host key %d unchanged by RotateHostKeys", i)
			}
			if before[i].Type() != after[i].Type() {
				t.Errorf("host key %d: type %s became %s", i, before[i].Type(), after[i].Type())
			}
		}
		for _, kh := range []string{plain, hashed} {
			_, err := dial(t, srv, name, kh)
			var ke *knownhosts.KeyError
			if !errors.As(err, &ke) || len(ke.Want) == 0 {
				t.Errorf("%s: got %v, want a knownhosts.KeyError with Want set", filepath.Base(kh), err)
			}
		}
		// A fresh known_hosts file trusts the new keys.
		fresh := filepath.Join(t.TempDir(), "known_hosts")
		srv.WriteKnownHosts(t, fresh, false)
		c := mustDial(t, srv, "root", fresh)
		if out, _, err := runCmd(t, c, "id -un"); err != nil || strings.TrimSpace(out) != "root" {
			t.Errorf("after rotation: %q, %v", out, err)
		}
	})

	t.Run("stop", func(t *testing.T) {
		c := mustDial(t, srv, name, plain2(t, srv))
		// A long-running session command must not survive Stop.
		sess, err := c.NewSession()
		if err != nil {
			t.Fatal(err)
		}
		if err := sess.Start("sleep 300"); err != nil {
			t.Fatal(err)
		}
		srv.Stop()
		srv.Stop() // idempotent
		if _, err := net.DialTimeout("tcp", srv.Addr, time.Second); err == nil {
			t.Error("port still accepts connections after Stop")
		}
		done := make(chan error, 1)
		go func() { done <- sess.Wait() }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("session survived Stop")
		}
		srv.Restart(t) // from stopped
		c = mustDial(t, srv, "root", plain2(t, srv))
		// Zombies do not count: the container's PID 1 may reap orphans late.
		cmd := "ps -o pid=,stat=,comm= -u " + name + " | awk '$2 !~ /^Z/' | grep . || echo none"
		if out, _, err := runCmd(t, c, cmd); strings.TrimSpace(out) != "none" {
			t.Errorf("processes of %s survived Stop: %q %v", name, out, err)
		}
	})
}

// plain2 writes a fresh known_hosts file for srv's current keys.
func plain2(t *testing.T, srv *sshtest.Server) string {
	p := filepath.Join(t.TempDir(), "known_hosts")
	srv.WriteKnownHosts(t, p, false)
	return p
}

// runCmd2 is runCmd without failing on a broken connection.
func runCmd2(c *ssh.Client, cmd string) (string, string, error) {
	sess, err := c.NewSession()
	if err != nil {
		return "", "", err
	}
	defer sess.Close()
	var stdout, stderr bytes.Buffer
	sess.Stdout, sess.Stderr = &stdout, &stderr
	err = sess.Run(cmd)
	return stdout.String(), stderr.String(), err
}

func TestNoStreamLocalAndRSA(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{
		Users:         []sshtest.User{{Name: "root"}},
		HostKeys:      []string{"rsa"},
		NoStreamLocal: true,
		ExtraConfig:   "MaxSessions 3\nMatch User nobody\n  PermitTTY no\n",
	})
	kh := filepath.Join(t.TempDir(), "known_hosts")
	srv.WriteKnownHosts(t, kh, true)
	c := mustDial(t, srv, "root", kh)
	if _, err := c.Dial("unix", "/run/does-not-matter.sock"); err == nil || !strings.Contains(err.Error(), "open failed") {
		t.Errorf("streamlocal with NoStreamLocal: got %v, want open failed", err)
	}
	conf, err := os.ReadFile(filepath.Join(srv.Dir, "sshd_config"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(conf)
	if i, j := strings.Index(s, "MaxSessions 3"), strings.Index(s, "ListenAddress"); i < 0 || i > j {
		t.Errorf("ExtraConfig before the first Match should precede the harness settings:\n%s", s)
	}
	if i, j := strings.Index(s, "Match User nobody"), strings.Index(s, "ClientAliveInterval"); i < j {
		t.Errorf("Match block should come last:\n%s", s)
	}
}

// TestLeftOverAccount starts a server for a name whose account a crashed
// run left behind: the harness removes and recreates it.
func TestLeftOverAccount(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	name := sshtest.UniqueName("bgl")
	checkGone(t, name)
	stale, err := os.MkdirTemp("", "sshtest-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(stale) })
	out, err := exec.Command("useradd", "-M", "-d", filepath.Join(stale, "home", name), "-s", "/bin/sh",
		"-c", "bangui sshtest", name).CombinedOutput()
	if err != nil {
		t.Fatalf("useradd: %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("userdel", name).Run() }) // in case Start fails early
	srv := sshtest.Start(t, sshtest.Options{Users: []sshtest.User{{Name: name}}})
	acct, err := user.Lookup(name)
	if err != nil || acct.HomeDir != srv.HomeDir(name) {
		t.Fatalf("account after Start: %+v, %v (want home %s)", acct, err, srv.HomeDir(name))
	}
	c := mustDial(t, srv, name, plain2(t, srv))
	if out, _, err := runCmd(t, c, "id -un"); err != nil || strings.TrimSpace(out) != name {
		t.Errorf("id -un: %q %v", out, err)
	}
}

func TestUniqueName(t *testing.T) {
	a, b := sshtest.UniqueName("bgt"), sshtest.UniqueName("bgt")
	if a == b || len(a) != 11 || !strings.HasPrefix(a, "bgt") {
		t.Errorf("UniqueName: %q %q", a, b)
	}
	if n := sshtest.UniqueName(strings.Repeat("x", 40)); len(n) != 32 {
		t.Errorf("long prefix: %q", n)
	}
}
