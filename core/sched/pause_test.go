package sched_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bangui/bangui/core/sched"
)

// TestPause: while paused, the schedule starts no run and records none,
// RunNow still runs the task, and the schedule goes on once resumed.
func TestPause(t *testing.T) {
	db := openCache(t, filepath.Join(t.TempDir(), "bangui.db"))
	var rec recorder
	var skips atomic.Int64
	opt := fast
	opt.Instance = "A"
	opt.Logger = slog.New(skipCounter{slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}), &skips})
	s, err := sched.New(db, opt)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { stop(t, s) })
	if err := s.Add(sched.Task{Name: "tick", Title: "Tick", Interval: 30 * time.Millisecond, Run: rec.task("A", time.Millisecond)}); err != nil {
		t.Fatalf("Add: %v", err)
	}
	start(t, s)
	waitFor(t, "scheduled runs", func() bool { return rec.count("A") >= 2 })

	if s.Paused() {
		t.Fatal("Paused() = true before Pause")
	}
	s.Pause(true)
	if !s.Paused() {
		t.Fatal("Paused() = false after Pause(true)")
	}
	// gocron never starts a job while its previous start is still going
	// (singleton mode): after one skip, no run that began before Pause
	// can still start.
	waitFor(t, "a skipped run", func() bool { return skips.Load() >= 1 })
	waitFor(t, "the last run to end", func() bool { return !mustTasks(t, s)[0].Running })
	ran, before := rec.count("A"), mustTasks(t, s)[0]
	waitFor(t, "three more skipped runs", func() bool { return skips.Load() >= 4 })
	if n := rec.count("A"); n != ran {
		t.Errorf("%d scheduled runs while paused", n-ran)
	}
	if after := mustTasks(t, s)[0]; !after.LastStart.Equal(before.LastStart) || after.Status != before.Status {
		t.Errorf("task_state changed while paused: %+v, then %+v", before, after)
	}

	if err := s.RunNow("tick"); err != nil {
		t.Fatalf("RunNow while paused: %v", err)
	}
	waitFor(t, "the run asked for", func() bool { return rec.count("A") == ran+1 })
	if !s.Paused() {
		t.Error("RunNow resumed the schedule")
	}

	s.Pause(false)
	if s.Paused() {
		t.Fatal("Paused() = true after Pause(false)")
	}
	waitFor(t, "scheduled runs after resuming", func() bool { return rec.count("A") >= ran+3 })
	if n := rec.overlapCount(); n != 0 {
		t.Errorf("%d runs overlapped", n)
	}
}

// TestPauseChanges: toggling the pause fires Changes, so that views show
// it; asking for the state it is in already does not.
func TestPauseChanges(t *testing.T) {
	db := openCache(t, filepath.Join(t.TempDir(), "bangui.db"))
	s := newScheduler(t, db, "A", fast) // not started: nothing else fires Changes
	changed := func() bool {
		select {
		case <-s.Changes():
			return true
		default:
			return false
		}
	}
	if changed() {
		t.Fatal("Changes fired before anything happened")
	}
	for i, step := range []struct{ on, fires bool }{
		{true, true}, {true, false}, {false, true}, {false, false}, {true, true},
	} {
		s.Pause(step.on)
		if got := changed(); got != step.fires {
			t.Errorf("step %d: Pause(%v) fired Changes: %v, want %v", i, step.on, got, step.fires)
		}
		if s.Paused() != step.on {
			t.Errorf("step %d: Paused() = %v after Pause(%v)", i, s.Paused(), step.on)
		}
	}

	// The state is per Scheduler.
	other := newScheduler(t, db, "B", fast)
	if other.Paused() {
		t.Error("a new Scheduler is paused because another one is")
	}
}

// skipCounter counts the scheduled runs skipped because of a pause, as
// the Scheduler logs them, and passes every record on.
type skipCounter struct {
	slog.Handler
	n *atomic.Int64
}

func (h skipCounter) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "scheduled run skipped" {
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "reason" && a.Value.String() == "background work is paused" {
				h.n.Add(1)
			}
			return true
		})
	}
	return h.Handler.Handle(ctx, r)
}

func (h skipCounter) WithAttrs(attrs []slog.Attr) slog.Handler {
	return skipCounter{h.Handler.WithAttrs(attrs), h.n}
}

func (h skipCounter) WithGroup(name string) slog.Handler {
	return skipCounter{h.Handler.WithGroup(name), h.n}
}
