package ui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"

	"github.com/bangui/bangui/assets"
	"github.com/bangui/bangui/core/notify"
)

// Labels of the tray menu.
const (
	trayChecking = "Checking servers…"
	trayOpen     = "Open BanGUI"
	trayPause    = "Pause background work"
	trayResume   = "Resume background work"
	trayQuit     = "Quit"
)

// Tray is BanGUI's system tray menu: state at a glance, open the window,
// pause background work, quit. A nil *Tray (no tray on this desktop)
// ignores every call.
type Tray struct {
	menu      *fyne.Menu
	status    *fyne.MenuItem // disabled: shows the state
	pauseItem *fyne.MenuItem
	pause     func(on bool)
	paused    bool // UI goroutine only
}

// NewTray puts BanGUI's menu and icon in the system tray. open shows the
// window, pause(on) pauses or resumes background work, quit quits; they
// are called on the UI goroutine. It returns nil when a is not a desktop
// app (fyne's desktop.App): there is no tray then. Call it on the UI
// goroutine.
//
// Fyne 2.7 gives the tray no tooltip: the status is the menu's first
// line. cmd may also call desktop.App's SetSystemTrayWindow, so that a
// tap on the icon shows the window.
func NewTray(a fyne.App, open func(), pause func(on bool), quit func()) *Tray {
	d, ok := a.(desktop.App)
	if !ok {
		return nil
	}
	t := newTray(open, pause, quit)
	d.SetSystemTrayIcon(assets.Icon) // first, so the tray starts with it
	d.SetSystemTrayMenu(t.menu)
	return t
}

// newTray builds the menu: the status line, Open BanGUI, the pause toggle,
// a separator and Quit (marked IsQuit, so Fyne adds no second one).
func newTray(open func(), pause func(on bool), quit func()) *Tray {
	t := &Tray{pause: pause}
	t.status = fyne.NewMenuItem(trayChecking, nil)
	t.status.Disabled = true
	t.pauseItem = fyne.NewMenuItem(trayPause, t.onPause)
	q := fyne.NewMenuItem(trayQuit, quit)
	q.IsQuit = true
	t.menu = fyne.NewMenu("BanGUI",
		t.status,
		fyne.NewMenuItem(trayOpen, open),
		t.pauseItem,
		fyne.NewMenuItemSeparator(),
		q,
	)
	return t
}

// onPause toggles the pause: it tells the caller, then shows the new
// state at once.
func (t *Tray) onPause() {
	on := !t.paused
	if t.pause != nil {
		t.pause(on)
	}
	t.applyPaused(on)
}

// SetStatus shows how many of the total servers answer and how many bans
// they made in the last hour, e.g. "3 of 4 servers up · 12 bans in the
// last hour". Safe from any goroutine.
func (t *Tray) SetStatus(up, total, bansLastHour int) {
	if t == nil {
		return
	}
	label := trayStatus(up, total, bansLastHour)
	fyne.Do(func() {
		if t.status.Label == label {
			return
		}
		t.status.Label = label
		t.menu.Refresh()
	})
}

// SetPaused shows whether background work is paused (the pause item
// then offers to resume), e.g. after the settings changed it. Safe from
// any goroutine.
func (t *Tray) SetPaused(on bool) {
	if t == nil {
		return
	}
	fyne.Do(func() { t.applyPaused(on) })
}

func (t *Tray) applyPaused(on bool) {
	if t.paused == on {
		return
	}
	t.paused = on
	t.pauseItem.Label = trayPause
	if on {
		t.pauseItem.Label = trayResume
	}
	t.menu.Refresh()
}

// trayStatus writes the status line.
func trayStatus(up, total, bans int) string {
	if total == 0 {
		return "No servers yet"
	}
	servers := "servers"
	if total == 1 {
		servers = "server"
	}
	s := fmt.Sprintf("%d of %d %s up · ", up, total, servers)
	if bans == 1 {
		return s + "1 ban in the last hour"
	}
	return s + fmt.Sprintf("%d bans in the last hour", bans)
}

// SendNotifications returns the send func of notify.New: it shows each
// notification on the desktop through a, on the UI goroutine.
func SendNotifications(a fyne.App) func(notify.Notification) {
	return func(n notify.Notification) {
		fyne.Do(func() {
			a.SendNotification(fyne.NewNotification(n.Title, n.Body))
		})
	}
}
