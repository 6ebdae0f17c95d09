package main

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/sched"
	"github.com/bangui/bangui/core/store/storetest"
)

// taskIntervals returns the interval of each scheduled task by name.
func taskIntervals(t *testing.T, s *sched.Scheduler) map[string]time.Duration {
	t.Helper()
	list, err := s.Tasks(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	m := make(map[string]time.Duration, len(list))
	for _, ti := range list {
		m[ti.Name] = ti.Interval
	}
	return m
}

// A saved sync interval reaches every history sync task at once (and the
// geo task that follows them), and the syncs of servers added later; a
// removed server's sync stays off, the retention keeps its day.
func TestSettingsSyncInterval(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t) // store.Open with migrations.FS
	b, err := newBackground(ctx, db, core.DefaultPreferences().Sync)
	if err != nil {
		t.Fatal(err)
	}
	defer b.stop()
	var servers []core.Server
	for _, name := range []string{"web-1", "web-2", "gone"} {
		s, err := db.AddServer(ctx, core.Server{Name: name, Kind: core.ServerLocal, Socket: filepath.Join(t.TempDir(), "f2b.sock")})
		if err != nil {
			t.Fatal(err)
		}
		servers = append(servers, s)
		b.addSync(s)
	}
	if err := b.sched.Add(sched.Task{Name: "geo", Interval: b.interval(), Run: func(context.Context) (string, error) { return "", nil }}); err != nil {
		t.Fatal(err)
	}
	// What a sync run does when its server was removed.
	if err := b.sched.SetInterval("sync:3", 0); err != nil {
		t.Fatal(err)
	}
	before := taskIntervals(t, b.sched)
	if before["sync:1"] != 5*time.Minute || before["geo"] != 5*time.Minute {
		t.Fatalf("default intervals %v; want 5m", before)
	}

	svc := &preferences{db: db, bg: b}
	p := core.DefaultPreferences()
	p.Sync = 42 * time.Minute
	p.RetentionDays = 30
	if err := svc.SavePreferences(ctx, p); err != nil {
		t.Fatal(err)
	}
	s4, err := db.AddServer(ctx, core.Server{Name: "web-4", Kind: core.ServerLocal, Socket: filepath.Join(t.TempDir(), "f2b.sock")})
	if err != nil {
		t.Fatal(err)
	}
	b.addSync(s4) // added after the save

	want := map[string]time.Duration{
		"retention": retentionInterval,
		"sync:1":    42 * time.Minute,
		"sync:2":    42 * time.Minute,
		"sync:3":    0,
		"sync:4":    42 * time.Minute,
		"geo":       42 * time.Minute,
	}
	got := taskIntervals(t, b.sched)
	if len(got) != len(want) {
		t.Errorf("tasks %v; want %v", got, want)
	}
	for name, d := range want {
		if got[name] != d {
			t.Errorf("task %s: interval %v; want %v", name, got[name], d)
		}
	}
	if v, err := db.Setting(ctx, core.SettingSyncInterval); err != nil || v != "42m" {
		t.Errorf("stored sync interval %q, %v; want 42m", v, err)
	}
	// The next start reads it back.
	if d := startPreferences(ctx, db).Sync; d != 42*time.Minute {
		t.Errorf("at start: %v; want 42m", d)
	}

	// Invalid preferences change neither the cache nor the tasks.
	p.Sync = time.Second
	if err := svc.SavePreferences(ctx, p); core.ErrorCode(err) != core.EINVALID {
		t.Errorf("a sync interval of 1s: %v; want EINVALID", err)
	}
	if got := taskIntervals(t, b.sched); got["sync:1"] != 42*time.Minute || b.interval() != 42*time.Minute {
		t.Errorf("after a refused save: %v, %v", got, b.interval())
	}
	if got, err := svc.Preferences(ctx); err != nil || got.Sync != 42*time.Minute || got.RetentionDays != 30 {
		t.Errorf("preferences %+v, %v", got, err)
	}
}

// The cache's value is what newBackground starts with; one it cannot use
// (below the minimum) gives the default.
func TestSettingsSyncIntervalAtStart(t *testing.T) {
	ctx := context.Background()
	for v, want := range map[string]time.Duration{"2h": 2 * time.Hour, "1s": 5 * time.Minute, "abc": 5 * time.Minute} {
		db := storetest.Open(t)
		if err := db.SetSetting(ctx, core.SettingSyncInterval, v); err != nil {
			t.Fatal(err)
		}
		b, err := newBackground(ctx, db, startPreferences(ctx, db).Sync)
		if err != nil {
			t.Fatal(err)
		}
		b.addSync(core.Server{ID: 7, Name: "web"})
		if got := taskIntervals(t, b.sched)["sync:7"]; got != want {
			t.Errorf("stored %q: sync every %v; want %v", v, got, want)
		}
		b.stop()
	}
}
