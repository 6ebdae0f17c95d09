package sched

import "sync"

// paused holds the Schedulers whose background work is paused, as keys;
// an entry exists only while paused. (It lives here, not in Scheduler,
// so that pausing stays out of the scheduling code; a Scheduler left
// paused when dropped stays in it, a few bytes.)
var paused sync.Map // *Scheduler → struct{}

// Pause pauses (on) or resumes the scheduled runs of every task, e.g.
// from the tray menu. While paused, the runs the schedule starts are
// skipped: not run, not recorded, only logged at debug level; a task
// resumes at its next scheduled time once unpaused (an overdue task does
// not catch up). RunNow still runs a task, since the user asked for it.
// Runs in progress go on. Changes fires when the state changes; pausing a
// paused Scheduler does nothing. The state is this copy's own: another
// BanGUI copy sharing the cache does not see it.
func (s *Scheduler) Pause(on bool) {
	var changed bool
	if on {
		_, was := paused.LoadOrStore(s, struct{}{})
		changed = !was
	} else {
		_, changed = paused.LoadAndDelete(s)
	}
	if !changed {
		return
	}
	if on {
		s.log.Info("background work paused")
	} else {
		s.log.Info("background work resumed")
	}
	s.notify()
}

// Paused reports whether scheduled runs are paused (Pause).
func (s *Scheduler) Paused() bool {
	_, ok := paused.Load(s)
	return ok
}

// skipPaused reports whether a scheduled run of tk must be skipped since
// background work is paused, and logs it.
func (s *Scheduler) skipPaused(tk *task) bool {
	if !s.Paused() {
		return false
	}
	s.log.Debug("scheduled run skipped", "task", tk.Name, "reason", "background work is paused")
	return true
}
