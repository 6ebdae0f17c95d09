package remote_test

// Benchmarks of the fail2ban protocol client over SSH, against a real,
// private fail2ban-server (f2btest) and a real, private sshd on 127.0.0.1
// (sshtest), next to the same calls over the local unix socket. They only
// run with -bench (and not with -short); they need root, sshd, sudo, socat
// and python3, like the integration tests.
//
// Every transport talks to the same fail2ban server, started once per run
// of BenchmarkSSHCommand (once per -count) and shared by its
// sub-benchmarks, so the ratios to "local" come from one process and one
// server:
//
//	local/{ping,status}        f2b.UnixDialer on the server's socket
//	streamlocal/{ping,status}  root, a direct-streamlocal channel
//	socat/{ping,status}        a user with the socat sudoers rule, SudoRelay
//	python3/{ping,status}      a user with the python3 sudoers rule, SudoRelay
//	connect/{streamlocal,socat} a fresh SSH dial + the first ping + close
//
// In the ping and status groups the SSH connection, the channel or relay
// session and the fail2ban connection are opened before the timer (one
// warm-up ping): they measure one command on a connection that is already
// open, as the app sends them. "status" is JailStatus (`status <jail>`) of
// the first jail, which has no bans. The connect group measures what a
// cold connection costs. Nothing here checks how long anything took.

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/f2b"
	"github.com/bangui/bangui/core/f2b/f2btest"
	"github.com/bangui/bangui/remote"
	"github.com/bangui/bangui/remote/sshtest"
)

// sshBench is the setup BenchmarkSSHCommand's sub-benchmarks share.
type sshBench struct {
	ctx  context.Context
	sock string // the fail2ban server's socket
	jail string // the jail "status" asks about

	srv  *sshtest.Server
	home string // the client side's home, with .ssh/known_hosts

	root, socat, python3 remote.Target
}

