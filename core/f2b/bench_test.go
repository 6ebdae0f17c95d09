package f2b_test

// Benchmarks of the fail2ban protocol client against a real, private
// fail2ban-server (f2btest). They only run with -bench; scripts/bench.sh
// runs them with the right -benchtime per group and writes
// docs/bench/f2b.txt, from which docs/PERFORMANCE.md is written.
//
// Every benchmark uses b.Loop, so its setup (starting a server, banning
// 5,000 addresses) runs once per benchmark function and count, and b.Loop
// resets the timer when the loop starts. Custom metrics are reported after
// the loop because ResetTimer deletes them.
//
// Nothing here checks how long anything took: the checks only verify that
// the measured calls did what they should (counts, output), once per run.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/f2b"
	"github.com/bangui/bangui/core/f2b/f2btest"
)

// benchJail is the jail every benchmark works on.
const benchJail = "app1"

// benchServer starts a private fail2ban server and returns it with a client
// on one connection (plain UnixDialer, default Config) and a context for
// the whole benchmark. Its cleanup lifts every ban through the client
// before f2btest stops the server: stopping a jail runs the unban action
// once per address, which for thousands of bans takes longer than the
// harness waits for the server to exit.
func benchServer(b *testing.B) (*f2btest.Server, *f2b.Client, context.Context) {
	b.Helper()
	srv := f2btest.Start(b, f2btest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	c := f2b.New(f2b.UnixDialer{Path: srv.Socket}, f2b.Config{})
	// Registered after Start's cleanup, so it runs before the server stops.
	b.Cleanup(func() {
		defer cancel()
		defer c.Close()
		if _, err := c.UnbanAll(ctx); err != nil {
			b.Errorf("cleanup: unban --all: %v", err)
		}
	})
	return srv, c, ctx
}

// benchIPs returns n distinct documentation addresses: first the 762 host
// addresses of TEST-NET-1, -2 and -3 (RFC 5737: 192.0.2.1-254,
// 198.51.100.1-254, 203.0.113.1-254), then 2001:db8::1:N (RFC 3849).
func benchIPs(n int) []string {
	out := make([]string, 0, n)
	for _, net4 := range []string{"192.0.2", "198.51.100", "203.0.113"} {
		for h := 1; h <= 254 && len(out) < n; h++ {
			out = append(out, fmt.Sprintf("%s.%d", net4, h))
		}
	}
	for i := 1; len(out) < n; i++ {
		if i > 0xffff {
			panic("benchIPs: too many addresses")
		}
		out = append(out, fmt.Sprintf("2001:db8::1:%x", i))
	}
	return out
}

// benchBan bans ips in benchJail through c and checks that all were new.
func benchBan(b *testing.B, ctx context.Context, c *f2b.Client, ips []string) {
	b.Helper()
	res, err := c.BanIP(ctx, benchJail, ips, nil)
	if err != nil || res.Changed != len(ips) {
		b.Fatalf("banip %d addresses: %+v %v", len(ips), res, err)
	}
}

// benchUnban lifts the bans of ips in benchJail and checks that all were
// lifted.
func benchUnban(b *testing.B, ctx context.Context, c *f2b.Client, ips []string) {
	b.Helper()
	res, err := c.UnbanIP(ctx, benchJail, ips, nil)
	if err != nil || res.Changed != len(ips) {
		b.Fatalf("unbanip %d addresses: %+v %v", len(ips), res, err)
	}
}

// benchBanned returns the jail's "Currently banned" counter.
func benchBanned(b *testing.B, ctx context.Context, c *f2b.Client) int {
	b.Helper()
	st, err := c.JailStatusShort(ctx, benchJail)
	if err != nil {
		b.Fatalf("status %s short: %v", benchJail, err)
	}
	return st.CurrentlyBanned
}

// benchCountConn counts the bytes that go over a connection.
type benchCountConn struct {
	net.Conn
	read, written *atomic.Int64
}

func (c *benchCountConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.read.Add(int64(n))
	return n, err
}

func (c *benchCountConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.written.Add(int64(n))
	return n, err
}

// benchWire measures the size on the wire of one call, request and reply
// (pickle plus end marker), with a second client whose dialer wraps the
// connection in a counter. The call runs once to warm up (connection,
// cached version) and once measured. It runs outside the timer, so the
// timed client has no wrapper.
func benchWire(b *testing.B, ctx context.Context, srv *f2btest.Server, call func(*f2b.Client) error) (req, reply int64) {
	b.Helper()
	var read, written atomic.Int64
	d := core.DialerFunc(func(ctx context.Context) (net.Conn, error) {
		conn, err := f2b.UnixDialer{Path: srv.Socket}.DialF2B(ctx)
		if err != nil {
			return nil, err
		}
		return &benchCountConn{Conn: conn, read: &read, written: &written}, nil
	})
	c := f2b.New(d, f2b.Config{})
	defer c.Close()
	if err := call(c); err != nil {
		b.Fatalf("wire size, warm-up: %v", err)
	}
	read.Store(0)
	written.Store(0)
	if err := call(c); err != nil {
		b.Fatalf("wire size: %v", err)
	}
	return written.Load(), read.Load()
}

// reportWire reports the sizes from benchWire.
func reportWire(b *testing.B, req, reply int64) {
	b.ReportMetric(float64(req), "req-B/op")
	b.ReportMetric(float64(reply), "reply-B/op")
}

// reportMs reports the time per op in milliseconds, easier to read than
// ns/op for the slow benchmarks.
func reportMs(b *testing.B) {
	if b.N > 0 {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ms/op")
	}
}

// benchClientArgs returns the program and arguments of one fail2ban-client
// process against srv, as a user would run it (-c keeps it off
// /etc/fail2ban).
func benchClientArgs(b *testing.B, srv *f2btest.Server, args ...string) (string, []string) {
	b.Helper()
	bin, err := exec.LookPath("fail2ban-client")
	if err != nil {
		b.Fatal(err)
	}
	return bin, append([]string{"-c", srv.ConfDir, "-s", srv.Socket}, args...)
}

// benchRun runs one fail2ban-client process and returns its trimmed
// standard output.
func benchRun(b *testing.B, bin string, args []string) string {
	b.Helper()
	out, err := exec.Command(bin, args...).Output()
	if err != nil {
		var stderr string
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			stderr = string(ee.Stderr)
		}
		b.Fatalf("%s %s: %v\nstdout: %s\nstderr: %s", bin, strings.Join(args, " "), err, out, stderr)
	}
	return strings.TrimSpace(string(out))
}

