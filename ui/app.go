package ui

import (
	"context"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
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
	// StartView names the tab shown first: "jails" (default), "settings"
	// (the jails view with the selected jail's settings), "bans" or
	// "activity".
	StartView string
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
}

// App is the main window's content: the server list beside the jails view.
type App struct {
	deps    Deps
	servers *serversView
	jails   *jailsView
	bans    *bansView
	acts    *activityView
	tabs    *container.AppTabs
	root    fyne.CanvasObject
	ctx     context.Context // ends with Stop
	cancel  context.CancelFunc
}

// New builds the window content and puts it into w. Call Start to load.
func New(w fyne.Window, deps Deps) *App {
	if deps.RefreshInterval <= 0 {
		deps.RefreshInterval = 5 * time.Second
	}
	a := &App{deps: deps}
	a.ctx, a.cancel = context.WithCancel(context.Background())
	a.jails = newJailsView(w, deps.RefreshInterval, func(s core.Server, st serverState) { a.servers.setState(s, st) })
	a.bans = newBansView(w, deps.RefreshInterval)
	if deps.Activity == nil {
		deps.Activity = noActivities{}
	}
	a.acts = newActivityView(w, deps.Activity)
	a.jails.parent, a.bans.parent, a.acts.parent = a.ctx, a.ctx, a.ctx
	a.jails.detail.parent = a.ctx
	a.servers = newServersView(a.onServerSelected)
	a.tabs = container.NewAppTabs(
		container.NewTabItemWithIcon("Jails", theme.ListIcon(), a.jails.root),
		container.NewTabItemWithIcon("Bans", theme.VisibilityOffIcon(), a.bans.root),
		container.NewTabItemWithIcon("Activity", theme.HistoryIcon(), a.acts.root),
	)
	switch deps.StartView {
	case "settings":
		a.jails.lower.SelectIndex(1)
	case "bans":
		a.tabs.SelectIndex(1)
	case "activity":
		a.tabs.SelectIndex(2)
	}
	// The activity log changes with every action: reload it when shown.
	a.tabs.OnSelected = func(t *container.TabItem) {
		if t.Content == a.acts.root {
			a.acts.refresh()
		}
	}
	split := container.NewHSplit(a.servers.root, a.tabs)
	split.Offset = 0.24
	a.root = split
	w.SetContent(a.root)
	return a
}

// Start loads the server list in the background and shows the first one.
func (a *App) Start() {
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
		return
	}
	if len(list) == 0 {
		a.jails.showEmpty(a.Start)
		return
	}
	a.servers.setServers(list)
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
