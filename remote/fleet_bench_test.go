package remote_test

// BenchmarkFleetPollSSH checks the target "ten servers polled once: under
// 1 s end to end" over real SSH: ten private fail2ban servers (f2btest,
// each with its own socket) behind one private sshd on 127.0.0.1
// (sshtest), polled by a fleet.Poller the way the app polls them: one
// remote.Reconnector (one SSH connection) and one f2b client over
// remote.Auto per server. Two logins, each its own group:
//
//	root/...   Auto picks streamlocal (a direct-streamlocal channel)
//	socat/...  a user with socat sudoers rules for the ten sockets;
//	           Auto checks for /usr/bin/socat, then runs the sudo relay
//
// and in each group:
//
//	cold        fresh Reconnectors and clients every poll: SSH dial,
//	            handshake, key auth, the first channel or relay, then
//	            ping, version, jail list and each jail's status (the
//	            first poll at start-up); Limit 8
//	warm        connections kept from poll to poll (the periodic poll):
//	            the version is cached per connection, so 4 requests;
//	            Limit 8
//	sequential  warm, Limit 1: the ratio to warm
//
// local/{cold,warm,sequential} poll the same ten servers over f2b.UnixDialer, for
// comparison. ms/poll is the mean time of one Poll of all ten servers,
// max-ms/poll the slowest one; cold also reports the mean time of one
// server's check (check-ms/server) and of its SSH dial (dial-ms/server).
// Every status must be online with the expected jails and ban. It only runs with -bench (and not with -short)
// and needs root, sshd, sudo, socat and fail2ban. Run once:
//
//	go test -tags migrated_fynedo -run XXX -bench BenchmarkFleetPollSSH -benchtime 3x ./remote/

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/f2b"
	"github.com/bangui/bangui/core/f2b/f2btest"
	"github.com/bangui/bangui/core/fleet"
	"github.com/bangui/bangui/remote"
	"github.com/bangui/bangui/remote/sshtest"
)

// fleetSize is how many fail2ban servers a poll checks.
const fleetSize = 10

// fleetLimit is the poller's concurrency in the cold and warm variants
// (fleet.DefaultLimit at the time of writing).
const fleetLimit = 8

// fleetBench is the setup BenchmarkFleetPollSSH's sub-benchmarks share.
type fleetBench struct {
	ctx     context.Context
	servers []core.Server // Socket is the server's own socket
	jails   int           // jails per server

	srv  *sshtest.Server
	home string // the client side's home, with .ssh/known_hosts
}

// fleetBenchStart starts the ten fail2ban servers, each with one banned
// address, and sshd with root and socatUser, whose sudoers rules allow
// socat on each of the ten sockets.
func fleetBenchStart(b *testing.B, socatUser string) *fleetBench {
	b.Helper()
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	b.Cleanup(cancel)
	fb := &fleetBench{ctx: ctx, home: b.TempDir()}
	var rules []string
	for i := range fleetSize {
		s := f2btest.Start(b, f2btest.Options{})
		if err := remote.ValidateSocket(s.Socket); err != nil {
			b.Fatalf("f2btest socket path: %v", err)
		}
		s.Client(b, "set", s.Jails[0], "banip", fmt.Sprintf("192.0.2.%d", i+1))
		fb.jails = len(s.Jails)
		fb.servers = append(fb.servers, core.Server{ID: int64(i + 1), Name: fmt.Sprintf("f2b%d", i), Socket: s.Socket})
		rules = append(rules, remote.SudoersLine(socatUser, s.Socket, remote.MethodSocat))
	}
	f2bTook := time.Since(start)
	fb.srv = sshtest.Start(b, sshtest.Options{
		Users: []sshtest.User{
			{Name: "root"},
			{Name: socatUser, Sudoers: strings.Join(rules, "\n")},
		},
	})
	kh := filepath.Join(fb.home, ".ssh", "known_hosts")
	if err := os.MkdirAll(filepath.Dir(kh), 0o700); err != nil {
		b.Fatal(err)
	}
	fb.srv.WriteKnownHosts(b, kh, false)
	b.Logf("setup: %d fail2ban-servers in %v, sshd in %v", fleetSize,
		f2bTook.Round(time.Millisecond), (time.Since(start) - f2bTook).Round(time.Millisecond))
	return fb
}

// target is the Target of user on the test sshd, with its key and the
// client side's own known_hosts only.
func (fb *fleetBench) target(b *testing.B, user string) remote.Target {
	b.Helper()
	tg, err := remote.Resolve(fb.srv.Host, remote.ResolveOptions{
		ConfigPath: filepath.Join(fb.home, "no-config"), HomeDir: fb.home, LocalUser: "tester",
		User: user, Port: fb.srv.Port,
	})
	if err != nil {
		b.Fatal(err)
	}
	tg.GlobalKnownHostsFiles = nil
	tg.IdentityFiles = []string{fb.srv.ClientKeyPath(user)}
	return tg
}

// fleetLinks is one client per server, as the app holds them.
type fleetLinks struct {
	clients map[int64]*f2b.Client
	autos   []*remote.Auto
	rcs     []*remote.Reconnector
	close   []func() error
}

// sshLinks makes, for every server, a Reconnector to tg (its own SSH
// connection) and an f2b client over Auto. Nothing is dialled yet.
func (fb *fleetBench) sshLinks(tg remote.Target) *fleetLinks {
	l := &fleetLinks{clients: map[int64]*f2b.Client{}}
	for _, s := range fb.servers {
		rc := remote.NewReconnector(tg, remote.DialOptions{AgentSocket: "none", HomeDir: fb.home, KeepAlive: -1})
		a := &remote.Auto{SSH: rc, Socket: s.Socket}
		fc := f2b.New(a, f2b.Config{})
		l.clients[s.ID] = fc
		l.autos = append(l.autos, a)
		l.rcs = append(l.rcs, rc)
		l.close = append(l.close, fc.Close, rc.Close)
	}
	return l
}

