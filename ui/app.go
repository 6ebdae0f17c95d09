package ui

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"

	"github.com/bangui/bangui/core"
)

// ServerLoader returns the servers to show. cmd gives it the cache plus
// discovery of the local server.
type ServerLoader func(ctx context.Context) ([]core.Server, error)

// ServerClient is everything the views ask of one server.
type ServerClient interface {
	JailSource
	BanSource
	JailControl
}

// Deps is what the window needs; cmd wires it by hand.
type Deps struct {
	LoadServers ServerLoader
	// Source returns the fail2ban client of a server. It is called on the
	// UI goroutine and must not block (clients dial lazily).
	Source func(core.Server) ServerClient
	// RefreshInterval is how often the jails view polls (default 5 s).
	RefreshInterval time.Duration
	// PollInterval is how often every server is checked (default 30 s;
	// the settings' "Server checks").
	PollInterval time.Duration
	// StartView names the tab shown first: one of Views ("dashboard" by
	// default), or "jail-settings" (the jails view with the selected
	// jail's settings).
	StartView string
	// StartScope is what the jails and bans views show once the servers
	// are known: "" (the selected server), "All servers" or "Group: NAME".
	StartScope string
	// Activity reads the activity log (the cache).
	Activity ActivityReader
	// Permanent returns the permanent-edit path of a server, or nil when
	// its config files are out of reach. May be nil.
	Permanent func(core.Server) Permanent
	// Failures returns where a server's failure counts come from (its
	// fail2ban database), or nil. May be nil.
	Failures func(core.Server) FailureSource
	// JailInfo returns where a server's jail filters and backends are
	// read from (its config files), or nil. May be nil.
	JailInfo func(core.Server) JailInfoSource
	// History reads the ban history cache (the dashboard and the history
	// view). May be nil: both views are then empty.
	History core.History
	// Tasks are the background tasks (history sync, retention). May be nil.
	Tasks core.Tasks
	// Geo locates addresses (the bans view's country column) and holds
	// the geo settings. May be nil: countries then show as "–".
	Geo GeoService
	// Admin adds, edits, removes and tests SSH servers. May be nil: the
	// server list is then read-only.
	Admin ServerAdmin
	// Fleet bans and unbans on many servers at once. May be nil: the
	// bans view then acts on its server only.
	Fleet FleetActions
	// Blocklists keeps and imports the blocklist sources. May be nil: the
	// tab is then left out.
	Blocklists BlocklistService
	// Preferences reads and saves the settings view's preferences. May be
	// nil: the Settings tab is then left out.
	Preferences PreferencesService
	// OnPreferences hears preferences once saved (notification rules,
	// close to tray). May be nil.
	OnPreferences func(core.Preferences)
	// OnPoll hears every server's state after each check of them all
	// (notifications, the tray). It runs on the UI goroutine. May be nil.
	OnPoll func([]core.ServerStatus)
	// About is what the About dialog says of BanGUI itself.
	About AboutInfo
}

// App is the main window's content: the server list beside the jails view.
type App struct {
	deps    Deps
	servers *serversView
	jails   *jailsView
	bans    *bansView
	acts    *activityView
	dash    *dashboardView
	hist    *historyView
	geomap  *mapView
	blocks  *blocklistsView // nil without Deps.Blocklists
	sets    *settingsView   // nil without Deps.Preferences
	onAbout func()
	// pollEvery is the servers' check interval (ns; 0: the default);
	// pollReset wakes the loop when it changes; paused stops the checks.
	pollEvery atomic.Int64
	pollReset chan struct{}
	paused    atomic.Bool
	tabs      *container.AppTabs
	root      fyne.CanvasObject
	ctx       context.Context // ends with Stop
	cancel    context.CancelFunc
	// spawn runs the app's own short reads off the UI goroutine (tests:
	// in place).
	spawn func(func())
}

