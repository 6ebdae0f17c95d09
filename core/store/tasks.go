package store

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bangui/bangui/core"
)

// MaxTaskResult is the longest task result kept, in bytes; longer ones are
// cut at a character boundary and end with "…".
const MaxTaskResult = 4096

// TaskStarted records that instance started a run of the task name, now by
// db.Now. The previous run's end time is kept until TaskFinished.
func (db *DB) TaskStarted(ctx context.Context, name, instance string) error {
	if strings.TrimSpace(name) == "" {
		return fmt.Errorf("store: task started: %w", core.Errorf(core.EINVALID, "empty task name"))
	}
	_, err := db.Write.ExecContext(ctx, `INSERT INTO task_state (name, started_at, status, result, instance)
		VALUES (?, ?, ?, '', ?)
		ON CONFLICT (name) DO UPDATE SET started_at = excluded.started_at, status = excluded.status,
			result = '', instance = excluded.instance`,
		name, db.clock().UnixMilli(), core.StatusRunning, instance)
	if err != nil {
		return fmt.Errorf("store: task %q started: %w", name, err)
	}
	return nil
}

// TaskFinished records the outcome of instance's run of the task name,
// finished now by db.Now. status must be core.StatusOK, StatusFailed or
// StatusCancelled; result is a summary or an error message, cut to
// MaxTaskResult bytes.
func (db *DB) TaskFinished(ctx context.Context, name, instance, status, result string) error {
	switch status {
	case core.StatusOK, core.StatusFailed, core.StatusCancelled:
	default:
		return fmt.Errorf("store: task %q finished: %w", name,
			core.Errorf(core.EINVALID, "%q is not a final task status", status))
	}
	_, err := db.Write.ExecContext(ctx, `INSERT INTO task_state (name, finished_at, status, result, instance)
		VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET finished_at = excluded.finished_at, status = excluded.status,
			result = excluded.result, instance = excluded.instance`,
		name, db.clock().UnixMilli(), status, cutTaskResult(result, MaxTaskResult), instance)
	if err != nil {
		return fmt.Errorf("store: task %q finished: %w", name, err)
	}
	return nil
}

// TaskStates returns the last run of every task that ever ran, by name.
// Only the run fields of core.TaskInfo are set: Name, LastStart, LastEnd,
// Status, Result and RanBy.
func (db *DB) TaskStates(ctx context.Context) (map[string]core.TaskInfo, error) {
	rows, err := db.Read.QueryContext(ctx, `SELECT name, started_at, finished_at, status, result, instance FROM task_state`)
	if err != nil {
		return nil, fmt.Errorf("store: task states: %w", err)
	}
	defer rows.Close()
	states := make(map[string]core.TaskInfo)
	for rows.Next() {
		var t core.TaskInfo
		var started, finished int64
		if err := rows.Scan(&t.Name, &started, &finished, &t.Status, &t.Result, &t.RanBy); err != nil {
			return nil, fmt.Errorf("store: task states: %w", err)
		}
		t.LastStart, t.LastEnd = taskTime(started), taskTime(finished)
		states[t.Name] = t
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: task states: %w", err)
	}
	return states, nil
}

// cutTaskResult returns s cut to at most n bytes at a character boundary, ending
// with "…" when it was cut.
func cutTaskResult(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const ellipsis = "…"
	s = s[:n-len(ellipsis)]
	for len(s) > 0 {
		if r, size := utf8.DecodeLastRuneInString(s); r != utf8.RuneError || size != 1 {
			break
		}
		s = s[:len(s)-1] // part of a character cut in two
	}
	return s + ellipsis
}

// taskTime converts unix milliseconds to a time, keeping 0 as the zero time.
func taskTime(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}
