package ui

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/bangui/bangui/core"
)

// fakeTasks is a core.Tasks whose runs finish at once.
type fakeTasks struct {
	mu     sync.Mutex
	holder core.LockHolder
	list   []core.TaskInfo
	ran    []string
	err    error
	// cancelled names the tasks Cancel was called for; cancelErr is its
	// answer.
	cancelled []string
	cancelErr error
}

func (f *fakeTasks) Cancel(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cancelled = append(f.cancelled, name)
	return f.cancelErr
}

func (f *fakeTasks) Holder(context.Context) (core.LockHolder, error) { return f.holder, nil }
func (f *fakeTasks) Tasks(context.Context) ([]core.TaskInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]core.TaskInfo(nil), f.list...), nil
}
func (f *fakeTasks) RunNow(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	f.ran = append(f.ran, name)
	return nil
}

func newTestDashboard(t *testing.T, r core.History, tasks core.Tasks, servers []core.Server, src func(core.Server) ServerClient) *dashboardView {
	t.Helper()
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	v := newDashboardView(w, r, tasks)
	v.spawn = func(f func()) { f() }
	v.now = func() time.Time { return testNow }
	v.rng.now = v.now
	v.source = src
	w.SetContent(v.root)
	w.Resize(fyne.NewSize(1200, 800))
	v.setServers(servers)
	t.Cleanup(v.stop)
	return v
}

func TestDashboardShowsTheCache(t *testing.T) {
	db, servers := historyCache(t, 3000)
	online := func(core.Server) ServerClient { return goodSource() }
	v := newTestDashboard(t, db, nil, servers, online)
	v.refresh()
	if v.body.Objects[0] != v.charts {
		t.Fatalf("charts not shown: state %q %q", v.state.title.Text, v.state.message.Text)
	}
	// 3000 bans, one a minute back from now: all inside the last 7 days.
	if !strings.Contains(v.trendT.Text, "3000 bans") || !strings.HasPrefix(v.trendT.Text, "Bans per hour") {
		t.Errorf("trend title %q", v.trendT.Text)
	}
	if n := len(v.trend.buckets); n != 7*24 && n != 7*24+1 { // partial hours at both ends
		t.Errorf("%d trend buckets for 7 days, want 168 or 169", n)
	}
	if len(v.byJail.items) != 2 || v.byJail.items[0].Count != 1500 {
		t.Errorf("by jail %+v", v.byJail.items)
	}
	if len(v.topIPs.items) == 0 || v.topIPs.items[0].Name != "203.0.113.9" || v.topIPs.items[0].Count != 1000 {
		t.Errorf("top IPs %+v", v.topIPs.items)
	}
	if len(v.origins.items) != 2 || v.origins.items[0].Name != "detected" || v.origins.items[1].Count != 300 {
		t.Errorf("origins %+v", v.origins.items)
	}
	var opened string
	v.onIP = func(ip string) { opened = ip }
	v.topIPs.OnTapped("203.0.113.9")
	if opened != "203.0.113.9" {
		t.Errorf("tapping a top address opened %q", opened)
	}
	// The status lines say each server is online, and that nothing has
	// been synced yet (the rows were stored directly).
	if len(v.statusBox.Objects) != 2 || v.offline.Visible() {
		t.Fatalf("%d status lines, offline banner %v", len(v.statusBox.Objects), v.offline.Visible())
	}
	line := statusText(v.statusBox.Objects[0])
	if !strings.Contains(line, "online · fail2ban 1.0.2") || !strings.Contains(line, "history not synced yet") {
		t.Errorf("status line %q", line)
	}
	// A range with a custom, narrower span: one day of hours.
	v.rng.from, v.rng.to = testNow.Add(-24*time.Hour), testNow
	v.rng.sel.Selected = rangeCustom
	v.refresh()
	if len(v.trend.buckets) != 24 && len(v.trend.buckets) != 25 {
		t.Errorf("%d buckets for a custom day", len(v.trend.buckets))
	}
}

// statusText gathers the label texts of a status line.
func statusText(o fyne.CanvasObject) string {
	var out []string
	var walk func(fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch x := o.(type) {
		case *fyne.Container:
			for _, c := range x.Objects {
				walk(c)
			}
		case *widget.Label:
			out = append(out, x.Text)
		}
	}
	walk(o)
	return strings.Join(out, " ")
}

