package ui

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/store/storetest"
)

// The loading, empty and error states of every view: the exact words a
// user reads (what is wrong, what to do next), and that the state's
// button does that next step (Retry reads again and shows the content).

// panelText is what a state panel says, for failure messages.
func panelText(p *statePanel) string {
	action := "no action"
	if p.action.Visible() {
		action = "action " + p.action.Text
	}
	return fmt.Sprintf("%q / %q (%s)", p.title.Text, p.message.Text, action)
}

// wantPanel checks a state panel's title, message and action ("" for none).
func wantPanel(t *testing.T, p *statePanel, title, message, action string) {
	t.Helper()
	if p.title.Text != title || p.message.Text != message || !p.message.Visible() {
		t.Errorf("panel says %s\nwant %q / %q", panelText(p), title, message)
	}
	switch {
	case action == "" && p.action.Visible():
		t.Errorf("panel offers %q, want no action", p.action.Text)
	case action != "" && (!p.action.Visible() || p.action.Text != action):
		t.Errorf("panel offers %s, want %q", panelText(p), action)
	}
}

// flakyHistory is a real cache whose first reads (the dashboard's, the
// map's and the history's) fail with err until err is cleared.
type flakyHistory struct {
	core.History
	err   error
	reads int
}

func (h *flakyHistory) Dashboard(ctx context.Context, f core.HistoryFilter) (core.Dashboard, error) {
	h.reads++
	if h.err != nil {
		return core.Dashboard{}, h.err
	}
	return h.History.Dashboard(ctx, f)
}

func (h *flakyHistory) CountryCounts(ctx context.Context, f core.HistoryFilter) ([]core.NamedCount, error) {
	h.reads++
	if h.err != nil {
		return nil, h.err
	}
	return h.History.CountryCounts(ctx, f)
}

func (h *flakyHistory) CountHistory(ctx context.Context, f core.HistoryFilter) (int, error) {
	h.reads++
	if h.err != nil {
		return 0, h.err
	}
	return h.History.CountHistory(ctx, f)
}

// flakyBlocklists fails to list the sources while err is set.
type flakyBlocklists struct {
	*fakeBlocklists
	err   error
	reads int
}

func (f *flakyBlocklists) Sources(ctx context.Context) ([]core.BlocklistSource, error) {
	f.reads++
	if f.err != nil {
		return nil, f.err
	}
	return f.fakeBlocklists.Sources(ctx)
}

// With no server at all, every view says so and how to get one.
func TestStatesNoServer(t *testing.T) {
	t.Run("jails", func(t *testing.T) {
		v, _ := newTestJails(t, goodSource())
		looked := 0
		v.showEmpty(func() { looked++ })
		wantPanel(t, v.state, "No fail2ban server yet",
			"Start fail2ban on this machine (systemctl start fail2ban), or add a server over SSH with Add… in the server list. "+
				"If fail2ban uses another socket, run BanGUI with -socket PATH.", "Look again")
		if v.body.Objects[0] != v.state || !v.refreshB.Disabled() {
			t.Error("the jails view does not show the empty state, or Refresh is live")
		}
		test.Tap(v.state.action)
		if looked != 1 {
			t.Errorf("Look again looked %d times", looked)
		}
	})
	t.Run("bans", func(t *testing.T) {
		v := newTestBans(t, banSource())
		v.setServers(nil, nil)
		wantPanel(t, v.state, noServerTitle, noServerMessage, "")
		if v.body.Objects[0] != v.state || !v.banB.Disabled() || len(v.table.rows) != 0 {
			t.Error("the bans view shows bans or a live Ban… without a server")
		}
	})
	t.Run("dashboard", func(t *testing.T) {
		v := newTestDashboard(t, storetest.Open(t), nil, nil, nil)
		v.refresh()
		wantPanel(t, v.state, noServerTitle, noServerMessage, "")
		if v.body.Objects[0] != v.state || statusText(v.statusBox.Objects[0]) != noServerTitle+". "+noServerMessage {
			t.Errorf("status lines %q", statusText(v.statusBox.Objects[0]))
		}
	})
	t.Run("history", func(t *testing.T) {
		v, _ := newTestHistory(t, storetest.Open(t), nil)
		v.reload()
		wantPanel(t, v.state, noServerTitle, noServerMessage, "")
	})
	t.Run("server list", func(t *testing.T) {
		test.NewTempApp(t)
		v := newServersView(nil)
		if !v.note.Visible() || v.note.Text != "Looking for fail2ban servers…" {
			t.Errorf("before the list is read: %q", v.note.Text)
		}
		v.setServers(nil)
		if !v.note.Visible() || v.note.Text != "No fail2ban server yet. "+noServerMessage {
			t.Errorf("no server: %q", v.note.Text)
		}
		v.loadFailed(core.Errorf(core.ECONFLICT, "the cache was written by a newer BanGUI: update BanGUI"))
		if v.note.Text != "Cannot read the server list: the cache was written by a newer BanGUI: update BanGUI" {
			t.Errorf("error: %q", v.note.Text)
		}
		v.setServers([]core.Server{{ID: 1, Name: "web1"}})
		if v.note.Visible() {
			t.Error("the note stays over a list with a server")
		}
	})
	t.Run("jails of no server", func(t *testing.T) {
		test.NewTempApp(t)
		f := newFleetJails()
		f.apply(f.gen, 0, nil)
		if f.status.Text != noServerTitle+". "+noServerMessage {
			t.Errorf("status %q", f.status.Text)
		}
	})
}

