package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/bangui/bangui/core"
)

var _ core.History = (*DB)(nil)

const (
	hour = int64(3600)
	day  = int64(86400)
	week = 7 * day

	// MaxHistoryPage is the most rows one HistoryPage call returns.
	MaxHistoryPage = 10_000
)

const historyColumns = `b.server_id, coalesce(s.name, ''), b.jail, b.ip, b.time_of_ban, b.ban_time, b.ban_count,
	b.failures, b.origin, b.source, b.country`

const historyOrder = ` ORDER BY b.time_of_ban DESC, b.server_id DESC, b.jail DESC, b.ip DESC`

// HistoryPage returns up to limit cached bans matching f, newest first,
// after the position after (nil: from the newest). Matches are left out
// (see IPTimeline). It walks the bans_key index (keyset paging), so every
// page costs the same, however deep.
func (db *DB) HistoryPage(ctx context.Context, f core.HistoryFilter, after *core.HistoryKey, limit int) ([]core.HistoryBan, error) {
	w, err := historyWhere(f)
	if err != nil {
		return nil, err
	}
	if limit <= 0 || limit > MaxHistoryPage {
		limit = MaxHistoryPage
	}
	if after != nil {
		w.add("(b.time_of_ban, b.server_id, b.jail, b.ip) < (?, ?, ?, ?)", after.TimeOfBan, after.ServerID, after.Jail, after.IP)
	}
	q := `SELECT ` + historyColumns + ` FROM bans b LEFT JOIN servers s ON s.id = b.server_id` + w.String() +
		historyOrder + ` LIMIT ?`
	return db.historyRows(ctx, "read the ban history", false, q, append(w.args, limit)...)
}

// HistorySeek returns the position of the row skip rows after after (nil:
// from the newest) in f's order, or nil when fewer rows follow. It reads
// only the bans_key index when f filters on time and servers alone.
func (db *DB) HistorySeek(ctx context.Context, f core.HistoryFilter, after *core.HistoryKey, skip int) (*core.HistoryKey, error) {
	if skip <= 0 {
		return after, nil
	}
	w, err := historyWhere(f)
	if err != nil {
		return nil, err
	}
	if after != nil {
		w.add("(b.time_of_ban, b.server_id, b.jail, b.ip) < (?, ?, ?, ?)", after.TimeOfBan, after.ServerID, after.Jail, after.IP)
	}
	q := `SELECT b.time_of_ban, b.server_id, b.jail, b.ip FROM bans b` + w.String() + historyOrder + ` LIMIT 1 OFFSET ?`
	var k core.HistoryKey
	err = db.Read.QueryRowContext(ctx, q, append(w.args, skip-1)...).Scan(&k.TimeOfBan, &k.ServerID, &k.Jail, &k.IP)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: seek in the ban history: %w", err)
	}
	return &k, nil
}

// CountHistory counts the cached bans matching f.
//
// Without an IP filter, whole UTC days come from the ban_daily roll-up and
// only the partial days at the ends are counted in bans: a year of a
// million bans costs what two days do.
func (db *DB) CountHistory(ctx context.Context, f core.HistoryFilter) (int, error) {
	w, err := historyWhere(f)
	if err != nil {
		return 0, err
	}
	if f.IP == "" {
		from, to := int64(0), int64(1)<<40 // open ends: all of time
		if !f.From.IsZero() {
			from = f.From.Unix()
		}
		if !f.To.IsZero() {
			to = f.To.Unix()
		}
		if from >= to {
			return 0, nil
		}
		counts := map[int64]int{}
		if err := db.countSplit(ctx, f, from, to, "0", "0", counts); err != nil {
			return 0, fmt.Errorf("store: count the ban history: %w", err)
		}
		return counts[0], nil
	}
	var n int
	if err := db.Read.QueryRowContext(ctx, `SELECT count(*) FROM bans b`+w.String(), w.args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count the ban history: %w", err)
	}
	return n, nil
}

