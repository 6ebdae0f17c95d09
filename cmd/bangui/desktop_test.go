package main

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/store"
	"github.com/bangui/bangui/migrations"
)

func openTestCache(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "bangui.db"), migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestDesktopNotifiesAServerGoingDown feeds two polls of a real cache's
// desktop wiring: a server seen up, then down, makes one notification
// through Fyne's app when the rule is on, and none when it is off (the
// default).
func TestDesktopNotifiesAServerGoingDown(t *testing.T) {
	a := test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	db := openTestCache(t)
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
// come back at the next start; absurd or unknown values are ignored.
func TestWindowRemembered(t *testing.T) {
	ctx := context.Background()
	db := openTestCache(t)
	if w, h := windowSize(ctx, db, 1180, 720); w != 1180 || h != 720 {
		t.Errorf("first start: %vx%v, want the defaults", w, h)
	}
	if v := lastView(ctx, db); v != "" {
		t.Errorf("first start: view %q, want none", v)
	}
	for k, v := range map[string]string{settingWindowWidth: "1400", settingWindowHeight: "900", settingLastView: "history"} {
		if err := db.SetSetting(ctx, k, v); err != nil {
			t.Fatal(err)
		}
	}
	if w, h := windowSize(ctx, db, 1180, 720); w != 1400 || h != 900 {
		t.Errorf("remembered size %vx%v, want 1400x900", w, h)
	}
	if v := lastView(ctx, db); v != "history" {
		t.Errorf("remembered view %q, want history", v)
	}
	for k, v := range map[string]string{settingWindowWidth: "-5", settingWindowHeight: "wide", settingLastView: "../../etc"} {
		if err := db.SetSetting(ctx, k, v); err != nil {
			t.Fatal(err)
		}
	}
	if w, h := windowSize(ctx, db, 1180, 720); w != 1180 || h != 720 {
		t.Errorf("bad stored size gave %vx%v, want the defaults", w, h)
	}
	if v := lastView(ctx, db); v != "" {
		t.Errorf("unknown stored view gave %q, want none", v)
	}
}