// sshBenchStart starts the fail2ban server and sshd with three users:
// root, one allowed to run socat on the socket through sudo, one allowed
// to run the python3 relay.
func sshBenchStart(b *testing.B) *sshBench {
	b.Helper()
	start := time.Now()
	f2bSrv := f2btest.Start(b, f2btest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	b.Cleanup(cancel)
	s := &sshBench{ctx: ctx, sock: f2bSrv.Socket, jail: f2bSrv.Jails[0], home: b.TempDir()}
	if err := remote.ValidateSocket(s.sock); err != nil {
		b.Fatalf("f2btest socket path: %v", err)
	}
	socatUser := sshtest.UniqueName("bgs")
	pyUser := sshtest.UniqueName("bgp")
	s.srv = sshtest.Start(b, sshtest.Options{
		Users: []sshtest.User{
			{Name: "root"},
			{Name: socatUser, Sudoers: remote.SudoersLine(socatUser, s.sock, remote.MethodSocat)},
			{Name: pyUser, Sudoers: remote.SudoersLine(pyUser, s.sock, remote.MethodPython3)},
		},
	})
	kh := filepath.Join(s.home, ".ssh", "known_hosts")
	if err := os.MkdirAll(filepath.Dir(kh), 0o700); err != nil {
		b.Fatal(err)
	}
	s.srv.WriteKnownHosts(b, kh, false)
	s.root = s.target(b, "root")
	s.socat = s.target(b, socatUser)
	s.python3 = s.target(b, pyUser)
	b.Logf("setup: fail2ban-server and sshd in %v", time.Since(start).Round(time.Millisecond))
	return s
}

// target is the Target of user on the test sshd, with its key and the
// client side's own known_hosts only.
func (s *sshBench) target(b *testing.B, user string) remote.Target {
	b.Helper()
	tg, err := remote.Resolve(s.srv.Host, remote.ResolveOptions{
		ConfigPath: filepath.Join(s.home, "no-config"), HomeDir: s.home, LocalUser: "tester",
		User: user, Port: s.srv.Port,
	})
	if err != nil {
		b.Fatal(err)
	}
	tg.GlobalKnownHostsFiles = nil
	tg.IdentityFiles = []string{s.srv.ClientKeyPath(user)}
	return tg
}

func (s *sshBench) opts() remote.DialOptions {
	return remote.DialOptions{AgentSocket: "none", HomeDir: s.home, KeepAlive: -1}
}

// dial opens an SSH connection to tg, closed in b's cleanup.
func (s *sshBench) dial(b *testing.B, tg remote.Target) *remote.Client {
	b.Helper()
	c, err := remote.Dial(s.ctx, tg, s.opts())
	if err != nil {
		b.Fatalf("dial %s: %v", tg, err)
	}
	b.Cleanup(func() { c.Close() })
	return c
}

// client returns an f2b client over d whose connection is open: one ping
// outside the timer (for SSH: the channel or relay session is started).
func (s *sshBench) client(b *testing.B, d core.Dialer) *f2b.Client {
	b.Helper()
	fc := f2b.New(d, f2b.Config{})
	b.Cleanup(func() { fc.Close() })
	if err := fc.Ping(s.ctx); err != nil {
		b.Fatalf("first ping: %v", err)
	}
	return fc
}

// commands runs the ping and status sub-benchmarks on fc.
func (s *sshBench) commands(b *testing.B, fc *f2b.Client) {
	b.Run("ping", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := fc.Ping(s.ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("status", func(b *testing.B) {
		st, err := fc.JailStatus(s.ctx, s.jail)
		if err != nil || st.Name != s.jail {
			b.Fatalf("status %s: %+v %v", s.jail, st, err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := fc.JailStatus(s.ctx, s.jail); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// connect measures a fresh SSH dial to tg, the first ping over a new
// dialer made by mk, and closing both.
func (s *sshBench) connect(b *testing.B, tg remote.Target, mk func(*remote.Client) core.Dialer) {
	b.ReportAllocs()
	for b.Loop() {
		c, err := remote.Dial(s.ctx, tg, s.opts())
		if err != nil {
			b.Fatalf("dial %s: %v", tg, err)
		}
		fc := f2b.New(mk(c), f2b.Config{})
		err = fc.Ping(s.ctx)
		fc.Close()
		c.Close()
		if err != nil {
			b.Fatalf("ping: %v", err)
		}
	}
}

// BenchmarkSSHCommand measures one fail2ban command (ping, and the status
// of a jail) over the local socket and over SSH with each transport, on
// open connections, and what a cold SSH connection costs. See the file
// comment.
func BenchmarkSSHCommand(b *testing.B) {
	if testing.Short() {
		b.Skip("starts fail2ban-server and sshd; skipped with -short")
	}
	s := sshBenchStart(b)
	local := s.client(b, f2b.UnixDialer{Path: s.sock})
	streamlocal := s.client(b, remote.StreamLocal{SSH: s.dial(b, s.root), Socket: s.sock})
	socat := s.client(b, remote.SudoRelay{SSH: s.dial(b, s.socat), Socket: s.sock, Relay: remote.MethodSocat})
	python3 := s.client(b, remote.SudoRelay{SSH: s.dial(b, s.python3), Socket: s.sock, Relay: remote.MethodPython3})

	b.Run("local", func(b *testing.B) { s.commands(b, local) })
	b.Run("streamlocal", func(b *testing.B) { s.commands(b, streamlocal) })
	b.Run("socat", func(b *testing.B) { s.commands(b, socat) })
	b.Run("python3", func(b *testing.B) { s.commands(b, python3) })
	b.Run("connect", func(b *testing.B) {
		b.Run("streamlocal", func(b *testing.B) {
			s.connect(b, s.root, func(c *remote.Client) core.Dialer {
				return remote.StreamLocal{SSH: c, Socket: s.sock}
			})
		})
		b.Run("socat", func(b *testing.B) {
			s.connect(b, s.socat, func(c *remote.Client) core.Dialer {
				return remote.SudoRelay{SSH: c, Socket: s.sock, Relay: remote.MethodSocat}
			})
		})
	})
}