// IPTimeline returns every cached ban of ip on every server, newest first,
// with the matched log lines.
func (db *DB) IPTimeline(ctx context.Context, ip string) ([]core.HistoryBan, error) {
	w := &where{}
	if err := ipCond(w, strings.TrimSpace(ip)); err != nil {
		return nil, err
	}
	q := `SELECT ` + historyColumns + `, b.matches FROM bans b LEFT JOIN servers s ON s.id = b.server_id` + w.String() + historyOrder
	return db.historyRows(ctx, "read the timeline of "+ip, true, q, w.args...)
}

func (db *DB) historyRows(ctx context.Context, what string, withMatches bool, q string, args ...any) ([]core.HistoryBan, error) {
	rs, err := db.Read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	defer rs.Close()
	var out []core.HistoryBan
	for rs.Next() {
		var b core.HistoryBan
		var tob, banTime int64
		var matches string
		dest := []any{&b.ServerID, &b.Server, &b.Jail, &b.IP, &tob, &banTime, &b.BanCount, &b.Failures, &b.Origin, &b.Source, &b.Country}
		if withMatches {
			dest = append(dest, &matches)
		}
		if err := rs.Scan(dest...); err != nil {
			return nil, fmt.Errorf("store: %s: %w", what, err)
		}
		b.TimeOfBan = time.Unix(tob, 0)
		b.BanTime = time.Duration(banTime) * time.Second
		b.Matches = decodeLines(matches)
		out = append(out, b)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	return out, nil
}

// SyncStates returns the last sync of every server that has one.
func (db *DB) SyncStates(ctx context.Context) ([]core.SyncStatus, error) {
	rs, err := db.Read.QueryContext(ctx, `SELECT server_id, attempted_at, synced_at, db_path, copied, error, warning
		FROM sync_state ORDER BY server_id`)
	if err != nil {
		return nil, fmt.Errorf("store: sync states: %w", err)
	}
	defer rs.Close()
	var out []core.SyncStatus
	for rs.Next() {
		var s core.SyncStatus
		var att, syn int64
		if err := rs.Scan(&s.ServerID, &att, &syn, &s.DBPath, &s.Copied, &s.Error, &s.Warning); err != nil {
			return nil, fmt.Errorf("store: sync states: %w", err)
		}
		s.AttemptedAt, s.SyncedAt = timeOrZero(att), timeOrZero(syn)
		out = append(out, s)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("store: sync states: %w", err)
	}
	return out, nil
}

// Newest returns the time of the newest cached ban, zero when there is none.
func (db *DB) Newest(ctx context.Context) (time.Time, error) {
	var t sql.NullInt64
	if err := db.Read.QueryRowContext(ctx, `SELECT max(time_of_ban) FROM bans`).Scan(&t); err != nil {
		return time.Time{}, fmt.Errorf("store: newest cached ban: %w", err)
	}
	if !t.Valid {
		return time.Time{}, nil
	}
	return time.Unix(t.Int64, 0), nil
}

// HistoryJails returns the jail names found in the cached history, sorted.
func (db *DB) HistoryJails(ctx context.Context) ([]string, error) {
	rs, err := db.Read.QueryContext(ctx, `SELECT DISTINCT jail FROM ban_daily ORDER BY jail`)
	if err != nil {
		return nil, fmt.Errorf("store: history jails: %w", err)
	}
	defer rs.Close()
	var out []string
	for rs.Next() {
		var j string
		if err := rs.Scan(&j); err != nil {
			return nil, fmt.Errorf("store: history jails: %w", err)
		}
		out = append(out, j)
	}
	return out, rs.Err()
}

// errNoRange is returned for a filter whose range is empty or reversed.
var errNoRange = errors.New("empty time range")

// dashRange resolves the filter's range (To defaults to now, From to a day
// before To) and the trend's step.
func (db *DB) dashRange(f core.HistoryFilter) (from, to, step int64, err error) {
	to = db.now().Unix()
	if !f.To.IsZero() {
		to = f.To.Unix()
	}
	from = to - day
	if !f.From.IsZero() {
		from = f.From.Unix()
	}
	if from >= to {
		return 0, 0, 0, core.Wrap(errNoRange, core.EINVALID,
			fmt.Sprintf("the time range %s to %s is empty: pick a start before the end", time.Unix(from, 0).Format(time.DateTime), time.Unix(to, 0).Format(time.DateTime)))
	}
	switch span := to - from; {
	case span <= 7*day:
		step = hour
	case span <= 90*day:
		step = day
	default:
		step = week
	}
	return from, to, step, nil
}

// Dashboard returns the dashboard's numbers for f's range (default: the
// last 24 hours) and servers; f's Jail, IP and Origin are ignored. Whole
// UTC days come from the ban_daily roll-up and the partial days at either
// end from the bans table, so the counts are exact and a year costs about
// what a day does.
func (db *DB) Dashboard(ctx context.Context, f core.HistoryFilter) (core.Dashboard, error) {
	from, to, step, err := db.dashRange(f)
	if err != nil {
		return core.Dashboard{}, err
	}
	d := core.Dashboard{From: time.Unix(from, 0), To: time.Unix(to, 0), Step: time.Duration(step) * time.Second}
	sf := core.HistoryFilter{ServerIDs: f.ServerIDs}
	if d.Trend, err = db.trend(ctx, sf, from, to, step); err != nil {
		return d, fmt.Errorf("store: dashboard trend: %w", err)
	}
	for _, b := range d.Trend {
		d.Total += b.Count
	}
	if d.ByJail, err = db.splitCounts(ctx, sf, from, to, "jail"); err != nil {
		return d, fmt.Errorf("store: dashboard bans by jail: %w", err)
	}
	origins, err := db.splitCounts(ctx, sf, from, to, "origin")
	if err != nil {
		return d, fmt.Errorf("store: dashboard origins: %w", err)
	}
	for _, o := range core.Origins {
		if i := slices.IndexFunc(origins, func(c core.NamedCount) bool { return c.Name == o }); i >= 0 {
			d.Origins = append(d.Origins, origins[i])
		}
	}
	if d.TopIPs, err = db.topIPs(ctx, sf, from, to, d.Total, d.Total); err != nil {
		return d, fmt.Errorf("store: dashboard top IPs: %w", err)
	}
	return d, nil
}

// trend counts bans per step. Hour steps count the bans rows (a week is at
// most a few ten thousand index entries); day and week steps add whole days
// from ban_daily to the partial edge days counted from bans.
func (db *DB) trend(ctx context.Context, f core.HistoryFilter, from, to, step int64) ([]core.Bucket, error) {
	counts := map[int64]int{}
	if step == hour {
		if err := db.countBans(ctx, f, from, to, "b.time_of_ban / 3600 * 3600", counts); err != nil {
			return nil, err
		}
	} else if err := db.countSplit(ctx, f, from, to, "day * 86400", "b.time_of_ban / 86400 * 86400", counts); err != nil {
		return nil, err
	}
	first := from / step * step
	if step == week {
		// Weeks end with the range's last day.
		end := (to-1)/day*day + day
		first = end - (end-from+week-1)/week*week
		counts = foldWeeks(counts, first)
	}
	var out []core.Bucket
	for t := first; t < to; t += step {
		out = append(out, core.Bucket{Start: time.Unix(t, 0), Count: counts[t]})
	}
	return out, nil
}

// foldWeeks sums day counts into 7-day buckets starting at first.
func foldWeeks(days map[int64]int, first int64) map[int64]int {
	out := map[int64]int{}
	for t, n := range days {
		out[first+(t-first)/week*week] += n
	}
	return out
}

// splitCounts counts bans by a column of both bans and ban_daily (jail or
// origin), most first.
func (db *DB) splitCounts(ctx context.Context, f core.HistoryFilter, from, to int64, col string) ([]core.NamedCount, error) {
	counts := map[string]int{}
	if err := db.countSplit(ctx, f, from, to, col, "b."+col, counts); err != nil {
		return nil, err
	}
	return namedSorted(counts), nil
}

// namedSorted turns counts into NamedCounts, most first, zeros left out.
func namedSorted(counts map[string]int) []core.NamedCount {
	out := make([]core.NamedCount, 0, len(counts))
	for k, n := range counts {
		if n > 0 {
			out = append(out, core.NamedCount{Name: k, Count: n})
		}
	}
	sortCounts(out)
	return out
}

func sortCounts(c []core.NamedCount) {
	slices.SortFunc(c, func(a, b core.NamedCount) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return strings.Compare(a.Name, b.Name)
	})
}

