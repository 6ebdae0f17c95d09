package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bangui/bangui/core"
)

// SyncCursor is where a server's history sync got to in one jail: the
// newest time_of_ban copied and fail2ban's rowid of that row.
type SyncCursor struct {
	Jail      string
	TimeOfBan int64 // unix seconds
	RowID     int64
}

// insertChunk is how many rows one INSERT statement carries: fewer
// statements is most of the sync's speed (SQLite's per-statement cost in
// modernc.org/sqlite is several times its per-row cost).
const insertChunk = 64

const banInsertColumns = 12

// Settings of the writer connection while StoreBans runs. temp_store keeps
// the statement journal of the multi-row inserts (which SQLite needs
// because a foreign key may abort them halfway) in memory rather than in a
// temp file. cache_size lets the indexes of a large history (bans_key,
// bans_ip, ban_ip_total: about 60 MB for a million bans) stay in the page
// cache from one page of a sync to the next, instead of being read again
// and spilled to the WAL mid-transaction; ReleaseWriteCache gives it back.
const (
	storeCacheKiB = 64 << 10
	// defaultCacheKiB is SQLite's default page cache (cache_size -2000).
	defaultCacheKiB = 2000
)

var storePragmas = []string{
	"PRAGMA temp_store = MEMORY",
	"PRAGMA cache_size = -" + strconv.Itoa(storeCacheKiB),
}

// StoreBans copies rows of one server's fail2ban history into the cache and
// moves that server's cursors, in one transaction: a crash loses neither
// rows nor cursor, and a row stored before (same time, server, jail and
// IP) is skipped, so copying a page twice stores it once. The roll-ups
// (ban_daily, ban_daily_geo, ban_ip_total) follow in the same transaction. It returns how
// many rows were new.
//
// Rows need Jail, IP, TimeOfBan and Origin; Server and ServerID are taken
// from serverID.
//
// StoreBans enlarges the writer's page cache for the pages that follow;
// call ReleaseWriteCache after the last one.
func (db *DB) StoreBans(ctx context.Context, serverID int64, rows []core.HistoryBan, cursors []SyncCursor) (int, error) {
	for _, b := range rows {
		if !validOrigin(b.Origin) {
			return 0, fmt.Errorf("store: store bans: %w",
				core.Errorf(core.EINVALID, "ban of %s in %s has no valid origin (%q)", b.IP, b.Jail, b.Origin))
		}
	}
	conn, err := db.Write.Conn(ctx)
	if err != nil {
		return 0, fmt.Errorf("store: store bans: %w", err)
	}
	defer conn.Close()
	for _, p := range storePragmas { // no-ops once set
		if _, err := conn.ExecContext(ctx, p); err != nil {
			return 0, fmt.Errorf("store: store bans: %w", err)
		}
	}
	// Foreign keys off for the transaction: a multi-row insert that a
	// foreign key could abort halfway makes SQLite copy every page it
	// touches to a statement journal, and checks the server once per row.
	// The one reference these rows make (to the server) is checked below
	// instead, under the same write lock.
	if _, err := conn.ExecContext(ctx, "PRAGMA foreign_keys = OFF"); err != nil {
		return 0, fmt.Errorf("store: store bans: %w", err)
	}
	defer restoreForeignKeys(ctx, conn)
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("store: store bans: %w", err)
	}
	defer tx.Rollback()
	var one int
	if err := tx.QueryRowContext(ctx, `SELECT 1 FROM servers WHERE id = ?`, serverID).Scan(&one); errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("store: store bans: %w", core.Errorf(core.ENOTFOUND, "server %d is no longer in the cache", serverID))
	} else if err != nil {
		return 0, fmt.Errorf("store: store bans: %w", err)
	}

	now := db.now().Unix()
	roll := newRollup()
	ins := &inserter{tx: tx, serverID: serverID, now: now, roll: roll}
	defer ins.close()
	for start := 0; start < len(rows); start += insertChunk {
		if err := ins.insert(ctx, rows[start:min(start+insertChunk, len(rows))]); err != nil {
			return 0, fmt.Errorf("store: store bans: %w", err)
		}
	}
	if err := roll.apply(ctx, tx, serverID, 1); err != nil {
		return 0, fmt.Errorf("store: store bans: %w", err)
	}
	for _, c := range cursors {
		_, err := tx.ExecContext(ctx, `INSERT INTO sync_cursor (server_id, jail, time_of_ban, row_id, updated_at)
			VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (server_id, jail) DO UPDATE SET time_of_ban = excluded.time_of_ban,
				row_id = excluded.row_id, updated_at = excluded.updated_at`,
			serverID, c.Jail, c.TimeOfBan, c.RowID, now)
		if err != nil {
			return 0, fmt.Errorf("store: store sync cursor: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("store: store bans: %w", err)
	}
	return roll.rows, nil
}

// restoreForeignKeys turns the writer's foreign keys back on after
// StoreBans (the deletes of servers rely on their cascades); a connection
// where that fails is closed rather than used again.
func restoreForeignKeys(ctx context.Context, conn *sql.Conn) {
	ctx = context.WithoutCancel(ctx)
	var on int
	_, err := conn.ExecContext(ctx, "PRAGMA foreign_keys = ON")
	if err == nil {
		err = conn.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&on)
	}
	if err != nil || on != 1 {
		conn.Raw(func(any) error { return driver.ErrBadConn })
	}
}

