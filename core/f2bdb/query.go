package f2bdb

import (
	"context"
	"database/sql"
	"errors"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// MaxLimit caps the rows one Bans call returns.
const MaxLimit = 10_000

// BanRecord is one row of fail2ban's bans (history) or bips (current/last
// ban per IP and jail) table.
type BanRecord struct {
	Jail string
	// IP is the address as fail2ban wrote it (IPv6 in its canonical,
	// lower-case compressed form).
	IP string
	// TimeOfBan is when the ban started (fail2ban stores unix seconds).
	TimeOfBan time.Time
	// BanTime is the ban's length: -1s for a permanent ban, -2s when
	// unknown (rows of layout version 2, or migrated from it).
	BanTime time.Duration
	// BanCount counts this IP's bans in the jail when bantime.increment is
	// on (1 otherwise, and for layout version 2).
	BanCount int
	// Failures is the failure count that led to the ban; 0 for a manual
	// ban ("set <jail> banip").
	Failures int
	// Matches are the log lines that matched (at most fail2ban's
	// dbmaxmatches, and see MaxMatches and MaxMatchBytes); empty for a
	// manual ban.
	Matches []string
	// Extra holds the data column's other keys, such as "ip4", "ip6",
	// "dns" or "fid" (the failregex's named groups); nil when none.
	Extra map[string]string
	// RowID is the row's SQLite rowid. See Bans for what it can and cannot
	// be trusted for.
	RowID int64
	// DataErr is set when the data column could not be decoded; Failures,
	// Matches and Extra are then empty, the other fields are still valid.
	DataErr error
}

// End returns when the ban ends, and false for a permanent or unknown
// BanTime.
func (r BanRecord) End() (time.Time, bool) {
	if r.BanTime < 0 {
		return time.Time{}, false
	}
	return r.TimeOfBan.Add(r.BanTime), true
}

// Active reports whether the ban still runs at now, as fail2ban decides it
// when it restores bans (a permanent or unknown BanTime counts as running).
func (r BanRecord) Active(now time.Time) bool {
	end, ok := r.End()
	return !ok || end.After(now)
}

// Key returns the key Failures uses: jail + "|" + ip.
func Key(jail, ip string) string { return jail + "|" + ip }

// rowSQL returns the columns of a query over bans (or bips when bips):
// rowid, jail, ip, timeofban, bantime, bancount, data (NULL when larger
// than MaxDataBytes, which the next column then gives), length(data).
func (db *DB) rowSQL(table string, aggregate bool) string {
	rowid := "rowid"
	if aggregate {
		// SQLite takes the other columns from the row holding max(rowid).
		rowid = "max(rowid)"
	}
	banTime, banCount := "bantime", "bancount"
	if table == "bans" && !db.layout.hasBanTime {
		banTime = "-2"
	}
	if table == "bans" && !db.layout.hasBanCount {
		banCount = "1"
	}
	return "SELECT " + rowid + ", jail, ip, timeofban, " + banTime + ", " + banCount +
		", CASE WHEN length(data) > " + strconv.Itoa(MaxDataBytes) + " THEN NULL ELSE data END, length(data) FROM " + table
}

// currentSQL selects the current/last ban per (jail, ip): bips, or for
// layouts before version 4 the newest bans row of each pair.
func (db *DB) currentSQL() string {
	if db.layout.hasBips {
		return db.rowSQL("bips", false) + " ORDER BY jail, ip"
	}
	return db.rowSQL("bans", true) + " GROUP BY jail, ip ORDER BY jail, ip"
}

// Current returns the current/last ban of every (jail, IP) pair, sorted by
// jail and IP: fail2ban's bips table. Expired bans stay in it until
// fail2ban's hourly purge (see Active); unbanned ones are gone.
func (db *DB) Current(ctx context.Context) ([]BanRecord, error) {
	return db.records(ctx, "reading the current bans from", db.currentSQL())
}

// Bans returns up to limit rows of the bans table (the history, one row
// per ban) with a rowid greater than afterRowID, by increasing rowid; only
// jail's rows unless jail is "". limit <= 0 or above MaxLimit means
// MaxLimit. Pass the last RowID seen to get the rows written since.
//
// The rowid is not a stable identity: bans has no INTEGER PRIMARY KEY
// (nor AUTOINCREMENT), so when the newest rows are deleted (unbanip) SQLite
// hands their rowids out again, and a table emptied by "unban --all", or by
// the hourly purge on a quiet server, starts again at 1. A caller that keeps a cursor must check that the row at its
// cursor is still the one it saw (jail, IP and TimeOfBan), and compare
// LastRowID with its cursor.
func (db *DB) Bans(ctx context.Context, jail string, afterRowID int64, limit int) ([]BanRecord, error) {
	if limit <= 0 || limit > MaxLimit {
		limit = MaxLimit
	}
	q := db.rowSQL("bans", false) + " WHERE rowid > ?"
	args := []any{afterRowID}
	if jail != "" {
		q += " AND jail = ?"
		args = append(args, jail)
	}
	q += " ORDER BY rowid LIMIT ?"
	args = append(args, limit)
	return db.records(ctx, "reading the ban history from", q, args...)
}

// LastRowID returns the largest rowid in bans, 0 when the table is empty.
func (db *DB) LastRowID(ctx context.Context) (int64, error) {
	var n int64
	err := db.sql.QueryRowContext(ctx, "SELECT coalesce(max(rowid), 0) FROM bans").Scan(&n)
	if err != nil {
		return 0, db.queryError(ctx, err, "reading the ban history from")
	}
	return n, nil
}

// Failures returns the failure count of the current/last ban of every
// (jail, IP) pair, keyed by Key(jail, ip); 0 for manual bans and for rows
// whose data cannot be read.
func (db *DB) Failures(ctx context.Context) (map[string]int, error) {
	raws, err := db.query(ctx, "reading the failure counts from", db.currentSQL())
	if err != nil {
		return nil, err
	}
	out := make(map[string]int, len(raws))
	for _, r := range raws {
		n, _ := decodeFailures(r.data)
		out[Key(r.rec.Jail, r.rec.IP)] = n
	}
	return out, nil
}

// rawRow is a scanned row whose data column is not decoded yet.
type rawRow struct {
	rec     BanRecord
	data    []byte
	dataLen int64
}

// records runs q (columns as rowSQL gives them) and decodes the rows.
func (db *DB) records(ctx context.Context, what, q string, args ...any) ([]BanRecord, error) {
	return db.recordsHint(ctx, what, 0, q, args...)
}

// recordsHint is records for a query expected to return about hint rows.
func (db *DB) recordsHint(ctx context.Context, what string, hint int, q string, args ...any) ([]BanRecord, error) {
	raws, err := db.queryHint(ctx, what, hint, q, args...)
	if err != nil {
		return nil, err
	}
	out := make([]BanRecord, len(raws))
	var dec fastDecoder
	for i, r := range raws {
		rec := r.rec
		if r.data == nil && r.dataLen > MaxDataBytes {
			rec.DataErr = errors.New("data is " + strconv.FormatInt(r.dataLen, 10) + " bytes, more than " +
				strconv.Itoa(MaxDataBytes) + ": not decoded")
		} else {
			rec.Failures, rec.Matches, rec.Extra, rec.DataErr = dec.column(r.data, true)
		}
		out[i] = rec
	}
	return out, nil
}

// query runs q and copies the rows out. The statement (and so the read
// transaction, and the shared lock fail2ban's writes wait for) ends before
// any JSON is decoded.
func (db *DB) query(ctx context.Context, what, q string, args ...any) ([]rawRow, error) {
	return db.queryHint(ctx, what, 0, q, args...)
}

// dataBlock is the size of the blocks that the data columns of one query
// are copied into (one allocation for many rows).
const dataBlock = 1 << 20

// queryHint is query for about hint rows.
func (db *DB) queryHint(ctx context.Context, what string, hint int, q string, args ...any) ([]rawRow, error) {
	rows, err := db.sql.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, db.queryError(ctx, err, what)
	}
	out := make([]rawRow, 0, hint)
	var block []byte
	for rows.Next() {
		var (
			r                            rawRow
			jail, ip                     *string
			timeOfBan, banTime, banCount any
			data                         sql.RawBytes // the driver's; copied below
			dataLen                      *int64
		)
		if err := rows.Scan(&r.rec.RowID, &jail, &ip, &timeOfBan, &banTime, &banCount, &data, &dataLen); err != nil {
			rows.Close()
			return nil, db.queryError(ctx, err, what)
		}
		if jail != nil {
			r.rec.Jail = *jail
		}
		if ip != nil {
			r.rec.IP = *ip
		}
		sec, _ := toInt64(timeOfBan)
		r.rec.TimeOfBan = time.Unix(sec, 0)
		bt, _ := toInt64(banTime)
		r.rec.BanTime = seconds(bt)
		bc, _ := toInt64(banCount)
		r.rec.BanCount = int(max(min(bc, math.MaxInt32), 0))
		if data != nil { // NULL stays nil
			if len(data) > cap(block)-len(block) {
				block = make([]byte, 0, max(dataBlock, len(data)))
			}
			start := len(block)
			block = append(block, data...)
			r.data = block[start:len(block):len(block)]
		}
		if dataLen != nil {
			r.dataLen = *dataLen
		}
		out = append(out, r)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, db.queryError(ctx, err, what)
	}
	return out, nil
}

