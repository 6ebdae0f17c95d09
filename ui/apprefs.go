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

// namedView is a view's name (one of Views) and its tab's content.
type namedView struct {
	name string
	root fyne.CanvasObject
}

// views lists the window's views in tab order, leaving out those it
// lacks (blocklists, settings).
func (a *App) views() []namedView {
	v := []namedView{{"dashboard", a.dash.root}, {"jails", a.jails.root}, {"bans", a.bans.root},
		{"map", a.geomap.root}, {"history", a.hist.root}}
	if a.blocks != nil {
		v = append(v, namedView{"blocklists", a.blocks.root()})
	}
	v = append(v, namedView{"activity", a.acts.root})
	if a.sets != nil {
		v = append(v, namedView{"settings", a.sets.root})
	}
	return v
}

// CurrentView names the selected tab (one of Views).
func (a *App) CurrentView() string {
	c := a.current()
	for _, v := range a.views() {
		if v.root == c {
			return v.name
		}
	}
	return "dashboard"
}

// selectView selects the tab a view name (one of Views, or
// "jail-settings") names; unknown names and missing tabs leave the
// dashboard.
func (a *App) selectView(name string) {
	if name == "jail-settings" {
		a.showTab(a.jails.root)
		a.jails.lower.SelectIndex(1)
		return
	}
	for _, v := range a.views() {
		if v.name == name {
			a.showTab(v.root)
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