// ReleaseWriteCache returns the writer's page cache to SQLite's default
// size after a sync (see StoreBans), freeing the pages above it.
func (db *DB) ReleaseWriteCache(ctx context.Context) error {
	if _, err := db.Write.ExecContext(ctx, "PRAGMA cache_size = -"+strconv.Itoa(defaultCacheKiB)); err != nil {
		return fmt.Errorf("store: release the write cache: %w", err)
	}
	return nil
}

// insertStatements holds the SQL of a multi-row insert of n rows at n,
// for 1 to insertChunk rows.
var insertStatements = func() (q [insertChunk + 1]string) {
	for n := 1; n <= insertChunk; n++ {
		q[n] = `INSERT OR IGNORE INTO bans (server_id, jail, ip, time_of_ban, ban_time, ban_count,
		failures, matches, origin, source, synced_at, country) VALUES ` + rowMarks(n, banInsertColumns) +
			` RETURNING time_of_ban / 86400, jail, origin, country, ip`
	}
	return q
}()

// inserter runs the multi-row inserts of one StoreBans call, preparing
// the statement of a full chunk once.
type inserter struct {
	tx       *sql.Tx
	serverID int64
	now      int64
	roll     *rollup
	full     *sql.Stmt // insertChunk rows
	args     []any
	buf      []byte
	ends     []int
}

func (in *inserter) close() {
	if in.full != nil {
		in.full.Close()
	}
}

func (in *inserter) insert(ctx context.Context, chunk []core.HistoryBan) error {
	// The chunk's log lines in one string, one slice of it per row.
	in.buf, in.ends = in.buf[:0], in.ends[:0]
	for _, b := range chunk {
		in.buf = appendLines(in.buf, b.Matches)
		in.ends = append(in.ends, len(in.buf))
	}
	lines := string(in.buf)
	args := in.args[:0]
	from := 0
	for i, b := range chunk {
		args = append(args, in.serverID, b.Jail, b.IP, b.TimeOfBan.Unix(), int64(b.BanTime/time.Second),
			b.BanCount, b.Failures, lines[from:in.ends[i]], b.Origin, b.Source, in.now, b.Country)
		from = in.ends[i]
	}
	in.args = args
	var rs *sql.Rows
	var err error
	if len(chunk) == insertChunk {
		if in.full == nil {
			if in.full, err = in.tx.PrepareContext(ctx, insertStatements[insertChunk]); err != nil {
				return err
			}
		}
		rs, err = in.full.QueryContext(ctx, args...)
	} else {
		rs, err = in.tx.QueryContext(ctx, insertStatements[len(chunk)], args...)
	}
	if err != nil {
		return err
	}
	defer rs.Close()
	var day int64
	var jail, origin, country, ip sql.RawBytes
	for rs.Next() {
		if err := rs.Scan(&day, &jail, &origin, &country, &ip); err != nil {
			return err
		}
		in.roll.addRaw(day, jail, origin, country, ip)
	}
	return rs.Err()
}

