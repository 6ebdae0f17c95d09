package main

import (
	"context"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/store/storetest"
	"github.com/bangui/bangui/ui"
)

// TestDesktopNotifiesAServerGoingDown feeds two polls of a real cache's
// desktop wiring: a server seen up, then down, makes one notification
// through Fyne's app when the rule is on, and none when it is off (the
// default).
func TestDesktopNotifiesAServerGoingDown(t *testing.T) {
	a := test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	db := storetest.Open(t)
	web := core.Server{ID: 3, Name: "web-1"}
	up := []core.ServerStatus{{Server: web, Online: true, CheckedAt: time.Now()}}
	down := []core.ServerStatus{{Server: web, Err: core.Errorf(core.EUNAVAILABLE, "nothing listens on 127.0.0.1:2222"), CheckedAt: time.Now()}}

	off := newDesktopApp(a, w, db, nil, core.DefaultPreferences())
	test.AssertNotificationSent(t, nil, func() {
		off.onPoll(up)
		off.onPoll(down)
	})

	p := core.DefaultPreferences()
	p.Notify.ServerDown = true
	d := newDesktopApp(a, w, db, nil, p)
	test.AssertNotificationSent(t, nil, func() { d.onPoll(up) }) // the first state seen says nothing
	want := &fyne.Notification{Title: "web-1 is down", Content: "web-1 stopped answering: nothing listens on 127.0.0.1:2222"}
	test.AssertNotificationSent(t, want, func() { d.onPoll(down) })
}

// TestWindowRemembered: the size and view saved when the window closes
// come back at the next start; absurd or unknown stored values are
// ignored.
func TestWindowRemembered(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	check := func(when string, wantW, wantH float64, wantView string) {
		t.Helper()
		if w, h := windowSize(ctx, db, 1180, 720); w != wantW || h != wantH {
			t.Errorf("%s: size %vx%v, want %vx%v", when, w, h, wantW, wantH)
		}
		if v := lastView(ctx, db); v != wantView {
			t.Errorf("%s: view %q, want %q", when, v, wantView)
		}
	}
	check("first start", 1180, 720, "")

	// Closing the window saves what it shows.
	a := test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	shell := ui.New(w, ui.Deps{
		LoadServers: func(context.Context) ([]core.Server, error) { return nil, nil },
		StartView:   "history",
	})
	t.Cleanup(shell.Stop)
	w.Resize(fyne.NewSize(1400, 900))
	d := newDesktopApp(a, w, db, nil, core.DefaultPreferences())
	d.shell = shell
	d.saveWindow()
	check("after closing", 1400, 900, "history")

	for k, v := range map[string]string{settingWindowWidth: "-5", settingWindowHeight: "wide", settingLastView: "../../etc"} {
		if err := db.SetSetting(ctx, k, v); err != nil {
			t.Fatal(err)
		}
	}
	check("bad stored values", 1180, 720, "")
}
