package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bangui/bangui/core"
)

// Limits of the activity log.
const (
	// MaxActivityArgs is the most arguments stored for one activity. A
	// longer list (a ban of 10,000 addresses) keeps its first
	// MaxActivityArgs entries plus a final "…(+N more)" entry, so one big
	// job does not bloat the cache; the job's result says how many
	// addresses it handled.
	MaxActivityArgs = 1000
	// DefaultActivityLimit is how many activities Activities returns when
	// the filter sets no Limit.
	DefaultActivityLimit = 1000
	// MaxActivityLimit is the most activities Activities returns at once.
	MaxActivityLimit = 100_000
)

// interruptedMessage is the error text MarkInterrupted gives activities
// that had none.
const interruptedMessage = "BanGUI stopped before this action finished: it may or may not have taken effect; check the server"

var _ core.ActivityLog = (*DB)(nil)

const activityColumns = `id, started_at, finished_at, server_id, server_name, jail, action, args, status, result, error`

// Begin records a as running and returns its id (core.ActivityLog). a.ID
// and a.Status are ignored; a zero a.Started means now, by db.Now. An
// a.ServerID that no longer exists is stored as no server, keeping
// a.ServerName. Args beyond MaxActivityArgs are cut (see MaxActivityArgs).
// An empty action or server name is refused with core.EINVALID.
func (db *DB) Begin(ctx context.Context, a core.Activity) (int64, error) {
	a.Action = strings.TrimSpace(a.Action)
	switch {
	case a.Action == "":
		return 0, fmt.Errorf("store: begin activity: %w", core.Errorf(core.EINVALID, "an activity needs an action"))
	case strings.TrimSpace(a.ServerName) == "":
		return 0, fmt.Errorf("store: begin activity %s: %w", a.Action, core.Errorf(core.EINVALID, "an activity needs a server name"))
	}
	started := a.Started
	if started.IsZero() {
		started = db.clock()
	}
	args, err := encodeArgs(a.Args)
	if err != nil {
		return 0, fmt.Errorf("store: begin activity %s: %w", a.Action, err)
	}
	var serverID any // NULL unless given
	if a.ServerID != 0 {
		serverID = a.ServerID
	}
	var id int64
	// The sub-select turns the id of a server deleted meanwhile into NULL
	// instead of a foreign key failure that would block the action.
	err = db.Write.QueryRowContext(ctx, `INSERT INTO activity
		(started_at, server_id, server_name, jail, action, args, status)
		VALUES (?, (SELECT id FROM servers WHERE id = ?), ?, ?, ?, ?, ?) RETURNING id`,
		started.UnixMilli(), serverID, a.ServerName, a.Jail, a.Action, args, core.StatusRunning).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("store: begin activity %s: %w", a.Action, err)
	}
	return id, nil
}

// Finish records the outcome of the running activity id, finished now by
// db.Now (core.ActivityLog). status must be StatusOK, StatusFailed,
// StatusCancelled or StatusInterrupted. An unknown id is an error matching
// core.ErrNotFound; an activity that is already finished is refused with
// core.ECONFLICT and left as it is.
func (db *DB) Finish(ctx context.Context, id int64, status, result, errText string) error {
	switch status {
	case core.StatusOK, core.StatusFailed, core.StatusCancelled, core.StatusInterrupted:
	default:
		return fmt.Errorf("store: finish activity %d: %w", id,
			core.Errorf(core.EINVALID, "%q is not a final activity status", status))
	}
	res, err := db.Write.ExecContext(ctx, `UPDATE activity
		SET finished_at = ?, status = ?, result = ?, error = ?
		WHERE id = ? AND status = 'running'`,
		db.clock().UnixMilli(), status, result, errText, id)
	if err != nil {
		return fmt.Errorf("store: finish activity %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("store: finish activity %d: %w", id, err)
	}
	if n == 1 {
		return nil
	}
	var was string
	err = db.Write.QueryRowContext(ctx, `SELECT status FROM activity WHERE id = ?`, id).Scan(&was)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		err = core.Wrap(core.ErrNotFound, core.ENOTFOUND, fmt.Sprintf("activity #%d is not in the log", id))
	case err == nil:
		err = core.Errorf(core.ECONFLICT, "activity #%d is already finished (%s)", id, was)
	}
	return fmt.Errorf("store: finish activity %d: %w", id, err)
}

