package main

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/f2b/f2btest"
	"github.com/bangui/bangui/core/store/storetest"
)

func TestRetentionSetting(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	b, err := newBackground(ctx, db, core.DefaultPreferences().Sync)
	if err != nil {
		t.Fatal(err)
	}
	defer b.stop()
	s, err := db.AddServer(ctx, core.Server{Name: "x", Kind: core.ServerLocal})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	rows := []core.HistoryBan{
		{Jail: "sshd", IP: "192.0.2.1", TimeOfBan: now.AddDate(0, 0, -40), Origin: core.OriginManual},
		{Jail: "sshd", IP: "192.0.2.2", TimeOfBan: now.AddDate(0, 0, -2), Origin: core.OriginManual},
	}
	if _, err := db.StoreBans(ctx, s.ID, rows, nil); err != nil {
		t.Fatal(err)
	}
	res, err := b.retention(ctx)
	if err != nil || !strings.Contains(res, "forever") {
		t.Fatalf("unset: %q %v", res, err)
	}
	for _, bad := range []string{"abc", "-3", "1.5"} {
		if err := db.SetSetting(ctx, core.SettingRetentionDays, bad); err != nil {
			t.Fatal(err)
		}
		if _, err := b.retention(ctx); core.ErrorCode(err) != core.EINVALID || !strings.Contains(core.ErrorMessage(err), "whole number") {
			t.Errorf("retention %q: %v", bad, err)
		}
	}
	if err := db.SetSetting(ctx, core.SettingRetentionDays, "30"); err != nil {
		t.Fatal(err)
	}
	res, err = b.retention(ctx)
	if err != nil || res != "Deleted 1 bans older than 30 days" {
		t.Fatalf("30 days: %q %v", res, err)
	}
	if n, _ := db.CountHistory(ctx, core.HistoryFilter{}); n != 1 {
		t.Errorf("%d bans left, want 1", n)
	}
}

func TestDurationSetting(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	if d := durationSetting(ctx, db, "x", time.Minute); d != time.Minute {
		t.Errorf("unset: %v", d)
	}
	for v, want := range map[string]time.Duration{"90s": 90 * time.Second, "abc": time.Minute, "-5m": time.Minute, "0s": time.Minute} {
		if err := db.SetSetting(ctx, "x", v); err != nil {
			t.Fatal(err)
		}
		if d := durationSetting(ctx, db, "x", time.Minute); d != want {
			t.Errorf("%q: %v, want %v", v, d, want)
		}
	}
}

// TestSyncTaskAgainstRealServer runs the wired sync task ("run now")
// against a real fail2ban and finds its ban in the cache.
func TestSyncTaskAgainstRealServer(t *testing.T) {
	srv := f2btest.Start(t, f2btest.Options{})
	srv.Client(t, "set", "app1", "banip", "192.0.2.33")
	ctx := context.Background()
	db := storetest.Open(t)
	s, err := db.AddServer(ctx, core.Server{Name: "local", Kind: core.ServerLocal, Socket: srv.Socket})
	if err != nil {
		t.Fatal(err)
	}
	b, err := newBackground(ctx, db, core.DefaultPreferences().Sync)
	if err != nil {
		t.Fatal(err)
	}
	defer b.stop()
	b.start(ctx, func(context.Context) ([]core.Server, error) { return []core.Server{s}, nil })
	deadline := time.Now().Add(60 * time.Second)
	for {
		tl, _ := db.IPTimeline(ctx, "192.0.2.33")
		if len(tl) == 1 && tl[0].Origin == core.OriginManual {
			break
		}
		if time.Now().After(deadline) {
			list, _ := b.sched.Tasks(ctx)
			t.Fatalf("the ban never reached the cache; tasks: %+v", list)
		}
		// fail2ban writes the row asynchronously: ask again until it is there.
		_ = b.sched.RunNow("sync:" + strconv.FormatInt(s.ID, 10))
		time.Sleep(500 * time.Millisecond)
	}
	h, err := b.sched.Holder(ctx)
	if err != nil || !h.Self {
		t.Errorf("holder %+v %v: this copy should hold the lock", h, err)
	}
}
