package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bangui/bangui/core"
	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

var _ core.BlocklistStore = (*DB)(nil)

const blocklistColumns = `id, name, url, jail, target, schedule, max_entries, unban_dropped, enabled,
	etag, last_modified, created_at, updated_at`

// Blocklists returns every blocklist source, ordered by name.
func (db *DB) Blocklists(ctx context.Context) ([]core.BlocklistSource, error) {
	return queryAll(ctx, db, "list blocklists", scanBlocklist, `SELECT `+blocklistColumns+` FROM blocklist_sources ORDER BY name, id`)
}

// Blocklist returns the source with the given id, or an error matching
// core.ErrNotFound when there is none.
func (db *DB) Blocklist(ctx context.Context, id int64) (core.BlocklistSource, error) {
	row := db.Read.QueryRowContext(ctx, `SELECT `+blocklistColumns+` FROM blocklist_sources WHERE id = ?`, id)
	s, err := scanBlocklist(row)
	if err != nil {
		return core.BlocklistSource{}, fmt.Errorf("store: blocklist %d: %w", id, blocklistNotFound(err, id))
	}
	return s, nil
}

// AddBlocklist validates s (core.ValidateBlocklist), stores it under a new
// id and returns it with its ID, CreatedAt and UpdatedAt set; s.ID, its
// times and its HTTP validators are ignored (a new source has downloaded
// nothing yet). A name already in use is refused with a core.EINVALID
// error.
func (db *DB) AddBlocklist(ctx context.Context, s core.BlocklistSource) (core.BlocklistSource, error) {
	s, err := core.ValidateBlocklist(s)
	if err != nil {
		return core.BlocklistSource{}, fmt.Errorf("store: add blocklist %q: %w", s.Name, err)
	}
	now := db.now()
	s.CreatedAt, s.UpdatedAt = now, now
	s.ETag, s.LastModified = "", ""
	err = db.Write.QueryRowContext(ctx, `INSERT INTO blocklist_sources
		(name, url, jail, target, schedule, max_entries, unban_dropped, enabled, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		s.Name, s.URL, s.Jail, s.Target, s.Schedule, s.MaxEntries, s.UnbanDropped, s.Enabled,
		now.Unix(), now.Unix()).Scan(&s.ID)
	if err != nil {
		return core.BlocklistSource{}, fmt.Errorf("store: add blocklist %q: %w", s.Name, blocklistNameTaken(err, s.Name))
	}
	return s, nil
}

// UpdateBlocklist validates s and replaces the settings of the stored
// source with id s.ID, returning it as stored with UpdatedAt refreshed.
// The HTTP validators are kept (s's are ignored), unless the URL changed:
// then they are cleared, so the next import downloads the new list in
// full. It fails with an error matching core.ErrNotFound when the source
// is gone, and with core.EINVALID when the new name belongs to another
// source.
func (db *DB) UpdateBlocklist(ctx context.Context, s core.BlocklistSource) (core.BlocklistSource, error) {
	s, err := core.ValidateBlocklist(s)
	if err != nil {
		return core.BlocklistSource{}, fmt.Errorf("store: update blocklist %d: %w", s.ID, err)
	}
	// In an UPDATE every expression reads the row as it was, so url = ?
	// compares with the old URL.
	row := db.Write.QueryRowContext(ctx, `UPDATE blocklist_sources SET
		name = ?, url = ?, jail = ?, target = ?, schedule = ?, max_entries = ?,
		unban_dropped = ?, enabled = ?,
		etag = CASE WHEN url = ? THEN etag ELSE '' END,
		last_modified = CASE WHEN url = ? THEN last_modified ELSE '' END,
		updated_at = ?
		WHERE id = ? RETURNING `+blocklistColumns,
		s.Name, s.URL, s.Jail, s.Target, s.Schedule, s.MaxEntries, s.UnbanDropped, s.Enabled,
		s.URL, s.URL, db.now().Unix(), s.ID)
	got, err := scanBlocklist(row)
	if err != nil {
		return core.BlocklistSource{}, fmt.Errorf("store: update blocklist %d: %w", s.ID,
			blocklistNameTaken(blocklistNotFound(err, s.ID), s.Name))
	}
	return got, nil
}

// DeleteBlocklist removes the source with the given id and its entries
// (the addresses stay banned on the servers); its runs stay in the log
// under its name. It fails with an error matching core.ErrNotFound when
// there is none.
func (db *DB) DeleteBlocklist(ctx context.Context, id int64) error {
	res, err := db.Write.ExecContext(ctx, `DELETE FROM blocklist_sources WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("store: delete blocklist %d: %w", id, err)
	}
	return rowsOrNotFound(res, "delete blocklist", id)
}

