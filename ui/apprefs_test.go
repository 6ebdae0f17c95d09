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
	jailsEvery, bansEvery := time.Duration(a.jails.every.Load()), time.Duration(a.bans.every.Load())
	if a.pollInterval() != 2*time.Minute || jailsEvery != 9*time.Second || bansEvery != 9*time.Second {
		t.Errorf("after saving: poll %v, jails every %v, bans every %v", a.pollInterval(), jailsEvery, bansEvery)
	}
	if a.jails.everySel.Selected != "Every 9s" {
		t.Errorf("the jails view's picker shows %q, want Every 9s", a.jails.everySel.Selected)
	}
	p.Refresh = 15 * time.Second // one of the picker's own periods
	a.applyPreferences(p)
	if a.jails.everySel.Selected != "Every 15 s" || time.Duration(a.jails.every.Load()) != 15*time.Second {
		t.Errorf("picker %q, every %v after 15s", a.jails.everySel.Selected, time.Duration(a.jails.every.Load()))
	}
	if len(heard) != 2 || heard[0].Poll != 2*time.Minute || heard[1].Refresh != 15*time.Second {
		t.Errorf("OnPreferences heard %+v", heard)
	}
	a.selectView("history")
	if a.CurrentView() != "history" {
		t.Errorf("selectView(history) shows %s", a.CurrentView())
	}
}