// New builds the window content and puts it into w. Call Start to load.
func New(w fyne.Window, deps Deps) *App {
	if deps.RefreshInterval <= 0 {
		deps.RefreshInterval = 5 * time.Second
	}
	a := &App{deps: deps, spawn: func(f func()) { go f() }, pollReset: make(chan struct{}, 1)}
	a.pollEvery.Store(int64(deps.PollInterval))
	a.ctx, a.cancel = context.WithCancel(context.Background())
	a.jails = newJailsView(w, deps.RefreshInterval, func(s core.Server, st serverState) { a.servers.setState(s, st) })
	a.bans = newBansView(w, deps.RefreshInterval)
	if deps.Activity == nil {
		deps.Activity = noActivities{}
	}
	a.acts = newActivityView(w, deps.Activity)
	if deps.History == nil {
		deps.History = noHistory{}
	}
	a.deps = deps // with the defaults above
	a.dash = newDashboardView(w, deps.History, deps.Tasks)
	a.dash.source = deps.Source
	a.dash.onStatus = func(st core.ServerStatus) {
		a.servers.setState(st.Server, serverState{Online: st.Online, Version: st.Version,
			Jails: st.Jails, Banned: st.Banned, Err: st.Err, At: st.CheckedAt, Since: st.OfflineSince})
	}
	a.hist = newHistoryView(w, deps.History)
	a.geomap = newMapView(w, deps.History)
	a.hist.onSync = a.dash.syncNow // the empty history offers Sync now
	openIP := func(ip string) {
		a.tabs.Select(a.tabs.Items[4])
		a.hist.showIP(ip)
	}
	a.dash.onIP, a.geomap.onIP = openIP, openIP
	if deps.Geo != nil {
		a.bans.locator = deps.Geo
		a.geomap.infos = deps.Geo.Infos
	}
	a.geomap.onSources = func() {
		showGeoSources(w, deps.Geo, a.ctx, func(f func()) { go f() })
	}
	a.geomap.onAbout = func() { a.onAbout() }
	a.jails.parent, a.bans.parent, a.acts.parent = a.ctx, a.ctx, a.ctx
	a.dash.parent, a.hist.parent, a.geomap.parent = a.ctx, a.ctx, a.ctx
	a.jails.detail.parent = a.ctx
	a.servers = newServersView(a.onServerSelected)
	a.jails.onSingle = func() {
		if s, ok := a.servers.current(); ok {
			a.onServerSelected(s)
		}
	}
	a.jails.fleet.onOpen = func(s core.Server) {
		a.servers.selectID(s.ID)
		a.jails.scopeSel.SetSelected(scopeSelected) // back to one server: s
	}
	if deps.Fleet != nil {
		a.bans.onFleet = func(ips, jails []string) {
			newFleetForm(w, deps.Fleet, a.ctx, func(f func()) { go f() }, a.servers.servers, jails, ips).d.Show()
		}
		a.bans.fleetB.Show()
	}
	if deps.Admin != nil {
		spawn := func(f func()) { go f() }
		reload := func() { a.Start() }
		a.servers.manage(
			func() {
				newServerForm(w, deps.Admin, a.ctx, spawn, core.Server{}, a.servers.groups(), func(core.Server) { reload() }).d.Show()
			},
			func(s core.Server) {
				newServerForm(w, deps.Admin, a.ctx, spawn, s, a.servers.groups(), func(core.Server) { reload() }).d.Show()
			},
			func(s core.Server) {
				confirmRemove(w, deps.Admin, a.ctx, spawn, s, func(err error) {
					if err != nil {
						dialog.ShowError(fmt.Errorf("%s was not removed: %s", s.Name, core.ErrorMessage(err)), w)
						return
					}
					reload()
				})
			})
	}
	a.tabs = container.NewAppTabs(
		container.NewTabItemWithIcon("Dashboard", theme.HomeIcon(), a.dash.root),
		container.NewTabItemWithIcon("Jails", theme.ListIcon(), a.jails.root),
		container.NewTabItemWithIcon("Bans", theme.VisibilityOffIcon(), a.bans.root),
		container.NewTabItemWithIcon("Map", theme.GridIcon(), a.geomap.root),
		container.NewTabItemWithIcon("History", theme.HistoryIcon(), a.hist.root),
	)
	if deps.Blocklists != nil {
		a.blocks = newBlocklistsView(w, deps.Blocklists)
		a.blocks.parent = a.ctx
		a.blocks.servers = func() []core.Server { return a.servers.servers }
		a.blocks.jails = func() []string { return a.bans.jails }
		a.tabs.Append(container.NewTabItemWithIcon("Blocklists", theme.DownloadIcon(), a.blocks.root()))
	}
	a.tabs.Append(container.NewTabItemWithIcon("Activity", theme.DocumentIcon(), a.acts.root))
	a.onAbout = func() { showAboutInfo(w, deps.About, deps.Geo) }
	a.addSettings(w, deps)
	a.dash.onPoll = deps.OnPoll
	a.selectView(deps.StartView)
	// The activity log changes with every action: reload it when shown;
	// the dashboard refreshes itself while shown; the history reloads on
	// show (a sync may have added rows).
	a.tabs.OnSelected = func(t *container.TabItem) {
		a.dash.hidden()
		switch t.Content {
		case a.acts.root:
			a.acts.refresh()
		case a.dash.root:
			a.dash.shown()
		case a.hist.root:
			a.hist.reload()
		case a.geomap.root:
			a.geomap.reload()
		}
		if a.blocks != nil && t.Content == a.blocks.root() {
			a.blocks.reload()
		}
		if a.sets != nil && t.Content == a.sets.root {
			a.sets.reload() // keeps edits not yet saved
		}
	}
	if ch, ok := deps.Tasks.(interface{ Changes() <-chan struct{} }); ok {
		go a.watchTasks(ch.Changes())
	}
	go a.pollLoop()
	w.SetMainMenu(a.mainMenu(w))
	a.bans.table.keys.onKey = a.typedKey // Delete in the clicked table
	w.Canvas().SetOnTypedKey(func(ev *fyne.KeyEvent) { a.typedKey(ev) })
	installEscape(w) // Escape closes the dialog on top; other keys go on to typedKey
	split := container.NewHSplit(a.servers.root, a.tabs)
	split.Offset = 0.24
	a.root = split
	w.SetContent(a.root)
	return a
}