// seconds converts fail2ban's bantime to a Duration, saturating.
func seconds(n int64) time.Duration {
	const maxSec = int64(math.MaxInt64 / time.Second)
	return time.Duration(max(min(n, maxSec), -maxSec)) * time.Second
}

// toInt64 reads an SQLite value as an integer: REAL is rounded (as
// fail2ban does), text parsed. ok is false for NULL and garbage.
func toInt64(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case float64:
		if math.IsNaN(x) {
			return 0, false
		}
		return int64(max(min(math.Round(x), math.MaxInt64/2), math.MinInt64/2)), true
	case []byte:
		return toInt64(string(x))
	case string:
		s := strings.TrimSpace(x)
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n, true
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return toInt64(f)
		}
	}
	return 0, false
}

// Jails returns the names of every jail that has history rows or is in
// the jails table (running and stopped ones), sorted. Rows of a jail
// missing from the jails table (fail2ban enforces the reference only while
// foreign_keys is on) are found too: the bans index is walked one jail at a
// time, an index seek each.
func (db *DB) Jails(ctx context.Context) ([]string, error) {
	seen := map[string]bool{}
	rows, err := db.sql.QueryContext(ctx, "SELECT name FROM jails")
	if err != nil {
		return nil, db.queryError(ctx, err, "reading the jails of")
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return nil, db.queryError(ctx, err, "reading the jails of")
		}
		seen[name] = true
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, db.queryError(ctx, err, "reading the jails of")
	}
	last := ""
	for {
		var next *string
		err := db.sql.QueryRowContext(ctx, "SELECT min(jail) FROM bans WHERE jail > ?", last).Scan(&next)
		if err != nil {
			return nil, db.queryError(ctx, err, "reading the jails of")
		}
		if next == nil {
			break
		}
		seen[*next], last = true, *next
	}
	return slices.Sorted(maps.Keys(seen)), nil
}

// BansAfter returns up to limit rows of jail's history whose (timeofban,
// rowid) comes after (afterTime, afterRowID), in that order: a keyset walk
// over fail2ban's bans_jail_timeofban_ip index. It is how the history sync
// pages through a jail; see Bans for why a rowid alone cannot be a cursor.
// limit <= 0 or above MaxLimit means MaxLimit.
func (db *DB) BansAfter(ctx context.Context, jail string, afterTime time.Time, afterRowID int64, limit int) ([]BanRecord, error) {
	if limit <= 0 || limit > MaxLimit {
		limit = MaxLimit
	}
	t := afterTime.Unix()
	q := db.rowSQL("bans", false) + " WHERE jail = ? AND timeofban >= ? AND (timeofban > ? OR rowid > ?)" +
		" ORDER BY timeofban, rowid LIMIT ?"
	return db.recordsHint(ctx, "reading the ban history from", limit, q, jail, t, t, afterRowID, limit)
}
