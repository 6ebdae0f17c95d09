package fleet_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/activity"
	"github.com/bangui/bangui/core/f2b"
	"github.com/bangui/bangui/core/f2b/f2btest"
	"github.com/bangui/bangui/core/fleet"
	"github.com/bangui/bangui/core/store"
	"github.com/bangui/bangui/core/store/storetest"
)

// rig is two real fail2ban servers, alpha (jails app1, app2, web) and beta
// (app1, app2), a cache holding both, and Actions recording into it.
type rig struct {
	alpha, beta     *f2btest.Server
	alphaC, betaC   *f2b.Client
	alphaD, betaD   *countingDialer
	db              *store.DB
	svc             *activity.Service
	act             *fleet.Actions
	targets         []fleet.Target
	alphaSv, betaSv core.Server
}

func newRig(t *testing.T) *rig {
	t.Helper()
	r := &rig{
		alpha: f2btest.Start(t, f2btest.Options{ExtraJails: []string{"web"}}),
		beta:  f2btest.Start(t, f2btest.Options{}),
		db:    storetest.Open(t),
	}
	r.alphaD = &countingDialer{inner: f2b.UnixDialer{Path: r.alpha.Socket}}
	r.betaD = &countingDialer{inner: f2b.UnixDialer{Path: r.beta.Socket}}
	r.alphaC, r.betaC = newClient(t, r.alphaD), newClient(t, r.betaD)
	r.svc = &activity.Service{Rec: &activity.Recorder{Log: r.db}}
	r.act = &fleet.Actions{Activity: r.svc}
	ctx := context.Background()
	var err error
	if r.alphaSv, err = r.db.AddServer(ctx, core.Server{Name: "alpha", Kind: core.ServerLocal, Socket: r.alpha.Socket}); err != nil {
		t.Fatal(err)
	}
	if r.betaSv, err = r.db.AddServer(ctx, core.Server{Name: "beta", Kind: core.ServerLocal, Socket: r.beta.Socket}); err != nil {
		t.Fatal(err)
	}
	r.targets = []fleet.Target{
		{Server: r.alphaSv, Client: r.alphaC},
		// A recorded client, as the app keeps them: still recorded once.
		{Server: r.betaSv, Client: activity.Wrap(r.betaC, r.svc, r.betaSv)},
	}
	return r
}

// activities returns the log's entries for action, by server name, and
// checks there is one per server.
func (r *rig) activities(t *testing.T, action string) map[string]core.Activity {
	t.Helper()
	list, err := r.db.Activities(context.Background(), core.ActivityFilter{Action: action})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]core.Activity{}
	for _, a := range list {
		if _, dup := out[a.ServerName]; dup {
			t.Errorf("%s recorded twice on %s: %+v", action, a.ServerName, list)
		}
		out[a.ServerName] = a
	}
	if len(out) != 2 {
		t.Errorf("%s recorded on %d servers; want 2: %+v", action, len(out), list)
	}
	return out
}

func (r *rig) clearLog(t *testing.T) {
	t.Helper()
	if _, err := r.db.Write.Exec(`DELETE FROM activity`); err != nil {
		t.Fatal(err)
	}
}