// BenchmarkPing measures one ping on an open connection: encode, write,
// server round trip, decode.
func BenchmarkPing(b *testing.B) {
	srv, c, ctx := benchServer(b)
	if err := c.Ping(ctx); err != nil { // dial outside the timer
		b.Fatal(err)
	}
	req, reply := benchWire(b, ctx, srv, func(c *f2b.Client) error { return c.Ping(ctx) })
	b.ReportAllocs()
	b.ResetTimer() // b.Loop resets it too; kept for readers used to b.N loops
	for b.Loop() {
		if err := c.Ping(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pings/s")
	reportWire(b, req, reply)
}

// BenchmarkPingProcess measures what the same ping costs through one
// fail2ban-client process per call (Python start-up, config reading,
// connect, ping), which is what a GUI wrapping the CLI would pay.
func BenchmarkPingProcess(b *testing.B) {
	srv, _, _ := benchServer(b)
	bin, args := benchClientArgs(b, srv, "ping")
	// Check the output once; this run also warms the page cache.
	if out := benchRun(b, bin, args); !strings.Contains(out, "pong") {
		b.Fatalf("fail2ban-client ping printed %q, want \"Server replied: pong\"", out)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		benchRun(b, bin, args)
	}
	reportMs(b)
}

// benchSetup5000 starts a server with 5,000 bans in benchJail.
func benchSetup5000(b *testing.B) (*f2btest.Server, *f2b.Client, context.Context) {
	b.Helper()
	srv, c, ctx := benchServer(b)
	start := time.Now()
	benchBan(b, ctx, c, benchIPs(5000))
	b.Logf("setup: banned 5000 addresses in %v", time.Since(start).Round(time.Millisecond))
	return srv, c, ctx
}

// BenchmarkStatus5000 measures `status app1` (counters plus the list of
// 5,000 banned addresses).
func BenchmarkStatus5000(b *testing.B) {
	srv, c, ctx := benchSetup5000(b)
	st, err := c.JailStatus(ctx, benchJail)
	if err != nil || st.CurrentlyBanned != 5000 || len(st.BannedIPs) != 5000 {
		b.Fatalf("status: banned %d, list %d, %v; want 5000", st.CurrentlyBanned, len(st.BannedIPs), err)
	}
	req, reply := benchWire(b, ctx, srv, func(c *f2b.Client) error {
		_, err := c.JailStatus(ctx, benchJail)
		return err
	})
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := c.JailStatus(ctx, benchJail); err != nil {
			b.Fatal(err)
		}
	}
	reportMs(b)
	reportWire(b, req, reply)
}

// BenchmarkStatusShort5000 measures `status app1 short` with 5,000 bans:
// the counters without the list.
func BenchmarkStatusShort5000(b *testing.B) {
	srv, c, ctx := benchSetup5000(b)
	st, err := c.JailStatusShort(ctx, benchJail)
	if err != nil || st.CurrentlyBanned != 5000 || st.BannedIPs != nil {
		b.Fatalf("status short: banned %d, list %d, %v; want 5000 and no list", st.CurrentlyBanned, len(st.BannedIPs), err)
	}
	req, reply := benchWire(b, ctx, srv, func(c *f2b.Client) error {
		_, err := c.JailStatusShort(ctx, benchJail)
		return err
	})
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := c.JailStatusShort(ctx, benchJail); err != nil {
			b.Fatal(err)
		}
	}
	reportMs(b)
	reportWire(b, req, reply)
}