// SetBlocklistValidators records the HTTP validators (ETag and
// Last-Modified) of the source's last download; UpdatedAt, which dates the
// user's edits, does not change. It fails with an error matching
// core.ErrNotFound when the source is gone.
func (db *DB) SetBlocklistValidators(ctx context.Context, id int64, etag, lastModified string) error {
	res, err := db.Write.ExecContext(ctx, `UPDATE blocklist_sources SET etag = ?, last_modified = ? WHERE id = ?`,
		etag, lastModified, id)
	if err != nil {
		return fmt.Errorf("store: set blocklist %d validators: %w", id, err)
	}
	return rowsOrNotFound(res, "set blocklist validators", id)
}

func rowsOrNotFound(res sql.Result, op string, id int64) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("store: %s %d: %w", op, id, err)
	}
	if n == 0 {
		return fmt.Errorf("store: %s %d: %w", op, id, blocklistNotFound(sql.ErrNoRows, id))
	}
	return nil
}

func scanBlocklist(r rowScanner) (core.BlocklistSource, error) {
	var s core.BlocklistSource
	var created, updated int64
	err := r.Scan(&s.ID, &s.Name, &s.URL, &s.Jail, &s.Target, &s.Schedule, &s.MaxEntries, &s.UnbanDropped, &s.Enabled,
		&s.ETag, &s.LastModified, &created, &updated)
	s.CreatedAt, s.UpdatedAt = time.Unix(created, 0), time.Unix(updated, 0)
	return s, err
}

// blocklistNotFound translates sql.ErrNoRows into a core.ErrNotFound error
// for source id; other errors pass through.
func blocklistNotFound(err error, id int64) error {
	if errors.Is(err, sql.ErrNoRows) {
		return core.Wrap(core.ErrNotFound, core.ENOTFOUND,
			fmt.Sprintf("blocklist #%d no longer exists: it may have been removed; reload the list", id))
	}
	return err
}

// blocklistNameTaken translates a UNIQUE violation on the source's name
// into a core.EINVALID error; other errors pass through.
func blocklistNameTaken(err error, name string) error {
	var se *sqlite.Error
	if errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE {
		return core.Wrap(err, core.EINVALID,
			fmt.Sprintf("the name %q is taken by another blocklist: choose a different name", name))
	}
	return err
}

// entryChunk is how many addresses one statement of
// AddBlocklistEntries or DeleteBlocklistEntries carries, as a JSON array
// that json_each unrolls: one statement per chunk instead of one per
// address, and no limit on bound variables to mind.
const entryChunk = 5000

// BlocklistEntries lists the addresses source banned in jail on server,
// in text order.
func (db *DB) BlocklistEntries(ctx context.Context, sourceID, serverID int64, jail string) ([]string, error) {
	return queryAll(ctx, db, fmt.Sprintf("blocklist %d entries", sourceID), func(r rowScanner) (ip string, err error) {
		err = r.Scan(&ip)
		return ip, err
	}, `SELECT ip FROM blocklist_entries WHERE source_id = ? AND server_id = ? AND jail = ? ORDER BY ip`, sourceID, serverID, jail)
}