// countSplit counts [from, to) by key: whole UTC days from ban_daily (or
// ban_daily_geo, see dailyTable; dailyKey over its columns), the partial
// days at the edges from bans (bansKey over b.*).
func countSplit[K comparable](db *DB, ctx context.Context, f core.HistoryFilter, from, to int64, dailyKey, bansKey string, counts map[K]int) error {
	fullFrom := (from + day - 1) / day * day
	fullTo := to / day * day
	if fullFrom >= fullTo { // no whole day inside
		return countBans(db, ctx, f, from, to, bansKey, counts)
	}
	w := &where{}
	w.add("day >= ? AND day < ?", fullFrom/day, fullTo/day)
	if err := serverCond(w, "+server_id", f.ServerIDs); err != nil { // the day range, not ban_daily_server
		return err
	}
	if f.Jail != "" {
		w.add("jail = ?", f.Jail)
	}
	if f.Origin != "" {
		w.add("origin = ?", f.Origin)
	}
	if err := countryCond(w, "country", f.Country); err != nil {
		return err
	}
	q := `SELECT ` + dailyKey + `, sum(n) FROM ` + dailyTable(dailyKey, f.Country, (fullTo-fullFrom)/day) + w.String() + ` GROUP BY 1`
	if err := scanCounts(db, ctx, q, w.args, counts); err != nil {
		return err
	}
	if from < fullFrom {
		if err := countBans(db, ctx, f, from, fullFrom, bansKey, counts); err != nil {
			return err
		}
	}
	if fullTo < to {
		return countBans(db, ctx, f, fullTo, to, bansKey, counts)
	}
	return nil
}

