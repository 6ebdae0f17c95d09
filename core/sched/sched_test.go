package sched_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/sched"
	"github.com/bangui/bangui/core/store"
)

// TestOneCopyRunsTasks runs two schedulers on one cache file: only the
// holder runs tasks, and Stop hands over at once, far within the TTL.
func TestOneCopyRunsTasks(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bangui.db")
	var rec recorder
	opt := fast
	opt.TTL = patience // a handover within the TTL can only come from the release
	tick := func(who string) sched.Task {
		return sched.Task{Name: "tick", Title: "Tick", Interval: 30 * time.Millisecond, Run: rec.task(who, 20*time.Millisecond)}
	}
	a := newScheduler(t, openCache(t, path), "A", opt, tick("A"))
	b := newScheduler(t, openCache(t, path), "B", opt, tick("B"))
	start(t, a)
	start(t, b)

	waitFor(t, "runs in A", func() bool { return rec.count("A") >= 5 })
	if n := rec.count("B"); n != 0 {
		t.Errorf("B ran %d times while A held the lock", n)
	}
	if !a.Leading() || b.Leading() {
		t.Errorf("Leading: A %v, B %v; want true, false", a.Leading(), b.Leading())
	}
	ha, hb := mustHolder(t, a), mustHolder(t, b)
	if ha.Instance != "A" || !ha.Self || ha.Stale || ha.PID != os.Getpid() || ha.Hostname == "" {
		t.Errorf("A's Holder = %+v, want A, self, fresh", ha)
	}
	if hb.Instance != "A" || hb.Self || hb.Stale {
		t.Errorf("B's Holder = %+v, want A, not self, fresh", hb)
	}
	list := mustTasks(t, a)
	if len(list) != 1 {
		t.Fatalf("A's Tasks = %+v, want one", list)
	}
	if ti := list[0]; ti.Name != "tick" || ti.Title != "Tick" || ti.Interval != 30*time.Millisecond ||
		ti.RanBy != "A" || ti.LastStart.IsZero() || ti.NextRun.IsZero() {
		t.Errorf("A's task = %+v", ti)
	}
	if ti := mustTasks(t, b)[0]; ti.RanBy != "A" || ti.Running || ti.NextRun.IsZero() {
		t.Errorf("B's view of the task = %+v, want ran by A, not running here, a next run", ti)
	}

	stopped := time.Now()
	stop(t, a)
	waitFor(t, "runs in B", func() bool { return rec.count("B") >= 3 })
	handover := rec.first("B").start.Sub(stopped)
	t.Logf("B's first run %v after A's Stop began", handover)
	if handover > opt.TTL/2 {
		t.Errorf("B took over %v after A stopped: the lock was not released", handover)
	}
	if h := mustHolder(t, b); h.Instance != "B" || !h.Self {
		t.Errorf("B's Holder after handover = %+v, want B, self", h)
	}
	if n := rec.overlapCount(); n != 0 {
		t.Errorf("%d runs overlapped", n)
	}
}

// TestTakeoverWhenStale leaves a row behind as a killed copy would: the
// other copy waits for the TTL, takes over and marks the dead run.
func TestTakeoverWhenStale(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bangui.db")
	ghost := openCache(t, path)
	ctx := context.Background()
	beat := time.Now().Round(0) // wall clock, as the lock row stores it; not later than the heartbeat
	ok, err := ghost.AcquireLock(ctx, store.LockOwner{Instance: "ghost", PID: 1, Hostname: "gone"}, fast.TTL)
	if err != nil || !ok {
		t.Fatalf("ghost AcquireLock = %v, %v", ok, err)
	}
	if err := ghost.TaskStarted(ctx, "tick", "ghost"); err != nil {
		t.Fatal(err)
	}

	var rec recorder
	b := newScheduler(t, openCache(t, path), "B", fast,
		sched.Task{Name: "tick", Interval: time.Hour, Run: rec.task("B", 0)})
	start(t, b)
	if h := mustHolder(t, b); h.Instance != "ghost" || h.Self {
		t.Errorf("holder before the TTL = %+v, want ghost", h)
	}
	// The ghost's run started a moment ago, but never finished: B runs the
	// task again at takeover rather than an hour later.
	waitFor(t, "B's run", func() bool { return rec.count("B") == 1 })
	if d := rec.first("B").start.Sub(beat); d < fast.TTL {
		t.Errorf("B ran %v after the ghost's heartbeat, before the TTL (%v)", d, fast.TTL)
	}
	waitFor(t, "B's run recorded", func() bool {
		ti := mustTasks(t, b)[0]
		return ti.Status == core.StatusOK && ti.RanBy == "B"
	})
	if h := mustHolder(t, b); h.Instance != "B" || !h.Self || h.Stale {
		t.Errorf("holder after takeover = %+v, want B", h)
	}
}

