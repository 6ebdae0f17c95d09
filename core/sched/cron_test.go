package sched_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/sched"
)

// nop is a task body that does nothing.
func nop(context.Context) (string, error) { return "done", nil }

// TestCronInvalid checks that a bad cron schedule is refused as EINVALID
// with a message that says what is wrong and what to write.
func TestCronInvalid(t *testing.T) {
	s := newScheduler(t, openCache(t, filepath.Join(t.TempDir(), "bangui.db")), "A", fast)
	for _, tc := range []struct {
		name string
		task sched.Task
		want string
	}{
		{"four fields", sched.Task{Name: "x", Cron: "0 * * *", Run: nop}, "has 4 fields"},
		{"six fields", sched.Task{Name: "x", Cron: "0 0 * * * *", Run: nop}, "has 6 fields"},
		{"minute out of range", sched.Task{Name: "x", Cron: "61 * * * *", Run: nop}, "not a valid cron schedule"},
		{"word", sched.Task{Name: "x", Cron: "0 */6 * * someday", Run: nop}, "not a valid cron schedule"},
		{"both", sched.Task{Name: "x", Interval: time.Hour, Cron: "0 * * * *", Run: nop}, "both an interval"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := s.Add(tc.task)
			if core.ErrorCode(err) != core.EINVALID {
				t.Fatalf("Add(%q) = %v, want EINVALID", tc.task.Cron, err)
			}
			if msg := core.ErrorMessage(err); !strings.Contains(msg, tc.want) || !strings.Contains(msg, tc.task.Cron) {
				t.Errorf("message %q, want it to name %q and say %q", msg, tc.task.Cron, tc.want)
			}
			t.Logf("%s: %s", tc.name, core.ErrorMessage(err))
		})
	}
	if list := mustTasks(t, s); len(list) != 0 {
		t.Errorf("Tasks after refused adds = %+v, want none", list)
	}
}

// TestCronSchedules checks that a valid cron schedule gives the job the
// next matching time (gocron's NextRun, through Tasks) without waiting for
// it, and that SetInterval replaces it.
func TestCronSchedules(t *testing.T) {
	s := newScheduler(t, openCache(t, filepath.Join(t.TempDir(), "bangui.db")), "A", fast,
		sched.Task{Name: "list", Title: "Import list", Cron: "*/5 * * * *", Run: nop})
	start(t, s)
	waitFor(t, "the lock", s.Leading)
	before := time.Now()
	var next time.Time
	waitFor(t, "gocron's next run", func() bool {
		next = mustTasks(t, s)[0].NextRun
		return !next.IsZero()
	})
	if !next.After(before.Add(-time.Second)) || next.After(before.Add(5*time.Minute+time.Second)) ||
		next.Minute()%5 != 0 || next.Second() != 0 {
		t.Errorf("NextRun = %v (now %v), want the next multiple of five minutes", next, before)
	}

	if err := s.SetInterval("list", time.Hour); err != nil {
		t.Fatalf("SetInterval: %v", err)
	}
	info := mustTasks(t, s)[0]
	if info.Interval != time.Hour {
		t.Errorf("Interval after SetInterval = %v, want 1h", info.Interval)
	}
	if d := info.NextRun.Sub(time.Now()); !info.NextRun.IsZero() && (d < 50*time.Minute || d > time.Hour) {
		t.Errorf("NextRun after SetInterval is %v from now, want about an hour", d)
	}
}

