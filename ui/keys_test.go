package ui

import (
	"context"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/bangui/bangui/core"
)

// newKeysApp is a window on one server with two bans, every background
// step run in place. fetches counts the reads of the bans view.
func newKeysApp(t *testing.T) (*App, fyne.Window, *atomic.Int32) {
	t.Helper()
	return newKeysAppWith(t, nil)
}

// newKeysAppWith is newKeysApp with more dependencies set by with.
func newKeysAppWith(t *testing.T, with func(*Deps)) (*App, fyne.Window, *atomic.Int32) {
	t.Helper()
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	w.Resize(fyne.NewSize(1180, 720))
	src := goodSource().withAllBans()
	var fetches atomic.Int32
	all := src.allBans
	src.allBans = func() ([]core.Ban, error) { fetches.Add(1); return all() }
	deps := Deps{
		LoadServers: func(context.Context) ([]core.Server, error) {
			return []core.Server{{ID: 7, Name: "local", Kind: core.ServerLocal, Socket: "/run/f2b.sock"}}, nil
		},
		Source:          func(core.Server) ServerClient { return src },
		RefreshInterval: time.Hour,
		StartView:       "jails", // the dashboard's own refresh loop stays off
	}
	if with != nil {
		with(&deps)
	}
	a := New(w, deps)
	a.jails.interval, a.bans.interval = 0, 0
	a.jails.spawn = func(f func()) { f() }
	a.bans.spawn = func(f func()) { f() }
	a.acts.spawn = func(f func()) { f() }
	a.dash.pollSpawn = func(f func()) { f() }
	// The dashboard's reads run in place, and its refresh loop never
	// starts (shown() starts none while a ticker exists).
	a.dash.spawn = func(f func()) { f() }
	a.dash.ticker = time.NewTicker(time.Hour)
	a.geomap.spawn = func(f func()) { f() }
	a.hist.spawn = func(f func()) { f() }
	if a.sets != nil {
		a.sets.spawn = func(f func()) { f() }
	}
	a.spawn = func(f func()) { f() }
	a.jails.detail.spawn = func(f func()) { f() }
	t.Cleanup(a.Stop)
	a.Start()
	return a, w, &fetches
}

// shortcut does what the desktop driver does with a key chord: it runs
// the menu bar item bound to it (main-menu shortcuts come first, even in
// a text field). It fails the test when no item has the chord.
func shortcut(t *testing.T, w fyne.Window, key fyne.KeyName) {
	t.Helper()
	want := ctrl(key).ShortcutName()
	for _, m := range w.MainMenu().Items {
		for _, it := range m.Items {
			if it.Shortcut != nil && it.Shortcut.ShortcutName() == want {
				it.Action()
				return
			}
		}
	}
	t.Fatalf("no menu item has the shortcut %s", want)
}

func TestShortcutsSelectViews(t *testing.T) {
	a, w, _ := newKeysApp(t)
	want := []string{"Dashboard", "Jails", "Bans", "Map", "History", "Activity"}
	for i, name := range want {
		shortcut(t, w, viewKeys[i])
		if got := a.tabs.Selected().Text; got != name {
			t.Errorf("Ctrl+%d selected %q, want %q", i+1, got, name)
		}
	}
	// Every view key the window has is in the menu, and only those.
	var views []string
	for _, it := range w.MainMenu().Items[0].Items {
		if sc, ok := it.Shortcut.(*desktop.CustomShortcut); ok && slices.Contains(viewKeys, sc.KeyName) {
			views = append(views, it.Label)
		}
	}
	if strings.Join(views, ",") != strings.Join(want, ",") {
		t.Errorf("view items %v, want %v", views, want)
	}
}

func TestShortcutFindFocusesTheViewsSearch(t *testing.T) {
	a, w, _ := newKeysApp(t)
	shortcut(t, w, fyne.Key3) // bans
	shortcut(t, w, fyne.KeyF)
	if w.Canvas().Focused() != a.bans.filter {
		t.Errorf("Ctrl+F in the bans view focused %T, want the filter", w.Canvas().Focused())
	}
	shortcut(t, w, fyne.Key6) // activity
	shortcut(t, w, fyne.KeyF)
	if w.Canvas().Focused() != a.acts.text {
		t.Errorf("Ctrl+F in the activity view focused %T, want its filter", w.Canvas().Focused())
	}
	shortcut(t, w, fyne.Key1) // the dashboard has no search field: find an address in the history
	shortcut(t, w, fyne.KeyF)
	if a.tabs.Selected().Text != "History" || w.Canvas().Focused() != a.hist.ipEntry {
		t.Errorf("Ctrl+F on the dashboard: tab %q, focus %T; want the history's address field", a.tabs.Selected().Text, w.Canvas().Focused())
	}
}

