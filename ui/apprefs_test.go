package ui

import (
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/store/storetest"
)

// TestSettingsTabAppliesPreferences: with preferences the window has a
// Settings tab on Ctrl+7 (no blocklists here), and saved preferences
// reach the window (the refresh and check intervals) and cmd.
func TestSettingsTabAppliesPreferences(t *testing.T) {
	var heard []core.Preferences
	a, w, _ := newKeysAppWith(t, func(d *Deps) {
		d.Preferences = storetest.Open(t)
		d.OnPreferences = func(p core.Preferences) { heard = append(heard, p) }
	})
	shortcut(t, w, fyne.Key7)
	if a.CurrentView() != "settings" || a.tabs.Selected().Text != "Settings" {
		t.Fatalf("Ctrl+7 shows %q (%s), want the settings", a.tabs.Selected().Text, a.CurrentView())
	}
	p := core.DefaultPreferences()
	p.Refresh, p.Poll = 9*time.Second, 2*time.Minute
	a.applyPreferences(p)
	if a.pollInterval() != 2*time.Minute || a.jails.interval != 9*time.Second || a.bans.interval != 9*time.Second {
		t.Errorf("after saving: poll %v, jails %v, bans %v", a.pollInterval(), a.jails.interval, a.bans.interval)
	}
	if len(heard) != 1 || heard[0].Poll != 2*time.Minute {
		t.Errorf("OnPreferences heard %+v", heard)
	}
	a.selectView("history")
	if a.CurrentView() != "history" {
		t.Errorf("selectView(history) shows %s", a.CurrentView())
	}
}