// localLinks makes an f2b client over the local socket for every server.
func (fb *fleetBench) localLinks() *fleetLinks {
	l := &fleetLinks{clients: map[int64]*f2b.Client{}}
	for _, s := range fb.servers {
		fc := f2b.New(f2b.UnixDialer{Path: s.Socket}, f2b.Config{})
		l.clients[s.ID] = fc
		l.close = append(l.close, fc.Close)
	}
	return l
}

// Close closes every client and SSH connection.
func (l *fleetLinks) Close() {
	for _, c := range l.close {
		_ = c()
	}
}

// poll polls every server once through l with limit and checks the
// statuses (and, for SSH, the method Auto chose). It returns how long the
// Poll took and the statuses.
func (fb *fleetBench) poll(b *testing.B, l *fleetLinks, limit int, method string) (time.Duration, []core.ServerStatus) {
	b.Helper()
	p := &fleet.Poller{Limit: limit, Client: func(s core.Server) fleet.Prober { return l.clients[s.ID] }}
	start := time.Now()
	got, err := p.Poll(fb.ctx, fb.servers, nil)
	took := time.Since(start)
	if err != nil {
		b.Fatal(err)
	}
	for _, st := range got {
		if !st.Online || st.Err != nil || st.Jails != fb.jails || st.Banned != 1 {
			b.Fatalf("%s: online %v, %d jails, %d banned, err %v", st.Server.Name, st.Online, st.Jails, st.Banned, st.Err)
		}
	}
	for _, a := range l.autos {
		if a.Chosen() != method {
			b.Fatalf("Auto chose %q, want %q", a.Chosen(), method)
		}
	}
	return took, got
}

// fleetMS is d in milliseconds.
func fleetMS(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// fleetReport sets ms/poll and max-ms/poll from the polls' times.
func fleetReport(b *testing.B, times []time.Duration) {
	var sum, worst time.Duration
	for _, d := range times {
		sum += d
		worst = max(worst, d)
	}
	b.ReportMetric(fleetMS(sum)/float64(len(times)), "ms/poll")
	b.ReportMetric(fleetMS(worst), "max-ms/poll")
}

// cold polls b.N times, each with fresh links from mk (closed after the
// poll, outside the timer). It also reports the mean time of one server's
// check (check-ms/server, from its status) and, over SSH, of one SSH dial
// within it (dial-ms/server, from Client.DialTime).
func (fb *fleetBench) cold(b *testing.B, mk func() *fleetLinks, method string) {
	var times []time.Duration
	var check, dial time.Duration
	var dials int
	for range b.N {
		b.StopTimer()
		l := mk()
		b.StartTimer()
		d, got := fb.poll(b, l, fleetLimit, method)
		b.StopTimer()
		for _, st := range got {
			check += st.Took
		}
		for _, rc := range l.rcs {
			c, err := rc.SSHClient(fb.ctx)
			if err != nil {
				b.Fatal(err)
			}
			dial += c.DialTime()
			dials++
		}
		l.Close()
		times = append(times, d)
		b.StartTimer()
	}
	fleetReport(b, times)
	b.ReportMetric(fleetMS(check)/float64(b.N*len(fb.servers)), "check-ms/server")
	if dials > 0 {
		b.ReportMetric(fleetMS(dial)/float64(dials), "dial-ms/server")
	}
}

// warm polls b.N times through l, whose connections are already open.
func (fb *fleetBench) warm(b *testing.B, l *fleetLinks, limit int, method string) {
	var times []time.Duration
	b.ResetTimer()
	for range b.N {
		d, _ := fb.poll(b, l, limit, method)
		times = append(times, d)
	}
	fleetReport(b, times)
}

// group runs cold, warm and sequential for links made by mk.
func (fb *fleetBench) group(b *testing.B, mk func() *fleetLinks, method string) {
	b.Run("cold", func(b *testing.B) { fb.cold(b, mk, method) })
	l := mk()
	defer l.Close()
	fb.poll(b, l, fleetLimit, method) // opens the connections
	b.Run("warm", func(b *testing.B) { fb.warm(b, l, fleetLimit, method) })
	b.Run("sequential", func(b *testing.B) { fb.warm(b, l, 1, method) })
}

// BenchmarkFleetPollSSH polls ten fail2ban servers over SSH, cold and
// warm, against the target of under 1 s per poll. See the file comment.
func BenchmarkFleetPollSSH(b *testing.B) {
	if testing.Short() {
		b.Skip("starts ten fail2ban-servers and sshd; skipped with -short")
	}
	socatUser := sshtest.UniqueName("bgf")
	fb := fleetBenchStart(b, socatUser)
	root := fb.target(b, "root")
	socat := fb.target(b, socatUser)
	// One local poll first: a server's first status requests cost more
	// than the next ones (Python's lazy imports and caches).
	warmup := fb.localLinks()
	fb.poll(b, warmup, fleetLimit, "")
	warmup.Close()

	b.Run("root", func(b *testing.B) {
		fb.group(b, func() *fleetLinks { return fb.sshLinks(root) }, remote.MethodStreamLocal)
	})
	b.Run("socat", func(b *testing.B) {
		fb.group(b, func() *fleetLinks { return fb.sshLinks(socat) }, remote.MethodSocat)
	})
	b.Run("local", func(b *testing.B) { fb.group(b, fb.localLinks, "") })
}
