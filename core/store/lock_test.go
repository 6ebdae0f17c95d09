package store_test

import (
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/store"
)

const lockTTL = 60 * time.Second

var (
	ownerA = store.LockOwner{Instance: "a", PID: 100, Hostname: "host-a"}
	ownerB = store.LockOwner{Instance: "b", PID: 200, Hostname: "host-b"}
)

// clock is a settable clock for db.Now, safe for concurrent use.
type clock struct{ ns atomic.Int64 }

func newClock(t time.Time) *clock {
	c := new(clock)
	c.set(t)
	return c
}

func (c *clock) now() time.Time      { return time.Unix(0, c.ns.Load()) }
func (c *clock) set(t time.Time)     { c.ns.Store(t.UnixNano()) }
func (c *clock) add(d time.Duration) { c.ns.Add(int64(d)) }

// use makes c the clock of dbs.
func (c *clock) use(dbs ...*store.DB) {
	for _, db := range dbs {
		db.Now = c.now
	}
}

// twoCopies opens the same cache file twice, as two copies of the app
// would, both on clk.
func twoCopies(t *testing.T, clk *clock) (a, b *store.DB) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bangui.db")
	a, b = mustOpenAt(t, path), mustOpenAt(t, path)
	clk.use(a, b)
	return a, b
}

func mustAcquire(t *testing.T, db *store.DB, me store.LockOwner, want bool) {
	t.Helper()
	got, err := db.AcquireLock(context.Background(), me, lockTTL)
	if err != nil {
		t.Fatalf("AcquireLock(%s): %v", me.Instance, err)
	}
	if got != want {
		t.Fatalf("AcquireLock(%s) = %v, want %v", me.Instance, got, want)
	}
}

func mustHeartbeat(t *testing.T, db *store.DB, instance string, want bool) {
	t.Helper()
	got, err := db.Heartbeat(context.Background(), instance)
	if err != nil {
		t.Fatalf("Heartbeat(%s): %v", instance, err)
	}
	if got != want {
		t.Fatalf("Heartbeat(%s) = %v, want %v", instance, got, want)
	}
}

func mustHolder(t *testing.T, db *store.DB) core.LockHolder {
	t.Helper()
	h, err := db.LockHolder(context.Background())
	if err != nil {
		t.Fatalf("LockHolder: %v", err)
	}
	return h
}

func TestLockAcquireFree(t *testing.T) {
	t0 := time.UnixMilli(1_700_000_000_123)
	clk := newClock(t0)
	db := mustOpen(t)
	clk.use(db)

	if h := mustHolder(t, db); h != (core.LockHolder{}) {
		t.Fatalf("holder of a new cache = %+v, want nobody", h)
	}
	mustAcquire(t, db, ownerA, true)
	want := core.LockHolder{Instance: "a", PID: 100, Hostname: "host-a", CreatedAt: t0, HeartbeatAt: t0}
	if h := mustHolder(t, db); !sameHolder(h, want) {
		t.Errorf("holder = %+v, want %+v", h, want)
	}

	// Acquiring again refreshes the heartbeat and keeps CreatedAt.
	clk.add(5 * time.Second)
	mustAcquire(t, db, ownerA, true)
	want.HeartbeatAt = t0.Add(5 * time.Second)
	if h := mustHolder(t, db); !sameHolder(h, want) {
		t.Errorf("holder after re-acquire = %+v, want %+v", h, want)
	}

	clk.add(5 * time.Second)
	mustHeartbeat(t, db, "a", true)
	want.HeartbeatAt = t0.Add(10 * time.Second)
	if h := mustHolder(t, db); !sameHolder(h, want) {
		t.Errorf("holder after heartbeat = %+v, want %+v", h, want)
	}
}

func sameHolder(a, b core.LockHolder) bool {
	return a.Instance == b.Instance && a.PID == b.PID && a.Hostname == b.Hostname &&
		a.CreatedAt.Equal(b.CreatedAt) && a.HeartbeatAt.Equal(b.HeartbeatAt) &&
		a.Self == b.Self && a.Stale == b.Stale
}

func TestLockRefusedWhileFresh(t *testing.T) {
	clk := newClock(time.Unix(1_700_000_000, 0))
	a, b := twoCopies(t, clk)

	mustAcquire(t, a, ownerA, true)
	clk.add(lockTTL - time.Second)
	mustAcquire(t, b, ownerB, false)
	mustHeartbeat(t, a, "a", true)
	clk.add(lockTTL) // exactly TTL after the heartbeat: still fresh
	mustAcquire(t, b, ownerB, false)
	mustHeartbeat(t, b, "b", false) // b never held it
	if h := mustHolder(t, b); h.Instance != "a" {
		t.Errorf("holder = %q, want a", h.Instance)
	}
}

