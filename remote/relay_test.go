package remote

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/bangui/bangui/core"
)

func TestValidateSocket(t *testing.T) {
	for _, ok := range []string{"/run/fail2ban/fail2ban.sock", "/var/run/fail2ban/fail2ban.sock", "/tmp/Test_x-1/001/f2b.sock", "/a/b+c@d"} {
		if err := ValidateSocket(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "relative/x.sock", "/a b", "/a'b", `/a"b`, "/a;rm", "/a$(x)", "/a`x`", "/a|b", "/a&b", "/a\nb", "/a\\b", "/a:b", "/a,b", "/a=b", "/a*", "/a/../etc", "/" + strings.Repeat("x", 120)} {
		mustCodeMsg(t, ValidateSocket(bad), core.EINVALID, "not a usable socket path")
		if _, err := RelayCommand(MethodSocat, bad); err == nil {
			t.Errorf("RelayCommand accepted %q", bad)
		}
	}
}

func TestRelayCommand(t *testing.T) {
	got, err := RelayCommand(MethodSocat, "/run/fail2ban/fail2ban.sock")
	if err != nil || got != "sudo -n /usr/bin/socat STDIO UNIX-CONNECT:/run/fail2ban/fail2ban.sock" {
		t.Errorf("socat: %q %v", got, err)
	}
	got, err = RelayCommand(MethodPython3, "/run/f.sock")
	if err != nil || !strings.HasPrefix(got, "sudo -n /usr/bin/python3 -I -c '") || !strings.HasSuffix(got, "' /run/f.sock") {
		t.Errorf("python3: %q %v", got, err)
	}
	if strings.ContainsAny(pythonRelay, "'\"\\[]*?\n") {
		t.Error("the relay script holds characters that break the shell line or the sudoers rule")
	}
	if _, err := RelayCommand("nc", "/run/f.sock"); core.ErrorCode(err) != core.EINVALID {
		t.Errorf("unknown relay: %v", err)
	}
}

func TestSudoersLine(t *testing.T) {
	got := SudoersLine("f2bops", "/run/fail2ban/fail2ban.sock", MethodSocat)
	want := `f2bops ALL=(root) NOPASSWD: /usr/bin/socat STDIO UNIX-CONNECT\:/run/fail2ban/fail2ban.sock`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	py := SudoersLine("f2bops", "/run/fail2ban/fail2ban.sock", MethodPython3)
	if !strings.HasPrefix(py, "f2bops ALL=(root) NOPASSWD: /usr/bin/python3 -I -c import os\\,sys") {
		t.Errorf("python3 line %s", py)
	}
	// Both lines must be valid sudoers syntax.
	visudo, err := exec.LookPath("visudo")
	if err != nil {
		if _, err = os.Stat("/usr/sbin/visudo"); err != nil {
			t.Skip("no visudo")
		}
		visudo = "/usr/sbin/visudo"
	}
	for _, line := range []string{got, py} {
		f := filepath.Join(t.TempDir(), "sudoers")
		if err := os.WriteFile(f, []byte(line+"\n"), 0o440); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(visudo, "-cf", f).CombinedOutput(); err != nil {
			t.Errorf("visudo rejects %s: %v\n%s", line, err, out)
		}
	}
}

func TestClassifyRelayStderr(t *testing.T) {
	tg := Target{HostName: "h1", User: "ops", Port: 22}
	sock := "/run/fail2ban/fail2ban.sock"
	cases := []struct {
		stderr, relay, code string
		parts               []string
	}{
		{"sudo: a password is required\n", MethodSocat, core.EPERMISSION, []string{"ops", "h1", `ops ALL=(root) NOPASSWD: /usr/bin/socat STDIO UNIX-CONNECT\:/run/fail2ban/fail2ban.sock`, "visudo"}},
		{"Sorry, user ops is not allowed to execute '/usr/bin/python3 -c x' as root on h1.\n", MethodPython3, core.EPERMISSION, []string{"ops ALL=(root) NOPASSWD: /usr/bin/python3 -I -c import"}},
		{"ops is not in the sudoers file.  This incident will be reported.\n", MethodSocat, core.EPERMISSION, []string{"NOPASSWD"}},
		{"sh: 1: sudo: not found\n", MethodSocat, core.EUNAVAILABLE, []string{"sudo is not installed"}},
		{"sudo: /usr/bin/socat: command not found\n", MethodSocat, core.EUNAVAILABLE, []string{"/usr/bin/socat is missing", "apt install socat"}},
		{"sudo: /usr/bin/python3: command not found\n", MethodPython3, core.EUNAVAILABLE, []string{"/usr/bin/python3 is missing"}},
		{"2026/11/27 10:00:00 socat[12] E connect(5, AF=1 \"/run/fail2ban/fail2ban.sock\", 29): No such file or directory\n", MethodSocat, core.EUNAVAILABLE, []string{"no fail2ban socket at " + sock}},
		{"Traceback (most recent call last):\n  File \"<string>\", line 1\nFileNotFoundError: [Errno 2] No such file or directory\n", MethodPython3, core.EUNAVAILABLE, []string{"no fail2ban socket"}},
		{"socat[1] E connect(5, AF=1 \"/x\", 4): Connection refused\n", MethodSocat, core.EUNAVAILABLE, []string{"not running"}},
		{"ConnectionRefusedError: [Errno 111] Connection refused\n", MethodPython3, core.EUNAVAILABLE, []string{"not running"}},
		{"PermissionError: [Errno 13] Permission denied\n", MethodPython3, core.EPERMISSION, []string{"even with sudo"}},
		{"something odd\nmore\n", MethodSocat, core.EUNAVAILABLE, []string{`"something odd"`}},
	}
	for _, c := range cases {
		mustCodeMsg(t, classifyRelayStderr(c.stderr, tg, sock, c.relay), c.code, c.parts...)
	}
	if err := classifyRelayStderr("  \n", tg, sock, MethodSocat); err != nil {
		t.Errorf("empty stderr: %v", err)
	}
}

// pipePair gives a streamConn over io.Pipes and the far ends.
func pipePair(check func([]byte) error, onEOF func() error) (c *streamConn, remoteOut io.WriteCloser, remoteIn io.Reader) {
	r1, w1 := io.Pipe() // remote -> conn
	r2, w2 := io.Pipe() // conn -> remote
	closeFn := func() error { w2.Close(); return r1.Close() }
	return newStreamConn(r1, w2, closeFn, sshAddr("x"), check, onEOF), w1, r2
}

func TestStreamConnDeadlinesAndData(t *testing.T) {
	c, out, in := pipePair(nil, nil)
	defer c.Close()
	go func() { out.Write([]byte("hello")) }()
	buf := make([]byte, 3)
	n, err := c.Read(buf)
	if err != nil || string(buf[:n]) != "hel" {
		t.Fatalf("read %q %v", buf[:n], err)
	}
	n, _ = c.Read(buf)
	if string(buf[:n]) != "lo" {
		t.Fatalf("rest %q", buf[:n])
	}
	// Read deadline.
	c.SetReadDeadline(time.Now().Add(30 * time.Millisecond))
	start := time.Now()
	_, err = c.Read(buf)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() || time.Since(start) > 2*time.Second {
		t.Fatalf("want timeout, got %v after %v", err, time.Since(start))
	}
	// A past deadline fails at once; clearing it works again.
	c.SetDeadline(time.Unix(1, 0))
	if _, err := c.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("past deadline: %v", err)
	}
	c.SetDeadline(time.Time{})
	go func() { out.Write([]byte("again")) }()
	if got, err := io.ReadAll(io.LimitReader(c, 5)); err != nil || string(got) != "again" {
		t.Fatalf("after clearing: %q %v", got, err)
	}
	// Write goes through; a blocked write times out.
	go func() { b := make([]byte, 4); io.ReadFull(in, b) }()
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	c.SetWriteDeadline(time.Now().Add(30 * time.Millisecond))
	if _, err := c.Write([]byte("blocked")); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("blocked write: %v", err)
	}
	// Close unblocks a reader.
	c.SetDeadline(time.Time{})
	done := make(chan error, 1)
	go func() { _, err := c.Read(buf); done <- err }()
	time.Sleep(20 * time.Millisecond)
	c.Close()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("read after close: %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Close did not unblock Read")
	}
}

