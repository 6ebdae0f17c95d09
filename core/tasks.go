package core

import (
	"context"
	"time"
)

// LockHolder describes the copy of BanGUI that holds the scheduler lock and
// so runs the background tasks. A zero Instance means nobody holds it.
type LockHolder struct {
	Instance    string // random id of the copy, new at every start
	PID         int
	Hostname    string
	CreatedAt   time.Time // when this copy took the lock
	HeartbeatAt time.Time // its last heartbeat
	// Self is true when the holder is the copy asking.
	Self bool
	// Stale is true when the heartbeat is older than the lock's TTL: the
	// holder is probably gone, and any copy may take the lock over.
	Stale bool
}

// TaskInfo is one background task as the UI lists it: what it is, when it
// last ran (in any copy) and when it runs next.
type TaskInfo struct {
	Name     string // stable key, e.g. "sync"
	Title    string // for people, e.g. "Copy ban history"
	Interval time.Duration
	// LastStart and LastEnd bound the last run; LastEnd is before
	// LastStart while a run is in progress (or was interrupted).
	LastStart, LastEnd time.Time
	// NextRun is the next scheduled run: exact in the copy that holds the
	// lock, an estimate (LastStart+Interval) elsewhere; zero when unknown
	// or when the task only runs on demand.
	NextRun time.Time
	// Status is "" (never ran) or one of the activity statuses:
	// StatusRunning, StatusOK, StatusFailed, StatusCancelled (stopped by a
	// shutdown or a lost lock) or StatusInterrupted (the copy running it
	// died, and another copy took the lock over).
	Status string
	// Result is the run's summary, or its error message when it failed.
	Result string
	// RanBy is the Instance of the copy that ran it last.
	RanBy string
	// Running is true while a run is in progress in this copy.
	Running bool
}

// Tasks is the background-task view the UI consumes: who runs the tasks,
// their state, and a way to run one at once.
//
// Methods are safe for concurrent use. Holder and Tasks block on the cache
// and honour ctx. RunNow does not block: it starts the run in the background
// and returns; it fails with ENOTFOUND for an unknown task, ECONFLICT when
// the task is already running in this copy, and ECANCELED after shutdown.
type Tasks interface {
	Holder(ctx context.Context) (LockHolder, error)
	Tasks(ctx context.Context) ([]TaskInfo, error)
	RunNow(name string) error
	// Cancel stops the run of a task going on in this copy (a "run now"
	// or a scheduled run); the run records "Cancelled". ENOTFOUND for an
	// unknown task, ECONFLICT when it is not running here.
	Cancel(name string) error
}
