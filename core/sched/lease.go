package sched

import (
	"context"
	"errors"
	"sync"
	"time"
)

// lease is this copy's view of the scheduler lock: whether it holds the
// row and until when it may trust that it does.
//
// The holder confirms the row at every heartbeat. It trusts it until
// confirmed + TTL - Heartbeat: another copy may take the row over only once
// the stored heartbeat (written after confirmed) is TTL old, so the holder
// stops starting runs, and cancels those in progress, one heartbeat before
// that can happen, even when its heartbeats fail or block. Times are wall
// clock readings without the monotonic part, which on Linux stands still
// while the machine sleeps.
type lease struct {
	s *Scheduler

	mu        sync.Mutex
	held      bool
	confirmed time.Time
	ctx       context.Context // cancelled when the lease ends; nil while not held
	cancel    context.CancelCauseFunc
	watchdog  *time.Timer // ends the lease at its deadline
}

// errNotLeader tells gocron that this copy does not run jobs now.
var errNotLeader = errors.New("sched: another BanGUI copy runs background tasks")

// elector is gocron's Elector: a job runs only while the lease is valid.
type elector struct{ l *lease }

func (e elector) IsLeader(context.Context) error {
	if e.l.current() == nil {
		return errNotLeader
	}
	return nil
}

func (l *lease) init(s *Scheduler) { l.s = s }

// now returns the wall clock of the cache, without monotonic reading.
func (l *lease) now() time.Time {
	clock := l.s.db.Now
	if clock == nil {
		clock = time.Now
	}
	return clock().Round(0)
}

// trust is how long a confirmation of the row is trusted.
func (l *lease) trust() time.Duration { return l.s.opt.TTL - l.s.opt.Heartbeat }

// current returns the lease's context while this copy holds a valid
// lease, or nil.
func (l *lease) current() context.Context {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.held || !now.Before(l.confirmed.Add(l.trust())) {
		return nil
	}
	return l.ctx
}

// holding reports whether this copy believes it holds the row (valid or
// not yet expired by the loop).
func (l *lease) holding() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.held
}

// confirm records that the row was ours at t (a reading taken before the
// write that proved it), starting the lease if it was not held. It returns
// true when the lease starts.
func (l *lease) confirm(t time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.held && t.Before(l.confirmed) {
		return false // an older confirmation, late
	}
	if l.s.base.Err() != nil {
		return false // stopping
	}
	won := !l.held
	if won {
		l.held = true
		l.ctx, l.cancel = context.WithCancelCause(l.s.base)
	}
	l.confirmed = t
	d := t.Add(l.trust()).Sub(l.now())
	if l.watchdog == nil {
		l.watchdog = time.AfterFunc(d, l.expire)
	} else {
		l.watchdog.Reset(d)
	}
	return won
}

// expire ends the lease if its deadline has passed unconfirmed.
func (l *lease) expire() {
	now := l.now()
	l.mu.Lock()
	if !l.held {
		l.mu.Unlock()
		return
	}
	if deadline := l.confirmed.Add(l.trust()); now.Before(deadline) {
		l.watchdog.Reset(deadline.Sub(now)) // confirmed meanwhile, or the clock moved
		l.mu.Unlock()
		return
	}
	l.endLocked(errLostLock)
	l.mu.Unlock()
	l.s.log.Warn("could not confirm the scheduler lock in time; stopping background tasks",
		"trusted", l.trust())
	l.s.notify()
}

// lose ends the lease: another copy holds the row.
func (l *lease) lose() {
	l.mu.Lock()
	was := l.held
	l.endLocked(errLostLock)
	l.mu.Unlock()
	if was {
		l.s.log.Warn("another BanGUI copy took the scheduler lock over; stopping background tasks")
		l.s.notify()
	}
}

// drop ends the lease for Stop, and reports whether it was held.
func (l *lease) drop() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	was := l.held
	l.endLocked(errStopping)
	return was
}

func (l *lease) endLocked(cause error) {
	if l.watchdog != nil {
		l.watchdog.Stop()
	}
	if l.held {
		l.cancel(cause)
	}
	l.held, l.ctx, l.cancel = false, nil, nil
}

// loop heartbeats the row while this copy holds it and polls for it
// otherwise, until ctx ends; then it closes done.
func (l *lease) loop(ctx context.Context, done chan<- struct{}) {
	defer close(done)
	t := time.NewTimer(l.wait())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if l.holding() {
			l.heartbeat(ctx)
		} else {
			l.tryAcquire(ctx)
		}
		t.Reset(l.wait())
	}
}

func (l *lease) wait() time.Duration {
	if l.holding() {
		return l.s.opt.Heartbeat
	}
	return l.s.opt.Poll
}

// callTimeout bounds one lock query, so that a blocked cache cannot stall
// the loop for long; the watchdog covers the lease meanwhile.
func (l *lease) callTimeout() time.Duration { return max(l.s.opt.Heartbeat, time.Second) }

func (l *lease) heartbeat(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, l.callTimeout())
	defer cancel()
	t := l.now()
	ok, err := l.s.db.Heartbeat(ctx, l.s.me.Instance)
	switch {
	case err != nil:
		l.s.log.Warn("scheduler lock heartbeat failed", "err", err)
	case !ok:
		l.lose()
	default:
		l.confirm(t)
	}
}

// tryAcquire tries once to take the row.
func (l *lease) tryAcquire(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, l.callTimeout())
	defer cancel()
	t := l.now()
	ok, err := l.s.db.AcquireLock(ctx, l.s.me, l.s.opt.TTL)
	if err != nil {
		l.s.log.Warn("could not try the scheduler lock", "err", err)
		return
	}
	if ok && l.confirm(t) {
		l.s.log.Info("took the scheduler lock; running background tasks here")
		l.s.notify()
		l.s.runOverdue()
	}
}