// BenchmarkBans5000 measures `get app1 banip --with-time` with 5,000 bans,
// decoded and parsed into core.Ban values.
func BenchmarkBans5000(b *testing.B) {
	srv, c, ctx := benchSetup5000(b)
	bans, err := c.Bans(ctx, benchJail)
	if err != nil || len(bans) != 5000 {
		b.Fatalf("bans: %d, %v; want 5000", len(bans), err)
	}
	req, reply := benchWire(b, ctx, srv, func(c *f2b.Client) error {
		_, err := c.Bans(ctx, benchJail)
		return err
	})
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := c.Bans(ctx, benchJail); err != nil {
			b.Fatal(err)
		}
	}
	reportMs(b)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/5000, "ns/ban")
	reportWire(b, req, reply)
}

// BenchmarkBan2000Batched measures one BanIP call with 2,000 addresses
// (batches of DefaultBatchSize). The server runs the ban action for each
// address before it answers, so this is mostly server time. The bans are
// lifted outside the timer after each op.
func BenchmarkBan2000Batched(b *testing.B) {
	_, c, ctx := benchServer(b)
	ips := benchIPs(2000)
	warm := []string{"2001:db8::ffff:1"} // not in ips
	benchBan(b, ctx, c, warm)
	benchUnban(b, ctx, c, warm)
	b.ReportAllocs()
	b.ResetTimer()
	var batches int
	for b.Loop() {
		res, err := c.BanIP(ctx, benchJail, ips, nil)
		b.StopTimer()
		if err != nil || res.Changed != len(ips) {
			b.Fatalf("banip: %+v %v", res, err)
		}
		batches = res.Batches
		if n := benchBanned(b, ctx, c); n != len(ips) {
			b.Fatalf("%d banned after banip, want %d", n, len(ips))
		}
		benchUnban(b, ctx, c, ips)
		b.StartTimer()
	}
	secs := b.Elapsed().Seconds()
	b.ReportMetric(float64(len(ips)*b.N)/secs, "ips/s")
	b.ReportMetric(secs*1e3/float64(len(ips)*b.N), "ms/ip")
	b.ReportMetric(float64(batches), "cmds/op")
	reportMs(b)
}

// BenchmarkBan2000PerProcess measures banning the same 2,000 addresses with
// one `fail2ban-client set app1 banip IP` process each, one after the
// other. Expect minutes per op.
func BenchmarkBan2000PerProcess(b *testing.B) {
	srv, c, ctx := benchServer(b)
	ips := benchIPs(2000)
	bin, prefix := benchClientArgs(b, srv, "set", benchJail, "banip")
	// One process outside the timer, with an address not in ips: checks
	// the output and warms the page cache.
	const warm = "2001:db8::ffff:1"
	if out := benchRun(b, bin, append(slices.Clone(prefix), warm)); out != "1" {
		b.Fatalf("fail2ban-client set %s banip %s printed %q, want \"1\"", benchJail, warm, out)
	}
	benchUnban(b, ctx, c, []string{warm})
	args := make([][]string, len(ips))
	for i, ip := range ips {
		args[i] = append(slices.Clone(prefix), ip)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, a := range args {
			benchRun(b, bin, a)
		}
		b.StopTimer()
		if n := benchBanned(b, ctx, c); n != len(ips) {
			b.Fatalf("%d banned after %d processes, want %d", n, len(ips), len(ips))
		}
		benchUnban(b, ctx, c, ips)
		b.StartTimer()
	}
	secs := b.Elapsed().Seconds()
	b.ReportMetric(float64(len(ips)*b.N)/secs, "ips/s")
	b.ReportMetric(secs*1e3/float64(len(ips)*b.N), "ms/ip")
	b.ReportMetric(float64(len(ips)), "cmds/op")
	reportMs(b)
}
