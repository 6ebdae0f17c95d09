package activity_test

import (
	"context"
	"net"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/activity"
	"github.com/bangui/bangui/core/f2b"
	"github.com/bangui/bangui/core/f2b/f2btest"
	"github.com/bangui/bangui/core/store"
	"github.com/bangui/bangui/core/store/storetest"
)

// The fail2ban client is what the Service drives in the app.
var _ activity.Jails = (*f2b.Client)(nil)

// countingDialer counts dials, to prove that refused input never reaches
// the server.
type countingDialer struct {
	inner core.Dialer
	dials atomic.Int32
}

func (d *countingDialer) DialF2B(ctx context.Context) (net.Conn, error) {
	d.dials.Add(1)
	return d.inner.DialF2B(ctx)
}

// rig is a real fail2ban server, a client on it, a cache and a Service.
type rig struct {
	srv   *f2btest.Server
	c     *f2b.Client
	db    *store.DB
	svc   *activity.Service
	local core.Server
}

func newRig(t *testing.T) *rig {
	t.Helper()
	r := &rig{srv: f2btest.Start(t, f2btest.Options{}), db: storetest.Open(t)}
	r.c = f2b.New(f2b.UnixDialer{Path: r.srv.Socket}, f2b.Config{})
	t.Cleanup(func() { r.c.Close() })
	r.svc = &activity.Service{Rec: &activity.Recorder{Log: r.db}}
	var err error
	r.local, err = r.db.AddServer(context.Background(), core.Server{Name: "local", Kind: core.ServerLocal, Socket: r.srv.Socket})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// last returns the newest activity and checks the fields every activity of
// the rig shares.
func (r *rig) last(t *testing.T, action, jail string) core.Activity {
	t.Helper()
	list, err := r.db.Activities(context.Background(), core.ActivityFilter{Limit: 1})
	if err != nil || len(list) != 1 {
		t.Fatalf("Activities: %v, %v", list, err)
	}
	a := list[0]
	if a.Action != action || a.Jail != jail || a.ServerID != r.local.ID || a.ServerName != "local" ||
		a.Status == core.StatusRunning || a.Finished.IsZero() || a.Finished.Before(a.Started) {
		t.Fatalf("newest activity %+v; want a finished %s on %s", a, action, jail)
	}
	return a
}

func wantOK(t *testing.T, a core.Activity, result string) {
	t.Helper()
	if a.Status != core.StatusOK || a.Result != result || a.Error != "" {
		t.Errorf("%s: status %s, result %q, error %q; want ok, %q", a.Action, a.Status, a.Result, a.Error, result)
	}
}

// banned asks fail2ban-client, an independent witness, for jail's bans.
func (r *rig) banned(t *testing.T, jail string) []string {
	t.Helper()
	return strings.Fields(r.srv.Client(t, "get", jail, "banip"))
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func TestServiceBans(t *testing.T) {
	r := newRig(t)
	ctx := ctxT(t)
	r.srv.Client(t, "set", "app1", "banip", "192.0.2.1")

	var progress [][2]int
	ips := []string{"192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.2"}
	res, err := r.svc.Ban(ctx, r.local, r.c, "app1", ips, func(done, total int) { progress = append(progress, [2]int{done, total}) })
	if err != nil || res.Requested != 3 || res.Changed != 2 {
		t.Fatalf("Ban: %+v, %v", res, err)
	}
	if !slices.Equal(progress, [][2]int{{3, 3}}) {
		t.Errorf("progress %v", progress)
	}
	if got := r.banned(t, "app1"); !slices.Equal(got, []string{"192.0.2.1", "192.0.2.2", "192.0.2.3"}) {
		t.Errorf("server bans %v", got)
	}
	a := r.last(t, core.ActionBan, "app1")
	wantOK(t, a, "banned 2, already banned 1")
	if !slices.Equal(a.Args, ips) {
		t.Errorf("args %v, want the input as given %v", a.Args, ips)
	}

	res, err = r.svc.Unban(ctx, r.local, r.c, "app1", []string{"192.0.2.2", "198.51.100.9"}, nil)
	if err != nil || res.Changed != 1 {
		t.Fatalf("Unban: %+v, %v", res, err)
	}
	if got := r.banned(t, "app1"); !slices.Equal(got, []string{"192.0.2.1", "192.0.2.3"}) {
		t.Errorf("server bans after unban %v", got)
	}
	wantOK(t, r.last(t, core.ActionUnban, "app1"), "unbanned 1, not banned 1")

	r.srv.Client(t, "set", "app2", "banip", "192.0.2.3")
	n, err := r.svc.UnbanEverywhere(ctx, r.local, r.c, []string{"192.0.2.3"})
	if err != nil || n != 2 {
		t.Fatalf("UnbanEverywhere: %d, %v", n, err)
	}
	if got1, got2 := r.banned(t, "app1"), r.banned(t, "app2"); !slices.Equal(got1, []string{"192.0.2.1"}) || len(got2) != 0 {
		t.Errorf("server bans after unban everywhere: %v %v", got1, got2)
	}
	a = r.last(t, core.ActionUnbanEverywhere, "")
	wantOK(t, a, "lifted 2 bans of 1 address")

	r.srv.Client(t, "set", "app2", "banip", "203.0.113.1", "203.0.113.2")
	if n, err := r.svc.UnbanAll(ctx, r.local, r.c); err != nil || n != 3 {
		t.Fatalf("UnbanAll: %d, %v", n, err)
	}
	if got1, got2 := r.banned(t, "app1"), r.banned(t, "app2"); len(got1)+len(got2) != 0 {
		t.Errorf("server bans after unban all: %v %v", got1, got2)
	}
	wantOK(t, r.last(t, core.ActionUnbanAll, ""), "lifted 3 bans")

	// An unknown jail: the server's refusal is recorded.
	_, err = r.svc.Ban(ctx, r.local, r.c, "nope", []string{"192.0.2.5"}, nil)
	a = r.last(t, core.ActionBan, "nope")
	if core.ErrorCode(err) != core.ENOTFOUND || a.Status != core.StatusFailed || a.Error != core.ErrorMessage(err) ||
		!strings.Contains(a.Error, `no jail "nope"`) {
		t.Errorf("unknown jail: %v; recorded %+v", err, a)
	}
}

// TestServiceRefusedInput checks that bad input is recorded as failed with
// the validation message and never reaches the server.
func TestServiceRefusedInput(t *testing.T) {
	r := newRig(t)
	ctx := ctxT(t)
	d := &countingDialer{inner: f2b.UnixDialer{Path: r.srv.Socket}}
	c := f2b.New(d, f2b.Config{})
	defer c.Close()

	for _, tc := range []struct {
		name, action, jail string
		do                 func() error
		msg                string
	}{
		{"bad IP", core.ActionBan, "app1", func() error {
			_, err := r.svc.Ban(ctx, r.local, c, "app1", []string{"192.0.2.9", "not-an-ip"}, nil)
			return err
		}, `entry 2: "not-an-ip" is not an IP address`},
		{"bad jail", core.ActionUnban, "../etc", func() error {
			_, err := r.svc.Unban(ctx, r.local, c, "../etc", []string{"192.0.2.9"}, nil)
			return err
		}, `"../etc" is not a valid jail name`},
		{"bad time", core.ActionSetBanTime, "app1", func() error {
			_, err := r.svc.SetBanTime(ctx, r.local, c, "app1", "__import__('os')")
			return err
		}, "is not a time"},
		{"forever findtime", core.ActionSetFindTime, "app1", func() error {
			_, err := r.svc.SetFindTime(ctx, r.local, c, "app1", "-1")
			return err
		}, "-1 (forever) is not allowed"},
		{"maxretry 0", core.ActionSetMaxRetry, "app1", func() error {
			_, err := r.svc.SetMaxRetry(ctx, r.local, c, "app1", 0)
			return err
		}, "maxretry 0 is out of range"},
		{"bad ignore entry", core.ActionAddIgnoreIP, "app1", func() error {
			_, err := r.svc.AddIgnoreIP(ctx, r.local, c, "app1", "$(id)")
			return err
		}, "is not an IP address, network or host name"},
		{"empty unban everywhere", core.ActionUnbanEverywhere, "", func() error {
			_, err := r.svc.UnbanEverywhere(ctx, r.local, c, nil)
			return err
		}, "no IP addresses given"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.do()
			if core.ErrorCode(err) != core.EINVALID {
				t.Fatalf("%v; want EINVALID", err)
			}
			a := r.last(t, tc.action, tc.jail)
			if a.Status != core.StatusFailed || a.Error != core.ErrorMessage(err) || !strings.Contains(a.Error, tc.msg) || a.Result != "" {
				t.Errorf("recorded %+v; want failed with %q", a, tc.msg)
			}
		})
	}
	if n := d.dials.Load(); n != 0 {
		t.Errorf("refused input dialled the server %d times", n)
	}
	if got := r.banned(t, "app1"); len(got) != 0 {
		t.Errorf("server bans %v", got)
	}
	if data, err := os.ReadFile(r.srv.ActionLog); err == nil && strings.Contains(string(data), "192.0.2.9") {
		t.Errorf("the action ran:\n%s", data)
	}
}

func TestServiceJailSettings(t *testing.T) {
	r := newRig(t)
	ctx := ctxT(t)

	d, err := r.svc.SetBanTime(ctx, r.local, r.c, "app1", "1h")
	if err != nil || d != time.Hour {
		t.Fatalf("SetBanTime: %v, %v", d, err)
	}
	if got := r.srv.Client(t, "get", "app1", "bantime"); got != "3600" {
		t.Errorf("server bantime %q", got)
	}
	a := r.last(t, core.ActionSetBanTime, "app1")
	wantOK(t, a, "bantime 3600 s")
	if !slices.Equal(a.Args, []string{"1h"}) {
		t.Errorf("args %v", a.Args)
	}
	if _, err := r.svc.SetBanTime(ctx, r.local, r.c, "app1", "-1"); err != nil {
		t.Fatal(err)
	}
	if got := r.srv.Client(t, "get", "app1", "bantime"); got != "-1" {
		t.Errorf("server bantime %q", got)
	}
	wantOK(t, r.last(t, core.ActionSetBanTime, "app1"), "bantime -1 (permanent)")

	if d, err := r.svc.SetFindTime(ctx, r.local, r.c, "app1", "10m"); err != nil || d != 10*time.Minute {
		t.Fatalf("SetFindTime: %v, %v", d, err)
	}
	if got := r.srv.Client(t, "get", "app1", "findtime"); got != "600" {
		t.Errorf("server findtime %q", got)
	}
	wantOK(t, r.last(t, core.ActionSetFindTime, "app1"), "findtime 600 s")

	if n, err := r.svc.SetMaxRetry(ctx, r.local, r.c, "app1", 5); err != nil || n != 5 {
		t.Fatalf("SetMaxRetry: %v, %v", n, err)
	}
	if got := r.srv.Client(t, "get", "app1", "maxretry"); got != "5" {
		t.Errorf("server maxretry %q", got)
	}
	wantOK(t, r.last(t, core.ActionSetMaxRetry, "app1"), "maxretry 5")

	list, err := r.svc.AddIgnoreIP(ctx, r.local, r.c, "app1", "192.0.2.77")
	if err != nil || !slices.Contains(list, "192.0.2.77") {
		t.Fatalf("AddIgnoreIP: %v, %v", list, err)
	}
	if got := r.srv.Client(t, "get", "app1", "ignoreip"); !strings.Contains(got, "192.0.2.77") {
		t.Errorf("server ignoreip %q", got)
	}
	wantOK(t, r.last(t, core.ActionAddIgnoreIP, "app1"), "ignoreip: "+strings.Join(list, ", "))
	if _, err := r.svc.DelIgnoreIP(ctx, r.local, r.c, "app1", "192.0.2.77"); err != nil {
		t.Fatal(err)
	}
	if got := r.srv.Client(t, "get", "app1", "ignoreip"); strings.Contains(got, "192.0.2.77") {
		t.Errorf("server ignoreip after delete %q", got)
	}
	wantOK(t, r.last(t, core.ActionDelIgnoreIP, "app1"), "ignoreip is empty")
}

// TestServiceIdle checks idle by its effect, since fail2ban cannot report
// it: failures written while the jail is idle ban nobody (a ban normally
// follows within about a second), and the jail bans again once idle is off.
func TestServiceIdle(t *testing.T) {
	r := newRig(t)
	ctx := ctxT(t)
	if err := r.svc.SetIdle(ctx, r.local, r.c, "app2", true); err != nil {
		t.Fatal(err)
	}
	a := r.last(t, core.ActionIdle, "app2")
	wantOK(t, a, "idle on")
	if !slices.Equal(a.Args, []string{"on"}) {
		t.Errorf("args %v", a.Args)
	}

	r.srv.WriteFailures(t, "app2", "203.0.113.5", 3)
	time.Sleep(2500 * time.Millisecond) // the polling backend looks every second
	if data, err := os.ReadFile(r.srv.ActionLog); err == nil && strings.Contains(string(data), "203.0.113.5") {
		t.Fatalf("an idle jail banned:\n%s", data)
	}

	if err := r.svc.SetIdle(ctx, r.local, r.c, "app2", false); err != nil {
		t.Fatal(err)
	}
	wantOK(t, r.last(t, core.ActionIdle, "app2"), "idle off")
	r.srv.WriteFailures(t, "app2", "203.0.113.6", 3)
	r.srv.WaitBanned(t, "app2", "203.0.113.6", 15*time.Second)
}

func TestServiceStopJail(t *testing.T) {
	r := newRig(t)
	ctx := ctxT(t)
	if err := r.svc.StopJail(ctx, r.local, r.c, "app2"); err != nil {
		t.Fatal(err)
	}
	if got := r.srv.Client(t, "status"); strings.Contains(got, "app2") || !strings.Contains(got, "app1") {
		t.Errorf("server status after stop:\n%s", got)
	}
	wantOK(t, r.last(t, core.ActionStopJail, "app2"), "stopped")

	err := r.svc.StopJail(ctx, r.local, r.c, "app2")
	a := r.last(t, core.ActionStopJail, "app2")
	if core.ErrorCode(err) != core.ENOTFOUND || a.Status != core.StatusFailed || a.Error != core.ErrorMessage(err) {
		t.Errorf("second stop: %v; recorded %+v", err, a)
	}

	all, err := r.db.Activities(ctx, core.ActivityFilter{ServerID: r.local.ID, Action: core.ActionStopJail})
	if err != nil || len(all) != 2 || all[0].Status != core.StatusFailed || all[1].Status != core.StatusOK {
		t.Errorf("log: %+v, %v", all, err)
	}
}