// An empty view says why it is empty and offers the next step.
func TestStatesEmpty(t *testing.T) {
	t.Run("jails: no jail", func(t *testing.T) {
		src := goodSource()
		src.overview = func() ([]core.JailStatus, error) { return nil, nil }
		v, _ := newTestJails(t, src)
		v.update(context.Background())
		wantPanel(t, v.state, "This server has no jails",
			"fail2ban is running but no jail is enabled. Enable one in jail.local (for example [sshd] enabled = true) and reload fail2ban.", "")
		if v.body.Objects[0] != v.state {
			t.Error("an empty jail table is shown")
		}
	})
	t.Run("jails: no ban in the jail", func(t *testing.T) {
		src := goodSource()
		src.bans = func(string) ([]core.Ban, error) { return nil, nil }
		v, _ := newTestJails(t, src)
		v.update(context.Background())
		if v.bansHead.Text != "No address is banned in sshd right now. Ban one in the Bans tab with Ban…" {
			t.Errorf("bans head %q", v.bansHead.Text)
		}
	})
	t.Run("jails of servers: no jail", func(t *testing.T) {
		test.NewTempApp(t)
		f := newFleetJails()
		f.apply(f.gen, 2, nil)
		if f.status.Text != "No jail is enabled on 2 servers. Enable one in jail.local (for example [sshd] enabled = true) and reload fail2ban." {
			t.Errorf("status %q", f.status.Text)
		}
	})
	t.Run("bans: nothing banned", func(t *testing.T) {
		src := banSource()
		src.allBans = func() ([]core.Ban, error) { return nil, nil }
		v := newTestBans(t, src)
		wantPanel(t, v.state, "No bans on web1", "No address is banned in any jail right now. Ban one with Ban…", "Ban…")
		if v.body.Objects[0] != v.state {
			t.Fatal("an empty ban table is shown")
		}
		test.Tap(v.state.action)
		if v.banForm == nil {
			t.Error("Ban… did not open the ban form")
		}
	})
	t.Run("bans: nothing banned on a group", func(t *testing.T) {
		empty := banSource()
		empty.allBans = func() ([]core.Ban, error) { return nil, nil }
		v := newTestBans(t, empty)
		var opened []string
		v.onFleet = func(ips, jails []string) { opened = jails }
		v.setServers([]core.Server{{ID: 1, Name: "web1", Group: "web"}, {ID: 2, Name: "web2", Group: "web"}},
			func(core.Server) (BanSource, FailureSource) { return empty, nil })
		v.scopeSel.SetSelected(groupPrefix + "web")
		wantPanel(t, v.state, "No bans on 2 servers",
			"No address is banned on these servers right now. Ban one on several servers with Many servers…", "Many servers…")
		test.Tap(v.state.action)
		if strings.Join(opened, ",") != "nginx,postfix,sshd" {
			t.Errorf("Many servers… opened with jails %v", opened)
		}
	})
	t.Run("bans: nothing matches", func(t *testing.T) {
		v := newTestBans(t, banSource())
		v.filter.SetText("10.9.")
		wantPanel(t, v.state, "No matching bans", "None of the 4 bans matches the filter. Clear it to see them all.", "Clear filter")
		test.Tap(v.state.action)
		if v.filter.Text != "" || v.body.Objects[0] != v.table || len(v.table.rows) != 4 {
			t.Errorf("Clear filter: filter %q, %d rows", v.filter.Text, len(v.table.rows))
		}
	})
	t.Run("dashboard: no history", func(t *testing.T) {
		db, servers := historyCache(t, 0)
		tasks := &fakeTasks{list: []core.TaskInfo{{Name: "sync:1", Title: "Sync history of web1"}, {Name: "retention"}}}
		v := newTestDashboard(t, db, tasks, servers, nil)
		v.refresh()
		wantPanel(t, v.state, "No ban history yet",
			"BanGUI copies each server's bans from fail2ban's database every few minutes; the charts fill after the first sync. Sync now to copy them at once.",
			"Sync now")
		test.Tap(v.state.action)
		tasks.mu.Lock()
		ran := strings.Join(tasks.ran, ",")
		tasks.mu.Unlock()
		if ran != "sync:1" {
			t.Errorf("Sync now ran %q", ran)
		}
	})
	t.Run("dashboard: no ban in range", func(t *testing.T) {
		db, servers := historyCache(t, 30)
		v := newTestDashboard(t, db, nil, servers, nil)
		v.rng.from, v.rng.to = testNow.Add(-400*24*time.Hour), testNow.Add(-399*24*time.Hour)
		v.rng.sel.Selected = rangeCustom
		v.serverSel.SetSelected("web1") // refreshes
		wantPanel(t, v.state, "No bans in this range",
			"No ban is cached in this range ("+v.rng.describe()+"). Widen the time range or pick All servers.", "")
		if v.body.Objects[0] != v.state {
			t.Error("empty charts are shown")
		}
	})
	t.Run("map: no history", func(t *testing.T) {
		v := newTestMap(t, storetest.Open(t))
		v.reload()
		wantPanel(t, v.state, "No ban history yet",
			"BanGUI copies each server's bans from fail2ban's database every few minutes; the map fills after the first sync (Sync now on the Dashboard).", "")
	})
	t.Run("map: no ban in range", func(t *testing.T) {
		v := newTestMap(t, geoCache(t))
		v.rng.from, v.rng.to = testNow.Add(-400*24*time.Hour), testNow.Add(-399*24*time.Hour)
		v.rng.sel.Selected = rangeCustom
		v.reload()
		wantPanel(t, v.state, "No bans in this range", "No cached ban matches the time range and filters: widen the range or clear a filter.", "")
	})
	t.Run("map: no geo data", func(t *testing.T) {
		db, _ := historyCache(t, 30) // stored without countries
		v := newTestMap(t, db)
		opened := 0
		v.onSources = func() { opened++ }
		v.reload()
		wantPanel(t, v.state, "No country known",
			"BanGUI cannot place the 30 bans in this range: no geo source knows their addresses. Add or update one with Geo sources…, then Refresh.",
			"Geo sources…")
		if v.body.Objects[0] != v.state {
			t.Fatal("a blank map is shown")
		}
		test.Tap(v.state.action)
		if opened != 1 {
			t.Errorf("Geo sources… opened %d times", opened)
		}
		v.modeSel.SetSelected(modeTable) // the table still lists them
		if v.body.Objects[0] != v.table || len(v.table.rows) != 1 || v.table.rows[0].Code != core.CountryUnknown {
			t.Errorf("table mode shows %v", v.table.rows)
		}
	})
	t.Run("history: no history", func(t *testing.T) {
		h := &flakyHistory{History: storetest.Open(t)}
		v, _ := newTestHistory(t, h, []core.Server{{ID: 1, Name: "web1"}})
		v.reload()
		wantPanel(t, v.state, "No ban history yet",
			"BanGUI copies each server's bans from fail2ban's database every few minutes; they appear here after the first sync.", "Refresh")
		reads := h.reads
		test.Tap(v.state.action)
		if h.reads != reads+1 {
			t.Errorf("Refresh read %d times", h.reads-reads)
		}
		synced := 0
		v.onSync = func() { synced++ }
		v.reload()
		wantPanel(t, v.state, "No ban history yet",
			"BanGUI copies each server's bans from fail2ban's database every few minutes; they appear here after the first sync. Sync now to copy them at once.",
			"Sync now")
		test.Tap(v.state.action)
		if synced != 1 {
			t.Errorf("Sync now synced %d times", synced)
		}
	})
	t.Run("history: nothing matches", func(t *testing.T) {
		db, servers := historyCache(t, 30)
		v, _ := newTestHistory(t, db, servers)
		v.ipEntry.SetText("192.0.2.1")
		v.reload()
		wantPanel(t, v.state, "No matching bans", "No cached ban matches the filter: widen the time range or clear a filter.", "")
	})
	t.Run("blocklists: no source", func(t *testing.T) {
		v := newTestBlocklists(t, &fakeBlocklists{})
		v.reload()
		wantPanel(t, v.srcState, "No blocklist yet",
			"A blocklist bans the addresses of a public list on a schedule, such as https://lists.blocklist.de/lists/ssh.txt into your sshd jail. Add one with Add…",
			"Add…")
		if v.body.Objects[0] != v.content || v.srcBox.Objects[0] != v.srcState || v.runCount.Text != "no import yet" {
			t.Fatalf("body %v, sources %v, log %q", v.body.Objects[0], v.srcBox.Objects[0], v.runCount.Text)
		}
		test.Tap(v.srcState.action)
		if v.form == nil {
			t.Fatal("Add… did not open the form")
		}
		v.form.d.Hide()
	})
	t.Run("activity: nothing recorded", func(t *testing.T) {
		v := newTestActivity(t, &fakeActivities{activities: func(core.ActivityFilter) ([]core.Activity, error) { return nil, nil }})
		v.setServer(core.Server{ID: 1, Name: "web1"})
		wantPanel(t, v.state, "No actions yet",
			"Nothing recorded on web1 yet: bans, unbans and jail changes made in BanGUI appear here. Tick All servers to see the others.", "")
		v.allServers.SetChecked(true)
		wantPanel(t, v.state, "No actions yet", "Nothing recorded yet: bans, unbans and jail changes made in BanGUI appear here.", "")
	})
}