// AddBlocklistEntries records that source banned ips in jail on server at
// the given time, in one transaction; addresses recorded already keep
// their first time. It fails with a core.ENOTFOUND error when the source
// or the server is gone (nothing is recorded then).
func (db *DB) AddBlocklistEntries(ctx context.Context, sourceID, serverID int64, jail string, ips []string, at time.Time) error {
	err := db.entriesTx(ctx, ips, `INSERT OR IGNORE INTO blocklist_entries (source_id, server_id, jail, ip, added_at)
		SELECT ?, ?, ?, value, ? FROM json_each(?)`, sourceID, serverID, jail, at.Unix())
	if err != nil {
		return fmt.Errorf("store: add %d entries of blocklist %d on server %d: %w", len(ips), sourceID, serverID,
			entryParentGone(err, sourceID, serverID))
	}
	return nil
}

// DeleteBlocklistEntries forgets that source banned ips in jail on server
// (after it unbanned them), in one transaction. Addresses not recorded
// are ignored.
func (db *DB) DeleteBlocklistEntries(ctx context.Context, sourceID, serverID int64, jail string, ips []string) error {
	err := db.entriesTx(ctx, ips, `DELETE FROM blocklist_entries
		WHERE source_id = ? AND server_id = ? AND jail = ? AND ip IN (SELECT value FROM json_each(?))`,
		sourceID, serverID, jail)
	if err != nil {
		return fmt.Errorf("store: delete %d entries of blocklist %d on server %d: %w", len(ips), sourceID, serverID, err)
	}
	return nil
}