// TestLostLockCancelsRuns takes the row from under the holder, as a copy
// would after the holder slept past the TTL: its run is cancelled at its
// next heartbeat, and it starts no more runs.
func TestLostLockCancelsRuns(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bangui.db")
	var rec recorder
	a := newScheduler(t, openCache(t, path), "A", fast,
		sched.Task{Name: "long", Interval: 20 * time.Millisecond, Run: rec.task("A", time.Hour)})
	start(t, a)
	waitFor(t, "A's run", func() bool { return rec.count("A") == 1 })

	thief := openCache(t, path)
	future := time.Now().Add(time.Hour).UnixMilli() // keeps A from taking it back during the test
	if _, err := thief.Write.Exec(`UPDATE scheduler_lock SET instance = 'thief', pid = 1, hostname = 'x',
		heartbeat_at = ?`, future); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the run cancelled", func() bool {
		ti := mustTasks(t, a)[0]
		return ti.Status == core.StatusCancelled && !ti.Running
	})
	ti := mustTasks(t, a)[0]
	if !strings.Contains(ti.Result, "another BanGUI copy") || ti.RanBy != "A" {
		t.Errorf("cancelled run = %+v, want a result naming the takeover", ti)
	}
	if a.Leading() {
		t.Error("A still leading after losing the lock")
	}
	if h := mustHolder(t, a); h.Instance != "thief" || h.Self {
		t.Errorf("holder = %+v, want thief", h)
	}
	n := rec.count("A")
	time.Sleep(20 * fast.Heartbeat) // many intervals of the task
	if m := rec.count("A"); m != n {
		t.Errorf("A started %d runs after losing the lock", m-n)
	}
}

// TestRunNow runs tasks on demand in a copy that does not hold the lock.
func TestRunNow(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bangui.db")
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	blocking := sched.Task{Name: "manual", Title: "Manual", Run: func(ctx context.Context) (string, error) {
		started <- struct{}{}
		<-release
		return "done", nil
	}}
	failing := sched.Task{Name: "fail", Run: func(context.Context) (string, error) {
		return "", core.Errorf(core.EUNAVAILABLE, "server down")
	}}
	crashing := sched.Task{Name: "crash", Run: func(context.Context) (string, error) { panic("boom") }}

	a := newScheduler(t, openCache(t, path), "A", fast)
	start(t, a)
	b := newScheduler(t, openCache(t, path), "B", fast, blocking, failing, crashing)
	start(t, b)
	if h := mustHolder(t, b); h.Instance != "A" {
		t.Fatalf("holder = %+v, want A", h)
	}

	if err := b.RunNow("manual"); err != nil {
		t.Fatalf("RunNow: %v", err)
	}
	<-started
	if err := b.RunNow("manual"); core.ErrorCode(err) != core.ECONFLICT {
		t.Errorf("RunNow while running: %v, want %s", err, core.ECONFLICT)
	}
	if err := b.RunNow("nope"); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("RunNow(unknown): %v, want not found", err)
	}
	ti := mustTasks(t, b)[0]
	if !ti.Running || ti.Status != core.StatusRunning || ti.RanBy != "B" || !ti.NextRun.IsZero() {
		t.Errorf("running task = %+v", ti)
	}
	close(release)

	for _, name := range []string{"fail", "crash"} {
		if err := b.RunNow(name); err != nil {
			t.Fatalf("RunNow(%s): %v", name, err)
		}
	}
	want := map[string]struct{ status, result string }{
		"manual": {core.StatusOK, "done"},
		"fail":   {core.StatusFailed, "server down"},
		"crash":  {core.StatusFailed, "the task crashed (boom)"},
	}
	waitFor(t, "three runs finished", func() bool {
		for _, ti := range mustTasks(t, b) {
			if ti.Running || ti.Status == core.StatusRunning || ti.Status == "" {
				return false
			}
		}
		return true
	})
	for _, ti := range mustTasks(t, b) {
		if w := want[ti.Name]; ti.Status != w.status || ti.Result != w.result || ti.RanBy != "B" || ti.LastEnd.Before(ti.LastStart) {
			t.Errorf("%s: %+v, want %s %q by B", ti.Name, ti, w.status, w.result)
		}
	}

	stop(t, b)
	if err := b.RunNow("manual"); core.ErrorCode(err) != core.ECANCELED {
		t.Errorf("RunNow after Stop: %v, want %s", err, core.ECANCELED)
	}
}

// TestStopCancelsRuns stops a copy in the middle of a run: the run is
// cancelled and recorded, and the row released.
func TestStopCancelsRuns(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bangui.db")
	var rec recorder
	a := newScheduler(t, openCache(t, path), "A", fast,
		sched.Task{Name: "long", Interval: time.Hour, Run: rec.task("A", time.Hour)})
	start(t, a)
	waitFor(t, "A's run", func() bool { return rec.count("A") == 1 })
	stop(t, a)

	ti := mustTasks(t, a)[0]
	if ti.Status != core.StatusCancelled || ti.Result != "Cancelled: BanGUI is shutting down" {
		t.Errorf("run after Stop = %+v, want cancelled by the shutdown", ti)
	}
	if h := mustHolder(t, a); h.Instance != "" {
		t.Errorf("holder after Stop = %+v, want nobody", h)
	}
	if err := a.Stop(context.Background()); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

// TestStopTimeout stops a copy whose run ignores cancellation: Stop gives
// up after StopTimeout and leaves the row to go stale rather than let
// another copy start while the run goes on.
func TestStopTimeout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bangui.db")
	release := make(chan struct{})
	running := make(chan struct{})
	opt := fast
	opt.StopTimeout = 100 * time.Millisecond
	a := newScheduler(t, openCache(t, path), "A", opt,
		sched.Task{Name: "stubborn", Interval: time.Hour, Run: func(context.Context) (string, error) {
			close(running)
			<-release
			return "late", nil
		}})
	start(t, a)
	<-running
	err := a.Stop(context.Background())
	close(release)
	if core.ErrorCode(err) != core.ECANCELED {
		t.Errorf("Stop with a stuck run: %v, want %s", err, core.ECANCELED)
	}
	if h := mustHolder(t, a); h.Instance != "A" {
		t.Errorf("holder after a timed-out Stop = %+v, want A's row left to go stale", h)
	}
}

