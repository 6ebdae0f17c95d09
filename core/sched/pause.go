package sched

// Pause pauses (on) or resumes the scheduled runs of every task, e.g.
// from the tray menu. While paused, the runs the schedule starts are
// skipped: not run, not recorded, only logged at debug level; a task
// resumes at its next scheduled time once unpaused (an overdue task does
// not catch up). RunNow still runs a task, since the user asked for it.
// Runs in progress go on. Changes fires when the state changes; pausing a
// paused Scheduler does nothing. The state is this copy's own: another
// BanGUI copy sharing the cache does not see it.
func (s *Scheduler) Pause(on bool) {
	if s.paused.Swap(on) == on {
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
	return s.paused.Load()
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