// Start loads the server list in the background and shows the first one.
func (a *App) Start() {
	if a.sets != nil {
		a.sets.reload() // keeps edits not yet saved
	}
	a.jails.title.SetText("BanGUI")
	a.jails.state.loading("Looking for fail2ban servers…")
	a.jails.spawn(func() {
		ctx, cancel := context.WithTimeout(a.ctx, 15*time.Second)
		defer cancel()
		list, err := a.deps.LoadServers(ctx)
		do(a.ctx, func() { a.applyServers(list, err) })
	})
}

func (a *App) applyServers(list []core.Server, err error) {
	if err != nil {
		a.jails.state.failed("Cannot read the server list", err, a.Start)
		a.servers.loadFailed(err)
		return
	}
	if len(list) == 0 {
		a.jails.showEmpty(a.Start)
		// Every view says there is no server (and forgets a removed one).
		a.servers.setServers(nil)
		a.bans.setServers(nil, nil)
		a.dash.setServers(nil)
		a.hist.setServers(nil)
		a.geomap.setServers(nil)
		return
	}
	a.servers.setServers(list)
	a.jails.setServers(list, func(s core.Server) JailSource { return a.deps.Source(s) })
	a.bans.setServers(list, func(s core.Server) (BanSource, FailureSource) {
		var fails FailureSource
		if a.deps.Failures != nil {
			fails = a.deps.Failures(s)
		}
		return a.deps.Source(s), fails
	})
	if sc := a.deps.StartScope; sc != "" && slices.Contains(a.bans.scopeSel.Options, sc) {
		a.deps.StartScope = "" // once
		a.jails.scopeSel.SetSelected(sc)
		a.bans.scopeSel.SetSelected(sc)
	}
	a.loadSynced()
	a.dash.setServers(list)
	a.dash.probeServers(a.ctx) // the server list's dots, for every server
	a.hist.setServers(list)
	a.geomap.setServers(list)
	if a.blocks != nil && a.tabs.Selected().Content == a.blocks.root() {
		a.blocks.reload() // the targets name the servers
	}
	switch a.tabs.Selected().Content {
	case a.dash.root:
		a.dash.shown()
	case a.hist.root:
		a.hist.reload()
	case a.geomap.root:
		a.geomap.reload()
	}
}

func (a *App) onServerSelected(s core.Server) {
	c := a.deps.Source(s)
	var perm Permanent
	if a.deps.Permanent != nil {
		perm = a.deps.Permanent(s)
	}
	var info JailInfoSource
	if a.deps.JailInfo != nil {
		info = a.deps.JailInfo(s)
	}
	a.jails.setServer(s, c, c, perm, info)
	var fails FailureSource
	if a.deps.Failures != nil {
		fails = a.deps.Failures(s)
	}
	a.bans.setServer(s, c, fails)
	a.acts.setServer(s)
}

// pollEvery is how often every server is checked for the server list
// by default (the selected one is refreshed more often by the jails
// view); the settings change it.
const pollEvery = 30 * time.Second