func validOrigin(o string) bool {
	return o == core.OriginAuto || o == core.OriginManual || o == core.OriginBlocklist
}

// rollup gathers the changes of one transaction to the roll-up tables.
type rollup struct {
	days map[dayKey]int
	ips  map[string]ipRoll
	rows int
	// names interns jail, origin and country names (few, repeated on
	// every row).
	names map[string]string
}

type dayKey struct {
	day                   int64
	jail, origin, country string
}

// ipRoll is one address's change: its count, and the country its new
// rows were stored under ("" when they disagree).
type ipRoll struct {
	n       int
	country string
}

func newRollup() *rollup {
	return &rollup{days: map[dayKey]int{}, ips: map[string]ipRoll{}, names: map[string]string{}}
}

func (r *rollup) add(day int64, jail, origin, country, ip string, n int) {
	r.days[dayKey{day, jail, origin, country}] += n
	r.addIP(ip, country, n)
	r.rows += n
}

func (r *rollup) addIP(ip, country string, n int) {
	t, ok := r.ips[ip]
	if ok && t.country != country {
		country = ""
	}
	r.ips[ip] = ipRoll{t.n + n, country}
}

// addRaw is add(day, jail, origin, country, ip, 1) for values scanned as
// sql.RawBytes, copying only what the maps do not hold yet.
func (r *rollup) addRaw(day int64, jail, origin, country, ip []byte) {
	c := r.name(country)
	r.days[dayKey{day, r.name(jail), r.name(origin), c}]++
	if t, ok := r.ips[string(ip)]; ok {
		if t.country != c {
			t.country = ""
		}
		t.n++
		r.ips[string(ip)] = t
	} else {
		r.ips[string(ip)] = ipRoll{1, c}
	}
	r.rows++
}

func (r *rollup) name(b []byte) string {
	if s, ok := r.names[string(b)]; ok {
		return s
	}
	s := string(b)
	r.names[s] = s
	return s
}

// upsertChunk is how many rows one roll-up upsert carries.
const upsertChunk = 256