// entriesTx runs q once per chunk of ips, in one transaction. q's last
// parameter is the chunk as a JSON array; args are the others, before it.
func (db *DB) entriesTx(ctx context.Context, ips []string, q string, args ...any) error {
	if len(ips) == 0 {
		return nil
	}
	tx, err := db.Write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, q)
	if err != nil {
		return err
	}
	defer stmt.Close()
	args = append(args, nil)
	for start := 0; start < len(ips); start += entryChunk {
		chunk, err := json.Marshal(ips[start:min(start+entryChunk, len(ips))])
		if err != nil {
			return err
		}
		args[len(args)-1] = string(chunk)
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// entryParentGone translates a foreign key violation of blocklist_entries
// into a core.ENOTFOUND error; other errors pass through.
func entryParentGone(err error, sourceID, serverID int64) error {
	var se *sqlite.Error
	if errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY {
		return core.Wrap(err, core.ENOTFOUND, fmt.Sprintf(
			"blocklist #%d or server #%d no longer exists: it may have been removed during the import", sourceID, serverID))
	}
	return err
}

// BlocklistOrigins returns, for those of ips that a blocklist source
// banned in jail on server, the name of that source (ip → name); when
// several sources banned an address, the one that banned it first. The
// history sync uses it to tell a list's bans from manual ones.
func (db *DB) BlocklistOrigins(ctx context.Context, serverID int64, jail string, ips []string) (map[string]string, error) {
	out := map[string]string{}
	if len(ips) == 0 {
		return out, nil
	}
	arr, err := json.Marshal(ips)
	if err != nil {
		return nil, fmt.Errorf("store: blocklist origins: %w", err)
	}
	rows, err := db.Read.QueryContext(ctx, `SELECT e.ip, s.name FROM blocklist_entries e
		JOIN blocklist_sources s ON s.id = e.source_id
		WHERE e.server_id = ? AND e.jail = ? AND e.ip IN (SELECT value FROM json_each(?))
		ORDER BY e.added_at DESC, e.source_id DESC`, serverID, jail, string(arr))
	if err != nil {
		return nil, fmt.Errorf("store: blocklist origins: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var ip, name string
		if err := rows.Scan(&ip, &name); err != nil {
			return nil, fmt.Errorf("store: blocklist origins: %w", err)
		}
		out[ip] = name // the last row, the first source, wins
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: blocklist origins: %w", err)
	}
	return out, nil
}

// maxBadLines caps the refused lines a run keeps.
const maxBadLines = 100

// AddBlocklistRun appends r to the import log and returns its id. r's
// SourceID and ServerID are recorded only while that source and server
// exist (a run that ends after its source or server was deleted is kept
// under their names); ServerID 0 is the download. BadLines keeps its
// first 100 lines.
func (db *DB) AddBlocklistRun(ctx context.Context, r core.BlocklistRun) (int64, error) {
	switch r.Status {
	case core.RunOK, core.RunUnchanged, core.RunFailed, core.RunCancelled:
	default:
		return 0, fmt.Errorf("store: add blocklist run: %w",
			core.Errorf(core.EINVALID, "unknown run status %q", r.Status))
	}
	bad := r.BadLines
	if len(bad) > maxBadLines {
		bad = bad[:maxBadLines]
	}
	if bad == nil {
		bad = []string{}
	}
	badJSON, err := json.Marshal(bad)
	if err != nil {
		return 0, fmt.Errorf("store: add blocklist run: %w", err)
	}
	var id int64
	err = db.Write.QueryRowContext(ctx, `INSERT INTO blocklist_runs
		(source_id, source_name, server_id, server_name, started_at, duration_ms, bytes, entries,
		 valid, invalid, new_bans, already, unbanned, status, error, bad_lines)
		VALUES ((SELECT id FROM blocklist_sources WHERE id = ?), ?,
			(SELECT id FROM servers WHERE id = ?), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		RETURNING id`,
		r.SourceID, r.Source, r.ServerID, r.Server, r.Started.UnixMilli(), r.Duration.Milliseconds(), r.Bytes,
		r.Entries, r.Valid, r.Invalid, r.NewBans, r.Already, r.Unbanned, r.Status, r.Error, string(badJSON)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("store: add blocklist run of %q: %w", r.Source, err)
	}
	return id, nil
}

// defaultRunLimit is BlocklistRunFilter's Limit when it is 0.
const defaultRunLimit = 500

// BlocklistRuns returns the runs f selects, newest first. Runs of a
// deleted source or server come back with SourceID or ServerID 0 and
// their names.
func (db *DB) BlocklistRuns(ctx context.Context, f core.BlocklistRunFilter) ([]core.BlocklistRun, error) {
	var where []string
	var args []any
	if f.SourceID != 0 {
		where, args = append(where, "source_id = ?"), append(args, f.SourceID)
	}
	if f.ServerID != 0 {
		where, args = append(where, "server_id = ?"), append(args, f.ServerID)
	}
	if f.Status != "" {
		where, args = append(where, "status = ?"), append(args, f.Status)
	}
	if !f.Since.IsZero() {
		where, args = append(where, "started_at >= ?"), append(args, f.Since.UnixMilli())
	}
	q := `SELECT id, coalesce(source_id, 0), source_name, coalesce(server_id, 0), server_name, started_at,
		duration_ms, bytes, entries, valid, invalid, new_bans, already, unbanned, status, error, bad_lines
		FROM blocklist_runs`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = defaultRunLimit
	}
	q += ` ORDER BY started_at DESC, id DESC LIMIT ?`
	args = append(args, limit)
	rows, err := db.Read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: blocklist runs: %w", err)
	}
	defer rows.Close()
	var list []core.BlocklistRun
	for rows.Next() {
		var r core.BlocklistRun
		var started, ms int64
		var bad string
		err := rows.Scan(&r.ID, &r.SourceID, &r.Source, &r.ServerID, &r.Server, &started, &ms, &r.Bytes, &r.Entries,
			&r.Valid, &r.Invalid, &r.NewBans, &r.Already, &r.Unbanned, &r.Status, &r.Error, &bad)
		if err != nil {
			return nil, fmt.Errorf("store: blocklist runs: %w", err)
		}
		r.Started, r.Duration = time.UnixMilli(started), time.Duration(ms)*time.Millisecond
		if err := json.Unmarshal([]byte(bad), &r.BadLines); err != nil {
			r.BadLines = []string{bad}
		}
		if len(r.BadLines) == 0 {
			r.BadLines = nil
		}
		list = append(list, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: blocklist runs: %w", err)
	}
	return list, nil
}