// countryIndexDays: from this many whole days on, the map's totals read
// ban_daily_geo in country order through ban_daily_geo_country (every row
// once, no sort: 29 ms for a year of a million bans in 150 countries,
// against 117 ms by day and a sort, measured in sqlite3); shorter ranges
// read their days by the key. SQLite, without statistics, would not pick
// the index itself.
const countryIndexDays = 90

// dailyTable is the roll-up that serves counts by key: ban_daily_geo when
// the country matters (the key or a filter), ban_daily otherwise.
func dailyTable(key, country string, days int64) string {
	switch {
	case key == "country" && days >= countryIndexDays:
		return "ban_daily_geo INDEXED BY ban_daily_geo_country"
	case key == "country" || country != "":
		return "ban_daily_geo"
	}
	return "ban_daily"
}

// countBans counts bans rows in [from, to) by key.
func countBans[K comparable](db *DB, ctx context.Context, f core.HistoryFilter, from, to int64, key string, counts map[K]int) error {
	f.From, f.To = time.Unix(from, 0), time.Unix(to, 0)
	w, err := historyWhere(f)
	if err != nil {
		return err
	}
	return scanCounts(db, ctx, `SELECT `+key+`, count(*) FROM bans b`+w.String()+` GROUP BY 1`, w.args, counts)
}

func scanCounts[K comparable](db *DB, ctx context.Context, q string, args []any, counts map[K]int) error {
	rs, err := db.Read.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rs.Close()
	for rs.Next() {
		var k K
		var n int
		if err := rs.Scan(&k, &n); err != nil {
			return err
		}
		counts[k] += n
	}
	return rs.Err()
}

// Methods cannot have type parameters; these name the instances used.
func (db *DB) countSplit(ctx context.Context, f core.HistoryFilter, from, to int64, dailyKey, bansKey string, counts any) error {
	switch c := counts.(type) {
	case map[int64]int:
		return countSplit(db, ctx, f, from, to, dailyKey, bansKey, c)
	case map[string]int:
		return countSplit(db, ctx, f, from, to, dailyKey, bansKey, c)
	}
	panic("store: countSplit: unsupported map")
}

func (db *DB) countBans(ctx context.Context, f core.HistoryFilter, from, to int64, key string, counts map[int64]int) error {
	return countBans(db, ctx, f, from, to, key, counts)
}

