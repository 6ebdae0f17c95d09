package blocklist_test

// Benchmarks of a blocklist import into a real jail (f2btest), against
// the way a script does it: one `fail2ban-client set JAIL banip IP`
// process per address (as core/f2b's BenchmarkBan10000PerProcess). Run
// them once: -bench Import -benchtime 1x. Nothing here checks a time.
//
// Each has a variant with the jail's ban action and one without it
// (NoAction). fail2ban runs the action (f2btest's testlog: a shell that
// appends a line) for every address on both sides, so with it the ratio
// is bounded by the action's cost; without it what is left is what the
// importer changes: one command per batch instead of a Python process per
// address.

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/blocklist"
	"github.com/bangui/bangui/core/f2b"
	"github.com/bangui/bangui/core/f2b/f2btest"
	"github.com/bangui/bangui/core/store/storetest"
)

const (
	benchJail   = "app1"
	benchAction = "testlog" // f2btest's only action
)

// benchIPs returns n distinct documentation addresses 2001:db8:NET:H::L,
// canonical, as fail2ban prints them.
func benchIPs(net, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("2001:db8:%x:%x::%x", net, 1+i/256, 1+i%256)
	}
	return out
}

// benchServer starts a private fail2ban-server with a one-day bantime (no
// ban ends during a run) and returns it with a client. Its cleanup removes
// the jail's action before f2btest stops the server, which would
// otherwise run the unban action for thousands of addresses.
func benchServer(b *testing.B, noAction bool) (*f2btest.Server, *f2b.Client) {
	b.Helper()
	srv := f2btest.Start(b, f2btest.Options{BanTime: "1d"})
	c := f2b.New(f2b.UnixDialer{Path: srv.Socket}, f2b.Config{PerIP: 500 * time.Millisecond})
	ctx := context.Background()
	dropped := false
	if noAction {
		if _, err := c.Raw(ctx, "set", benchJail, "delaction", benchAction); err != nil {
			b.Fatalf("delaction: %v", err)
		}
		dropped = true
	}
	b.Cleanup(func() {
		defer c.Close()
		if !dropped {
			if _, err := c.Raw(ctx, "set", benchJail, "delaction", benchAction); err != nil {
				b.Logf("cleanup: delaction: %v", err)
			}
		}
	})
	return srv, c
}

// lift lifts the bans of ips without running the unban action (blank
// actionunban, restored after), outside the timer.
func lift(b *testing.B, c *f2b.Client, ips []string, noAction bool) {
	b.Helper()
	ctx := context.Background()
	var unban string
	if !noAction {
		var err error
		if unban, err = c.Raw(ctx, "get", benchJail, "action", benchAction, "actionunban"); err != nil {
			b.Fatalf("get actionunban: %v", err)
		}
		if _, err := c.Raw(ctx, "set", benchJail, "action", benchAction, "actionunban", ""); err != nil {
			b.Fatalf("blank actionunban: %v", err)
		}
	}
	if res, err := c.UnbanIP(ctx, benchJail, ips, nil); err != nil || res.Changed != len(ips) {
		b.Fatalf("unbanip: %+v %v", res, err)
	}
	if !noAction {
		if _, err := c.Raw(ctx, "set", benchJail, "action", benchAction, "actionunban", unban); err != nil {
			b.Fatalf("restore actionunban: %v", err)
		}
	}
}

func banned(b *testing.B, c *f2b.Client) int {
	b.Helper()
	st, err := c.JailStatusShort(context.Background(), benchJail)
	if err != nil {
		b.Fatalf("status: %v", err)
	}
	return st.CurrentlyBanned
}

func reportRate(b *testing.B, n int) {
	if b.N == 0 {
		return
	}
	secs := b.Elapsed().Seconds()
	b.ReportMetric(float64(n*b.N)/secs, "ips/s")
	b.ReportMetric(secs*1e3/float64(n*b.N), "ms/ip")
}

// BenchmarkImport10000 imports a list of 10,000 addresses end to end:
// download from a loopback list site, parse, check what the jail bans
// already, ban in batches, record in a real cache file. After each op,
// outside the timer, the bans are lifted and forgotten.
func BenchmarkImport10000(b *testing.B) { benchImport(b, 10000, false) }

