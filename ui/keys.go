package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"
)

// The window's keyboard: every main action is an item of the menu bar,
// with its shortcut. Shortcuts go through the menu bar because Fyne gives
// a main menu's shortcuts precedence over a focused text field (which
// would otherwise swallow Ctrl+1…8 and Ctrl+R); Delete and Escape have no
// modifier, so they are keys of the canvas and of the tables instead.

// ctrl is Ctrl+key.
func ctrl(k fyne.KeyName) fyne.Shortcut {
	return &desktop.CustomShortcut{KeyName: k, Modifier: fyne.KeyModifierShortcutDefault}
}

// viewKeys are the keys of the views, in tab order: Ctrl+1 … Ctrl+8.
var viewKeys = []fyne.KeyName{fyne.Key1, fyne.Key2, fyne.Key3, fyne.Key4, fyne.Key5, fyne.Key6, fyne.Key7, fyne.Key8}

// press taps b the way a click would: not when it is hidden or disabled.
// It reports whether it did.
func press(b *widget.Button) bool {
	if b == nil || !b.Visible() || b.Disabled() || b.OnTapped == nil {
		return false
	}
	b.OnTapped()
	return true
}

// mainMenu is the menu bar: views, find and refresh, the servers' and the
// bans' actions, and help.
func (a *App) mainMenu(w fyne.Window) *fyne.MainMenu {
	item := func(label string, sc fyne.Shortcut, action func()) *fyne.MenuItem {
		it := fyne.NewMenuItem(label, func() {
			// Fyne runs the menu bar's shortcuts even under a dialog:
			// the dialog keeps the keyboard (no second form, no view
			// switched behind it).
			if c := a.canvas(); c != nil && len(c.Overlays().List()) > 0 {
				return
			}
			action()
		})
		it.Shortcut = sc
		return it
	}
	var views []*fyne.MenuItem
	for i, t := range a.tabs.Items {
		if i >= len(viewKeys) {
			break
		}
		t := t
		views = append(views, item(t.Text, ctrl(viewKeys[i]), func() { a.tabs.Select(t) }))
	}
	view := fyne.NewMenu("View", append(views,
		fyne.NewMenuItemSeparator(),
		item("Find…", ctrl(fyne.KeyF), a.find),
		item("Refresh", ctrl(fyne.KeyR), a.refreshView),
	)...)
	servers := fyne.NewMenu("Servers",
		item("Add a server…", ctrl(fyne.KeyN), func() { press(a.servers.addB) }),
		item("Edit the selected server…", ctrl(fyne.KeyE), func() { press(a.servers.editB) }),
		item("Check every server now", nil, func() { a.dash.probeServers(a.ctx) }),
	)
	bans := fyne.NewMenu("Bans",
		item("Ban an address…", ctrl(fyne.KeyB), func() { a.showTab(a.bans.root); press(a.bans.banB) }),
		item("Unban the selected bans", &desktop.CustomShortcut{KeyName: fyne.KeyDelete}, a.unbanSelected),
		item("Unban the selected bans everywhere…", nil, func() { a.showTab(a.bans.root); press(a.bans.everyB) }),
		item("Ban or unban on many servers…", nil, func() { a.showTab(a.bans.root); press(a.bans.fleetB) }),
		fyne.NewMenuItemSeparator(),
		item("Where was this address seen…", nil, func() { a.showTab(a.bans.root); w.Canvas().Focus(a.bans.whereIn) }),
	)
	help := fyne.NewMenu("Help",
		item("Keyboard shortcuts", &desktop.CustomShortcut{KeyName: fyne.KeySlash, Modifier: fyne.KeyModifierShortcutDefault}, func() { a.showKeys(w) }),
		item("About BanGUI", nil, func() {
			if a.onAbout != nil {
				a.onAbout()
			}
		}),
	)
	return fyne.NewMainMenu(view, servers, bans, help)
}

// showTab selects the tab whose content is root.
func (a *App) showTab(root fyne.CanvasObject) {
	for _, t := range a.tabs.Items {
		if t.Content == root {
			a.tabs.Select(t)
			return
		}
	}
}

