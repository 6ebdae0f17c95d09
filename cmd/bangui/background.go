package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/f2b"
	"github.com/bangui/bangui/core/histsync"
	"github.com/bangui/bangui/core/sched"
	"github.com/bangui/bangui/core/store"
)

// Settings of the background work (the settings table; durations in Go's
// syntax, "5m", "90s"). The history's sync interval and retention are
// preferences: core.SettingSyncInterval and core.SettingRetentionDays.
const (
	settingLockTTL   = "scheduler.ttl"       // default 60s
	settingHeartbeat = "scheduler.heartbeat" // default 10s
)

// retentionInterval is how often the retention task runs.
const retentionInterval = 24 * time.Hour

// background is the scheduler with its tasks: a history sync per server and
// the cache's retention.
type background struct {
	db     *store.DB
	sched  *sched.Scheduler
	syncer *histsync.Syncer
	geo    *geoService
	// every is the history sync interval (and the geo task's); mu guards
	// it, since saving the preferences changes it (setSyncInterval).
	mu    sync.Mutex
	every time.Duration
	// applying serializes setSyncInterval.
	applying sync.Mutex
	// target returns how a server's history is read (clients.historyTarget).
	target func(core.Server) (histsync.Target, func())
	// geoAgain: a geo run was asked for while one ran.
	geoAgain atomic.Bool
}

// durationSetting reads a duration setting, falling back to def (with a
// warning) when it is unset or unreadable.
func durationSetting(ctx context.Context, db *store.DB, key string, def time.Duration) time.Duration {
	v, err := db.Setting(ctx, key)
	if err != nil {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		slog.Warn("ignoring a setting that is not a positive duration", "key", key, "value", v, "default", def)
		return def
	}
	return d
}

// newBackground makes the scheduler with the retention task; history
// syncs run every sync (the preferences', read once at start by the
// caller).
func newBackground(ctx context.Context, db *store.DB, every time.Duration) (*background, error) {
	s, err := sched.New(db, sched.Options{
		TTL:       durationSetting(ctx, db, settingLockTTL, sched.DefaultTTL),
		Heartbeat: durationSetting(ctx, db, settingHeartbeat, sched.DefaultHeartbeat),
	})
	if err != nil {
		return nil, err
	}
	b := &background{db: db, sched: s, every: every, syncer: &histsync.Syncer{Store: db, Interval: every}, target: localHistoryTarget}
	err = s.Add(sched.Task{
		Name:     "retention",
		Title:    "Apply the history retention",
		Interval: retentionInterval,
		Run:      b.retention,
	})
	return b, err
}

// start adds a sync task for every server load returns, then starts the
// scheduler. It runs in the background: load may take a few seconds.
func (b *background) start(ctx context.Context, load func(context.Context) ([]core.Server, error)) {
	go func() {
		lctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		servers, err := load(lctx)
		if err != nil {
			slog.Warn("background tasks: cannot list the servers", "err", err)
		}
		for _, s := range servers {
			b.addSync(s)
		}
		if err := b.sched.Start(ctx); err != nil {
			slog.Warn("background tasks", "err", err)
		}
	}()
}

// localHistoryTarget reads the history of this machine's server from its
// database file, through a client of its own.
func localHistoryTarget(s core.Server) (histsync.Target, func()) {
	fc := f2b.New(localDialer(s.Socket), f2b.Config{})
	return histsync.LocalTarget(s, fc), func() { _ = fc.Close() }
}

// addSync adds the history sync of s. Each run reads the server again
// from the cache (it may have been edited), and a removed server's task
// stops.
func (b *background) addSync(s core.Server) {
	name := "sync:" + strconv.FormatInt(s.ID, 10)
	// Not while a new interval is being applied: the task would miss it.
	b.applying.Lock()
	defer b.applying.Unlock()
	err := b.sched.Add(sched.Task{
		Name:     name,
		Title:    "Copy the ban history of " + s.Name,
		Interval: b.interval(),
		Run: func(ctx context.Context) (string, error) {
			cur, err := b.db.Server(ctx, s.ID)
			if errors.Is(err, core.ErrNotFound) {
				_ = b.sched.SetInterval(name, 0)
				return s.Name + " was removed: nothing to copy", nil
			} else if err != nil {
				return "", err
			}
			t, done := b.target(cur)
			defer done()
			sy := *b.syncer // with the interval of now (it warns when fail2ban purges sooner)
			sy.Interval = b.interval()
			res, err := sy.Sync(ctx, t)
			if err != nil {
				return "", err
			}
			if b.geo != nil && res.Copied > 0 {
				b.triggerGeo() // locate what is new, and ask online when on
			}
			if res.Warning != "" {
				return res.String() + ". Warning: " + res.Warning, nil
			}
			return res.String(), nil
		},
	})
	if err != nil {
		slog.Warn("background tasks: cannot add the history sync", "server", s.Name, "err", err)
	}
}

// interval returns the history sync interval.
func (b *background) interval() time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.every
}

// setSyncInterval makes d the interval of every history sync, of those
// added later too, and of the geo task that follows them. A sync task of
// a removed server (interval 0: on demand) stays off.
func (b *background) setSyncInterval(ctx context.Context, d time.Duration) error {
	b.applying.Lock()
	defer b.applying.Unlock()
	b.mu.Lock()
	b.every = d
	b.mu.Unlock()
	// A task added from here on reads the new interval; those listed get
	// it below.
	tasks, err := b.sched.Tasks(ctx)
	if err != nil {
		return core.Wrap(err, core.EINTERNAL, "the settings are saved, but the background tasks could not be listed: the new sync interval applies when BanGUI starts again")
	}
	for _, t := range tasks {
		follows := strings.HasPrefix(t.Name, "sync:") || t.Name == "geo"
		if !follows || t.Interval == 0 || t.Interval == d {
			continue
		}
		if err := b.sched.SetInterval(t.Name, d); err != nil && !errors.Is(err, core.ErrNotFound) {
			return core.Wrap(err, core.EINTERNAL, fmt.Sprintf("the settings are saved, but the task %q kept its interval: the new sync interval applies when BanGUI starts again", t.Title))
		}
	}
	return nil
}

// retention deletes cached bans older than the retention setting.
func (b *background) retention(ctx context.Context) (string, error) {
	v, err := b.db.Setting(ctx, core.SettingRetentionDays)
	if err != nil {
		return "Keeping every ban (retention: forever)", nil
	}
	days, err := strconv.Atoi(v)
	if err != nil || days < 0 {
		return "", core.Errorf(core.EINVALID, "the retention setting %q is not a number of days: set a whole number, 0 to keep every ban", v)
	}
	if days == 0 {
		return "Keeping every ban (retention: forever)", nil
	}
	cutoff := time.Now().AddDate(0, 0, -days)
	n, err := b.db.DeleteBansBefore(ctx, cutoff)
	if err != nil {
		return "", err
	}
	slog.Info("history retention", "deleted", n, "before", cutoff.Format(time.DateOnly))
	return fmt.Sprintf("Deleted %d bans older than %d days", n, days), nil
}

// stop stops the scheduler and releases the lock row; call it before the
// cache closes.
func (b *background) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := b.sched.Stop(ctx); err != nil {
		slog.Warn("background tasks did not stop cleanly", "err", err)
	}
}
