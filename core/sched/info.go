package sched

import (
	"context"
	"fmt"

	"github.com/go-co-op/gocron/v2"
	"github.com/robfig/cron/v3"

	"github.com/bangui/bangui/core"
)

// Holder returns the copy that holds the scheduler lock (core.Tasks), with
// Self set when it is this copy and Stale when its heartbeat is older than
// the TTL.
func (s *Scheduler) Holder(ctx context.Context) (core.LockHolder, error) {
	h, err := s.db.LockHolder(ctx)
	if err != nil {
		return core.LockHolder{}, fmt.Errorf("sched: holder: %w", err)
	}
	if h.Instance != "" {
		h.Self = h.Instance == s.me.Instance
		h.Stale = s.lease.now().Sub(h.HeartbeatAt) > s.opt.TTL
	}
	return h, nil
}

// Tasks returns the tasks in the order they were added, with their last
// run by any copy (core.Tasks). NextRun is gocron's while this copy holds
// the lock, and LastStart + Interval otherwise (or when gocron cannot say).
func (s *Scheduler) Tasks(ctx context.Context) ([]core.TaskInfo, error) {
	states, err := s.db.TaskStates(ctx)
	if err != nil {
		return nil, fmt.Errorf("sched: tasks: %w", err)
	}
	type row struct {
		core.TaskInfo
		job  gocron.Job
		cron string
	}
	s.mu.Lock()
	rows := make([]row, len(s.order))
	for i, tk := range s.order {
		info := states[tk.Name]
		info.Name, info.Title, info.Interval, info.Running = tk.Name, tk.Title, tk.Interval, tk.running
		rows[i] = row{info, tk.job, tk.Cron}
	}
	s.mu.Unlock()

	leading := s.lease.current() != nil
	list := make([]core.TaskInfo, len(rows))
	for i, r := range rows {
		info := r.TaskInfo
		if r.job == nil {
			list[i] = info // on demand only
			continue
		}
		if leading {
			if next, err := r.job.NextRun(); err == nil {
				info.NextRun = next
			}
		}
		if info.NextRun.IsZero() && !info.LastStart.IsZero() {
			// Another copy runs it, or gocron did not answer (it is
			// between two runs, or busy): estimate.
			info.NextRun = info.LastStart.Add(info.Interval)
			if sch, err := cron.ParseStandard(r.cron); r.cron != "" && err == nil {
				info.NextRun = sch.Next(info.LastStart)
			}
		}
		list[i] = info
	}
	return list, nil
}

// Leading reports whether this copy runs the scheduled tasks now.
func (s *Scheduler) Leading() bool { return s.lease.current() != nil }
