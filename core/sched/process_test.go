//go:build unix

package sched_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bangui/bangui/core/sched"
	"github.com/bangui/bangui/core/store"
	"github.com/bangui/bangui/migrations"
)

// The multi-process tests run copies of this test binary as children, each
// a scheduler on one cache file whose tasks append their start and end to
// an event file (O_APPEND, one write per line, so lines from several
// processes never mix and their order is the order of the writes). The
// parent appends its own kills to the same file, then checks the order.
const (
	childEnv    = "BANGUI_SCHED_CHILD"
	childDBEnv  = "BANGUI_SCHED_DB"
	childLogEnv = "BANGUI_SCHED_EVENTS"
	childTTLEnv = "BANGUI_SCHED_TTL"
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		os.Exit(childMain())
	}
	os.Exit(m.Run())
}

// childMain runs a scheduler with two tasks until SIGTERM, then stops it
// and records whether the lock row was released.
func childMain() int {
	ttl, err := time.ParseDuration(os.Getenv(childTTLEnv))
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	events, err := os.OpenFile(os.Getenv(childLogEnv), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	defer events.Close()
	pid := os.Getpid()
	record := func(format string, args ...any) {
		if _, err := events.WriteString(fmt.Sprintf(format, args...) + "\n"); err != nil {
			fmt.Fprintln(os.Stderr, "child: record:", err)
		}
	}

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM)
	ctx := context.Background()
	db, err := store.Open(ctx, os.Getenv(childDBEnv), migrations.FS)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	defer db.Close()
	s, err := sched.New(db, sched.Options{
		TTL: ttl, Heartbeat: 100 * time.Millisecond, Poll: 100 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	for _, name := range []string{"a", "b"} {
		err := s.Add(sched.Task{Name: name, Interval: 50 * time.Millisecond, Run: func(ctx context.Context) (string, error) {
			record("start %d %s", pid, name)
			select {
			case <-time.After(150 * time.Millisecond):
			case <-ctx.Done():
			}
			record("end %d %s", pid, name)
			return "ran", ctx.Err()
		}})
		if err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			return 2
		}
	}
	if err := s.Start(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	record("ready %d", pid)
	<-sigs
	stopCtx, cancel := context.WithTimeout(ctx, patience)
	defer cancel()
	stopErr := s.Stop(stopCtx)
	h, err := db.LockHolder(ctx)
	released := err == nil && h.Instance != s.Instance()
	record("exit %d released=%v err=%v", pid, released, stopErr)
	if stopErr != nil || !released {
		return 1
	}
	return 0
}

// family is the parent's view of its children and the event file.
type family struct {
	t      *testing.T
	db     *store.DB
	events string
	ttl    time.Duration
	// checked is set once the event log was checked.
	checked bool
	mu      sync.Mutex
	kids    map[int]*child
}

type child struct {
	cmd    *exec.Cmd
	stderr *lockedBuffer
	done   chan struct{} // closed when Wait returned
	err    error         // Wait's error, once done
}

// lockedBuffer is a bytes.Buffer safe for the exec package's copying
// goroutine and the test reading it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func newFamily(t *testing.T, n int, ttl time.Duration) *family {
	if testing.Short() {
		t.Skip("starts processes and waits for lock TTLs")
	}
	dir := t.TempDir()
	f := &family{t: t, events: filepath.Join(dir, "events"), ttl: ttl, kids: make(map[int]*child)}
	// The parent creates the cache, so the children do not race to migrate.
	f.db = openCache(t, filepath.Join(dir, "bangui.db"))
	t.Cleanup(f.cleanup)
	for range n {
		f.spawn()
	}
	t.Cleanup(func() {
		if t.Failed() && !f.checked {
			f.check() // the log may explain the failure
		}
	})
	waitFor(t, "children ready", func() bool { return len(f.read().pids("ready")) == n })
	return f
}

func (f *family) spawn() {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), childEnv+"=1", childDBEnv+"="+f.db.Path(),
		childLogEnv+"="+f.events, childTTLEnv+"="+f.ttl.String(),
		"GORACE=atexit_sleep_ms=0") // the race detector otherwise waits 1 s at exit
	c := &child{cmd: cmd, stderr: new(lockedBuffer), done: make(chan struct{})}
	cmd.Stderr = c.stderr
	if err := cmd.Start(); err != nil {
		f.t.Fatalf("start child: %v", err)
	}
	go func() {
		c.err = cmd.Wait()
		close(c.done)
	}()
	f.mu.Lock()
	f.kids[cmd.Process.Pid] = c
	f.mu.Unlock()
}

// cleanup kills the children left, and shows their logs if the test failed.
func (f *family) cleanup() {
	for pid, c := range f.kids {
		_ = c.cmd.Process.Kill()
		<-c.done
		if f.t.Failed() {
			f.t.Logf("child %d (%v) stderr:\n%s", pid, c.err, c.stderr.String())
		}
	}
	if f.t.Failed() {
		b, _ := os.ReadFile(f.events)
		f.t.Logf("events:\n%s", b)
	}
}

// note appends a line of the parent's to the event file.
func (f *family) note(format string, args ...any) {
	fh, err := os.OpenFile(f.events, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		f.t.Fatal(err)
	}
	defer fh.Close()
	if _, err := fh.WriteString(fmt.Sprintf(format, args...) + "\n"); err != nil {
		f.t.Fatal(err)
	}
}

