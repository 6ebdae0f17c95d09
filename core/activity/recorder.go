package activity

import (
	"context"
	"errors"
	"time"

	"github.com/bangui/bangui/core"
)

// finishTimeout bounds the write of an outcome. It runs on a context
// detached from the caller's, because a cancelled action must still be
// recorded as cancelled.
const finishTimeout = 30 * time.Second

// Recorder runs actions between a Begin and a Finish of the activity log.
type Recorder struct {
	Log core.ActivityLog
	// Now stamps the start of each activity; nil means time.Now. The log
	// stamps the end with its own clock.
	Now func() time.Time
}

// Do records a as running, runs run and records the outcome: StatusOK,
// StatusCancelled (for context.Canceled or a core.ECANCELED error) or
// StatusFailed, with the result run returned (also on failure, to say how
// far it got) and the error's user message (core.ErrorMessage).
//
// If Begin fails, run is not called and Do returns that error (a
// *core.Error saying nothing was done): no action runs unlogged. Otherwise
// Do returns run's error as it is, or, if Finish fails, run's error joined
// with Finish's. The outcome is written even when ctx has been cancelled.
// If run panics, the activity stays running until the next start-up marks
// it interrupted.
func (r *Recorder) Do(ctx context.Context, a core.Activity, run func(ctx context.Context) (result string, err error)) error {
	clock := r.Now
	if clock == nil {
		clock = time.Now
	}
	a.Started = clock()
	id, err := r.Log.Begin(ctx, a)
	if err != nil {
		code := core.EINTERNAL
		if ctx.Err() != nil {
			code = core.ECANCELED
		}
		return core.Wrap(err, code,
			"nothing was done: the action could not be written to the activity log first (is the disk full, or the cache file read-only?)")
	}

	result, runErr := run(ctx)

	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
	defer cancel()
	if err := r.Log.Finish(fctx, id, statusOf(runErr), result, core.ErrorMessage(runErr)); err != nil {
		finishErr := core.Wrap(err, core.EINTERNAL,
			"the outcome of this action could not be written to the activity log: it shows as running there until BanGUI restarts")
		return errors.Join(runErr, finishErr)
	}
	return runErr
}

// statusOf returns the activity status for an action's error: StatusOK for
// nil, StatusCancelled for context.Canceled or a core.ECANCELED error, and
// StatusFailed for anything else (a timeout included).
func statusOf(err error) string {
	switch {
	case err == nil:
		return core.StatusOK
	case errors.Is(err, context.Canceled) || core.ErrorCode(err) == core.ECANCELED:
		return core.StatusCancelled
	}
	return core.StatusFailed
}
