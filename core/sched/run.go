package sched

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/go-co-op/gocron/v2"
	"github.com/robfig/cron/v3"

	"github.com/bangui/bangui/core"
)

// recordTimeout bounds the writes of a run's start and end to task_state.
const recordTimeout = 5 * time.Second

// claim marks tk as running in this process and counts the run for Stop,
// unless tk already runs or the scheduler is stopped.
func (s *Scheduler) claim(tk *task) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.stopped:
		return core.Errorf(core.ECANCELED, "background tasks are stopped")
	case tk.running:
		return core.Errorf(core.ECONFLICT, "%s is already running", tk.Title)
	}
	tk.running = true
	s.runs.Add(1)
	return nil
}

func (s *Scheduler) unclaim(tk *task) {
	s.mu.Lock()
	tk.running = false
	s.mu.Unlock()
	s.runs.Done()
}

// runScheduled is the gocron job of tk. gocron's Elector already checked
// the lease; it is checked again, since it may have ended since, and the
// run's context ends with it. (gocron's own job context is not used: it is
// cancelled when SetInterval replaces the job, which must not stop a run.)
func (s *Scheduler) runScheduled(tk *task) {
	lctx := s.lease.current()
	if lctx == nil || lctx.Err() != nil || s.skipPaused(tk) {
		return
	}
	if err := s.claim(tk); err != nil {
		s.log.Debug("scheduled run skipped", "task", tk.Name, "reason", err)
		return
	}
	defer s.unclaim(tk)
	s.execute(lctx, tk, "schedule")
}

// RunNow starts a run of the task name in this copy at once, whether or
// not it holds the scheduler lock, and returns without waiting for it
// (core.Tasks). It fails with ENOTFOUND for an unknown task, ECONFLICT
// while the task runs in this copy, and ECANCELED once Stop was called.
// The run is cancelled by Stop only.
func (s *Scheduler) RunNow(name string) error {
	s.mu.Lock()
	tk := s.tasks[name]
	s.mu.Unlock()
	if tk == nil {
		return fmt.Errorf("sched: run %s now: %w", name,
			core.Wrap(core.ErrNotFound, core.ENOTFOUND, fmt.Sprintf("there is no background task %q", name)))
	}
	if err := s.claim(tk); err != nil {
		return fmt.Errorf("sched: run %s now: %w", name, err)
	}
	go func() {
		defer s.unclaim(tk)
		s.execute(s.base, tk, "manual")
	}()
	return nil
}

// execute runs tk under ctx and records the run in task_state.
func (s *Scheduler) execute(ctx context.Context, tk *task, trigger string) {
	log := s.log.With("task", tk.Name, "trigger", trigger)
	// Cancel works from the moment the run is claimed, also while its
	// start is being recorded.
	ctx, stop := context.WithCancelCause(ctx)
	s.mu.Lock()
	tk.cancel = stop
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		tk.cancel = nil
		s.mu.Unlock()
		stop(nil)
	}()
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	if err := s.db.TaskStarted(rctx, tk.Name, s.me.Instance); err != nil {
		log.Warn("could not record the start of a task run", "err", err)
	}
	cancel()
	s.notify()

	start := time.Now()
	result, err := safeRun(ctx, tk.Run)
	status := core.StatusOK
	switch {
	case err == nil:
	case ctx.Err() != nil:
		status = core.StatusCancelled
		result = "Cancelled"
		if why := s.cancelReason(ctx); why != "" {
			result += ": " + why
		}
	default:
		status = core.StatusFailed
		result = core.ErrorMessage(err)
	}
	took := time.Since(start).Round(time.Millisecond)
	if status == core.StatusOK {
		log.Info("task run finished", "took", took, "result", result)
	} else {
		log.Warn("task run ended", "status", status, "took", took, "err", err)
	}

	rctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	if err := s.db.TaskFinished(rctx, tk.Name, s.me.Instance, status, result); err != nil {
		log.Warn("could not record the end of a task run", "err", err)
	}
	cancel()
	s.notify()
}

// errCancelledByUser is the cause of a run stopped with Cancel.
var errCancelledByUser = errors.New("stopped from the window")

// Cancel stops the run of name going on in this copy (core.Tasks). It
// does not wait for the run to end; the run records "Cancelled".
func (s *Scheduler) Cancel(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	tk := s.tasks[name]
	if tk == nil {
		return fmt.Errorf("sched: cancel %s: %w", name,
			core.Wrap(core.ErrNotFound, core.ENOTFOUND, fmt.Sprintf("there is no background task %q", name)))
	}
	if tk.cancel == nil {
		title := tk.Title
		if title == "" {
			title = tk.Name
		}
		return core.Errorf(core.ECONFLICT, "%s is not running in this window: nothing to cancel", title)
	}
	tk.cancel(errCancelledByUser)
	return nil
}

// cancelReason says why the run's ctx was cancelled: the lease ended,
// Stop was called, or Cancel.
func (s *Scheduler) cancelReason(ctx context.Context) string {
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return cause.Error()
	}
	return ""
}

// safeRun calls run, turning a panic into an error.
func safeRun(ctx context.Context, run func(context.Context) (string, error)) (result string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = core.Wrap(fmt.Errorf("panic: %v\n%s", r, debug.Stack()), core.EINTERNAL,
				fmt.Sprintf("the task crashed (%v)", r))
		}
	}()
	return run(ctx)
}

// runOverdue starts, through gocron, the scheduled tasks that are overdue
// (see overdue): called when this copy takes the lock, so that a takeover
// does not wait a whole interval. It does not block.
func (s *Scheduler) runOverdue() {
	type due struct {
		name  string
		every time.Duration
		cron  string
		job   gocron.Job
	}
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return
	}
	var list []due
	for _, tk := range s.order {
		if tk.job != nil {
			list = append(list, due{tk.Name, tk.Interval, tk.Cron, tk.job})
		}
	}
	s.runs.Add(1)
	s.mu.Unlock()

	go func() {
		defer s.runs.Done()
		ctx, cancel := context.WithTimeout(s.base, recordTimeout)
		defer cancel()
		states, err := s.db.TaskStates(ctx)
		if err != nil {
			s.log.Warn("could not read the last task runs", "err", err)
			return
		}
		now := s.lease.now()
		for _, d := range list {
			if !overdue(states[d.name], d.every, d.cron, now) {
				continue
			}
			if s.lease.current() == nil {
				return
			}
			if err := d.job.RunNow(); err != nil {
				s.log.Debug("could not start an overdue task", "task", d.name, "err", err)
			}
		}
	}()
}

// overdue reports whether a task whose last run (by any copy) is last
// should run at once: it never ran, its last run did not complete
// (cancelled, or interrupted by the death of the copy running it), or it
// started an interval ago or more.
func overdue(last core.TaskInfo, every time.Duration, cronExpr string, now time.Time) bool {
	switch {
	case last.LastStart.IsZero(), last.Status == core.StatusCancelled, last.Status == core.StatusInterrupted:
		return true
	case cronExpr != "":
		// Overdue when a time the expression names passed since the last
		// start (not every takeover, as a zero interval would say).
		sch, err := cron.ParseStandard(cronExpr)
		return err == nil && !now.Before(sch.Next(last.LastStart))
	}
	return !now.Before(last.LastStart.Add(every))
}
