package ui

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/bangui/bangui/core"
)

// The bans view over a group: every member's bans with the server's name,
// one server down named in the status line, and unbans routed to the
// server each selected ban is on.
func TestBansViewGroupScope(t *testing.T) {
	web1 := core.Server{ID: 1, Name: "web1", Group: "web"}
	web2 := core.Server{ID: 2, Name: "web2", Group: "web"}
	down := core.Server{ID: 3, Name: "web3", Group: "web"}
	db1 := core.Server{ID: 4, Name: "db1"}
	var mu sync.Mutex
	unbanned := map[string][]string{} // server -> jail:ip
	srcOf := map[string]*fakeSource{}
	for _, s := range []core.Server{web1, web2, db1} {
		src := banSource()
		name := s.Name
		src.unbanIP = func(jail string, ips []string, _ core.Progress) (core.BatchResult, error) {
			mu.Lock()
			defer mu.Unlock()
			for _, ip := range ips {
				unbanned[name] = append(unbanned[name], jail+":"+ip)
			}
			return core.BatchResult{Requested: len(ips), Changed: len(ips)}, nil
		}
		src.unban = func(ips ...string) (int, error) {
			mu.Lock()
			defer mu.Unlock()
			unbanned[name] = append(unbanned[name], "everywhere:"+strings.Join(ips, ","))
			return len(ips), nil
		}
		srcOf[name] = src
	}
	lost := core.Errorf(core.EUNAVAILABLE, "the SSH connection to web3 was lost")
	deadSrc := &fakeSource{
		jails: func() ([]string, error) { return nil, lost },
		unban: func(...string) (int, error) { return 0, lost },
	}
	srcOf["web3"] = deadSrc

	v := newTestBans(t, srcOf["web1"])
	v.setServers([]core.Server{db1, web1, web2, down}, func(s core.Server) (BanSource, FailureSource) {
		return srcOf[s.Name], failuresFunc(func() (map[string]int, error) {
			return map[string]int{"sshd|192.0.2.10": int(s.ID)}, nil
		})
	})
	if got := strings.Join(v.scopeSel.Options, ","); got != "Selected server,All servers,Group: web,db1,web1,web2,web3" {
		t.Fatalf("scope options %s", got)
	}
	if !strings.Contains(v.table.cellText(0, 8), "web1") {
		t.Errorf("server column in one-server mode: %q", v.table.cellText(0, 8))
	}

	v.scopeSel.SetSelected("Group: web")
	v.update(context.Background())
	if !v.multi || len(v.all) != 8 {
		t.Fatalf("group: multi %v, %d bans (want 2 live servers x 4)", v.multi, len(v.all))
	}
	if !strings.Contains(v.status.Text, "1 server of 3 could not be read: web3: the SSH connection to web3 was lost") {
		t.Errorf("status %q", v.status.Text)
	}
	if !v.banB.Disabled() || !v.allB.Disabled() || v.unbanB.Disabled() {
		t.Error("in a group: ban and unban-all must be off, unban selected on")
	}
	// Failure counts stay with their server.
	fails := map[string]string{}
	for i := range v.table.rows {
		b := v.table.rows[i]
		if b.Jail == "sshd" && b.IP == "192.0.2.10" {
			fails[b.Server] = v.table.cellText(i, 6)
		}
	}
	if fails["web1"] != "1" || fails["web2"] != "2" {
		t.Errorf("failures per server %v", fails)
	}

	// Select the sshd ban of 192.0.2.10 on web2 only, and lift it.
	for i, b := range v.table.rows {
		if b.Server == "web2" && b.Jail == "sshd" && b.IP == "192.0.2.10" {
			v.onRowTapped(i)
		}
	}
	v.onUnbanSelected()
	if v.confirm == nil || len(unbanned["web2"]) != 0 {
		t.Fatal("no question before unbanning")
	}
	v.confirm.Confirm()
	v.work.Wait()
	if len(unbanned["web1"]) != 0 || strings.Join(unbanned["web2"], " ") != "sshd:192.0.2.10" {
		t.Errorf("unbanned %v", unbanned)
	}

	// Unban everywhere: each server of the group gets the address.
	for i, b := range v.table.rows {
		if b.IP == "198.51.100.7" && b.Server == "web1" {
			v.onRowTapped(i)
		}
	}
	v.onUnbanEverywhere()
	v.confirm.Confirm()
	v.work.Wait()
	if strings.Join(unbanned["web1"], " ") != "everywhere:198.51.100.7" || !strings.Contains(strings.Join(unbanned["web2"], " "), "everywhere:198.51.100.7") {
		t.Errorf("unban everywhere %v", unbanned)
	}
	if !strings.Contains(v.status.Text, "web3: the SSH connection to web3 was lost") {
		t.Errorf("the dead server is not named after unban everywhere: %q", v.status.Text)
	}

	// Back to the selected server: one server, ban enabled again.
	v.scopeSel.SetSelected(scopeSelected)
	v.update(context.Background())
	if v.multi || len(v.all) != 4 || v.banB.Disabled() {
		t.Errorf("back to one server: multi %v, %d bans, ban disabled %v", v.multi, len(v.all), v.banB.Disabled())
	}
}