// An error says what went wrong and what to do, never a blank table, and
// Retry reads again and shows the content once the cause is gone.
func TestStatesError(t *testing.T) {
	unreachable := core.Errorf(core.EUNAVAILABLE, "fail2ban on web1 does not answer: check that it runs (systemctl status fail2ban)")
	denied := core.Errorf(core.EPERMISSION, "the fail2ban socket is root-only: run BanGUI as root or add yourself to the fail2ban group")
	locked := core.Errorf(core.ECONFLICT, "the cache is locked: close the other BanGUI")

	t.Run("jails: server unreachable", func(t *testing.T) {
		src := goodSource()
		good := src.version
		src.version = func() (core.Version, error) { return core.Version{}, unreachable }
		v, _ := newTestJails(t, src)
		v.update(context.Background())
		wantPanel(t, v.state, "Cannot reach fail2ban on local", unreachable.Message, "Retry")
		if v.body.Objects[0] != v.state || v.state.icon.Resource != theme.ErrorIcon() {
			t.Fatal("no error panel, or not an error icon")
		}
		src.version = good
		test.Tap(v.state.action)
		if v.body.Objects[0] != v.tables || len(v.jails.rows) != 2 {
			t.Errorf("Retry: %d jails, body %v", len(v.jails.rows), v.body.Objects[0])
		}
	})
	t.Run("jail settings: permission denied", func(t *testing.T) {
		fx := newJailFixture()
		read := fx.reader.config
		fx.reader.config = func(string) (core.JailConfig, error) { return core.JailConfig{}, denied }
		v := newTestDetail(t, fx, false)
		v.update(context.Background())
		wantPanel(t, v.state, "Cannot read jail sshd on local", denied.Message, "Retry")
		if v.state.icon.Resource != theme.WarningIcon() {
			t.Error("a permission problem is not shown as a warning")
		}
		fx.reader.config = read
		test.Tap(v.state.action)
		if v.body.Objects[0] != v.content || fx.reads != 1 {
			t.Errorf("Retry: %d reads, body %v", fx.reads, v.body.Objects[0])
		}
	})
	t.Run("bans: permission denied", func(t *testing.T) {
		src := banSource()
		good, calls := src.allBans, 0
		src.allBans = func() ([]core.Ban, error) { calls++; return nil, denied }
		v := newTestBans(t, src)
		wantPanel(t, v.state, "Cannot read the bans of web1", denied.Message, "Retry")
		if v.body.Objects[0] != v.state || v.state.icon.Resource != theme.WarningIcon() {
			t.Fatal("no warning panel")
		}
		src.allBans = func() ([]core.Ban, error) { calls++; return good() }
		test.Tap(v.state.action)
		if calls != 2 || v.body.Objects[0] != v.table || len(v.table.rows) != 4 {
			t.Errorf("Retry: %d reads, %d rows", calls, len(v.table.rows))
		}
	})
	t.Run("dashboard: cache error", func(t *testing.T) {
		db, servers := historyCache(t, 30)
		h := &flakyHistory{History: db, err: locked}
		v := newTestDashboard(t, h, nil, servers, nil)
		v.refresh()
		wantPanel(t, v.state, "Could not read the ban history", locked.Message, "Retry")
		h.err = nil
		test.Tap(v.state.action)
		if h.reads != 2 || v.body.Objects[0] != v.charts {
			t.Errorf("Retry: %d reads, body %v", h.reads, v.body.Objects[0])
		}
	})
	t.Run("map: cache error", func(t *testing.T) {
		h := &flakyHistory{History: geoCache(t), err: locked}
		v := newTestMap(t, h)
		v.reload()
		wantPanel(t, v.state, "Could not count the bans by country", locked.Message, "Retry")
		h.err = nil
		test.Tap(v.state.action)
		if h.reads != 2 || v.body.Objects[0] != v.mapBox || v.csvB.Disabled() {
			t.Errorf("Retry: %d reads, body %v", h.reads, v.body.Objects[0])
		}
	})
	t.Run("history: cache error", func(t *testing.T) {
		db, servers := historyCache(t, 30)
		h := &flakyHistory{History: db, err: locked}
		v, _ := newTestHistory(t, h, servers)
		v.reload()
		wantPanel(t, v.state, "Could not read the ban history", locked.Message, "Retry")
		if !v.csvB.Disabled() {
			t.Error("export enabled after an error")
		}
		h.err = nil
		test.Tap(v.state.action)
		if h.reads != 2 || v.body.Objects[0] != v.table || v.pages.length() != 30 {
			t.Errorf("Retry: %d reads, %d rows", h.reads, v.pages.length())
		}
	})
	t.Run("blocklists: cache error", func(t *testing.T) {
		svc := &flakyBlocklists{fakeBlocklists: &fakeBlocklists{list: []core.BlocklistSource{{ID: 1, Name: "ssh", URL: "https://lists.blocklist.de/lists/ssh.txt", Jail: "sshd", Target: core.TargetAll}}}, err: locked}
		v := newTestBlocklists(t, svc)
		v.reload()
		wantPanel(t, v.state, "Cannot read the blocklists", locked.Message, "Retry")
		if v.body.Objects[0] != v.state {
			t.Fatal("no error panel")
		}
		svc.err = nil
		test.Tap(v.state.action)
		if svc.reads != 2 || v.body.Objects[0] != v.content || v.srcBox.Objects[0] != v.sources || len(v.sources.rows) != 1 {
			t.Errorf("Retry: %d reads, %d sources, body %v", svc.reads, len(v.sources.rows), v.body.Objects[0])
		}
	})
	t.Run("activity: cache error", func(t *testing.T) {
		var err error = locked
		reads := 0
		v := newTestActivity(t, &fakeActivities{activities: func(core.ActivityFilter) ([]core.Activity, error) {
			reads++
			return sampleActivities(), err
		}})
		v.setServer(core.Server{ID: 1, Name: "web1"})
		wantPanel(t, v.state, "Could not read the activity log", locked.Message, "Retry")
		err = nil
		test.Tap(v.state.action)
		if reads != 2 || v.body.Objects[0] != v.table || len(v.table.rows) != 3 {
			t.Errorf("Retry: %d reads, %d rows", reads, len(v.table.rows))
		}
	})
}

