package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/bangui/bangui/core"
)

// LockOwner identifies a copy of BanGUI asking for the scheduler lock.
// Instance must be unique per running copy; PID and Hostname are shown to
// the user.
type LockOwner struct {
	Instance string
	PID      int
	Hostname string
}

// interruptedResult is the result given to a task run that was still
// "running" when the copy running it lost the lock without releasing it.
const interruptedResult = "interrupted: the BanGUI copy running it stopped"

// AcquireLock tries to take the scheduler lock (the one scheduler_lock row)
// for me, in one write transaction. It succeeds when nobody holds the row,
// when me already holds it (the heartbeat is refreshed) or when the holder's
// heartbeat is older than ttl; it returns false, with no error, while another
// copy holds a fresh row. When it takes a stale row over, the old holder's
// runs still marked running are marked interrupted in the same transaction.
func (db *DB) AcquireLock(ctx context.Context, me LockOwner, ttl time.Duration) (bool, error) {
	if me.Instance == "" {
		return false, fmt.Errorf("store: acquire lock: %w", core.Errorf(core.EINVALID, "empty instance id"))
	}
	if ttl <= 0 {
		return false, fmt.Errorf("store: acquire lock: %w", core.Errorf(core.EINVALID, "lock TTL must be positive, not %v", ttl))
	}
	ok, err := db.acquireLock(ctx, me, ttl)
	if err != nil {
		return false, fmt.Errorf("store: acquire lock: %w", err)
	}
	return ok, nil
}

func (db *DB) acquireLock(ctx context.Context, me LockOwner, ttl time.Duration) (ok bool, err error) {
	tx, err := db.Write.BeginTx(ctx, nil) // BEGIN IMMEDIATE: no other writer until commit
	if err != nil {
		return false, err
	}
	defer func() {
		if err != nil || !ok {
			_ = tx.Rollback()
		}
	}()

	now := db.clock().UnixMilli()
	var holder string
	var beat int64
	err = tx.QueryRowContext(ctx, `SELECT instance, heartbeat_at FROM scheduler_lock WHERE id = 1`).Scan(&holder, &beat)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		_, err = tx.ExecContext(ctx, `INSERT INTO scheduler_lock (id, instance, pid, hostname, created_at, heartbeat_at)
			VALUES (1, ?, ?, ?, ?, ?)`, me.Instance, me.PID, me.Hostname, now, now)
	case err != nil:
		return false, err
	case holder == me.Instance:
		_, err = tx.ExecContext(ctx, `UPDATE scheduler_lock SET pid = ?, hostname = ?, heartbeat_at = ? WHERE id = 1`,
			me.PID, me.Hostname, now)
	case now-beat > ttl.Milliseconds():
		_, err = tx.ExecContext(ctx, `UPDATE scheduler_lock
			SET instance = ?, pid = ?, hostname = ?, created_at = ?, heartbeat_at = ? WHERE id = 1`,
			me.Instance, me.PID, me.Hostname, now, now)
		if err == nil {
			_, err = tx.ExecContext(ctx, `UPDATE task_state SET status = ?, result = ?, finished_at = ?
				WHERE status = ? AND instance = ?`,
				core.StatusInterrupted, interruptedResult, now, core.StatusRunning, holder)
		}
	default:
		return false, nil // held by a live copy
	}
	if err != nil {
		return false, err
	}
	if err = tx.Commit(); err != nil {
		return false, err
	}
	return true, nil
}

// Heartbeat refreshes the lock row's heartbeat if instance still holds it.
// It returns false, with no error, when the row is gone or held by another
// copy: the caller has lost the lock and must stop its tasks.
func (db *DB) Heartbeat(ctx context.Context, instance string) (bool, error) {
	res, err := db.Write.ExecContext(ctx, `UPDATE scheduler_lock SET heartbeat_at = ? WHERE id = 1 AND instance = ?`,
		db.clock().UnixMilli(), instance)
	if err != nil {
		return false, fmt.Errorf("store: lock heartbeat: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: lock heartbeat: %w", err)
	}
	return n == 1, nil
}

// ReleaseLock deletes the lock row if instance holds it, so that another
// copy can take it at once. Releasing a lock held by another copy, or by
// nobody, does nothing.
func (db *DB) ReleaseLock(ctx context.Context, instance string) error {
	if _, err := db.Write.ExecContext(ctx, `DELETE FROM scheduler_lock WHERE id = 1 AND instance = ?`, instance); err != nil {
		return fmt.Errorf("store: release lock: %w", err)
	}
	return nil
}

// LockHolder returns the copy holding the lock row, or a zero LockHolder
// when nobody does. Self and Stale are left false: only the caller knows
// its own instance and the TTL.
func (db *DB) LockHolder(ctx context.Context) (core.LockHolder, error) {
	var h core.LockHolder
	var created, beat int64
	err := db.Read.QueryRowContext(ctx, `SELECT instance, pid, hostname, created_at, heartbeat_at
		FROM scheduler_lock WHERE id = 1`).Scan(&h.Instance, &h.PID, &h.Hostname, &created, &beat)
	if errors.Is(err, sql.ErrNoRows) {
		return core.LockHolder{}, nil
	}
	if err != nil {
		return core.LockHolder{}, fmt.Errorf("store: lock holder: %w", err)
	}
	h.CreatedAt = time.UnixMilli(created)
	h.HeartbeatAt = time.UnixMilli(beat)
	return h, nil
}