// current is the content of the selected tab.
func (a *App) current() fyne.CanvasObject {
	if t := a.tabs.Selected(); t != nil {
		return t.Content
	}
	return nil
}

// find puts the keyboard in the current view's search field. Views
// without one (dashboard, jails, map) search the history for an address.
func (a *App) find() {
	c := a.canvas()
	if c == nil {
		return
	}
	switch a.current() {
	case a.bans.root:
		c.Focus(a.bans.filter)
	case a.acts.root:
		c.Focus(a.acts.text)
	case a.dash.root, a.jails.root, a.geomap.root, a.hist.root:
		a.showTab(a.hist.root)
		c.Focus(a.hist.ipEntry)
	}
	// blocklists and settings: nothing to search, the lists are short
}

// refreshView reloads the current view now.
func (a *App) refreshView() {
	switch a.current() {
	case a.dash.root:
		a.dash.refresh()
		a.dash.probeServers(a.ctx)
	case a.jails.root:
		if !press(a.jails.refreshB) {
			a.Start() // nothing loaded yet: look for the servers again
		}
	case a.bans.root:
		a.bans.refreshNow()
	case a.geomap.root:
		a.geomap.reload()
	case a.hist.root:
		a.hist.reload()
	case a.acts.root:
		a.acts.refresh()
	default:
		if a.blocks != nil && a.current() == a.blocks.root() {
			a.blocks.reload()
		}
		if a.sets != nil && a.current() == a.sets.root {
			a.sets.reload()
		}
	}
}

// unbanSelected is Delete: the bans view's "Unban selected", which asks
// before it lifts anything.
func (a *App) unbanSelected() {
	if a.current() != a.bans.root {
		return
	}
	press(a.bans.unbanB)
}

// typedKey handles the keys without a modifier that reach the canvas
// (nothing focused) or a table: Delete and F5. It reports whether it
// used the key.
func (a *App) typedKey(ev *fyne.KeyEvent) bool {
	if c := a.canvas(); c != nil && len(c.Overlays().List()) > 0 {
		return false // a dialog is open: the keys are its own
	}
	switch ev.Name {
	case fyne.KeyDelete:
		a.unbanSelected()
		return true
	case fyne.KeyF5:
		a.refreshView()
		return true
	}
	return false
}

// canvas is the window's canvas, once the content is shown.
func (a *App) canvas() fyne.Canvas {
	return fyne.CurrentApp().Driver().CanvasForObject(a.root)
}

// shortcutHelp lists the keys, for the Help menu.
func shortcutHelp(views []string) string {
	s := "Views\n"
	for i, v := range views {
		if i >= len(viewKeys) {
			break
		}
		s += "  Ctrl+" + string(viewKeys[i]) + "\t" + v + "\n"
	}
	return s + `
Everywhere
  Ctrl+F	find: the view's filter, else an address in the history
  Ctrl+R, F5	refresh the view
  Ctrl+N	add a server
  Ctrl+E	edit the selected server
  Ctrl+B	ban an address
  Delete	unban the selected bans (asks first)
  Escape	close the dialog (as its Cancel or Close would)
  Tab, Shift+Tab	move between fields and buttons
  Alt, then arrows	the menu bar
  Ctrl+/	this list`
}

// showKeys shows the keyboard shortcuts.
func (a *App) showKeys(w fyne.Window) {
	var names []string
	for _, t := range a.tabs.Items {
		names = append(names, t.Text)
	}
	l := widget.NewLabel(shortcutHelp(names))
	dialog.ShowCustom("Keyboard shortcuts", "Close", container.NewVScroll(l), w)
}

// refreshNow fetches the bans of the view's scope at once.
func (v *bansView) refreshNow() {
	if v.ctx == nil || len(v.scope) == 0 || v.scope[0].src == nil {
		return
	}
	ctx, gen := v.ctx, v.gen
	v.spawn(func() { v.fetch(ctx, gen) })
}
