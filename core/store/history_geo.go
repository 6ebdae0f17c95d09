package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/geo"
)

var _ geo.Ledger = (*DB)(nil)

// CountryCounts counts the cached bans matching f by country code, most
// first, over f's range (default: the last 24 hours, as the dashboard).
// Whole UTC days come from the ban_daily_geo roll-up, so a year of a million
// bans costs what two days do. Addresses not located yet count as
// core.CountryUnknown.
func (db *DB) CountryCounts(ctx context.Context, f core.HistoryFilter) ([]core.NamedCount, error) {
	from, to, _, err := db.dashRange(f)
	if err != nil {
		return nil, err
	}
	counts := map[string]int{}
	if f.IP != "" {
		err = countBans(db, ctx, f, from, to, "b.country", counts)
	} else {
		err = countSplit(db, ctx, f, from, to, "country", "b.country", counts)
	}
	if err != nil {
		return nil, fmt.Errorf("store: count bans by country: %w", err)
	}
	if n := counts[""]; n > 0 {
		counts[core.CountryUnknown] += n
		delete(counts, "")
	}
	return namedSorted(counts), nil
}

// TopIPs returns the addresses banned most in f's range (default: the
// last 24 hours), most first, at most core.TopIPLimit.
func (db *DB) TopIPs(ctx context.Context, f core.HistoryFilter) ([]core.NamedCount, error) {
	from, to, _, err := db.dashRange(f)
	if err != nil {
		return nil, err
	}
	f.From, f.To = time.Unix(from, 0), time.Unix(to, 0)
	total, err := db.CountHistory(ctx, f)
	if err != nil {
		return nil, err
	}
	scan := total
	if f.Country != "" && total > 0 {
		all := f
		all.Country = ""
		if scan, err = db.CountHistory(ctx, all); err != nil {
			return nil, err
		}
	}
	top, err := db.topIPs(ctx, f, from, to, total, scan)
	if err != nil {
		return nil, fmt.Errorf("store: top addresses: %w", err)
	}
	return top, nil
}

// IPsToLocate returns up to limit addresses of the history after the
// address after, in address order; with all false, only those not
// located yet or unknown.
func (db *DB) IPsToLocate(ctx context.Context, after string, limit int, all bool) ([]geo.IPCountry, error) {
	q := `SELECT ip, country FROM ban_ip_total WHERE ip > ? ORDER BY ip LIMIT ?`
	if !all {
		q = `SELECT ip, country FROM ban_ip_total WHERE ip > ? AND country IN ('', '?') ORDER BY ip LIMIT ?`
	}
	rs, err := db.Read.QueryContext(ctx, q, after, limit)
	if err != nil {
		return nil, fmt.Errorf("store: addresses to locate: %w", err)
	}
	defer rs.Close()
	var out []geo.IPCountry
	for rs.Next() {
		var c geo.IPCountry
		if err := rs.Scan(&c.IP, &c.Country); err != nil {
			return nil, fmt.Errorf("store: addresses to locate: %w", err)
		}
		out = append(out, c)
	}
	return out, rs.Err()
}

// SetIPCountries moves every ban of each address to its new country, in
// one transaction that keeps ban_daily_geo exact: the rows counted under
// another country are taken off there and added under the new one. It
// returns how many ban rows moved.
func (db *DB) SetIPCountries(ctx context.Context, countries []geo.IPCountry) (int, error) {
	tx, err := db.Write.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("store: set countries: %w", err)
	}
	defer tx.Rollback()
	moved := 0
	for _, c := range countries {
		n, err := moveIP(ctx, tx, c.IP, c.Country)
		if err != nil {
			return 0, fmt.Errorf("store: set the country of %s: %w", c.IP, err)
		}
		moved += n
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("store: set countries: %w", err)
	}
	return moved, nil
}

func moveIP(ctx context.Context, tx *sql.Tx, ip, country string) (int, error) {
	rs, err := tx.QueryContext(ctx, `SELECT server_id, time_of_ban / 86400, jail, origin, country, count(*)
		FROM bans WHERE ip = ? AND country <> ? GROUP BY 1, 2, 3, 4, 5`, ip, country)
	if err != nil {
		return 0, err
	}
	type part struct {
		srv, day             int64
		jail, origin, before string
		n                    int
	}
	var parts []part
	for rs.Next() {
		var p part
		if err := rs.Scan(&p.srv, &p.day, &p.jail, &p.origin, &p.before, &p.n); err != nil {
			rs.Close()
			return 0, err
		}
		parts = append(parts, p)
	}
	if err := rs.Close(); err != nil {
		return 0, err
	}
	moved := 0
	for _, p := range parts {
		if _, err := tx.ExecContext(ctx, `UPDATE ban_daily_geo SET n = n - ?
			WHERE day = ? AND server_id = ? AND jail = ? AND origin = ? AND country = ?`,
			p.n, p.day, p.srv, p.jail, p.origin, p.before); err != nil {
			return 0, err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM ban_daily_geo
			WHERE day = ? AND server_id = ? AND jail = ? AND origin = ? AND country = ? AND n <= 0`,
			p.day, p.srv, p.jail, p.origin, p.before); err != nil {
			return 0, err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO ban_daily_geo (day, server_id, jail, origin, country, n)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (day, server_id, jail, origin, country) DO UPDATE SET n = n + excluded.n`,
			p.day, p.srv, p.jail, p.origin, country, p.n); err != nil {
			return 0, err
		}
		moved += p.n
	}
	if moved > 0 {
		if _, err := tx.ExecContext(ctx, `UPDATE bans SET country = ? WHERE ip = ? AND country <> ?`, country, ip, country); err != nil {
			return 0, err
		}
	}
	_, err = tx.ExecContext(ctx, `UPDATE ban_ip_total SET country = ? WHERE ip = ?`, country, ip)
	return moved, err
}