// MarkInterrupted marks every activity still running as interrupted and
// returns how many there were. Call it once at start-up, before any action
// runs: running rows then come from a previous run that crashed or was
// killed. Their error explains that the outcome is unknown; finished_at
// stays empty. (Two BanGUI instances sharing one cache would mark each
// other's running actions.)
func (db *DB) MarkInterrupted(ctx context.Context) (int, error) {
	res, err := db.Write.ExecContext(ctx, `UPDATE activity
		SET status = 'interrupted', error = CASE WHEN error = '' THEN ? ELSE error END
		WHERE status = 'running'`, interruptedMessage)
	if err != nil {
		return 0, fmt.Errorf("store: mark interrupted activities: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("store: mark interrupted activities: %w", err)
	}
	return int(n), nil
}

// Activities returns the activities matching f, newest first
// (core.ActivityLog). f.Limit defaults to DefaultActivityLimit and is capped
// at MaxActivityLimit. Times come back in the local zone.
func (db *DB) Activities(ctx context.Context, f core.ActivityFilter) ([]core.Activity, error) {
	var where []string
	var args []any
	add := func(cond string, vals ...any) {
		where = append(where, cond)
		args = append(args, vals...)
	}
	if f.ServerID != 0 {
		add(`server_id = ?`, f.ServerID)
	}
	if f.Jail != "" {
		add(`jail = ?`, f.Jail)
	}
	if f.Action != "" {
		add(`action = ?`, f.Action)
	}
	if f.Status != "" {
		add(`status = ?`, f.Status)
	}
	if t := strings.TrimSpace(f.Text); t != "" {
		p := likePattern(t)
		add(`(jail LIKE ? ESCAPE '\' OR result LIKE ? ESCAPE '\' OR error LIKE ? ESCAPE '\'
			OR EXISTS (SELECT 1 FROM json_each(activity.args) WHERE json_each.value LIKE ? ESCAPE '\'))`,
			p, p, p, p)
	}
	if !f.Since.IsZero() {
		add(`started_at >= ?`, f.Since.UnixMilli())
	}
	if !f.Until.IsZero() {
		add(`started_at < ?`, f.Until.UnixMilli())
	}
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultActivityLimit
	}
	limit = min(limit, MaxActivityLimit)

	q := `SELECT ` + activityColumns + ` FROM activity`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	q += ` ORDER BY started_at DESC, id DESC LIMIT ?`
	args = append(args, limit)

	return queryAll(ctx, db, "list activities", scanActivity, q, args...)
}

func scanActivity(r rowScanner) (core.Activity, error) {
	var a core.Activity
	var started int64
	var finished, server sql.NullInt64
	var args string
	if err := r.Scan(&a.ID, &started, &finished, &server, &a.ServerName, &a.Jail, &a.Action,
		&args, &a.Status, &a.Result, &a.Error); err != nil {
		return a, err
	}
	a.Started = time.UnixMilli(started)
	if finished.Valid {
		a.Finished = time.UnixMilli(finished.Int64)
	}
	a.ServerID = server.Int64
	if err := json.Unmarshal([]byte(args), &a.Args); err != nil {
		return a, fmt.Errorf("activity #%d: unreadable args: %w", a.ID, err)
	}
	return a, nil
}

// encodeArgs returns args as a JSON array of strings, cut to
// MaxActivityArgs entries plus a "…(+N more)" entry. HTML characters are
// not escaped, so the stored text reads as typed.
func encodeArgs(args []string) (string, error) {
	if args == nil {
		args = []string{}
	}
	if n := len(args); n > MaxActivityArgs {
		cut := make([]string, MaxActivityArgs, MaxActivityArgs+1)
		copy(cut, args)
		args = append(cut, fmt.Sprintf("…(+%d more)", n-MaxActivityArgs))
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(args); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// likePattern makes s a LIKE pattern (ESCAPE '\') that matches any text
// containing s literally.
func likePattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(s) + "%"
}

// clock returns db.Now(), or time.Now() when unset, at full precision (the
// activity log keeps milliseconds).
func (db *DB) clock() time.Time {
	if db.Now != nil {
		return db.Now()
	}
	return time.Now()
}