func TestShortcutRefreshReadsAgain(t *testing.T) {
	a, w, fetches := newKeysApp(t)
	shortcut(t, w, fyne.Key3)
	before := fetches.Load()
	if before == 0 {
		t.Fatal("the bans view read nothing on start")
	}
	shortcut(t, w, fyne.KeyR)
	if got := fetches.Load(); got != before+1 {
		t.Errorf("Ctrl+R in the bans view: %d reads, want %d", got, before+1)
	}
	// F5 does the same when nothing has the focus.
	w.Canvas().Unfocus()
	w.Canvas().(interface{ OnTypedKey() func(*fyne.KeyEvent) }).OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyF5})
	if got := fetches.Load(); got != before+2 {
		t.Errorf("F5: %d reads, want %d", got, before+2)
	}
	if len(a.bans.all) != 2 {
		t.Errorf("bans after refresh: %d, want 2", len(a.bans.all))
	}
}

// topDialogText is the text of the labels of the dialog on top, or "".
func topDialogText(w fyne.Window) string {
	top := w.Canvas().Overlays().Top()
	if top == nil {
		return ""
	}
	var b strings.Builder
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch x := o.(type) {
		case *widget.Label:
			b.WriteString(x.Text + "\n")
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(x).Objects() {
				walk(c)
			}
		case *fyne.Container:
			for _, c := range x.Objects {
				walk(c)
			}
		}
	}
	walk(top)
	return b.String()
}

func TestDeleteUnbansTheSelectionAfterAsking(t *testing.T) {
	a, w, _ := newKeysApp(t)
	shortcut(t, w, fyne.Key3)
	key := w.Canvas().(interface{ OnTypedKey() func(*fyne.KeyEvent) }).OnTypedKey()

	// Nothing selected: Delete says what to do, and asks nothing.
	key(&fyne.KeyEvent{Name: fyne.KeyDelete})
	if w.Canvas().Overlays().Top() != nil || !strings.Contains(a.bans.status.Text, "Select the bans to lift first") {
		t.Fatalf("Delete with no selection: dialog %v, status %q", w.Canvas().Overlays().Top() != nil, a.bans.status.Text)
	}

	// One ban selected, the table focused (it was clicked): Delete asks.
	a.bans.onRowTapped(0)
	w.Canvas().Focus(a.bans.table.keys)
	a.bans.table.keys.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDelete})
	if got := topDialogText(w); !strings.Contains(got, "Lift 1 ban on local?") {
		t.Fatalf("Delete in the table: dialog %q, want the unban question", got)
	}
	// A second Delete while the question is open does not stack another.
	key(&fyne.KeyEvent{Name: fyne.KeyDelete})
	if n := len(w.Canvas().Overlays().List()); n != 1 {
		t.Errorf("dialogs after a second Delete: %d, want 1", n)
	}
	if len(a.bans.all) != 2 {
		t.Errorf("a ban was lifted before the answer: %d left", len(a.bans.all))
	}

	// Other views: Delete does nothing.
	w.Canvas().Overlays().Top().Hide()
	shortcut(t, w, fyne.Key2)
	key(&fyne.KeyEvent{Name: fyne.KeyDelete})
	if w.Canvas().Overlays().Top() != nil {
		t.Error("Delete in the jails view opened a dialog")
	}
}

func TestKeyboardHelpListsEveryView(t *testing.T) {
	a, w, _ := newKeysApp(t)
	a.showKeys(w)
	got := topDialogText(w)
	for _, want := range []string{"Ctrl+1\tDashboard", "Ctrl+6\tActivity", "Ctrl+F", "Delete\tunban the selected bans", "Escape"} {
		if !strings.Contains(got, want) {
			t.Errorf("shortcut list lacks %q:\n%s", want, got)
		}
	}
}

// TestShortcutsWaitForTheDialog: Fyne runs the menu bar's shortcuts even
// under a dialog; ours do nothing then (no second form, no view switched
// behind the dialog).
func TestShortcutsWaitForTheDialog(t *testing.T) {
	a, w, fetches := newKeysApp(t)
	shortcut(t, w, fyne.Key3)
	a.showKeys(w)
	before := fetches.Load()
	shortcut(t, w, fyne.Key2)
	shortcut(t, w, fyne.KeyR)
	shortcut(t, w, fyne.KeyB)
	if a.tabs.Selected().Text != "Bans" || fetches.Load() != before || len(w.Canvas().Overlays().List()) != 1 {
		t.Errorf("under a dialog: tab %q, reads %d→%d, dialogs %d", a.tabs.Selected().Text, before, fetches.Load(), len(w.Canvas().Overlays().List()))
	}
	w.Canvas().Overlays().Top().Hide()
	shortcut(t, w, fyne.Key2)
	if a.tabs.Selected().Text != "Jails" {
		t.Errorf("after the dialog closed, Ctrl+2 shows %q", a.tabs.Selected().Text)
	}
}
