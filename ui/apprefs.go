package ui

import (
	"context"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"

	"github.com/bangui/bangui/core"
)

// Views are the names of the tabs, in order, as -view and the remembered
// last view give them ("jail-settings" opens the jails view on the
// selected jail's settings).
var Views = []string{"dashboard", "jails", "bans", "map", "history", "blocklists", "activity", "settings"}

// addSettings appends the Settings tab when the window has preferences.
func (a *App) addSettings(w fyne.Window, deps Deps) {
	if deps.Preferences == nil {
		return
	}
	v := newSettingsView(w, deps.Preferences, a.applyPreferences)
	v.parent = a.ctx
	v.onGeo = func() { showGeoSources(w, deps.Geo, a.ctx, func(f func()) { go f() }) }
	v.onAbout = func() { a.onAbout() }
	a.sets = v
	a.setsRoot, a.setsReload = v.root, v.reload
	a.tabs.Append(container.NewTabItemWithIcon("Settings", theme.SettingsIcon(), v.root))
}

// applyPreferences puts saved preferences to work in the window: the
// views' refresh and the servers' check intervals (the theme was applied
// by the settings view), then tells cmd (notifications, the tray).
func (a *App) applyPreferences(p core.Preferences) {
	a.pollEvery.Store(int64(p.Poll))
	select {
	case a.pollReset <- struct{}{}:
	default:
	}
	if p.Refresh > 0 {
		// The running loops read these on their next tick: nothing is
		// restarted, so selections and edits going on are kept.
		a.jails.setEvery(p.Refresh)
		a.bans.every.Store(int64(p.Refresh))
	}
	if a.deps.OnPreferences != nil {
		a.deps.OnPreferences(p)
	}
}

// SetPaused stops (or resumes) the window's own background checks of
// every server; the views keep refreshing what they show.
func (a *App) SetPaused(on bool) { a.paused.Store(on) }

// CurrentView names the selected tab (one of Views).
func (a *App) CurrentView() string {
	c := a.current()
	for i, t := range []fyne.CanvasObject{a.dash.root, a.jails.root, a.bans.root, a.geomap.root, a.hist.root} {
		if c == t {
			return Views[i]
		}
	}
	switch {
	case c == a.acts.root:
		return "activity"
	case a.blocks != nil && c == a.blocks.root():
		return "blocklists"
	case a.setsRoot != nil && c == a.setsRoot:
		return "settings"
	}
	return "dashboard"
}

// selectView selects the tab a view name (one of Views, or
// "jail-settings") names; unknown names and missing tabs leave the
// dashboard.
func (a *App) selectView(name string) {
	switch name {
	case "jails":
		a.showTab(a.jails.root)
	case "jail-settings":
		a.showTab(a.jails.root)
		a.jails.lower.SelectIndex(1)
	case "bans":
		a.showTab(a.bans.root)
	case "map":
		a.showTab(a.geomap.root)
	case "history":
		a.showTab(a.hist.root)
	case "blocklists":
		if a.blocks != nil {
			a.showTab(a.blocks.root())
		}
	case "activity":
		a.showTab(a.acts.root)
	case "settings":
		if a.setsRoot != nil {
			a.showTab(a.setsRoot)
		}
	}
}

// pollInterval is the current interval of the servers' checks.
func (a *App) pollInterval() time.Duration {
	if d := time.Duration(a.pollEvery.Load()); d > 0 {
		return d
	}
	return pollEvery
}

// Welcome shows the first-start welcome: what probe found on this
// computer, and "Add a server over SSH…" (the server list's Add). done
// runs once when it closes.
func (a *App) Welcome(w fyne.Window, probe func(ctx context.Context) WelcomeInfo, done func()) {
	showWelcome(w, a.ctx, probe, func() { press(a.servers.addB) }, done)
}