func TestStreamConnGarbageAndEOF(t *testing.T) {
	tg := Target{HostName: "h1", User: "ops"}
	check := func(b []byte) error { return checkFirstReply(b, tg, MethodSocat) }
	c, out, _ := pipePair(check, nil)
	go func() { out.Write([]byte("Welcome to h1!\n\x80\x04K\x00.")) }()
	_, err := c.Read(make([]byte, 100))
	mustCodeMsg(t, err, core.EPROTOCOL, `"Welcome to h1!\n"`, "~/.bashrc")
	_, err = c.Read(make([]byte, 100)) // sticky
	mustCodeMsg(t, err, core.EPROTOCOL)
	c.Close()

	// A pickle passes.
	c, out, _ = pipePair(check, nil)
	go func() { out.Write([]byte("\x80\x04K\x00.")); out.Close() }()
	b, err := io.ReadAll(c)
	if err != nil || !bytes.Equal(b, []byte("\x80\x04K\x00.")) {
		t.Fatalf("pickle: %q %v", b, err)
	}
	c.Close()

	// EOF becomes what onEOF says (sudo's complaint).
	sudoErr := classifyRelayStderr("sudo: a password is required", tg, "/run/f.sock", MethodSocat)
	c, out, _ = pipePair(check, func() error { return sudoErr })
	out.Close()
	_, err = c.Read(make([]byte, 10))
	if err != sudoErr {
		t.Fatalf("want the sudo error, got %v", err)
	}
	c.Close()
}

func TestReconnectorBackoff(t *testing.T) {
	// Port 1 on loopback: nothing listens, the dial fails fast.
	r := NewReconnector(Target{HostName: "127.0.0.1", Port: 1, User: "x"}, DialOptions{AgentSocket: "none", Signers: []ssh.Signer{testSigner(t)}, HomeDir: t.TempDir()})
	ctx := context.Background()
	_, err := r.SSHClient(ctx)
	if err == nil {
		t.Fatal("dial to port 1 worked")
	}
	mustCodeMsg(t, err, core.EUNAVAILABLE, "nothing listens on 127.0.0.1:1")
	start := time.Now()
	_, err2 := r.SSHClient(ctx)
	if err2 == nil || time.Since(start) > 100*time.Millisecond {
		t.Fatalf("second call should fail at once during back-off: %v", err2)
	}
	mustCodeMsg(t, err2, core.EUNAVAILABLE, "nothing listens", "next try in")
}
