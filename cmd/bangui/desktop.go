package main

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/f2b"
	"github.com/bangui/bangui/core/notify"
	"github.com/bangui/bangui/core/store"
	"github.com/bangui/bangui/ui"
)

// Window state kept in the settings table between runs (not preferences:
// nobody edits them).
const (
	settingWindowWidth  = "window.width"
	settingWindowHeight = "window.height"
	settingLastView     = "window.last_view"
	settingWelcomed     = "ui.welcomed" // "true" once the first-start welcome closed
)

// desktopApp is what makes BanGUI a desktop app around the window: the
// tray, the notifications, pausing background work, closing to the tray,
// and the window's size and view remembered between runs.
type desktopApp struct {
	app      fyne.App
	w        fyne.Window
	db       *store.DB
	bg       *background
	shell    *ui.App
	tray     *ui.Tray // nil: this desktop has no tray
	notifier *notify.Notifier
	toTray   atomic.Bool // close to the tray (preferences)
	paused   atomic.Bool // background work paused from the tray
	saveOnce sync.Once
}

func newDesktopApp(a fyne.App, w fyne.Window, db *store.DB, bg *background, p core.Preferences) *desktopApp {
	d := &desktopApp{app: a, w: w, db: db, bg: bg}
	d.notifier = notify.New(ui.SendNotifications(a), nil)
	d.apply(p)
	return d
}

// apply puts preferences to work: the notification rules, closing to the
// tray.
func (d *desktopApp) apply(p core.Preferences) {
	d.notifier.SetRules(p.Notify)
	d.toTray.Store(p.CloseToTray)
}

// attach connects the window's shell: the tray (on a desktop that has
// one) and the close button. Call it on the UI goroutine, before the
// event loop.
func (d *desktopApp) attach(shell *ui.App) {
	d.shell = shell
	if hasSessionBus() {
		d.tray = ui.NewTray(d.app, d.show, d.pause, d.quit)
		if da, ok := d.app.(desktop.App); ok && d.tray != nil {
			da.SetSystemTrayWindow(d.w) // a click on the icon shows the window
		}
	} else {
		slog.Info("no session D-Bus: no tray icon (closing the window quits)")
	}
	d.w.SetCloseIntercept(func() {
		if d.tray != nil && d.toTray.Load() {
			d.w.Hide() // the tray's Open BanGUI brings it back
			return
		}
		d.w.Close()
	})
}

func (d *desktopApp) show() {
	d.w.Show()
	d.w.RequestFocus()
}

// pause stops (or resumes) the scheduled tasks and the window's checks of
// every server.
func (d *desktopApp) pause(on bool) {
	d.paused.Store(on)
	d.bg.sched.Pause(on)
	d.shell.SetPaused(on)
	d.tray.SetPaused(on)
}

func (d *desktopApp) quit() {
	d.saveWindow()
	d.app.Quit()
}

// onPoll hears every check of all servers: the server notifications, and
// the tray's line (servers up, bans in the last hour, counted in the
// cache off the UI goroutine, which also feeds the ban-rate rule).
func (d *desktopApp) onPoll(all []core.ServerStatus) {
	if d.paused.Load() {
		// Paused means quiet: a check the dashboard still makes (it
		// refreshes what it shows) notifies nobody.
		return
	}
	d.notifier.ServerStatuses(all)
	up := 0
	for _, st := range all {
		if st.Online {
			up++
		}
	}
	window := d.notifier.Rules().BanWindow
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		now := time.Now()
		hour, err := d.db.CountHistory(ctx, core.HistoryFilter{From: now.Add(-time.Hour)})
		if err != nil {
			slog.Warn("tray: counting the last hour's bans", "err", err)
			return
		}
		d.tray.SetStatus(up, len(all), hour)
		if d.notifier.Rules().BanRate > 0 && window > 0 {
			n, err := d.db.CountHistory(ctx, core.HistoryFilter{From: now.Add(-window)})
			if err == nil {
				d.notifier.Bans(n)
			}
		}
		d.notifier.Flush()
	}()
}

// windowSize is the size the window had when it last closed, else the
// flags' default.
func windowSize(ctx context.Context, db *store.DB, w, h float64) (float64, float64) {
	read := func(key string, def float64) float64 {
		v, err := db.Setting(ctx, key)
		if err != nil {
			return def
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 400 || f > 16384 {
			return def // unreadable or absurd: not worth an error
		}
		return f
	}
	return read(settingWindowWidth, w), read(settingWindowHeight, h)
}

// lastView is the view shown when the window last closed, or "".
func lastView(ctx context.Context, db *store.DB) string {
	v, err := db.Setting(ctx, settingLastView)
	if err != nil {
		return ""
	}
	for _, name := range ui.Views {
		if v == name {
			return v
		}
	}
	return ""
}

// saveWindow remembers the window's size and view for the next start.
// Fyne 2.7 has no window position API, so the position is left to the
// window manager.
func (d *desktopApp) saveWindow() {
	d.saveOnce.Do(func() {
		size := d.w.Canvas().Size()
		view := d.shell.CurrentView()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		for k, v := range map[string]string{
			settingWindowWidth:  strconv.Itoa(int(size.Width)),
			settingWindowHeight: strconv.Itoa(int(size.Height)),
			settingLastView:     view,
		} {
			if size.Width <= 0 && k != settingLastView {
				continue // never shown
			}
			if err := d.db.SetSetting(ctx, k, v); err != nil {
				slog.Warn("remembering the window", "key", k, "err", err)
			}
		}
	})
}

// welcome shows the first-start welcome once: when no welcome was ever
// closed in this cache. It looks for a local fail2ban on socket.
func (d *desktopApp) welcome(socket string) {
	if v, err := d.db.Setting(context.Background(), settingWelcomed); err == nil && v == "true" {
		return
	}
	d.shell.Welcome(d.w, func(ctx context.Context) ui.WelcomeInfo {
		return probeLocal(ctx, socket)
	}, func() {
		if err := d.db.SetSetting(context.Background(), settingWelcomed, "true"); err != nil {
			slog.Warn("remembering the welcome", "err", err)
		}
	})
}

// probeLocal asks this computer's fail2ban for its version, through the
// same dialer the app uses (sudo -n when the socket is root's).
func probeLocal(ctx context.Context, socket string) ui.WelcomeInfo {
	c := f2b.New(localDialer(socket), f2b.Config{Timeout: 5 * time.Second})
	defer c.Close()
	v, err := c.Version(ctx)
	if err != nil {
		return ui.WelcomeInfo{Socket: socket, Err: err}
	}
	return ui.WelcomeInfo{LocalFound: true, Socket: socket, Version: v.String()}
}

// hasSessionBus reports whether a session D-Bus is there for the tray.
// Fyne's Linux tray (fyne.io/systray) talks to the desktop over it, and
// without one it dereferences a nil connection when the app quits (seen
// under a bare Xvfb with Fyne 2.7.1).
func hasSessionBus() bool {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") != "" {
		return true
	}
	if dir := os.Getenv("XDG_RUNTIME_DIR"); dir != "" {
		if fi, err := os.Stat(filepath.Join(dir, "bus")); err == nil && fi.Mode()&os.ModeSocket != 0 {
			return true
		}
	}
	return false
}
