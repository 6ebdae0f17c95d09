package ui

import (
	"slices"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"

	"github.com/bangui/bangui/assets"
	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/notify"
)

// trayApp is a test app with a system tray, which Fyne's test app lacks:
// it keeps what BanGUI puts in the tray.
type trayApp struct {
	fyne.App
	menu *fyne.Menu
	icon fyne.Resource
}

var _ desktop.App = (*trayApp)(nil)

func (a *trayApp) SetSystemTrayMenu(m *fyne.Menu)    { a.menu = m }
func (a *trayApp) SetSystemTrayIcon(r fyne.Resource) { a.icon = r }
func (a *trayApp) SetSystemTrayWindow(fyne.Window)   {}

// trayLabels lists the labels of m's items, "---" for a separator.
func trayLabels(m *fyne.Menu) (list []string) {
	for _, it := range m.Items {
		if it.IsSeparator {
			list = append(list, "---")
		} else {
			list = append(list, it.Label)
		}
	}
	return list
}

func TestTrayNone(t *testing.T) {
	a := test.NewTempApp(t) // no desktop.App: no tray
	tr := NewTray(a, func() {}, func(bool) {}, func() {})
	if tr != nil {
		t.Fatalf("NewTray on an app without a tray = %+v, want nil", tr)
	}
	tr.SetStatus(1, 2, 3) // a nil Tray ignores calls
	tr.SetPaused(true)
}

func TestTrayMenu(t *testing.T) {
	a := &trayApp{App: test.NewTempApp(t)}
	var opened, quit int
	var pauses []bool
	tr := NewTray(a, func() { opened++ }, func(on bool) { pauses = append(pauses, on) }, func() { quit++ })
	if tr == nil || a.menu == nil {
		t.Fatal("NewTray on a desktop app set no tray menu")
	}
	if a.icon != assets.Icon {
		t.Errorf("tray icon = %v, want the app icon", a.icon)
	}
	want := []string{trayChecking, "Open BanGUI", "Pause background work", "---", "Quit"}
	if got := trayLabels(a.menu); !slices.Equal(got, want) {
		t.Fatalf("tray menu = %q, want %q", got, want)
	}
	items := a.menu.Items
	if !items[0].Disabled {
		t.Error("the status line is enabled")
	}
	if !items[4].IsQuit {
		t.Error("Quit is not marked IsQuit: Fyne would add a second Quit")
	}

	items[1].Action()
	if opened != 1 {
		t.Errorf("Open BanGUI opened the window %d times", opened)
	}

	items[2].Action()
	if len(pauses) != 1 || !pauses[0] || items[2].Label != "Resume background work" {
		t.Errorf("after one tap: pause calls %v, item %q; want [true], Resume background work", pauses, items[2].Label)
	}
	items[2].Action()
	if len(pauses) != 2 || pauses[1] || items[2].Label != "Pause background work" {
		t.Errorf("after two taps: pause calls %v, item %q; want [true false], Pause background work", pauses, items[2].Label)
	}

	// Paused from elsewhere (settings): the item follows, and the next
	// tap resumes.
	tr.SetPaused(true)
	if items[2].Label != "Resume background work" {
		t.Errorf("after SetPaused(true) the item says %q", items[2].Label)
	}
	items[2].Action()
	if len(pauses) != 3 || pauses[2] {
		t.Errorf("a tap after SetPaused(true) called pause with %v, want false", pauses)
	}

	items[4].Action()
	if quit != 1 {
		t.Errorf("Quit quit %d times", quit)
	}
}

func TestTrayStatus(t *testing.T) {
	a := &trayApp{App: test.NewTempApp(t)}
	tr := NewTray(a, func() {}, func(bool) {}, func() {})
	status := a.menu.Items[0]

	var wg sync.WaitGroup
	wg.Go(func() { tr.SetStatus(3, 4, 12) }) // from a goroutine, as the poller does
	wg.Wait()
	if want := "3 of 4 servers up · 12 bans in the last hour"; status.Label != want {
		t.Errorf("status = %q, want %q", status.Label, want)
	}
	for _, c := range []struct {
		up, total, bans int
		want            string
	}{
		{1, 1, 1, "1 of 1 server up · 1 ban in the last hour"},
		{0, 2, 0, "0 of 2 servers up · 0 bans in the last hour"},
		{0, 0, 0, "No servers yet"},
	} {
		tr.SetStatus(c.up, c.total, c.bans)
		if status.Label != c.want {
			t.Errorf("SetStatus(%d, %d, %d): status = %q, want %q", c.up, c.total, c.bans, status.Label, c.want)
		}
	}
}

// TestNotificationServerDown feeds a real Notifier whose sender is
// SendNotifications: a server going down makes one desktop notification,
// and a second one within the interval none.
func TestNotificationServerDown(t *testing.T) {
	a := test.NewTempApp(t)
	now := time.Date(2026, 11, 27, 14, 0, 0, 0, time.UTC)
	n := notify.New(SendNotifications(a), func() time.Time { return now })
	n.SetRules(core.NotifyRules{ServerDown: true, MinInterval: 5 * time.Minute})
	db1, web := core.Server{ID: 1, Name: "db1"}, core.Server{ID: 2, Name: "web"}
	refused := core.Errorf(core.EUNAVAILABLE, "the connection was refused: check that sshd runs")

	test.AssertNotificationSent(t, nil, func() {
		n.ServerStatuses([]core.ServerStatus{{Server: db1, Online: true}, {Server: web, Online: true}})
	})
	test.AssertNotificationSent(t, &fyne.Notification{
		Title:   "db1 is down",
		Content: "db1 stopped answering: the connection was refused: check that sshd runs",
	}, func() {
		var wg sync.WaitGroup
		wg.Go(func() { n.ServerStatus(core.ServerStatus{Server: db1, Err: refused}) }) // from a poll's goroutine
		wg.Wait()
	})
	test.AssertNotificationSent(t, nil, func() {
		now = now.Add(time.Minute)
		n.ServerStatus(core.ServerStatus{Server: web, Err: refused})
	})
	test.AssertNotificationSent(t, &fyne.Notification{
		Title:   "1 more server went down",
		Content: "web stopped answering since the last notice.",
	}, func() {
		now = now.Add(4 * time.Minute)
		n.Flush()
	})
}
