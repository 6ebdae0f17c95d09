package sched_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/sched"
	"github.com/bangui/bangui/core/store"
	"github.com/bangui/bangui/migrations"
)

// patience bounds every wait for something that should happen: generous,
// since test machines are noisy; a passing test never waits that long.
const patience = 30 * time.Second

// fast are scheduler options for tests: a short heartbeat and poll, and a
// TTL short enough to wait for.
var fast = sched.Options{TTL: time.Second, Heartbeat: 100 * time.Millisecond, Poll: 50 * time.Millisecond}

func openCache(tb testing.TB, path string) *store.DB {
	tb.Helper()
	db, err := store.Open(context.Background(), path, migrations.FS)
	if err != nil {
		tb.Fatalf("Open(%q): %v", path, err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return db
}

// newScheduler returns a scheduler on db named instance, stopped when the
// test ends (before db closes).
func newScheduler(t *testing.T, db *store.DB, instance string, opt sched.Options, tasks ...sched.Task) *sched.Scheduler {
	t.Helper()
	opt.Instance = instance
	opt.Logger = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, err := sched.New(db, opt)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	for _, task := range tasks {
		if err := s.Add(task); err != nil {
			t.Fatalf("Add(%s): %v", task.Name, err)
		}
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), patience)
		defer cancel()
		if err := s.Stop(ctx); err != nil {
			t.Errorf("Stop(%s): %v", instance, err)
		}
	})
	return s
}

func start(t *testing.T, s *sched.Scheduler) {
	t.Helper()
	if err := s.Start(context.Background()); err != nil {
		t.Fatalf("Start: %v", err)
	}
}

func stop(t *testing.T, s *sched.Scheduler) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	if err := s.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
}

// waitFor polls cond until it holds, failing the test after patience.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(patience)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", patience, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// recorder records task runs from several schedulers and counts overlaps.
type recorder struct {
	mu       sync.Mutex
	runs     []run
	active   int
	overlaps int
}

type run struct {
	who        string
	start, end time.Time
}

// task returns a Run func that records a run by who lasting d (less if
// cancelled).
func (r *recorder) task(who string, d time.Duration) func(context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		r.mu.Lock()
		r.active++
		if r.active > 1 {
			r.overlaps++
		}
		i := len(r.runs)
		r.runs = append(r.runs, run{who: who, start: time.Now()})
		r.mu.Unlock()

		select {
		case <-time.After(d):
		case <-ctx.Done():
		}

		r.mu.Lock()
		r.active--
		r.runs[i].end = time.Now()
		r.mu.Unlock()
		return "ran by " + who, ctx.Err()
	}
}

func (r *recorder) count(who string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, x := range r.runs {
		if x.who == who {
			n++
		}
	}
	return n
}

func (r *recorder) first(who string) run {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, x := range r.runs {
		if x.who == who {
			return x
		}
	}
	return run{}
}

func (r *recorder) overlapCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.overlaps
}

func mustHolder(t *testing.T, s *sched.Scheduler) core.LockHolder {
	t.Helper()
	h, err := s.Holder(context.Background())
	if err != nil {
		t.Fatalf("Holder: %v", err)
	}
	return h
}

func mustTasks(t *testing.T, s *sched.Scheduler) []core.TaskInfo {
	t.Helper()
	list, err := s.Tasks(context.Background())
	if err != nil {
		t.Fatalf("Tasks: %v", err)
	}
	return list
}
