package ui

import (
	"time"

	"github.com/bangui/bangui/core"
)

// The refresh period picker of the jails view.

// refreshChoices are the periods the user can pick for automatic refresh.
var refreshChoices = []string{"Every 2 s", "Every 5 s", "Every 15 s", "Every 60 s", "Paused"}

var refreshPeriods = map[string]time.Duration{
	"Every 2 s": 2 * time.Second, "Every 5 s": 5 * time.Second,
	"Every 15 s": 15 * time.Second, "Every 60 s": time.Minute, "Paused": 0,
}

func refreshLabel(d time.Duration) (string, bool) {
	for l, p := range refreshPeriods {
		if p == d {
			return l, true
		}
	}
	return "", false
}

// setEvery sets the refresh period from the settings: the running loop
// takes it on its next tick, and the picker shows it.
func (v *jailsView) setEvery(d time.Duration) {
	v.every.Store(int64(d))
	l, ok := refreshLabel(d)
	if !ok {
		// A period not in the list: offered first, as the view's own.
		l = "Every " + core.FormatSpan(d)
		v.customEvery, v.customLabel = d, l
		v.everySel.Options = append([]string{l}, refreshChoices...)
	}
	v.everySel.SetSelected(l) // onEvery stores the same period
}

func (v *jailsView) onEvery(label string) {
	if d, ok := refreshPeriods[label]; ok {
		v.every.Store(int64(d))
	} else if label == v.customLabel && v.customLabel != "" {
		v.every.Store(int64(v.customEvery))
	}
}
