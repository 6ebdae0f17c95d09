package store

import (
	"context"

	"github.com/bangui/bangui/core"
)

// SetTopIPDirect lowers the range size above which the dashboard walks the
// all-time totals for its top IPs, so tests reach that path with few rows;
// the returned func restores it.
func SetTopIPDirect(n int) func() {
	old := topIPDirect
	topIPDirect = n
	return func() { topIPDirect = old }
}

// The dashboard's queries one at a time, for the benchmarks
// (history_bench_test.go): Dashboard runs trend, splitCounts by jail and
// by origin, then topIPs, in that order.

// DashTrend returns Dashboard's Trend and Total for f.
func (db *DB) DashTrend(ctx context.Context, f core.HistoryFilter) ([]core.Bucket, int, error) {
	from, to, step, err := db.dashRange(f)
	if err != nil {
		return nil, 0, err
	}
	trend, err := db.trend(ctx, core.HistoryFilter{ServerIDs: f.ServerIDs}, from, to, step)
	total := 0
	for _, b := range trend {
		total += b.Count
	}
	return trend, total, err
}

// DashSplit returns Dashboard's counts by col ("jail" or "origin"), most
// first.
func (db *DB) DashSplit(ctx context.Context, f core.HistoryFilter, col string) ([]core.NamedCount, error) {
	from, to, _, err := db.dashRange(f)
	if err != nil {
		return nil, err
	}
	return db.splitCounts(ctx, core.HistoryFilter{ServerIDs: f.ServerIDs}, from, to, col)
}

// DashTopIPs returns Dashboard's TopIPs for f, given its Total.
func (db *DB) DashTopIPs(ctx context.Context, f core.HistoryFilter, total int) ([]core.NamedCount, error) {
	from, to, _, err := db.dashRange(f)
	if err != nil {
		return nil, err
	}
	return db.topIPs(ctx, core.HistoryFilter{ServerIDs: f.ServerIDs}, from, to, total, total)
}