// BenchmarkImport10000NoAction is BenchmarkImport10000 without the
// jail's ban action.
func BenchmarkImport10000NoAction(b *testing.B) { benchImport(b, 10000, true) }

func benchImport(b *testing.B, n int, noAction bool) {
	srv, c := benchServer(b, noAction)
	ips := benchIPs(0x20, n)
	site := newListSite(b)
	site.publish("", ips) // no ETag: every op downloads
	db := storetest.Open(b)
	ctx := context.Background()
	server, err := db.AddServer(ctx, core.Server{Name: "bench", Kind: core.ServerLocal, Socket: srv.Socket})
	if err != nil {
		b.Fatal(err)
	}
	src, err := db.AddBlocklist(ctx, core.BlocklistSource{Name: "bench", URL: site.URL + "/list.txt", Jail: benchJail, Enabled: true})
	if err != nil {
		b.Fatal(err)
	}
	im := &blocklist.Importer{
		Store:        db,
		Clients:      func(core.Server) (blocklist.Target, error) { return c, nil },
		ParseOptions: blocklist.ParseOptions{AllowDocumentation: true},
	}
	b.ResetTimer()
	var batches int
	for b.Loop() {
		sum, err := im.Run(ctx, src, []core.Server{server}, nil)
		b.StopTimer()
		if err != nil || sum.NewBans != n {
			b.Fatalf("import: %v; %+v", err, sum.Servers)
		}
		if got := banned(b, c); got != n {
			b.Fatalf("%d banned after the import, want %d", got, n)
		}
		batches = (n + f2b.DefaultBatchSize - 1) / f2b.DefaultBatchSize
		lift(b, c, ips, noAction)
		if err := db.DeleteBlocklistEntries(ctx, src.ID, server.ID, benchJail, ips); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	reportRate(b, n)
	b.ReportMetric(float64(batches), "ban-cmds/op")
}

// BenchmarkImportPerProcess2000 bans 2,000 addresses with one
// fail2ban-client process each, one after the other: 10,000 would take
// about half an hour (core/f2b's BenchmarkBan10000PerProcess measured
// 177 ms per address); the cost per address does not depend on the count,
// so compare ms/ip.
func BenchmarkImportPerProcess2000(b *testing.B) { benchPerProcess(b, 2000, false) }

// BenchmarkImportPerProcess2000NoAction is BenchmarkImportPerProcess2000
// without the jail's ban action.
func BenchmarkImportPerProcess2000NoAction(b *testing.B) { benchPerProcess(b, 2000, true) }

func benchPerProcess(b *testing.B, n int, noAction bool) {
	srv, c := benchServer(b, noAction)
	ips := benchIPs(0x30, n)
	bin, err := exec.LookPath("fail2ban-client")
	if err != nil {
		b.Fatal(err)
	}
	args := func(ip string) []string {
		return []string{"-c", srv.ConfDir, "-s", srv.Socket, "set", benchJail, "banip", ip}
	}
	run := func(ip string) string {
		out, err := exec.Command(bin, args(ip)...).Output()
		if err != nil {
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				err = fmt.Errorf("%w: %s", err, ee.Stderr)
			}
			b.Fatalf("fail2ban-client set %s banip %s: %v", benchJail, ip, err)
		}
		return strings.TrimSpace(string(out))
	}
	// One process outside the timer: checks the output, warms the cache.
	warm := "2001:db8:ffff::1"
	if out := run(warm); out != "1" {
		b.Fatalf("fail2ban-client printed %q, want 1", out)
	}
	lift(b, c, []string{warm}, noAction)
	b.ResetTimer()
	for b.Loop() {
		for _, ip := range ips {
			run(ip)
		}
		b.StopTimer()
		if got := banned(b, c); got != n {
			b.Fatalf("%d banned after %d processes, want %d", got, n, n)
		}
		lift(b, c, ips, noAction)
		b.StartTimer()
	}
	reportRate(b, n)
	b.ReportMetric(float64(n), "ban-cmds/op")
}