// Top IPs: counting every address of a year of bans is a scan of the
// whole table. Instead, addresses are visited by their all-time count
// (ban_ip_total, an upper bound of their count in any range), each counted
// in the range through the bans_ip index, until the next address's
// all-time count cannot beat the current tenth. Ranges with few bans are
// simply counted.
var (
	// topIPDirect: at most this many bans in range, count them directly.
	topIPDirect = 50_000
	// topIPProbes: give up on the bound after this many addresses and
	// count directly (data where nobody stands out).
	topIPProbes = 3000
)

// topIPs finds the top addresses of f in [from, to): total is how many
// bans match, scan how many rows counting them directly would read (more
// than total when f filters on the country, which no index of bans
// serves).
func (db *DB) topIPs(ctx context.Context, f core.HistoryFilter, from, to int64, total, scan int) ([]core.NamedCount, error) {
	if total == 0 {
		return nil, nil
	}
	if scan > topIPDirect {
		if top, ok, err := db.topIPsBounded(ctx, f, from, to); err != nil || ok {
			return top, err
		}
	}
	f.From, f.To = time.Unix(from, 0), time.Unix(to, 0)
	w, err := historyWhere(f)
	if err != nil {
		return nil, err
	}
	q := `SELECT b.ip, count(*) AS n FROM bans b` + w.String() + ` GROUP BY b.ip ORDER BY n DESC, b.ip LIMIT ?`
	return namedCounts(ctx, db.Read, q, append(w.args, core.TopIPLimit)...)
}

// namedCounts runs q, whose rows are (name, count).
func namedCounts(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, query string, args ...any) ([]core.NamedCount, error) {
	rs, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []core.NamedCount
	for rs.Next() {
		var c core.NamedCount
		if err := rs.Scan(&c.Name, &c.Count); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rs.Err()
}

func (db *DB) topIPsBounded(ctx context.Context, f core.HistoryFilter, from, to int64) ([]core.NamedCount, bool, error) {
	conn, err := db.Read.Conn(ctx)
	if err != nil {
		return nil, false, err
	}
	defer conn.Close()
	f.From, f.To = time.Unix(from, 0), time.Unix(to, 0)
	fw, err := historyWhere(f)
	if err != nil {
		return nil, false, err
	}
	w := &where{}
	w.add("b.ip = ?", nil)
	w.conds, w.args = append(w.conds, fw.conds...), append(w.args, fw.args...)
	probe, err := conn.PrepareContext(ctx, `SELECT count(*) FROM bans b`+w.String())
	if err != nil {
		return nil, false, err
	}
	defer probe.Close()

	var top []core.NamedCount
	const batch = 256
	probes := 0
	for offset := 0; ; offset += batch {
		cands, err := ipTotals(ctx, conn, f.Country, offset, batch)
		if err != nil {
			return nil, false, err
		}
		for _, c := range cands {
			if len(top) == core.TopIPLimit && c.Count <= top[len(top)-1].Count {
				return top, true, nil
			}
			if probes++; probes > topIPProbes {
				return nil, false, nil
			}
			args := slices.Clone(w.args)
			args[0] = c.Name
			var n int
			if err := probe.QueryRowContext(ctx, args...).Scan(&n); err != nil {
				return nil, false, err
			}
			if n > 0 {
				top = append(top, core.NamedCount{Name: c.Name, Count: n})
				sortCounts(top)
				top = top[:min(len(top), core.TopIPLimit)]
			}
		}
		if len(cands) < batch {
			return top, true, nil
		}
	}
}

// ipTotals returns addresses by their all-time count; with a country,
// those counted under it or not located yet (the probe then counts
// exactly).
func ipTotals(ctx context.Context, conn *sql.Conn, country string, offset, limit int) ([]core.NamedCount, error) {
	if country == "" {
		return namedCounts(ctx, conn, `SELECT ip, n FROM ban_ip_total ORDER BY n DESC, ip DESC LIMIT ? OFFSET ?`, limit, offset)
	}
	return namedCounts(ctx, conn, `SELECT ip, n FROM ban_ip_total WHERE country IN (?, '', '?') ORDER BY n DESC, ip DESC LIMIT ? OFFSET ?`, country, limit, offset)
}
