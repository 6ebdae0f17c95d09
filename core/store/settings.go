package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/bangui/bangui/core"
)

// Setting returns the value stored under key, or an error matching
// core.ErrNotFound when the key has never been set.
func (db *DB) Setting(ctx context.Context, key string) (string, error) {
	var v string
	err := db.Read.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		err = core.Wrap(core.ErrNotFound, core.ENOTFOUND, fmt.Sprintf("setting %q is not set", key))
	}
	if err != nil {
		return "", fmt.Errorf("store: setting %q: %w", key, err)
	}
	return v, nil
}

// SetSetting stores value under key, replacing any previous value. The key
// must not be empty.
func (db *DB) SetSetting(ctx context.Context, key, value string) error {
	if key == "" {
		return fmt.Errorf("store: set setting: %w", core.Errorf(core.EINVALID, "empty setting key"))
	}
	_, err := db.Write.ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
		key, value, db.now().Unix())
	if err != nil {
		return fmt.Errorf("store: set setting %q: %w", key, err)
	}
	return nil
}
