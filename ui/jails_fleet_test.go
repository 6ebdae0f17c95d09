package ui

import (
	"context"
	"strings"
	"testing"

	"github.com/bangui/bangui/core"
)

// The jails view over all servers: every server's jails side by side, a
// dead server's row says why, and a row opens its server.
func TestJailsViewAllServers(t *testing.T) {
	v, _ := newTestJails(t, goodSource())
	v.fleet.spawn = func(func()) {} // no refresh loop: the test loads by hand
	servers := []core.Server{{ID: 1, Name: "local"}, {ID: 2, Name: "web-2", Group: "web"}, {ID: 3, Name: "web-3", Group: "web"}}
	dead := &fakeSource{overview: func() ([]core.JailStatus, error) {
		return nil, core.Errorf(core.EUNAVAILABLE, "the SSH connection to web-3 was lost")
	}}
	source := func(s core.Server) JailSource {
		if s.ID == 3 {
			return dead
		}
		return goodSource()
	}
	v.setServers(servers, source)
	if !v.scopeSel.Visible() {
		t.Fatal("no scope select with three servers")
	}
	singles := 0
	v.onSingle = func() { singles++ }
	v.scopeSel.SetSelected("Group: web")
	if !v.multi || v.body.Objects[0] != v.fleet.root || v.title.Text != "Group: web" {
		t.Fatalf("group scope: multi %v, title %q", v.multi, v.title.Text)
	}
	rows := loadFleetJails(context.Background(), servers[1:], []JailSource{source(servers[1]), source(servers[2])})
	v.fleet.apply(v.fleet.gen, 2, rows)
	var got []string
	for i := range v.fleet.table.rows {
		got = append(got, v.fleet.table.cellText(i, 0)+"/"+v.fleet.table.cellText(i, 1)+"/"+v.fleet.table.cellText(i, 2))
	}
	want := "web-3/—/unreachable, web-2/nginx-http-auth/idle, web-2/sshd/running"
	if strings.Join(got, ", ") != want {
		t.Errorf("rows %q\nwant %q", strings.Join(got, ", "), want)
	}
	if !strings.Contains(v.fleet.status.Text, "2 jails on 1 server · 2 banned now") ||
		!strings.Contains(v.fleet.status.Text, "1 could not be read: web-3: the SSH connection to web-3 was lost") {
		t.Errorf("status %q", v.fleet.status.Text)
	}
	// A server selected in the list while a group shows is remembered only.
	v.setServer(servers[1], goodSource(), nil, nil, nil)
	if v.body.Objects[0] != v.fleet.root {
		t.Error("selecting a server left the group view")
	}
	var opened core.Server
	v.fleet.onOpen = func(s core.Server) { opened = s }
	v.fleet.table.onSelected(2)
	if opened.Name != "web-2" {
		t.Errorf("row opened %+v", opened)
	}
	v.scopeSel.SetSelected(scopeSelected)
	if v.multi || singles != 1 {
		t.Errorf("back to one server: multi %v, onSingle ran %d times", v.multi, singles)
	}
}