// jailsOf returns the jails that ban ip on alpha now.
func (r *rig) jailsOf(t *testing.T, ips ...string) map[string][]string {
	t.Helper()
	m, err := r.alphaC.JailsOf(ctxT(t), ips...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestActions runs fleet jobs over two real servers in turn: refused input,
// a jail one server lacks, then with one server down a ban, a repeat and an
// unban everywhere. Every job is checked on the servers and in the
// activity log.
func TestActions(t *testing.T) {
	r := newRig(t)
	ctx := ctxT(t)

	t.Run("refused", func(t *testing.T) {
		for _, ips := range [][]string{
			{"192.0.2.1", "192.0.2.300"},
			{"198.51.100.1", "example.org"},
			{"0.0.0.0/0"},
			{"192.0.2.1/24"}, // host bits set
			{"fe80::1%eth0"},
			nil,
		} {
			_, err := r.act.Ban(ctx, r.targets, "app1", ips, nil)
			code(t, "ban "+strings.Join(ips, " "), err, core.EINVALID)
			_, err = r.act.Unban(ctx, r.targets, ips, nil)
			code(t, "unban "+strings.Join(ips, " "), err, core.EINVALID)
		}
		_, err := r.act.Ban(ctx, r.targets, "app1", []string{"192.0.2.1", "bogus"}, nil)
		if msg := core.ErrorMessage(err); !strings.Contains(msg, "entry 2") || !strings.Contains(msg, "nothing was sent") {
			t.Errorf("message %q; want it to name entry 2 and say nothing was sent", msg)
		}
		_, err = r.act.Ban(ctx, r.targets, "app1; rm", []string{"192.0.2.1"}, nil)
		code(t, "bad jail name", err, core.EINVALID)
		_, err = r.act.Ban(ctx, nil, "app1", []string{"192.0.2.1"}, nil)
		code(t, "no servers", err, core.EINVALID)

		if n := r.alphaD.dials.Load() + r.betaD.dials.Load(); n != 0 {
			t.Errorf("%d dials for refused jobs; want none", n)
		}
		if list, err := r.db.Activities(ctx, core.ActivityFilter{}); err != nil || len(list) != 0 {
			t.Errorf("activity log after refused jobs: %+v, %v; want empty", list, err)
		}
	})

	t.Run("jail missing on one server", func(t *testing.T) {
		got, err := r.act.Ban(ctx, r.targets, "web", []string{"192.0.2.20"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if a := got[0]; a.Err != nil || a.Requested != 1 || a.Changed != 1 {
			t.Errorf("alpha: %+v", a)
		}
		b := got[1]
		code(t, "beta", b.Err, core.ENOTFOUND)
		if msg := core.ErrorMessage(b.Err); !strings.Contains(msg, `beta has no jail "web"`) {
			t.Errorf("beta: %q; want it to name the server and the jail", msg)
		}
		if b.Changed != 0 {
			t.Errorf("beta: %+v", b)
		}
		if m := r.jailsOf(t, "192.0.2.20"); !slices.Equal(m["192.0.2.20"], []string{"web"}) {
			t.Errorf("alpha bans 192.0.2.20 in %v; want web", m)
		}
		log := r.activities(t, core.ActionBan)
		if a := log["alpha"]; a.Status != core.StatusOK || a.Jail != "web" || a.Result != "banned 1" {
			t.Errorf("alpha's activity: %+v", a)
		}
		if a := log["beta"]; a.Status != core.StatusFailed || !strings.Contains(a.Error, `no jail "web"`) {
			t.Errorf("beta's activity: %+v", a)
		}
		r.clearLog(t)
	})

	r.beta.Stop(t)
	ips := []string{"192.0.2.10", "198.51.100.7", "2001:db8::5", " 192.0.2.10 ", "2001:0db8:0::5"}

	t.Run("ban with one server down", func(t *testing.T) {
		var reported []string
		got, err := r.act.Ban(ctx, r.targets, "app1", ips, func(res core.FleetResult) {
			reported = append(reported, res.Server.Name)
		})
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(reported)
		if !slices.Equal(reported, []string{"alpha", "beta"}) {
			t.Errorf("reported %v", reported)
		}
		if a := got[0]; a.Server.Name != "alpha" || a.Err != nil || a.Requested != 3 || a.Changed != 3 || a.Already != 0 || a.Took <= 0 {
			t.Errorf("alpha: %+v", a)
		}
		if b := got[1]; b.Server.Name != "beta" || b.Changed != 0 || b.Requested != 3 {
			t.Errorf("beta: %+v", b)
		}
		code(t, "beta", got[1].Err, core.EUNAVAILABLE)
		t.Logf("beta: %s", core.ErrorMessage(got[1].Err))
		m := r.jailsOf(t, "192.0.2.10", "198.51.100.7", "2001:db8::5")
		for ip, jails := range m {
			if !slices.Equal(jails, []string{"app1"}) {
				t.Errorf("alpha bans %s in %v; want app1", ip, jails)
			}
		}
		log := r.activities(t, core.ActionBan)
		if a := log["alpha"]; a.Status != core.StatusOK || a.Jail != "app1" || a.Result != "banned 3" ||
			!slices.Equal(a.Args, []string{"192.0.2.10", "198.51.100.7", "2001:db8::5"}) {
			t.Errorf("alpha's activity: %+v", a)
		}
		if a := log["beta"]; a.Status != core.StatusFailed || a.Error == "" || a.ServerID != r.betaSv.ID {
			t.Errorf("beta's activity: %+v", a)
		}
		r.clearLog(t)

		got, err = r.act.Ban(ctx, r.targets[:1], "app1", ips, nil)
		if err != nil || got[0].Changed != 0 || got[0].Already != 3 {
			t.Errorf("banning again: %+v, %v; want 3 already banned", got, err)
		}
		r.clearLog(t)
	})

	t.Run("unban everywhere with one server down", func(t *testing.T) {
		if _, err := r.alphaC.BanIP(ctx, "app2", []string{"192.0.2.10"}, nil); err != nil {
			t.Fatal(err)
		}
		got, err := r.act.Unban(ctx, r.targets, ips, nil)
		if err != nil {
			t.Fatal(err)
		}
		if a := got[0]; a.Err != nil || a.Requested != 3 || a.Changed != 4 {
			t.Errorf("alpha: %+v; want 4 bans lifted (192.0.2.10 in two jails)", a)
		}
		code(t, "beta", got[1].Err, core.EUNAVAILABLE)
		for ip, jails := range r.jailsOf(t, "192.0.2.10", "198.51.100.7", "2001:db8::5") {
			if len(jails) != 0 {
				t.Errorf("alpha still bans %s in %v", ip, jails)
			}
		}
		log := r.activities(t, core.ActionUnbanEverywhere)
		if a := log["alpha"]; a.Status != core.StatusOK || a.Result != "lifted 4 bans of 3 addresses" {
			t.Errorf("alpha's activity: %+v", a)
		}
		if a := log["beta"]; a.Status != core.StatusFailed || a.Error == "" {
			t.Errorf("beta's activity: %+v", a)
		}
	})

	t.Run("cancelled", func(t *testing.T) {
		r.clearLog(t)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		got, err := r.act.Ban(cctx, r.targets, "app1", []string{"192.0.2.30"}, nil)
		code(t, "cancelled job", err, core.ECANCELED)
		for _, res := range got {
			code(t, res.Server.Name, res.Err, core.ECANCELED)
		}
		if list, _ := r.db.Activities(ctx, core.ActivityFilter{}); len(list) != 0 {
			t.Errorf("a job cancelled before it started was recorded: %+v", list)
		}
	})
}