func TestSetInterval(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bangui.db")
	var rec recorder
	a := newScheduler(t, openCache(t, path), "A", fast,
		sched.Task{Name: "later", Run: rec.task("A", 0)})
	start(t, a)
	waitFor(t, "the lock", a.Leading)
	if ti := mustTasks(t, a)[0]; ti.Interval != 0 || !ti.NextRun.IsZero() {
		t.Errorf("on-demand task = %+v, want no interval and no next run", ti)
	}
	if err := a.SetInterval("later", 20*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "scheduled runs", func() bool { return rec.count("A") >= 3 })
	if ti := mustTasks(t, a)[0]; ti.Interval != 20*time.Millisecond || ti.NextRun.IsZero() {
		t.Errorf("scheduled task = %+v, want the new interval and a next run", ti)
	}
	if err := a.SetInterval("later", time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := a.SetInterval("later", 0); err != nil {
		t.Fatal(err)
	}
	if err := a.SetInterval("nope", time.Second); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("SetInterval(unknown): %v, want not found", err)
	}
	if err := a.SetInterval("later", -time.Second); core.ErrorCode(err) != core.EINVALID {
		t.Errorf("SetInterval(negative): %v, want %s", err, core.EINVALID)
	}
}

func TestInvalid(t *testing.T) {
	db := openCache(t, filepath.Join(t.TempDir(), "bangui.db"))
	for _, opt := range []sched.Options{
		{TTL: time.Second, Heartbeat: time.Second},
		{TTL: 5 * time.Second}, // default heartbeat is longer
		{Heartbeat: -time.Second},
	} {
		if _, err := sched.New(db, opt); core.ErrorCode(err) != core.EINVALID {
			t.Errorf("New(%+v): %v, want %s", opt, err, core.EINVALID)
		}
	}
	if _, err := sched.New(nil, sched.Options{}); core.ErrorCode(err) != core.EINVALID {
		t.Errorf("New(nil db): %v, want %s", err, core.EINVALID)
	}

	s := newScheduler(t, db, "A", fast)
	run := func(context.Context) (string, error) { return "", nil }
	for _, task := range []sched.Task{
		{Run: run},
		{Name: "x"},
		{Name: "x", Run: run, Interval: -time.Second},
	} {
		if err := s.Add(task); core.ErrorCode(err) != core.EINVALID {
			t.Errorf("Add(%+v): %v, want %s", task, err, core.EINVALID)
		}
	}
	if err := s.Add(sched.Task{Name: "x", Run: run}); err != nil {
		t.Fatal(err)
	}
	if err := s.Add(sched.Task{Name: "x", Run: run}); core.ErrorCode(err) != core.EINVALID {
		t.Errorf("Add(duplicate): %v, want %s", err, core.EINVALID)
	}
	start(t, s)
	if err := s.Start(context.Background()); err == nil {
		t.Error("second Start succeeded")
	}
	stop(t, s)
	if err := s.Add(sched.Task{Name: "y", Run: run}); core.ErrorCode(err) != core.ECANCELED {
		t.Errorf("Add after Stop: %v, want %s", err, core.ECANCELED)
	}
}

// TestSetIntervalKeepsRun changes the interval of a task while it runs:
// the run goes on.
func TestSetIntervalKeepsRun(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bangui.db")
	release := make(chan struct{})
	running := make(chan struct{}, 1)
	a := newScheduler(t, openCache(t, path), "A", fast,
		sched.Task{Name: "sync", Interval: time.Hour, Run: func(ctx context.Context) (string, error) {
			running <- struct{}{}
			select {
			case <-release:
				return "finished", nil
			case <-ctx.Done():
				return "", ctx.Err()
			}
		}})
	start(t, a)
	<-running // the task never ran: it runs when A takes the lock
	if err := a.SetInterval("sync", 2*time.Hour); err != nil {
		t.Fatal(err)
	}
	close(release)
	waitFor(t, "the run's end", func() bool { return mustTasks(t, a)[0].Status != core.StatusRunning })
	if ti := mustTasks(t, a)[0]; ti.Status != core.StatusOK || ti.Result != "finished" || ti.Interval != 2*time.Hour {
		t.Errorf("task = %+v, want the run finished, and the new interval", ti)
	}
}
