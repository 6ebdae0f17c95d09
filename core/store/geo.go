package store

import (
	"context"
	"fmt"
	"time"

	"github.com/bangui/bangui/core/geo"
)

var _ geo.Cache = (*DB)(nil)

// LoadGeo calls fn for every row of geo_cache.
func (db *DB) LoadGeo(ctx context.Context, fn func(geo.CacheRow)) error {
	rs, err := db.Read.QueryContext(ctx, `SELECT ip, country, asn, org, source, resolved_at, last_seen, retry_at FROM geo_cache`)
	if err != nil {
		return fmt.Errorf("store: read the geo cache: %w", err)
	}
	defer rs.Close()
	for rs.Next() {
		var r geo.CacheRow
		var asn, resolved, seen, retry int64
		if err := rs.Scan(&r.IP, &r.Country, &asn, &r.Org, &r.Source, &resolved, &seen, &retry); err != nil {
			return fmt.Errorf("store: read the geo cache: %w", err)
		}
		r.ASN = uint32(asn)
		r.ResolvedAt, r.LastSeen, r.RetryAt = timeOrZero(resolved), timeOrZero(seen), timeOrZero(retry)
		fn(r)
	}
	if err := rs.Err(); err != nil {
		return fmt.Errorf("store: read the geo cache: %w", err)
	}
	return nil
}

// geoChunk is how many rows one geo_cache statement carries.
const geoChunk = 200

// PutGeo inserts or replaces geo_cache rows, in one transaction.
func (db *DB) PutGeo(ctx context.Context, rows []geo.CacheRow) error {
	tx, err := db.Write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: write the geo cache: %w", err)
	}
	defer tx.Rollback()
	for start := 0; start < len(rows); start += geoChunk {
		chunk := rows[start:min(start+geoChunk, len(rows))]
		args := make([]any, 0, 8*len(chunk))
		for _, r := range chunk {
			args = append(args, r.IP, r.Country, int64(r.ASN), r.Org, r.Source,
				unixOrZero(r.ResolvedAt), unixOrZero(r.LastSeen), unixOrZero(r.RetryAt))
		}
		if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO geo_cache
			(ip, country, asn, org, source, resolved_at, last_seen, retry_at) VALUES `+rowMarks(len(chunk), 8), args...); err != nil {
			return fmt.Errorf("store: write the geo cache: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: write the geo cache: %w", err)
	}
	return nil
}

// TouchGeo sets last_seen of the geo_cache rows of ips to at.
func (db *DB) TouchGeo(ctx context.Context, ips []string, at time.Time) error {
	tx, err := db.Write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: refresh the geo cache: %w", err)
	}
	defer tx.Rollback()
	for start := 0; start < len(ips); start += geoChunk {
		chunk := ips[start:min(start+geoChunk, len(ips))]
		args := make([]any, 0, len(chunk)+1)
		args = append(args, at.Unix())
		for _, ip := range chunk {
			args = append(args, ip)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE geo_cache SET last_seen = max(last_seen, ?) WHERE ip IN (`+marks(len(chunk))+`)`, args...); err != nil {
			return fmt.Errorf("store: refresh the geo cache: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: refresh the geo cache: %w", err)
	}
	return nil
}

// DeleteGeoUnseenBefore deletes the geo_cache rows last seen before cutoff
// (the retention setting) and returns how many went.
func (db *DB) DeleteGeoUnseenBefore(ctx context.Context, cutoff time.Time) (int, error) {
	res, err := db.Write.ExecContext(ctx, `DELETE FROM geo_cache WHERE last_seen < ?`, cutoff.Unix())
	if err != nil {
		return 0, fmt.Errorf("store: apply geo cache retention: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}