// While a view reads, it says what it waits for.
func TestStatesLoading(t *testing.T) {
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	bans := newBansView(w, 0)
	bans.spawn = func(func()) {} // the read never ends
	bans.setServer(core.Server{ID: 1, Name: "web1"}, banSource(), nil)
	blocks := newBlocklistsView(w, &fakeBlocklists{})
	blocks.spawn = func(func()) {}
	blocks.reload()
	for _, c := range []struct {
		view string
		p    *statePanel
		want string
	}{
		{"bans", bans.state, "Reading the bans of web1…"},
		{"blocklists", blocks.state, "Reading the blocklists…"},
		{"dashboard", newDashboardView(w, noHistory{}, nil).state, "Reading the ban history…"},
		{"history", newHistoryView(w, noHistory{}).state, "Reading the ban history…"},
		{"map", newMapView(w, noHistory{}).state, "Counting bans by country…"},
		{"activity", newActivityView(w, noActivities{}).state, "Reading the activity log…"},
	} {
		if c.p.title.Text != c.want || !c.p.spinner.Visible() || c.p.message.Visible() || c.p.action.Visible() {
			t.Errorf("%s loading: %s, spinner %v", c.view, panelText(c.p), c.p.spinner.Visible())
		}
	}
	if bans.body.Objects[0] != bans.state || blocks.body.Objects[0] != blocks.state {
		t.Error("a loading view shows an empty table")
	}
}
