// Package sched runs BanGUI's background tasks (history sync, blocklist
// updates…) with gocron, in one copy of the app at a time.
//
// Several copies of BanGUI may share one cache file (two windows, two
// sessions of one user). They elect the copy that runs the tasks through the
// cache's scheduler_lock row: the copy holding the row heartbeats it every
// Options.Heartbeat; a row whose heartbeat is older than Options.TTL is stale
// and any copy may take it over; Stop deletes it, so another copy takes over
// at its next poll. gocron asks the Scheduler, as its Elector, before every
// run, and only the holder runs tasks. A holder that finds at a heartbeat
// that another copy took the row (it was suspended longer than the TTL), or
// that cannot confirm its heartbeat for TTL minus one heartbeat, stops
// starting runs and cancels the context of the runs in progress.
//
// Each task runs in singleton mode: never two runs of one task at once in
// one process, whether started by the schedule or by RunNow. Every run is
// recorded in the cache's task_state table, whichever copy runs it.
package sched

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-co-op/gocron/v2"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/store"
)

// Defaults of Options.
const (
	DefaultHeartbeat   = 10 * time.Second
	DefaultTTL         = 60 * time.Second
	DefaultStopTimeout = 10 * time.Second
)

// Task is one background task.
type Task struct {
	// Name is the task's stable key in the cache, e.g. "sync".
	Name string
	// Title names the task for people, e.g. "Copy ban history".
	Title string
	// Interval is the time between two scheduled runs; zero means the task
	// only runs on demand (RunNow), unless Cron is set. SetInterval changes
	// it.
	Interval time.Duration
	// Cron schedules the task by a cron expression of five fields (minute
	// hour day-of-month month day-of-week, such as "0 */6 * * *"), in local
	// time, instead of an interval: Interval and Cron are exclusive.
	Cron string
	// Run does the work. It must return soon after ctx is cancelled (stop,
	// or another copy took the lock over). result is a short summary for
	// the task list; err's core.ErrorMessage is shown when it fails.
	Run func(ctx context.Context) (result string, err error)
}

// Options configure a Scheduler. Zero fields take the defaults.
type Options struct {
	// TTL is the age after which a lock row's heartbeat is stale and the
	// row may be taken over; default DefaultTTL. It must exceed Heartbeat.
	TTL time.Duration
	// Heartbeat is how often the holder refreshes the row; default
	// DefaultHeartbeat.
	Heartbeat time.Duration
	// Poll is how often a copy that does not hold the row tries to take
	// it; default Heartbeat.
	Poll time.Duration
	// StopTimeout bounds how long Stop waits for runs to end after
	// cancelling them; default DefaultStopTimeout.
	StopTimeout time.Duration
	// Instance identifies this copy in the lock row and task_state; default
	// a random id. Two running copies must never share one.
	Instance string
	// Logger receives the scheduler's events; default slog.Default().
	Logger *slog.Logger
}

// Errors of the cancelled runs' contexts (context.Cause), whose messages
// become the runs' results.
var (
	errStopping = errors.New("BanGUI is shutting down")
	errLostLock = errors.New("another BanGUI copy took over background work")
)

// Scheduler runs tasks while this copy holds the scheduler lock. It
// implements core.Tasks. Its methods are safe for concurrent use.
type Scheduler struct {
	db   *store.DB
	opt  Options
	me   store.LockOwner
	log  *slog.Logger
	cron gocron.Scheduler
	// paused: scheduled runs are skipped (Pause).
	paused atomic.Bool

	// base is the parent of every run's context; Stop cancels it.
	base       context.Context
	cancelBase context.CancelCauseFunc

	lease lease

	// cronMu serializes changes to the gocron jobs (Add, SetInterval) and
	// Stop's start; it is taken before mu, never by a running job.
	cronMu sync.Mutex

	mu    sync.Mutex
	tasks map[string]*task
	order []*task
	// removed holds the tasks Remove took out while they ran, so that a
	// task added again under the same name cannot start a second run
	// beside the old one.
	removed  map[string]*task
	started  bool
	stopped  bool
	runs     sync.WaitGroup // runs in progress and runOverdue calls
	stopLoop context.CancelFunc
	loopDone chan struct{}

	changes chan struct{}
}

