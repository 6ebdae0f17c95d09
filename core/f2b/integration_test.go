package f2b_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/f2b"
	"github.com/bangui/bangui/core/f2b/f2btest"
)

// newClient starts a real fail2ban server and returns a client on it.
func newClient(t *testing.T, opt f2btest.Options) (*f2b.Client, *f2btest.Server) {
	return newClientWith(t, opt, f2b.Config{})
}

func newClientWith(t *testing.T, opt f2btest.Options, cfg f2b.Config) (*f2b.Client, *f2btest.Server) {
	t.Helper()
	srv := f2btest.Start(t, opt)
	c := f2b.New(f2b.UnixDialer{Path: srv.Socket}, cfg)
	t.Cleanup(func() { c.Close() })
	return c, srv
}

func ctxT(t *testing.T) context.Context {
	// A bound on a stuck test, not a speed check: a busy 2-core machine
	// needs minutes for the 1,000-address batches (a shell per address).
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func mustCode(t *testing.T, err error, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want a %s error, got nil", code)
	}
	if got := core.ErrorCode(err); got != code {
		t.Fatalf("want code %s, got %s: %v", code, got, err)
	}
	if core.ErrorMessage(err) == "" {
		t.Fatalf("error without a user message: %v", err)
	}
}

func TestServerCommands(t *testing.T) {
	c, srv := newClient(t, f2btest.Options{DBPurgeAge: "2d"})
	ctx := ctxT(t)
	if err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	v, err := c.Version(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !v.AtLeast(0, 11, 2) || !strings.Contains(srv.Client(t, "version"), v.Raw) {
		t.Fatalf("version %v", v)
	}
	st, err := c.ServerStatus(ctx)
	if err != nil || st != "Server ready" {
		t.Fatalf("server-status %q %v", st, err)
	}
	jails, err := c.Jails(ctx)
	if err != nil || !slices.Equal(jails, []string{"app1", "app2"}) {
		t.Fatalf("jails %v %v", jails, err)
	}
	db, ok, err := c.DBFile(ctx)
	if err != nil || !ok || db != srv.DBFile {
		t.Fatalf("dbfile %q %v %v, want %q", db, ok, err, srv.DBFile)
	}
	age, err := c.DBPurgeAge(ctx)
	if err != nil || age != 48*time.Hour {
		t.Fatalf("dbpurgeage %v %v", age, err)
	}
	lvl, err := c.LogLevel(ctx)
	if err != nil || lvl != "INFO" {
		t.Fatalf("loglevel %q %v", lvl, err)
	}
	target, err := c.LogTarget(ctx)
	if err != nil || !strings.HasSuffix(target, "fail2ban.log") {
		t.Fatalf("logtarget %q %v", target, err)
	}
}

func TestJailStatusAndBans(t *testing.T) {
	c, srv := newClient(t, f2btest.Options{})
	ctx := ctxT(t)
	srv.WriteFailures(t, "app1", "192.0.2.10", 3)
	srv.WaitBanned(t, "app1", "192.0.2.10", 10*time.Second)
	res, err := c.BanIP(ctx, "app1", []string{"2001:db8::10", "198.51.100.7"}, nil)
	if err != nil || res.Changed != 2 {
		t.Fatalf("banip %+v %v", res, err)
	}
	st, err := c.JailStatus(ctx, "app1")
	if err != nil {
		t.Fatal(err)
	}
	if st.CurrentlyBanned != 3 || st.TotalBanned != 3 || st.TotalFailed < 2 || len(st.Files) != 1 || st.Files[0] != srv.LogFile("app1") {
		t.Fatalf("status %+v", st)
	}
	want := []string{"192.0.2.10", "198.51.100.7", "2001:db8::10"}
	got := slices.Clone(st.BannedIPs)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("banned list %v", got)
	}
	short, err := c.JailStatusShort(ctx, "app1")
	if err != nil || short.BannedIPs != nil || short.CurrentlyBanned != 3 {
		t.Fatalf("short %+v %v", short, err)
	}
	bans, err := c.Bans(ctx, "app1")
	if err != nil || len(bans) != 3 {
		t.Fatalf("bans %+v %v", bans, err)
	}
	for _, b := range bans {
		if b.Jail != "app1" || b.Permanent || b.BanTime != 600*time.Second || b.End.Sub(b.Start) != b.BanTime ||
			time.Since(b.Start) > time.Minute || time.Since(b.Start) < -time.Minute {
			t.Fatalf("ban %+v", b)
		}
	}
	all, err := c.Banned(ctx)
	if err != nil || len(all) != 2 {
		t.Fatalf("banned %+v %v", all, err)
	}
	every, err := c.AllBans(ctx)
	if err != nil || len(every) != 3 || every[0].Jail != "app1" {
		t.Fatalf("all bans %+v %v", every, err)
	}
	of, err := c.JailsOf(ctx, "192.0.2.10", "203.0.113.99")
	if err != nil || !slices.Equal(of["192.0.2.10"], []string{"app1"}) || len(of["203.0.113.99"]) != 0 {
		t.Fatalf("banned ips %v %v", of, err)
	}
	one, err := c.JailsOf(ctx, "2001:db8::10")
	if err != nil || !slices.Equal(one["2001:db8::10"], []string{"app1"}) {
		t.Fatalf("banned one %v %v", one, err)
	}
	ov, err := c.Overview(ctx)
	if err != nil || len(ov) != 2 || ov[0].Name != "app1" || ov[0].CurrentlyBanned != 3 || ov[1].CurrentlyBanned != 0 {
		t.Fatalf("overview %+v %v", ov, err)
	}
}

