package ui

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/bangui/bangui/core"
)

// fakeFleet records what the dialog asked for and answers per server:
// servers named "down…" fail.
type fakeFleet struct {
	mu    sync.Mutex
	calls []string
}

func (f *fakeFleet) result(s core.Server, n int) core.FleetResult {
	r := core.FleetResult{Server: s, Requested: n, Changed: n, Took: 12 * time.Millisecond}
	if strings.HasPrefix(s.Name, "down") {
		r.Changed, r.Err = 0, core.Errorf(core.EUNAVAILABLE, "the SSH connection to %s was lost", s.Name)
	}
	return r
}

func (f *fakeFleet) Ban(_ context.Context, servers []core.Server, jail string, ips []string, on func(core.FleetResult)) ([]core.FleetResult, error) {
	f.mu.Lock()
	f.calls = append(f.calls, "ban "+jail+" "+strings.Join(ips, ",")+" on "+serverNames(servers))
	f.mu.Unlock()
	var out []core.FleetResult
	for _, s := range servers {
		r := f.result(s, len(ips))
		on(r)
		out = append(out, r)
	}
	return out, nil
}

func (f *fakeFleet) Unban(_ context.Context, servers []core.Server, ips []string, on func(core.FleetResult)) ([]core.FleetResult, error) {
	f.mu.Lock()
	f.calls = append(f.calls, "unban "+strings.Join(ips, ",")+" on "+serverNames(servers))
	f.mu.Unlock()
	var out []core.FleetResult
	for _, s := range servers {
		r := f.result(s, 2*len(ips))
		on(r)
		out = append(out, r)
	}
	return out, nil
}

func TestFleetForm(t *testing.T) {
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	w.Resize(fyne.NewSize(1000, 800))
	servers := []core.Server{
		{ID: 1, Name: "web-1", Group: "web"},
		{ID: 2, Name: "down-2", Group: "web"},
		{ID: 3, Name: "db-1", Group: "db"},
	}
	act := &fakeFleet{}
	f := newFleetForm(w, act, context.Background(), func(fn func()) { fn() }, servers, []string{"sshd", "nginx"}, []string{"192.0.2.7"})
	f.d.Show()
	if f.jail.Text != "sshd" || f.list.Text != "192.0.2.7" || len(f.picks.Selected) != 3 {
		t.Fatalf("defaults: jail %q list %q picks %v", f.jail.Text, f.list.Text, f.picks.Selected)
	}

	// Bad input: named, nothing sent.
	for _, c := range []struct{ list, jail, says string }{
		{"", "sshd", "enter at least one address"},
		{"192.0.2.7\n300.1.1.1", "sshd", "line 2"},
		{"0.0.0.0/0", "sshd", "line 1"},
		{"192.0.2.7", "ssh d;x", "jail"},
	} {
		f.list.SetText(c.list)
		f.jail.SetText(c.jail)
		if !f.runB.Disabled() || !strings.Contains(f.check.Text, c.says) {
			t.Errorf("%q in %q: run enabled %v, check %q, want %q", c.list, c.jail, !f.runB.Disabled(), f.check.Text, c.says)
		}
	}
	f.list.SetText("192.0.2.7\n198.51.100.0/24\n192.0.2.7")
	f.jail.SetText("sshd")
	f.picks.SetSelected(nil)
	if !f.runB.Disabled() || !strings.Contains(f.check.Text, "tick at least one server") {
		t.Errorf("no server: %q", f.check.Text)
	}

	// A group: its servers are ticked.
	f.scope.SetSelected("Group: web")
	if strings.Join(f.picks.Selected, ",") != "web-1,down-2" {
		t.Fatalf("group picks %v", f.picks.Selected)
	}
	f.runB.OnTapped()
	if f.confirm == nil || len(act.calls) != 0 {
		t.Fatalf("no confirmation before sending (calls %v)", act.calls)
	}
	f.confirm.Confirm()
	if len(act.calls) != 1 || act.calls[0] != "ban sshd 192.0.2.7,198.51.100.0/24 on web-1, down-2" {
		t.Fatalf("calls %v", act.calls)
	}
	want := "✓ web-1: 2 banned (12ms)\n✗ down-2: the SSH connection to down-2 was lost"
	if f.results.Text != want || !strings.Contains(f.check.Text, "Done: 1 of 2 servers succeeded") {
		t.Errorf("results %q, check %q", f.results.Text, f.check.Text)
	}

	// Unban everywhere: no jail, every server.
	f.mode.SetSelected(fleetUnban)
	if f.jailRow.Visible() {
		t.Error("the jail field shows for an unban everywhere")
	}
	f.scope.SetSelected(allServers)
	f.runB.OnTapped()
	f.confirm.Confirm()
	if len(act.calls) != 2 || act.calls[1] != "unban 192.0.2.7,198.51.100.0/24 on web-1, down-2, db-1" {
		t.Fatalf("calls %v", act.calls)
	}
	if !strings.Contains(f.results.Text, "✓ db-1: 4 bans lifted") {
		t.Errorf("unban results %q", f.results.Text)
	}
}

func TestSeenText(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.Local)
	got := seenText([]core.IPSighting{
		{ServerID: 1, Server: "web-1", Jail: "sshd", First: now.Add(-48 * time.Hour), Last: now, Count: 3},
		{ServerID: 9, Jail: "nginx", First: now.Add(-time.Hour), Last: now.Add(-time.Hour), Count: 1},
	})
	if !strings.Contains(got, "Seen on:") || !strings.Contains(got, "web-1 · sshd: 3 bans, first") ||
		!strings.Contains(got, "server #9 (removed) · nginx: 1 ban") {
		t.Errorf("seen text %q", got)
	}
	if seenText(nil) != "" {
		t.Error("text for no sighting")
	}
}