// holder waits until a live child holds the lock and returns its pid.
func (f *family) holder() int {
	f.t.Helper()
	var pid int
	waitFor(f.t, "a child holding the lock", func() bool {
		h, err := f.db.LockHolder(context.Background())
		if err != nil {
			f.t.Fatal(err)
		}
		f.mu.Lock()
		c := f.kids[h.PID]
		f.mu.Unlock()
		if c == nil {
			return false
		}
		select {
		case <-c.done:
			return false
		default:
			pid = h.PID
			return true
		}
	})
	return pid
}

// kill sends SIGKILL to pid and waits for it to die. The events bracket it,
// so that the check knows when its open runs died with it.
func (f *family) kill(pid int) {
	f.t.Helper()
	c := f.kids[pid]
	f.note("killing %d", pid)
	if err := c.cmd.Process.Kill(); err != nil {
		f.t.Fatal(err)
	}
	<-c.done
	f.note("killed %d", pid)
}

// term sends SIGTERM to pid and waits for a clean exit.
func (f *family) term(pid int) {
	f.t.Helper()
	c := f.kids[pid]
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		f.t.Fatal(err)
	}
	select {
	case <-c.done:
	case <-time.After(patience):
		f.t.Fatalf("child %d did not exit %v after SIGTERM", pid, patience)
	}
	if c.err != nil {
		f.t.Fatalf("child %d exited with %v after SIGTERM", pid, c.err)
	}
}

// TestProcessesKillAndTerm runs three processes on one cache: one runs
// the tasks at a time; when it is killed (-9) another takes over after the
// TTL; when that one exits cleanly (SIGTERM) the third takes over.
func TestProcessesKillAndTerm(t *testing.T) {
	const ttl = 2 * time.Second
	f := newFamily(t, 3, ttl)

	first := f.holder()
	waitFor(t, "runs in the first holder", func() bool { return f.read().endsAfter(-1, first) >= 4 })
	f.kill(first)
	killed := time.Now()
	at := f.read().index("killed", first)

	var second int
	waitFor(t, "a takeover after kill -9", func() bool {
		second, _ = f.read().firstStartAfter(at)
		return second != 0
	})
	t.Logf("takeover %v after kill -9 (TTL %v)", time.Since(killed).Round(time.Millisecond), ttl)
	if second == first {
		t.Fatalf("the killed process %d ran again", first)
	}
	if h := f.holder(); h != second {
		t.Fatalf("holder %d, but %d ran the tasks", h, second)
	}
	waitFor(t, "runs in the second holder", func() bool { return f.read().endsAfter(at, second) >= 4 })

	terminated := time.Now()
	f.term(second)
	exit := f.read().index("exit", second)
	if exit < 0 {
		t.Fatalf("%d exited without recording it", second)
	}
	if e := f.read()[exit]; !strings.HasPrefix(e.task, "released=true") {
		t.Fatalf("%d exited without releasing the lock: %s", second, e.task)
	}
	var third int
	waitFor(t, "a takeover after SIGTERM", func() bool {
		third, _ = f.read().firstStartAfter(exit)
		return third != 0
	})
	t.Logf("takeover %v after SIGTERM (TTL %v)", time.Since(terminated).Round(time.Millisecond), ttl)
	if third == first || third == second {
		t.Fatalf("a stopped process (%d) ran again", third)
	}
	waitFor(t, "runs in the third holder", func() bool { return f.read().endsAfter(exit, third) >= 4 })

	f.check()
	log := f.read()
	if ran := log.pids("start"); !slices.Equal(ran, []int{first, second, third}) {
		t.Errorf("processes ran tasks in the order %v, want %v", ran, []int{first, second, third})
	}
	for _, task := range []string{"a", "b"} {
		for _, pid := range []int{first, second, third} {
			if !slices.Contains(log, event{kind: "end", pid: pid, task: task}) {
				t.Errorf("%d never finished a run of %s", pid, task)
			}
		}
	}
}

// TestProcessesCleanExitHandsOver gives the lock a TTL far longer than
// the test: after a clean exit another process takes over long before it,
// which only the release can explain.
func TestProcessesCleanExitHandsOver(t *testing.T) {
	const ttl = 10 * time.Minute
	f := newFamily(t, 3, ttl)

	first := f.holder()
	waitFor(t, "runs in the first holder", func() bool { return f.read().endsAfter(-1, first) >= 2 })
	terminated := time.Now()
	f.term(first)
	exit := f.read().index("exit", first)
	var second int
	waitFor(t, "a takeover after SIGTERM", func() bool {
		second, _ = f.read().firstStartAfter(exit)
		return second != 0
	})
	// waitFor's patience is far shorter than the TTL: getting here proves
	// the release.
	t.Logf("takeover %v after SIGTERM (TTL %v)", time.Since(terminated).Round(time.Millisecond), ttl)
	if second == first {
		t.Fatalf("the stopped process %d ran again", first)
	}
	waitFor(t, "runs in the second holder", func() bool { return f.read().endsAfter(exit, second) >= 2 })
	f.term(second)
	exit = f.read().index("exit", second)
	var third int
	waitFor(t, "a takeover after the second SIGTERM", func() bool {
		third, _ = f.read().firstStartAfter(exit)
		return third != 0
	})
	if third == first || third == second {
		t.Fatalf("a stopped process (%d) ran again", third)
	}
	f.check()
}
