package main

import (
	"testing"
	"time"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/f2b"
	"github.com/bangui/bangui/core/histsync"
	"github.com/bangui/bangui/core/jailconf"
)

// TestSSHHistoryThroughTheApp copies an SSH server's history the way the
// app's sync task does (clients.historyTarget: the remote reader over the
// server's one SSH connection), and reads its failure counts the way the
// bans view does: a real fail2ban behind a real sshd, as root.
func TestSSHHistoryThroughTheApp(t *testing.T) {
	e := newSSHEnv(t)
	f2bSrv, ctx, db := e.f2b, e.ctx, e.db

	direct := f2b.New(f2b.UnixDialer{Path: f2bSrv.Socket}, f2b.Config{})
	defer direct.Close()
	ips := []string{"192.0.2.41", "198.51.100.42", "203.0.113.43", "2001:db8::44"}
	if _, err := direct.BanIP(ctx, f2bSrv.Jails[0], ips, nil); err != nil {
		t.Fatal(err)
	}

	s := e.server(t, "web-9")
	c := e.clients(t)
	syncer := &histsync.Syncer{Store: db}
	var res histsync.Result
	var err error
	// fail2ban writes its database a moment after the ban: wait for the rows.
	for range 50 {
		target, done := c.historyTarget(s)
		res, err = syncer.Sync(ctx, target)
		done()
		if err != nil {
			t.Fatalf("sync over SSH: %v", err)
		}
		if n, _ := db.CountHistory(ctx, core.HistoryFilter{ServerIDs: []int64{s.ID}}); n >= len(ips) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	rows, err := db.HistoryPage(ctx, core.HistoryFilter{ServerIDs: []int64{s.ID}}, nil, 100)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, r := range rows {
		if r.Jail != f2bSrv.Jails[0] || r.Origin != core.OriginManual {
			t.Errorf("row %+v", r)
		}
		got[r.IP] = true
	}
	for _, ip := range ips {
		if !got[ip] {
			t.Errorf("%s not copied (last sync: %s)", ip, res)
		}
	}
	// A second sync copies nothing new.
	target, done := c.historyTarget(s)
	res, err = syncer.Sync(ctx, target)
	done()
	if err != nil || res.Copied != 0 {
		t.Errorf("second sync: %s, %v", res, err)
	}

	fails, err := c.Failures(s).Failures(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, ip := range ips {
		if n, ok := fails[f2bSrv.Jails[0]+"|"+ip]; !ok || n != 0 {
			t.Errorf("failures of %s: %d %v (a manual ban has none)", ip, n, ok)
		}
	}
}

// TestSSHPermanentEditThroughTheApp changes a jail for good on an SSH
// server the way the jail settings do (clients.Permanent: BanGUI's file
// written over SSH, checked and reloaded by the remote fail2ban-client),
// and reads the jails' filters (clients.JailInfo), as root.
func TestSSHPermanentEditThroughTheApp(t *testing.T) {
	e := newSSHEnv(t)
	f2bSrv, ctx, db := e.f2b, e.ctx, e.db
	s := e.server(t, "web-8")
	c := e.clients(t)
	jail := f2bSrv.Jails[0]

	if _, err := c.Permanent(s).Apply(ctx, jail, []jailconf.Change{{Key: "maxretry", Value: "7"}}); err != nil {
		t.Fatalf("apply over SSH: %v", err)
	}
	direct := f2b.New(f2b.UnixDialer{Path: f2bSrv.Socket}, f2b.Config{})
	defer direct.Close()
	cfg, err := direct.JailConfig(ctx, jail)
	if err != nil || cfg.MaxRetry != 7 {
		t.Fatalf("maxretry after the reload: %d %v", cfg.MaxRetry, err)
	}
	got, err := c.Permanent(s).Read(ctx, jail)
	if err != nil || got["maxretry"] != "7" {
		t.Errorf("BanGUI's file says %v, %v", got, err)
	}
	info, err := c.JailInfo(s).JailInfo(ctx)
	if err != nil || info[jail].Filter == "" {
		t.Errorf("jail info over SSH: %+v %v", info, err)
	}
	// A bad value is refused before anything is written.
	if _, err := c.Permanent(s).Apply(ctx, jail, []jailconf.Change{{Key: "maxretry", Value: "many"}}); core.ErrorCode(err) != core.EINVALID {
		t.Errorf("bad value: %v", err)
	}
	acts, err := db.Activities(ctx, core.ActivityFilter{ServerID: s.ID})
	if err != nil || len(acts) == 0 || acts[0].Action != core.ActionPermanentEdit {
		t.Errorf("activity log: %+v %v", acts, err)
	}
}
