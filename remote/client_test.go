package remote

import (
	"context"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/bangui/bangui/core"
)

// fakeServer accepts on loopback and hands each connection to handle.
func fakeServer(t *testing.T, handle func(net.Conn)) Target {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go handle(c)
		}
	}()
	a := ln.Addr().(*net.TCPAddr)
	home := t.TempDir()
	return Target{HostName: "127.0.0.1", Port: a.Port, User: "u", UserKnownHostsFiles: []string{filepath.Join(home, "kh")}}
}

func TestDialResetDuringHandshake(t *testing.T) {
	tg := fakeServer(t, func(c net.Conn) {
		c.Write([]byte("SSH-2.0-OpenSSH_9.2p1\r\n"))
		buf := make([]byte, 64)
		c.Read(buf)
		c.(*net.TCPConn).SetLinger(0) // RST, as sshd does under MaxStartups or a firewall reject
		c.Close()
	})
	_, err := Dial(context.Background(), tg, DialOptions{AgentSocket: "none", Signers: []ssh.Signer{testSigner(t)}, KeepAlive: -1})
	if core.ErrorMessage(err) == "" || !strings.Contains(core.ErrorMessage(err), "was reset") {
		t.Logf("cause: %v", err)
	}
	mustCodeMsg(t, err, core.EUNAVAILABLE, "was reset during the SSH handshake", tg.Addr())
}

func TestDialHandshakeTimeoutAndCancel(t *testing.T) {
	tg := fakeServer(t, func(c net.Conn) { time.Sleep(5 * time.Second); c.Close() })
	o := DialOptions{AgentSocket: "none", Signers: []ssh.Signer{testSigner(t)}, KeepAlive: -1, ConnectTimeout: 200 * time.Millisecond}
	start := time.Now()
	_, err := Dial(context.Background(), tg, o)
	mustCodeMsg(t, err, core.EUNAVAILABLE, "did not finish")
	if time.Since(start) > 3*time.Second {
		t.Errorf("timeout took %v", time.Since(start))
	}
	o.ConnectTimeout = time.Minute
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	start = time.Now()
	_, err = Dial(ctx, tg, o)
	mustCodeMsg(t, err, core.ECANCELED)
	if time.Since(start) > 3*time.Second {
		t.Errorf("cancel took %v", time.Since(start))
	}
}

func TestDialRefused(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	tg := Target{HostName: "127.0.0.1", Port: port, User: "u"}
	_, err := Dial(context.Background(), tg, DialOptions{AgentSocket: "none", Signers: []ssh.Signer{testSigner(t)}})
	mustCodeMsg(t, err, core.EUNAVAILABLE, "nothing listens")
}

func TestSetupAuth(t *testing.T) {
	home := t.TempDir()
	missing := filepath.Join(home, "nokey")
	tg := Target{HostName: "h1", User: "ops", IdentityFiles: []string{missing}}
	o := &DialOptions{AgentSocket: "none", HomeDir: home, Passphrases: &Passphrases{}}
	_, err := setupAuth(context.Background(), tg, o)
	mustCodeMsg(t, err, core.EPERMISSION, "no usable key for ops@h1", missing)

	// With another key left, the missing file is only a warning.
	o.Signers = []ssh.Signer{testSigner(t)}
	a, err := setupAuth(context.Background(), tg, o)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if len(a.signers) != 1 || len(a.warnings) != 1 || !strings.Contains(a.warnings[0], missing) {
		t.Errorf("signers %d warnings %q", len(a.signers), a.warnings)
	}
	// No config keys and none in ~/.ssh: default names are skipped quietly.
	o.Signers = nil
	_, err = setupAuth(context.Background(), Target{HostName: "h1", User: "ops"}, o)
	mustCodeMsg(t, err, core.EPERMISSION, "no usable key for ops@h1")
	// An agent socket that does not answer is a warning.
	o.AgentSocket = filepath.Join(home, "agent.sock")
	_, err = setupAuth(context.Background(), Target{HostName: "h1", User: "ops"}, o)
	mustCodeMsg(t, err, core.EPERMISSION, "no usable key")
}