func TestPermanentBan(t *testing.T) {
	c, _ := newClient(t, f2btest.Options{BanTime: "-1"})
	ctx := ctxT(t)
	if _, err := c.BanIP(ctx, "app2", []string{"203.0.113.5"}, nil); err != nil {
		t.Fatal(err)
	}
	bans, err := c.Bans(ctx, "app2")
	if err != nil || len(bans) != 1 || !bans[0].Permanent || !bans[0].End.IsZero() || bans[0].Remaining(time.Now()) != -1 {
		t.Fatalf("bans %+v %v", bans, err)
	}
}

func TestJailConfigAndSetters(t *testing.T) {
	c, srv := newClient(t, f2btest.Options{})
	ctx := ctxT(t)
	cfg, err := c.JailConfig(ctx, "app1")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.BanTime != 600*time.Second || cfg.FindTime != 600*time.Second || cfg.MaxRetry != 2 || cfg.MaxMatches < 1 ||
		cfg.IgnoreSelf || len(cfg.LogPaths) != 1 || len(cfg.FailRegex) != 1 || !strings.Contains(cfg.DatePattern.Pattern, "%Y") ||
		!slices.Equal(cfg.Actions, []string{"testlog"}) || cfg.UseDNS != "no" {
		t.Fatalf("config %+v", cfg)
	}
	if d, err := c.SetBanTime(ctx, "app1", "1h30m"); err != nil || d != 90*time.Minute {
		t.Fatalf("bantime %v %v", d, err)
	}
	if d, err := c.SetBanTime(ctx, "app1", "-1"); err != nil || d != -time.Second {
		t.Fatalf("bantime -1 %v %v", d, err)
	}
	if d, err := c.SetFindTime(ctx, "app1", "1d"); err != nil || d != 24*time.Hour {
		t.Fatalf("findtime %v %v", d, err)
	}
	if n, err := c.SetMaxRetry(ctx, "app1", 4); err != nil || n != 4 {
		t.Fatalf("maxretry %v %v", n, err)
	}
	list, err := c.AddIgnoreIP(ctx, "app1", "198.51.100.0/24")
	if err != nil || !slices.Contains(list, "198.51.100.0/24") {
		t.Fatalf("addignoreip %v %v", list, err)
	}
	list, err = c.DelIgnoreIP(ctx, "app1", "198.51.100.0/24")
	if err != nil || slices.Contains(list, "198.51.100.0/24") {
		t.Fatalf("delignoreip %v %v", list, err)
	}
	if err := c.SetIdle(ctx, "app2", true); err != nil {
		t.Fatal(err)
	}
	ov, _ := c.Overview(ctx)
	if !ov[1].Idle || ov[0].Idle {
		t.Fatalf("idle %+v", ov)
	}
	if err := c.SetIdle(ctx, "app2", false); err != nil {
		t.Fatal(err)
	}
	if err := c.StopJail(ctx, "app2"); err != nil {
		t.Fatal(err)
	}
	jails, _ := c.Jails(ctx)
	if !slices.Equal(jails, []string{"app1"}) {
		t.Fatalf("after stop %v", jails)
	}
	_, err = c.JailStatus(ctx, "app2")
	mustCode(t, err, core.ENOTFOUND)
	if !strings.Contains(srv.Client(t, "status"), "app1") {
		t.Fatal("fail2ban-client disagrees")
	}
}