// task is a Task plus its scheduling state.
// Interval, Cron and job change under both Scheduler.cronMu and
// Scheduler.mu.
type task struct {
	Task
	job     gocron.Job // nil while Interval is 0 and Cron is ""
	running bool       // guarded by Scheduler.mu
	// cancel stops the run going on (Cancel); guarded by Scheduler.mu.
	cancel context.CancelCauseFunc
}

var _ core.Tasks = (*Scheduler)(nil)

// New returns a Scheduler on db's lock row. It starts nothing: add tasks
// with Add, then call Start, and Stop before closing db.
func New(db *store.DB, opt Options) (*Scheduler, error) {
	if opt.Heartbeat == 0 {
		opt.Heartbeat = DefaultHeartbeat
	}
	if opt.TTL == 0 {
		opt.TTL = DefaultTTL
	}
	if opt.Poll == 0 {
		opt.Poll = opt.Heartbeat
	}
	if opt.StopTimeout == 0 {
		opt.StopTimeout = DefaultStopTimeout
	}
	switch {
	case db == nil:
		return nil, fmt.Errorf("sched: new: %w", core.Errorf(core.EINVALID, "no cache"))
	case opt.Heartbeat < 0 || opt.Poll < 0 || opt.StopTimeout < 0:
		return nil, fmt.Errorf("sched: new: %w", core.Errorf(core.EINVALID, "scheduler intervals must be positive"))
	case opt.TTL <= opt.Heartbeat:
		return nil, fmt.Errorf("sched: new: %w", core.Errorf(core.EINVALID,
			"the lock TTL (%v) must be longer than the heartbeat (%v)", opt.TTL, opt.Heartbeat))
	}
	if opt.Instance == "" {
		var b [8]byte
		_, _ = rand.Read(b[:]) // never fails
		opt.Instance = hex.EncodeToString(b[:])
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	host, err := os.Hostname()
	if err != nil {
		host = "unknown"
	}

	s := &Scheduler{
		db:      db,
		opt:     opt,
		me:      store.LockOwner{Instance: opt.Instance, PID: os.Getpid(), Hostname: host},
		log:     opt.Logger.With("instance", opt.Instance),
		tasks:   make(map[string]*task),
		removed: make(map[string]*task),
		changes: make(chan struct{}, 1),
	}
	s.base, s.cancelBase = context.WithCancelCause(context.Background())
	s.lease.init(s)
	s.cron, err = gocron.NewScheduler(
		gocron.WithDistributedElector(elector{&s.lease}),
		gocron.WithStopTimeout(opt.StopTimeout),
	)
	if err != nil {
		return nil, fmt.Errorf("sched: new: %w", err)
	}
	return s, nil
}

// Instance returns this copy's id, as the lock row and task_state show it.
func (s *Scheduler) Instance() string { return s.me.Instance }

// Changes returns a channel that receives a value (coalesced, never
// blocking the scheduler) when a run starts or ends or this copy takes or
// loses the lock. The UI refreshes its task list on it.
func (s *Scheduler) Changes() <-chan struct{} { return s.changes }

func (s *Scheduler) notify() {
	select {
	case s.changes <- struct{}{}:
	default:
	}
}

// Add adds t. Tasks may be added before or after Start. A task needs a
// name not yet used and a Run function.
func (s *Scheduler) Add(t Task) error {
	switch {
	case strings.TrimSpace(t.Name) == "":
		return fmt.Errorf("sched: add: %w", core.Errorf(core.EINVALID, "a task needs a name"))
	case t.Run == nil:
		return fmt.Errorf("sched: add %s: %w", t.Name, core.Errorf(core.EINVALID, "task %q has nothing to run", t.Name))
	case t.Interval < 0:
		return fmt.Errorf("sched: add %s: %w", t.Name, core.Errorf(core.EINVALID, "task %q has a negative interval", t.Name))
	case t.Interval != 0 && t.Cron != "":
		return fmt.Errorf("sched: add %s: %w", t.Name, core.Errorf(core.EINVALID,
			"task %q has both an interval (%v) and a cron schedule (%q): give one of them", t.Name, t.Interval, t.Cron))
	}
	if err := checkCron(t.Cron); err != nil {
		return fmt.Errorf("sched: add %s: %w", t.Name, err)
	}
	if t.Title == "" {
		t.Title = t.Name
	}
	s.cronMu.Lock()
	defer s.cronMu.Unlock()
	s.mu.Lock()
	stopped, dup := s.stopped, s.tasks[t.Name] != nil
	old := s.removed[t.Name]
	leaving := old != nil && old.running
	if old != nil && !leaving {
		delete(s.removed, t.Name)
	}
	s.mu.Unlock()
	switch {
	case stopped:
		return fmt.Errorf("sched: add %s: %w", t.Name, core.Errorf(core.ECANCELED, "the scheduler is stopped"))
	case dup:
		return fmt.Errorf("sched: add %s: %w", t.Name, core.Errorf(core.EINVALID, "task %q is already scheduled", t.Name))
	case leaving:
		return fmt.Errorf("sched: add %s: %w", t.Name, core.Errorf(core.ECONFLICT,
			"%s was removed but its last run has not ended yet: try again when it has", old.Title))
	}
	tk := &task{Task: t}
	job, err := s.reschedule(tk, t.Interval, t.Cron)
	if err != nil {
		return fmt.Errorf("sched: add %s: %w", t.Name, err)
	}
	s.mu.Lock()
	tk.job = job
	s.tasks[t.Name] = tk
	s.order = append(s.order, tk)
	s.mu.Unlock()
	return nil
}

// SetInterval changes the interval of the task name, e.g. after the user
// changed a setting; zero leaves the task to RunNow only. The next run is
// one new interval from now; a run in progress goes on. It replaces a cron
// schedule the task had.
func (s *Scheduler) SetInterval(name string, d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("sched: set interval of %s: %w", name, core.Errorf(core.EINVALID, "negative interval %v", d))
	}
	s.cronMu.Lock()
	defer s.cronMu.Unlock()
	s.mu.Lock()
	tk, stopped := s.tasks[name], s.stopped
	s.mu.Unlock()
	switch {
	case tk == nil:
		return fmt.Errorf("sched: set interval: %w", core.Wrap(core.ErrNotFound, core.ENOTFOUND, fmt.Sprintf("no task %q", name)))
	case stopped:
		return fmt.Errorf("sched: set interval of %s: %w", name, core.Errorf(core.ECANCELED, "the scheduler is stopped"))
	case tk.Interval == d && tk.Cron == "": // cronMu keeps them from changing
		return nil
	}
	job, err := s.reschedule(tk, d, "")
	if err != nil {
		return fmt.Errorf("sched: set interval of %s: %w", name, err)
	}
	s.mu.Lock()
	tk.job, tk.Interval, tk.Cron = job, d, ""
	s.mu.Unlock()
	return nil
}