func TestLockTakeoverWhenStale(t *testing.T) {
	clk := newClock(time.Unix(1_700_000_000, 0))
	a, b := twoCopies(t, clk)

	mustAcquire(t, a, ownerA, true)
	clk.add(lockTTL + time.Millisecond)
	mustAcquire(t, b, ownerB, true)
	h := mustHolder(t, a)
	if h.Instance != "b" || h.PID != 200 || h.Hostname != "host-b" || !h.CreatedAt.Equal(clk.now()) {
		t.Errorf("holder after takeover = %+v, want b since %v", h, clk.now())
	}
	// The old holder finds out at its next heartbeat, and cannot take the
	// fresh row back.
	mustHeartbeat(t, a, "a", false)
	mustAcquire(t, a, ownerA, false)
	mustHeartbeat(t, b, "b", true)
}

func TestLockTakeoverInterruptsRuns(t *testing.T) {
	clk := newClock(time.Unix(1_700_000_000, 0))
	a, b := twoCopies(t, clk)
	ctx := context.Background()

	mustAcquire(t, a, ownerA, true)
	for _, r := range []struct{ task, instance string }{{"sync", "a"}, {"geo", "c"}, {"done", "a"}} {
		if err := a.TaskStarted(ctx, r.task, r.instance); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.TaskFinished(ctx, "done", "a", core.StatusOK, "fine"); err != nil {
		t.Fatal(err)
	}
	clk.add(2 * lockTTL)
	mustAcquire(t, b, ownerB, true)

	states, err := b.TaskStates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"sync": core.StatusInterrupted, // a's run, a is gone
		"geo":  core.StatusRunning,     // another copy's run on demand: not a's
		"done": core.StatusOK,
	}
	for task, status := range want {
		if got := states[task].Status; got != status {
			t.Errorf("%s: status %q, want %q", task, got, status)
		}
	}
	if s := states["sync"]; s.Result == "" || !s.LastEnd.Equal(clk.now()) {
		t.Errorf("interrupted run = %+v, want a result and LastEnd %v", s, clk.now())
	}
}

func TestLockReleaseHandsOver(t *testing.T) {
	clk := newClock(time.Unix(1_700_000_000, 0))
	a, b := twoCopies(t, clk)
	ctx := context.Background()

	mustAcquire(t, a, ownerA, true)
	mustAcquire(t, b, ownerB, false)
	// Releasing a lock one does not hold leaves it alone.
	if err := b.ReleaseLock(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	if h := mustHolder(t, b); h.Instance != "a" {
		t.Fatalf("holder after b's release = %q, want a", h.Instance)
	}
	if err := a.ReleaseLock(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if h := mustHolder(t, b); h != (core.LockHolder{}) {
		t.Fatalf("holder after release = %+v, want nobody", h)
	}
	mustHeartbeat(t, a, "a", false)
	mustAcquire(t, b, ownerB, true) // at once: same clock reading
	if err := a.ReleaseLock(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if h := mustHolder(t, b); h.Instance != "b" {
		t.Fatalf("holder = %q, want b", h.Instance)
	}
}

// TestLockRace makes copies race for a free row on separate connections:
// exactly one wins.
func TestLockRace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bangui.db")
	const copies = 6
	dbs := make([]*store.DB, copies)
	for i := range dbs {
		dbs[i] = mustOpenAt(t, path)
		dbs[i].Now = time.Now
	}
	var wins atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, db := range dbs {
		wg.Go(func() {
			<-start
			me := store.LockOwner{Instance: string(rune('a' + i)), PID: i, Hostname: "h"}
			ok, err := db.AcquireLock(context.Background(), me, lockTTL)
			if err != nil {
				t.Errorf("AcquireLock(%s): %v", me.Instance, err)
			}
			if ok {
				wins.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	if n := wins.Load(); n != 1 {
		t.Errorf("%d copies got the lock, want 1", n)
	}
}

func TestLockInvalid(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	for _, tc := range []struct {
		me  store.LockOwner
		ttl time.Duration
	}{
		{store.LockOwner{PID: 1}, lockTTL},
		{ownerA, 0},
		{ownerA, -time.Second},
	} {
		ok, err := db.AcquireLock(ctx, tc.me, tc.ttl)
		if ok || core.ErrorCode(err) != core.EINVALID {
			t.Errorf("AcquireLock(%+v, %v) = %v, %v; want false, %s error", tc.me, tc.ttl, ok, err, core.EINVALID)
		}
	}
	if h := mustHolder(t, db); h.Instance != "" {
		t.Errorf("holder after refused acquires = %+v, want nobody", h)
	}
}