func TestUnban(t *testing.T) {
	c, _ := newClient(t, f2btest.Options{})
	ctx := ctxT(t)
	ips := []string{"192.0.2.1", "192.0.2.2", "192.0.2.3"}
	for _, j := range []string{"app1", "app2"} {
		if _, err := c.BanIP(ctx, j, ips, nil); err != nil {
			t.Fatal(err)
		}
	}
	res, err := c.UnbanIP(ctx, "app1", []string{"192.0.2.1", "203.0.113.200"}, nil)
	if err != nil || res.Changed != 1 || res.Unchanged() != 1 {
		t.Fatalf("unbanip %+v %v", res, err)
	}
	n, err := c.Unban(ctx, "192.0.2.2")
	if err != nil || n != 2 {
		t.Fatalf("unban %d %v", n, err)
	}
	n, err = c.UnbanAll(ctx)
	if err != nil || n != 3 {
		t.Fatalf("unban --all %d %v", n, err)
	}
	all, _ := c.Banned(ctx)
	for _, jb := range all {
		if len(jb.IPs) != 0 {
			t.Fatalf("left %+v", all)
		}
	}
}

func TestNonASCIIArgument(t *testing.T) {
	c, _ := newClient(t, f2btest.Options{})
	ctx := ctxT(t)
	// A jail name is never non-ASCII after validation, so use raw commands
	// that carry text: echo, and an unknown jail whose name comes back in
	// the exception.
	out, err := c.Raw(ctx, "echo", "grüße", "日本")
	if err != nil || out != "[grüße 日本]" {
		t.Fatalf("echo %q %v", out, err)
	}
	_, err = c.Raw(ctx, "status", "jäil")
	var se *f2b.ServerError
	if !errors.As(err, &se) || !se.IsUnknownJail() || se.Args[0] != "jäil" {
		t.Fatalf("unknown jail %v", err)
	}
	mustCode(t, err, core.ENOTFOUND)
}

func TestBulkBanUnban1000(t *testing.T) {
	// The test's file action forks a shell per address: 10-50 ms each on a
	// busy 2-core machine. This test is about batching and counts, so give
	// each batch room rather than test the timeout here.
	c, srv := newClientWith(t, f2btest.Options{}, f2b.Config{PerIP: time.Second})
	ctx := ctxT(t)
	ips := make([]string, 1000)
	for i := range ips {
		ips[i] = fmt.Sprintf("198.51.%d.%d", 100+i/250, 1+i%250)
	}
	var calls []int
	res, err := c.BanIP(ctx, "app1", ips, func(done, total int) { calls = append(calls, done) })
	if err != nil || res.Changed != 1000 || res.Batches != 4 || !slices.Equal(calls, []int{250, 500, 750, 1000}) {
		t.Fatalf("ban %+v %v %v", res, err, calls)
	}
	st, _ := c.JailStatusShort(ctx, "app1")
	if st.CurrentlyBanned != 1000 {
		t.Fatalf("banned %d", st.CurrentlyBanned)
	}
	if !strings.Contains(srv.Client(t, "status", "app1"), "Currently banned:\t1000") {
		t.Fatal("fail2ban-client disagrees")
	}
	again, err := c.BanIP(ctx, "app1", ips[:10], nil)
	if err != nil || again.Changed != 0 || again.Unchanged() != 10 {
		t.Fatalf("again %+v %v", again, err)
	}
	res, err = c.UnbanIP(ctx, "app1", ips, nil)
	if err != nil || res.Changed != 1000 {
		t.Fatalf("unban %+v %v", res, err)
	}
}

func TestServerStoppedMidSession(t *testing.T) {
	c, srv := newClient(t, f2btest.Options{})
	ctx := ctxT(t)
	if err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	srv.Stop(t)
	err := c.Ping(ctx)
	mustCode(t, err, core.EUNAVAILABLE)
	if !strings.Contains(core.ErrorMessage(err), "is fail2ban running?") {
		t.Fatalf("message %q", core.ErrorMessage(err))
	}
	srv.Restart(t)
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("after restart: %v", err)
	}
	if _, err := c.Jails(ctx); err != nil {
		t.Fatal(err)
	}
}