// pollLoop checks every server on the poll interval, a bounded number at
// once, unless background work is paused.
func (a *App) pollLoop() {
	t := time.NewTimer(a.pollInterval())
	defer t.Stop()
	for {
		select {
		case <-a.ctx.Done():
			return
		case <-a.pollReset:
		case <-t.C:
			if !a.paused.Load() {
				do(a.ctx, func() { a.dash.probeServers(a.ctx) })
			}
		}
		t.Reset(a.pollInterval())
	}
}

// loadSynced shows when each server's history was last copied, in the
// server list.
func (a *App) loadSynced() {
	ctx := a.ctx
	a.spawn(func() {
		states, err := a.deps.History.SyncStates(ctx)
		if err != nil {
			return // the history view says why
		}
		do(ctx, func() {
			for _, st := range states {
				if !st.SyncedAt.IsZero() {
					a.servers.setSynced(st.ServerID, st.SyncedAt)
				}
			}
		})
	})
}

// watchTasks follows the background tasks of this copy: when a run starts
// or ends (a history sync), the dashboard and the history catch up.
func (a *App) watchTasks(changes <-chan struct{}) {
	for {
		select {
		case <-a.ctx.Done():
			return
		case <-changes:
			do(a.ctx, func() {
				a.loadSynced()
				if a.dash.visible {
					a.dash.refresh()
				}
				a.hist.onSynced()
				if a.tabs.Selected().Content == a.geomap.root {
					a.geomap.reload() // a geo task may have located addresses
				}
			})
		}
	}
}

// Halt cancels all background work at once without waiting. Unlike Stop
// it is safe from any goroutine: call it from a signal handler, so work
// stops before Fyne's event loop ends (after that, fyne.Do runs functions
// on the caller's goroutine and widgets would be touched off the UI thread).
func (a *App) Halt() { a.cancel() }

// Stop ends background work and waits for it; call it when the window
// closes and again after the app's event loop ended (a SIGTERM quits Fyne
// without closing the window). It may be called more than once.
func (a *App) Stop() {
	a.cancel()
	a.jails.stop()
	a.bans.stop()
	a.acts.stop()
	a.dash.stop()
	a.hist.stop()
	a.geomap.stop()
	if a.blocks != nil {
		a.blocks.stopWork()
	}
	if a.sets != nil {
		a.sets.stop()
	}
}

// Fatal fills w with an error that stops the app from starting (a cache
// written by a newer BanGUI, an unwritable data folder), with what to do
// and a Quit button, instead of dying with a message nobody sees.
func Fatal(w fyne.Window, err error, quit func()) {
	p := newStatePanel()
	p.failed("BanGUI cannot start", err, nil)
	p.action.SetText("Quit")
	p.action.SetIcon(nil)
	p.action.OnTapped = quit
	p.action.Show()
	w.SetContent(p)
}

// noActivities is the activity log of an app without a cache (tests).
type noActivities struct{}

func (noActivities) Activities(context.Context, core.ActivityFilter) ([]core.Activity, error) {
	return nil, nil
}

// noHistory is the history of an app without a cache (tests): empty.
type noHistory struct{}

func (noHistory) Dashboard(_ context.Context, f core.HistoryFilter) (core.Dashboard, error) {
	return core.Dashboard{From: f.From, To: f.To, Step: time.Hour}, nil
}

func (noHistory) HistoryPage(context.Context, core.HistoryFilter, *core.HistoryKey, int) ([]core.HistoryBan, error) {
	return nil, nil
}

func (noHistory) HistorySeek(context.Context, core.HistoryFilter, *core.HistoryKey, int) (*core.HistoryKey, error) {
	return nil, nil
}

func (noHistory) HistoryJails(context.Context) ([]string, error)                { return nil, nil }
func (noHistory) CountHistory(context.Context, core.HistoryFilter) (int, error) { return 0, nil }
func (noHistory) IPTimeline(context.Context, string) ([]core.HistoryBan, error) { return nil, nil }
func (noHistory) SyncStates(context.Context) ([]core.SyncStatus, error)         { return nil, nil }
func (noHistory) Newest(context.Context) (time.Time, error)                     { return time.Time{}, nil }
func (noHistory) CountryCounts(context.Context, core.HistoryFilter) ([]core.NamedCount, error) {
	return nil, nil
}
func (noHistory) TopIPs(context.Context, core.HistoryFilter) ([]core.NamedCount, error) {
	return nil, nil
}