// TestRemove removes tasks: a removed task is neither listed nor run, and
// its name can be used again, but not while its last run goes on.
func TestRemove(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	slow := func(ctx context.Context) (string, error) {
		started <- struct{}{}
		select {
		case <-release:
		case <-ctx.Done():
		}
		return "done", nil
	}
	s := newScheduler(t, openCache(t, filepath.Join(t.TempDir(), "bangui.db")), "A", fast,
		sched.Task{Name: "a", Cron: "0 3 * * *", Run: nop},
		sched.Task{Name: "b", Interval: time.Hour, Run: nop},
		sched.Task{Name: "slow", Run: slow})
	start(t, s)
	// Both scheduled tasks never ran, so they run once at start: let those
	// runs end, or Remove(a) would (rightly) keep the name taken.
	waitFor(t, "the first runs of a and b", func() bool {
		done := 0
		for _, ti := range mustTasks(t, s) {
			if (ti.Name == "a" || ti.Name == "b") && !ti.Running && ti.Status == core.StatusOK {
				done++
			}
		}
		return done == 2
	})

	if err := s.Remove("a"); err != nil {
		t.Fatalf("Remove(a): %v", err)
	}
	names := func() []string {
		var out []string
		for _, ti := range mustTasks(t, s) {
			out = append(out, ti.Name)
		}
		return out
	}
	if got := strings.Join(names(), ","); got != "b,slow" {
		t.Errorf("tasks after Remove(a) = %s, want b,slow", got)
	}
	if err := s.RunNow("a"); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("RunNow(a) after Remove = %v, want not found", err)
	}
	if err := s.Remove("a"); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("second Remove(a) = %v, want not found", err)
	}
	if err := s.Add(sched.Task{Name: "a", Interval: time.Hour, Run: nop}); err != nil {
		t.Errorf("Add(a) again after Remove: %v", err)
	}

	// A removed task's run goes on; its name comes free when it ends.
	if err := s.RunNow("slow"); err != nil {
		t.Fatalf("RunNow(slow): %v", err)
	}
	<-started
	if err := s.Remove("slow"); err != nil {
		t.Fatalf("Remove(slow) while running: %v", err)
	}
	if err := s.Add(sched.Task{Name: "slow", Run: nop}); core.ErrorCode(err) != core.ECONFLICT {
		t.Errorf("Add(slow) while the removed task runs = %v, want ECONFLICT", err)
	}
	close(release)
	waitFor(t, "the removed run to end", func() bool {
		return s.Add(sched.Task{Name: "slow", Run: nop}) == nil
	})
	if got := strings.Join(names(), ","); got != "b,a,slow" {
		t.Errorf("tasks at the end = %s, want b,a,slow", got)
	}
}

// TestCancel stops a running task from the window: the run ends at once
// and records why; cancelling an idle or unknown task says so.
func TestCancel(t *testing.T) {
	started := make(chan struct{}, 1)
	slow := func(ctx context.Context) (string, error) {
		started <- struct{}{}
		<-ctx.Done()
		return "", ctx.Err()
	}
	s := newScheduler(t, openCache(t, filepath.Join(t.TempDir(), "bangui.db")), "A", fast,
		sched.Task{Name: "slow", Title: "Copy the history", Run: slow})
	start(t, s)

	if err := s.Cancel("slow"); core.ErrorCode(err) != core.ECONFLICT || !strings.Contains(core.ErrorMessage(err), "Copy the history is not running") {
		t.Errorf("Cancel of an idle task = %v, want ECONFLICT naming it", err)
	}
	if err := s.Cancel("nope"); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("Cancel of an unknown task = %v, want not found", err)
	}
	if err := s.RunNow("slow"); err != nil {
		t.Fatal(err)
	}
	<-started
	if err := s.Cancel("slow"); err != nil {
		t.Fatalf("Cancel while running: %v", err)
	}
	var got core.TaskInfo
	waitFor(t, "the cancelled run to be recorded", func() bool {
		for _, ti := range mustTasks(t, s) {
			if ti.Name == "slow" && !ti.Running && ti.Status != "" && ti.Status != core.StatusRunning {
				got = ti
				return true
			}
		}
		return false
	})
	if got.Status != core.StatusCancelled || got.Result != "Cancelled: stopped from the window" {
		t.Errorf("after Cancel: status %q, result %q", got.Status, got.Result)
	}
	// The name is free again: the task runs anew.
	if err := s.RunNow("slow"); err != nil {
		t.Errorf("RunNow after a cancelled run: %v", err)
	}
	<-started
	if err := s.Cancel("slow"); err != nil {
		t.Error(err)
	}
}