// Remove removes the task name: it is no longer scheduled, nor listed, nor
// found by RunNow (e.g. its blocklist was deleted). A run in progress goes
// on to its end, and until then the name cannot be added again, so that
// two runs of one task never overlap.
func (s *Scheduler) Remove(name string) error {
	s.cronMu.Lock()
	defer s.cronMu.Unlock()
	s.mu.Lock()
	tk, stopped := s.tasks[name], s.stopped
	s.mu.Unlock()
	switch {
	case tk == nil:
		return fmt.Errorf("sched: remove: %w", core.Wrap(core.ErrNotFound, core.ENOTFOUND, fmt.Sprintf("no task %q", name)))
	case stopped:
		return fmt.Errorf("sched: remove %s: %w", name, core.Errorf(core.ECANCELED, "the scheduler is stopped"))
	}
	if _, err := s.reschedule(tk, 0, ""); err != nil {
		return fmt.Errorf("sched: remove %s: %w", name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tk.job = nil
	delete(s.tasks, name)
	for i, o := range s.order {
		if o == tk {
			s.order = append(s.order[:i:i], s.order[i+1:]...)
			break
		}
	}
	if tk.running {
		s.removed[name] = tk
	}
	return nil
}

// checkCron checks a cron expression of Task.Cron ("" is none): five
// fields, which gocron's parser accepts. Errors are EINVALID.
func checkCron(expr string) error {
	if expr == "" {
		return nil
	}
	if n := len(strings.Fields(expr)); n != 5 {
		return core.Errorf(core.EINVALID,
			"cron schedule %q has %d fields: write five (minute hour day-of-month month day-of-week), such as \"0 */6 * * *\"", expr, n)
	}
	if err := gocron.NewDefaultCron(false).IsValid(expr, time.Local, time.Now()); err != nil {
		why := err.Error()
		if i := strings.LastIndexByte(why, '\n'); i >= 0 { // errors.Join: the parser's own reason last
			why = why[i+1:]
		}
		return core.Wrap(err, core.EINVALID, fmt.Sprintf(
			"%q is not a valid cron schedule (%s): write minute hour day-of-month month day-of-week, such as \"0 */6 * * *\"", expr, why))
	}
	return nil
}

// reschedule creates, updates or removes tk's gocron job for interval d or
// cron expression cron (at most one of them set), and returns the job (nil
// when both are zero). s.cronMu must be held, and s.mu not: gocron may wait
// for its executor, whose jobs take s.mu.
func (s *Scheduler) reschedule(tk *task, d time.Duration, cron string) (gocron.Job, error) {
	var def gocron.JobDefinition
	switch {
	case cron != "":
		def = gocron.CronJob(cron, false)
	case d != 0:
		def = gocron.DurationJob(d)
	case tk.job != nil:
		return nil, s.cron.RemoveJob(tk.job.ID())
	default:
		return nil, nil
	}
	if tk.job != nil {
		return s.cron.Update(tk.job.ID(), def, s.jobTask(tk), s.jobOptions(tk)...)
	}
	return s.cron.NewJob(def, s.jobTask(tk), s.jobOptions(tk)...)
}

func (s *Scheduler) jobTask(tk *task) gocron.Task {
	return gocron.NewTask(func() { s.runScheduled(tk) })
}

func (s *Scheduler) jobOptions(tk *task) []gocron.JobOption {
	return []gocron.JobOption{
		gocron.WithName(tk.Name),
		gocron.WithSingletonMode(gocron.LimitModeReschedule),
	}
}

// Start starts the schedule and the lock's heartbeat loop. It tries to
// take the lock once before it returns, within ctx, so that Holder answers
// at once; failures are logged and retried by the loop, which runs until
// Stop (ctx does not bound it).
func (s *Scheduler) Start(ctx context.Context) error {
	s.mu.Lock()
	switch {
	case s.stopped:
		s.mu.Unlock()
		return fmt.Errorf("sched: start: %w", core.Errorf(core.ECANCELED, "the scheduler is stopped"))
	case s.started:
		s.mu.Unlock()
		return fmt.Errorf("sched: start: %w", core.Errorf(core.EINVALID, "the scheduler is already started"))
	}
	s.started = true
	loopCtx, stop := context.WithCancel(context.Background())
	s.stopLoop, s.loopDone = stop, make(chan struct{})
	s.mu.Unlock()

	s.cron.Start()
	s.lease.tryAcquire(ctx)
	go s.lease.loop(loopCtx, s.loopDone)
	return nil
}

// Stop stops the schedule and the heartbeat, cancels the runs in progress
// and waits for them, at most until ctx ends or Options.StopTimeout, then
// releases the lock row so that another copy takes over at once. Call it
// before closing the cache. If runs are still going when the wait ends, the
// row is left to go stale (another copy takes over after the TTL) and Stop
// returns an error. Stop may be called more than once, and without Start.
func (s *Scheduler) Stop(ctx context.Context) error {
	s.cronMu.Lock()
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		s.cronMu.Unlock()
		return nil
	}
	s.stopped = true // no new runs from here on: s.runs.Add is done under mu
	stopLoop, loopDone := s.stopLoop, s.loopDone
	s.mu.Unlock()
	s.cronMu.Unlock()

	if stopLoop != nil {
		stopLoop()
		<-loopDone
	}
	s.cancelBase(errStopping) // cancels the runs; no lease can start after this
	wasHolder := s.lease.drop()

	ctx, cancel := context.WithTimeout(ctx, s.opt.StopTimeout)
	defer cancel()
	var errs []error
	if err := s.cron.ShutdownWithContext(ctx); err != nil {
		errs = append(errs, fmt.Errorf("stop gocron: %w", err))
	}
	done := make(chan struct{})
	go func() {
		s.runs.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		errs = append(errs, core.Errorf(core.ECANCELED,
			"background tasks did not stop in time; another BanGUI copy takes over in %v", s.opt.TTL))
		return fmt.Errorf("sched: stop: %w", errors.Join(errs...))
	}

	// Runs are over: release the row, even when ctx is done.
	rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer rcancel()
	if err := s.db.ReleaseLock(rctx, s.me.Instance); err != nil {
		errs = append(errs, err)
	} else if wasHolder {
		s.log.Info("released the scheduler lock")
	}
	s.notify()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sched: stop: %w", err)
	}
	return nil
}
