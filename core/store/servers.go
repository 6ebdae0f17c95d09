package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/bangui/bangui/core"
	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// MaxServerNameLen is the longest server name accepted, in characters.
const MaxServerNameLen = core.MaxServerNameLen

const serverColumns = `id, name, kind, socket, config_dir, host, port, user, grp, transport, auth, created_at, updated_at`

// Servers returns every server, ordered by name.
func (db *DB) Servers(ctx context.Context) ([]core.Server, error) {
	return queryAll(ctx, db, "list servers", scanServer, `SELECT `+serverColumns+` FROM servers ORDER BY name, id`)
}

// Server returns the server with the given id, or an error matching
// core.ErrNotFound when there is none.
func (db *DB) Server(ctx context.Context, id int64) (core.Server, error) {
	row := db.Read.QueryRowContext(ctx, `SELECT `+serverColumns+` FROM servers WHERE id = ?`, id)
	s, err := scanServer(row)
	if err != nil {
		return core.Server{}, fmt.Errorf("store: server %d: %w", id, notFound(err, id))
	}
	return s, nil
}

// AddServer validates s, stores it under a new id and returns it with its
// ID, CreatedAt and UpdatedAt set; s.ID and s's times are ignored. A name
// already in use is refused with a core.EINVALID error.
func (db *DB) AddServer(ctx context.Context, s core.Server) (core.Server, error) {
	s, err := cleanServer(s)
	if err != nil {
		return core.Server{}, fmt.Errorf("store: add server %q: %w", s.Name, err)
	}
	now := db.now()
	s.CreatedAt, s.UpdatedAt = now, now
	err = db.Write.QueryRowContext(ctx, `INSERT INTO servers
		(name, kind, socket, config_dir, host, port, user, grp, transport, auth, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		s.Name, s.Kind, s.Socket, s.ConfigDir, s.Host, s.Port, s.User, s.Group, s.Transport, s.Auth, now.Unix(), now.Unix()).Scan(&s.ID)
	if err != nil {
		return core.Server{}, fmt.Errorf("store: add server %q: %w", s.Name, nameTaken(err, s.Name))
	}
	return s, nil
}

// UpdateServer validates s and replaces the stored server with id s.ID,
// returning it with UpdatedAt refreshed. It fails with an error matching
// core.ErrNotFound when the server is gone, and with core.EINVALID when the
// new name belongs to another server.
func (db *DB) UpdateServer(ctx context.Context, s core.Server) (core.Server, error) {
	s, err := cleanServer(s)
	if err != nil {
		return core.Server{}, fmt.Errorf("store: update server %d: %w", s.ID, err)
	}
	s.UpdatedAt = db.now()
	var created int64
	err = db.Write.QueryRowContext(ctx, `UPDATE servers SET
		name = ?, kind = ?, socket = ?, config_dir = ?, host = ?, port = ?, user = ?,
		grp = ?, transport = ?, auth = ?, updated_at = ?
		WHERE id = ? RETURNING created_at`,
		s.Name, s.Kind, s.Socket, s.ConfigDir, s.Host, s.Port, s.User, s.Group, s.Transport, s.Auth, s.UpdatedAt.Unix(), s.ID).Scan(&created)
	if err != nil {
		return core.Server{}, fmt.Errorf("store: update server %d: %w", s.ID, nameTaken(notFound(err, s.ID), s.Name))
	}
	s.CreatedAt = time.Unix(created, 0)
	return s, nil
}

// DeleteServer removes the server with the given id. It fails with an error
// matching core.ErrNotFound when there is none.
func (db *DB) DeleteServer(ctx context.Context, id int64) error {
	res, err := db.Write.ExecContext(ctx, `DELETE FROM servers WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("store: delete server %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("store: delete server %d: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("store: delete server %d: %w", id, notFound(sql.ErrNoRows, id))
	}
	return nil
}

// cleanServer trims s's text fields and checks the rules the UI shows to
// the user (core.ValidateServer).
func cleanServer(s core.Server) (core.Server, error) { return core.ValidateServer(s) }

// rowScanner is what *sql.Row and *sql.Rows have in common.
type rowScanner interface {
	Scan(dest ...any) error
}

func scanServer(r rowScanner) (core.Server, error) {
	var s core.Server
	var created, updated int64
	err := r.Scan(&s.ID, &s.Name, &s.Kind, &s.Socket, &s.ConfigDir, &s.Host, &s.Port, &s.User, &s.Group, &s.Transport, &s.Auth, &created, &updated)
	s.CreatedAt, s.UpdatedAt = time.Unix(created, 0), time.Unix(updated, 0)
	return s, err
}

// notFound translates sql.ErrNoRows into a core.ErrNotFound error for server
// id, with a user-safe message; other errors pass through.
func notFound(err error, id int64) error {
	if errors.Is(err, sql.ErrNoRows) {
		return core.Wrap(core.ErrNotFound, core.ENOTFOUND,
			fmt.Sprintf("server #%d no longer exists: it may have been removed; reload the list", id))
	}
	return err
}

// nameTaken translates a UNIQUE violation on servers.name into a
// core.EINVALID error; other errors pass through.
func nameTaken(err error, name string) error {
	var se *sqlite.Error
	if errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE {
		return core.Wrap(err, core.EINVALID,
			fmt.Sprintf("the name %q is taken by another server: choose a different name", name))
	}
	return err
}