func TestDashboardOffline(t *testing.T) {
	db, servers := historyCache(t, 100)
	if err := db.SetSyncStatus(context.Background(), core.SyncStatus{ServerID: servers[0].ID, AttemptedAt: testNow.Add(-3 * time.Hour), SyncedAt: testNow.Add(-3 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	down := func(core.Server) ServerClient {
		return &fakeSource{version: func() (core.Version, error) {
			return core.Version{}, core.Wrap(errors.New("dial"), core.EUNAVAILABLE, "fail2ban does not answer")
		}}
	}
	v := newTestDashboard(t, db, nil, servers, down)
	v.refresh()
	if v.body.Objects[0] != v.charts || len(v.byJail.items) == 0 {
		t.Fatal("with every server down the charts must still show the cache")
	}
	if !v.offline.Visible() || !strings.Contains(v.offline.Text, "last synced 3 h ago") {
		t.Errorf("offline banner %v %q", v.offline.Visible(), v.offline.Text)
	}
	line := statusText(v.statusBox.Objects[0])
	if !strings.Contains(line, "unreachable: fail2ban does not answer") || !strings.Contains(line, "synced 3 h ago") {
		t.Errorf("status line %q", line)
	}
}

func TestDashboardBadRangeAndEmpty(t *testing.T) {
	db, servers := historyCache(t, 0)
	v := newTestDashboard(t, db, nil, servers, nil)
	v.refresh()
	if v.body.Objects[0] != v.state || v.state.title.Text != "No ban history yet" || sumBuckets(v.trend.buckets) != 0 {
		t.Fatalf("an empty cache says so: %q", v.state.title.Text)
	}
	v.rng.from, v.rng.to = testNow, testNow.Add(-time.Hour) // reversed
	v.rng.sel.Selected = rangeCustom
	v.refresh()
	if v.body.Objects[0] != v.state || v.state.title.Text != "Check the time range" {
		t.Errorf("reversed range: %q", v.state.title.Text)
	}
}

func TestTasksPanel(t *testing.T) {
	ft := &fakeTasks{
		holder: core.LockHolder{Instance: "x", PID: 4242, Hostname: "desk", HeartbeatAt: testNow.Add(-5 * time.Second)},
		list: []core.TaskInfo{
			{Name: "sync:1", Title: "Sync history of web1", Interval: 5 * time.Minute, LastStart: testNow.Add(-time.Minute), Status: core.StatusOK, Result: "3 new bans copied"},
			{Name: "sync:2", Title: "Sync history of mail", Status: core.StatusFailed, Result: "locked"},
			{Name: "retention", Title: "Apply history retention", NextRun: testNow.Add(time.Hour)},
		},
	}
	db, servers := historyCache(t, 10)
	v := newTestDashboard(t, db, ft, servers, nil)
	v.tasks.now = v.now
	v.refresh()
	if !strings.Contains(v.tasks.holder.Text, "Another BanGUI runs the background tasks: pid 4242 on desk, last heartbeat 5 s ago") {
		t.Errorf("holder %q", v.tasks.holder.Text)
	}
	if v.tasks.table.length() != 3 || v.tasks.table.cellText(0, 3) != "3 new bans copied" || v.tasks.table.cellText(2, 4) != formatClock(testNow.Add(time.Hour)) {
		t.Errorf("tasks table rows: %d, %q", v.tasks.table.length(), v.tasks.table.cellText(0, 3))
	}
	v.syncNow()
	if strings.Join(ft.ran, ",") != "sync:1,sync:2" {
		t.Errorf("sync now ran %v", ft.ran)
	}
	ft.err = core.Errorf(core.ECONFLICT, "already running")
	v.syncNow()
	if !strings.Contains(v.tasks.note.Text, "already running") {
		t.Errorf("note %q", v.tasks.note.Text)
	}
	for _, c := range []struct {
		h    core.LockHolder
		want string
	}{
		{core.LockHolder{Instance: "me", Self: true}, "This window runs the background tasks"},
		{core.LockHolder{}, "No copy of BanGUI runs background tasks"},
		{core.LockHolder{Instance: "x", PID: 7, Hostname: "h", Stale: true, HeartbeatAt: testNow.Add(-2 * time.Minute)}, "stopped answering 2 min ago"},
	} {
		if got := holderText(c.h, testNow); !strings.Contains(got, c.want) {
			t.Errorf("holder %+v: %q lacks %q", c.h, got, c.want)
		}
	}
}

func sumBuckets(b []core.Bucket) int {
	n := 0
	for _, x := range b {
		n += x.Count
	}
	return n
}

// TestSyncNowCanBeCancelled: while the syncs Sync now started run, the
// button is "Cancel sync" with a moving bar, and it cancels exactly those
// runs; a refusal is shown; the button comes back when they end.
func TestSyncNowCanBeCancelled(t *testing.T) {
	ft := &fakeTasks{}
	db, servers := historyCache(t, 0)
	v := newTestDashboard(t, db, ft, servers, nil)
	v.syncing(false)
	if v.syncB.Text != "Sync now" || v.syncBar.Visible() {
		t.Fatalf("idle: %q, bar shown %v", v.syncB.Text, v.syncBar.Visible())
	}
	v.tasks.setWaiting(true, []string{"sync:1", "sync:2"})
	if v.syncB.Text != "Cancel sync" || !v.syncBar.Visible() || !v.tasks.cancelB.Visible() {
		t.Fatalf("running: %q, bar %v, panel Cancel %v", v.syncB.Text, v.syncBar.Visible(), v.tasks.cancelB.Visible())
	}
	test.Tap(v.syncB)
	if strings.Join(ft.cancelled, ",") != "sync:1,sync:2" || v.tasks.note.Text != "Cancelling…" || !v.tasks.cancelB.Disabled() {
		t.Errorf("after Cancel sync: cancelled %v, note %q", ft.cancelled, v.tasks.note.Text)
	}
	v.tasks.setWaiting(false, nil)
	if v.syncB.Text != "Sync now" || v.syncBar.Visible() || v.tasks.cancelB.Visible() {
		t.Errorf("ended: %q, bar %v, panel Cancel %v", v.syncB.Text, v.syncBar.Visible(), v.tasks.cancelB.Visible())
	}

	// A run that had ended already (ECONFLICT) is no error; others are.
	ft.cancelled, ft.cancelErr = nil, core.Errorf(core.EUNAVAILABLE, "the cache is locked: try again")
	v.tasks.setWaiting(true, []string{"sync:1"})
	test.Tap(v.tasks.cancelB)
	if v.tasks.note.Text != "Cannot cancel: the cache is locked: try again" {
		t.Errorf("refused cancel: note %q", v.tasks.note.Text)
	}
}
