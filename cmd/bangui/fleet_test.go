package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/f2b"
	"github.com/bangui/bangui/core/f2b/f2btest"
	"github.com/bangui/bangui/core/store/storetest"
	"github.com/bangui/bangui/remote/sshtest"
)

// TestFleetBanOverSSHOneServerDown bans and unbans on two SSH servers
// through the app's clients: a real fail2ban behind a real sshd, and a
// second server whose sshd is down. The live one is changed, the dead one
// reports why, and both are in the activity log.
func TestFleetBanOverSSHOneServerDown(t *testing.T) {
	f2bUp, f2bDown := f2btest.Start(t, f2btest.Options{}), f2btest.Start(t, f2btest.Options{})
	up := sshtest.Start(t, sshtest.Options{Users: []sshtest.User{{Name: "root"}}})
	down := sshtest.Start(t, sshtest.Options{Users: []sshtest.User{{Name: "root"}}})
	t.Setenv("SSH_AUTH_SOCK", "")
	home := sshHome(t, up)
	kh := filepath.Join(home, ".ssh", "known_hosts")
	up.WriteKnownHosts(t, kh, false)
	down.Stop()

	db := storetest.Open(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	a, err := db.AddServer(ctx, core.Server{Name: "web-1", Kind: core.ServerSSH, Host: up.Host, Port: up.Port, User: "root", Socket: f2bUp.Socket})
	if err != nil {
		t.Fatal(err)
	}
	b, err := db.AddServer(ctx, core.Server{Name: "web-2", Kind: core.ServerSSH, Host: down.Host, Port: down.Port, User: "root", Socket: f2bDown.Socket})
	if err != nil {
		t.Fatal(err)
	}
	c := newClients(db, "")
	c.ssh.home = home
	defer c.Close()
	fl := c.fleet()
	jail := f2bUp.Jails[0]
	ips := []string{"192.0.2.31", "198.51.100.32", "2001:db8::33"}

	var heard []string
	res, err := fl.Ban(ctx, []core.Server{a, b}, jail, ips, func(r core.FleetResult) { heard = append(heard, r.Server.Name) })
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 || len(heard) != 2 {
		t.Fatalf("results %+v, heard %v", res, heard)
	}
	if res[0].Err != nil || res[0].Changed != 3 {
		t.Errorf("live server: %+v", res[0])
	}
	if core.ErrorCode(res[1].Err) != core.EUNAVAILABLE || !strings.Contains(core.ErrorMessage(res[1].Err), down.Addr) ||
		strings.Contains(core.ErrorMessage(res[1].Err), "may still be applying") {
		t.Errorf("dead server: %+v (%s)", res[1], core.ErrorMessage(res[1].Err))
	}
	direct := f2b.New(f2b.UnixDialer{Path: f2bUp.Socket}, f2b.Config{})
	defer direct.Close()
	where, err := direct.JailsOf(ctx, ips...)
	if err != nil {
		t.Fatal(err)
	}
	for _, ip := range ips {
		if len(where[ip]) != 1 || where[ip][0] != jail {
			t.Errorf("%s banned in %v on the live server", ip, where[ip])
		}
	}

	res, err = fl.Unban(ctx, []core.Server{a, b}, ips, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Err != nil || res[0].Changed != 3 || res[1].Err == nil {
		t.Errorf("unban: %+v / %+v", res[0], res[1])
	}
	acts, err := db.Activities(ctx, core.ActivityFilter{})
	if err != nil {
		t.Fatal(err)
	}
	byServer := map[int64][]string{}
	for _, x := range acts {
		byServer[x.ServerID] = append(byServer[x.ServerID], x.Action+"="+x.Status)
	}
	if len(byServer[a.ID]) != 2 || len(byServer[b.ID]) != 2 {
		t.Fatalf("activity log %v", byServer)
	}
	for i := range 2 {
		if !strings.HasSuffix(byServer[a.ID][i], "="+core.StatusOK) || !strings.HasSuffix(byServer[b.ID][i], "="+core.StatusFailed) {
			t.Errorf("activity log %v", byServer)
		}
	}
}