// apply adds (sign 1) or subtracts (sign -1) the gathered counts, and
// drops roll-up rows that reach zero.
func (r *rollup) apply(ctx context.Context, tx *sql.Tx, serverID int64, sign int) error {
	args := make([]any, 0, 6*min(upsertChunk, max(len(r.days), len(r.ips))))
	n := 0
	flushDays := func(table string, cols int) error {
		if n == 0 {
			return nil
		}
		key := "day, server_id, jail, origin"
		if cols == 6 {
			key += ", country"
		}
		q := `INSERT INTO ` + table + ` (` + key + `, n) VALUES ` + rowMarks(n, cols) +
			` ON CONFLICT (` + key + `) DO UPDATE SET n = n + excluded.n`
		_, err := tx.ExecContext(ctx, q, args...)
		args, n = args[:0], 0
		return err
	}
	// ban_daily_geo by country; ban_daily without it.
	plain := map[dayKey]int{}
	for k, c := range r.days {
		args = append(args, k.day, serverID, k.jail, k.origin, k.country, sign*c)
		plain[dayKey{k.day, k.jail, k.origin, ""}] += c
		if n++; n == upsertChunk {
			if err := flushDays("ban_daily_geo", 6); err != nil {
				return err
			}
		}
	}
	if err := flushDays("ban_daily_geo", 6); err != nil {
		return err
	}
	for k, c := range plain {
		args = append(args, k.day, serverID, k.jail, k.origin, sign*c)
		if n++; n == upsertChunk {
			if err := flushDays("ban_daily", 5); err != nil {
				return err
			}
		}
	}
	if err := flushDays("ban_daily", 5); err != nil {
		return err
	}
	flushIPs := func() error {
		if n == 0 {
			return nil
		}
		// New rows stored under another country than the address's
		// older ones leave it '' (to be located again); removed rows
		// change nothing.
		q := `INSERT INTO ban_ip_total (ip, n, country) VALUES ` + rowMarks(n, 3) +
			` ON CONFLICT (ip) DO UPDATE SET n = n + excluded.n` + ipCountryUpdate[sign > 0]
		_, err := tx.ExecContext(ctx, q, args...)
		args, n = args[:0], 0
		return err
	}
	// In index order: neighbouring upserts share B-tree pages.
	for _, ip := range slices.Sorted(maps.Keys(r.ips)) {
		t := r.ips[ip]
		args = append(args, ip, sign*t.n, t.country)
		if n++; n == upsertChunk {
			if err := flushIPs(); err != nil {
				return err
			}
		}
	}
	if err := flushIPs(); err != nil {
		return err
	}
	if sign < 0 {
		for _, q := range []string{`DELETE FROM ban_daily WHERE n <= 0`, `DELETE FROM ban_daily_geo WHERE n <= 0`} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM ban_ip_total WHERE n <= 0`); err != nil {
			return err
		}
	}
	return nil
}

var ipCountryUpdate = map[bool]string{
	true:  `, country = CASE WHEN country = excluded.country THEN country ELSE '' END`,
	false: ``,
}

// marks returns n placeholders: "?,?,?".
func marks(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// rowMarks returns n rows of cols placeholders: "(?,?),(?,?)".
func rowMarks(n, cols int) string {
	row := "(" + marks(cols) + ")"
	return strings.TrimSuffix(strings.Repeat(row+",", n), ",")
}

// appendLines appends lines as a JSON array of strings, the form the
// matches column keeps (none: nothing).
func appendLines(b []byte, lines []string) []byte {
	if len(lines) == 0 {
		return b
	}
	b = append(b, '[')
	for i, l := range lines {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, l)
	}
	return append(b, ']')
}

// appendJSONString appends s as a JSON string, as encoding/json writes it:
// printable ASCII (the usual log line) is copied, with '"' and '\\'
// escaped; anything else (control characters, non-ASCII, and the '<', '>'
// and '&' that encoding/json escapes) goes through encoding/json.
func appendJSONString(b []byte, s string) []byte {
	escapes := 0
	for i := 0; i < len(s); i++ {
		switch jsonClass[s[i]] {
		case jsonBackslash:
			escapes++
		case jsonOther:
			if !utf8.ValidString(s) {
				s = strings.ToValidUTF8(s, "\uFFFD")
			}
			q, _ := json.Marshal(s) // a string always marshals
			return append(b, q...)
		}
	}
	b = append(b, '"')
	if escapes == 0 {
		b = append(b, s...)
	} else {
		for i := 0; i < len(s); i++ {
			if jsonClass[s[i]] == jsonBackslash {
				b = append(b, '\\')
			}
			b = append(b, s[i])
		}
	}
	return append(b, '"')
}

// jsonClass sorts bytes for appendJSONString.
var jsonClass = func() (t [256]uint8) {
	for c := range t {
		switch {
		case c == '"' || c == '\\':
			t[c] = jsonBackslash
		case c < 0x20 || c > 0x7e || c == '<' || c == '>' || c == '&':
			t[c] = jsonOther
		}
	}
	return t
}()

const (
	jsonPlain     = iota // copied as is
	jsonBackslash        // escaped with a backslash
	jsonOther            // left to encoding/json
)

// decodeLines reads what appendLines wrote.
func decodeLines(s string) []string {
	if s == "" {
		return nil
	}
	var lines []string
	if err := json.Unmarshal([]byte(s), &lines); err != nil {
		return []string{s}
	}
	return lines
}

// SyncCursors returns the cursors of a server's history sync by jail.
func (db *DB) SyncCursors(ctx context.Context, serverID int64) (map[string]SyncCursor, error) {
	rs, err := db.Read.QueryContext(ctx, `SELECT jail, time_of_ban, row_id FROM sync_cursor WHERE server_id = ?`, serverID)
	if err != nil {
		return nil, fmt.Errorf("store: sync cursors: %w", err)
	}
	defer rs.Close()
	out := map[string]SyncCursor{}
	for rs.Next() {
		var c SyncCursor
		if err := rs.Scan(&c.Jail, &c.TimeOfBan, &c.RowID); err != nil {
			return nil, fmt.Errorf("store: sync cursors: %w", err)
		}
		out[c.Jail] = c
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("store: sync cursors: %w", err)
	}
	return out, nil
}

// SetSyncStatus records how a server's last sync went. A zero SyncedAt
// keeps the last successful sync's time and count.
func (db *DB) SetSyncStatus(ctx context.Context, s core.SyncStatus) error {
	_, err := db.Write.ExecContext(ctx, `INSERT INTO sync_state (server_id, attempted_at, synced_at, db_path, copied, error, warning)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (server_id) DO UPDATE SET attempted_at = excluded.attempted_at,
			synced_at = CASE WHEN excluded.synced_at > 0 THEN excluded.synced_at ELSE synced_at END,
			copied = CASE WHEN excluded.synced_at > 0 THEN excluded.copied ELSE copied END,
			db_path = CASE WHEN excluded.db_path <> '' THEN excluded.db_path ELSE db_path END,
			error = excluded.error, warning = excluded.warning`,
		s.ServerID, unixOrZero(s.AttemptedAt), unixOrZero(s.SyncedAt), s.DBPath, s.Copied, s.Error, s.Warning)
	if err != nil {
		return fmt.Errorf("store: set sync status of server %d: %w", s.ServerID, err)
	}
	return nil
}

func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

func timeOrZero(s int64) time.Time {
	if s == 0 {
		return time.Time{}
	}
	return time.Unix(s, 0)
}

// retentionChunk is how many rows one retention transaction deletes, so the
// writer is never held for long.
const retentionChunk = 5000

// DeleteBansBefore deletes cached bans older than cutoff (the retention
// setting), in small transactions that keep the roll-ups exact, and
// returns how many went.
func (db *DB) DeleteBansBefore(ctx context.Context, cutoff time.Time) (int, error) {
	total := 0
	for {
		n, err := db.deleteBansChunk(ctx, cutoff.Unix())
		total += n
		if err != nil {
			return total, fmt.Errorf("store: apply history retention: %w", err)
		}
		if n < retentionChunk {
			return total, nil
		}
	}
}

func (db *DB) deleteBansChunk(ctx context.Context, cutoff int64) (int, error) {
	tx, err := db.Write.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	rs, err := tx.QueryContext(ctx, `DELETE FROM bans WHERE id IN
		(SELECT id FROM bans WHERE time_of_ban < ? ORDER BY time_of_ban LIMIT ?)
		RETURNING server_id, time_of_ban / 86400, jail, origin, country, ip`, cutoff, retentionChunk)
	if err != nil {
		return 0, err
	}
	bySrv := map[int64]*rollup{}
	n := 0
	for rs.Next() {
		var srv, day int64
		var jail, origin, country, ip string
		if err := rs.Scan(&srv, &day, &jail, &origin, &country, &ip); err != nil {
			rs.Close()
			return 0, err
		}
		r := bySrv[srv]
		if r == nil {
			r = newRollup()
			bySrv[srv] = r
		}
		r.add(day, jail, origin, country, ip, 1)
		n++
	}
	if err := rs.Close(); err != nil {
		return 0, err
	}
	for srv, r := range bySrv {
		if err := r.apply(ctx, tx, srv, -1); err != nil {
			return 0, err
		}
	}
	return n, tx.Commit()
}
