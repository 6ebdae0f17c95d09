package store_test

// Benchmarks of the history cache's reads over 1,000,000 cached bans
// (scripts/bench.sh, group history-queries; docs/PERFORMANCE.md, "History
// cache (issue 4)").
//
// The cache is $BANGUI_BENCH_CACHE when that file exists (scripts/bench.sh
// makes it once with TestWriteBenchCache in core/histsync). When the
// variable names a missing file, or is unset, the cache is made here by
// syncing the generated fail2ban database ($BANGUI_BENCH_F2B_DB, itself
// generated when missing: `f2bgen -n 1000000 -span 8760h -seed 1 -end
// 2026-11-27T06:00:00Z`) with histsync, as the app does: about a minute.
// Without the variable it goes into the benchmark's temp folder and is
// made again for every -count.

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/f2bdb/gen"
	"github.com/bangui/bangui/core/histsync"
	"github.com/bangui/bangui/core/store"
	"github.com/bangui/bangui/migrations"
)

// benchEnd is the newest time of ban of the generated database; the
// ranges end there.
var benchEnd = time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC)

// The ranges of the dashboard and history views' pickers; "all" (the
// history's default) is open at both ends.
var benchRanges = []struct {
	name string
	span time.Duration
}{
	{"24h", 24 * time.Hour},
	{"7d", 7 * 24 * time.Hour},
	{"30d", 30 * 24 * time.Hour},
	{"365d", 365 * 24 * time.Hour},
}

func benchFilter(span time.Duration) core.HistoryFilter {
	if span == 0 {
		return core.HistoryFilter{}
	}
	return core.HistoryFilter{From: benchEnd.Add(-span), To: benchEnd}
}

// benchCache opens the cache the benchmarks read.
func benchCache(b *testing.B) *store.DB {
	return openBenchCache(b, "BANGUI_BENCH_CACHE", "bangui.db", makeBenchCache)
}

// openBenchCache opens the cache file named by the environment variable
// env (default: name in the benchmark's temp folder), made by make when it
// does not exist yet; it is closed when the benchmark ends.
func openBenchCache(b *testing.B, env, name string, make func(*testing.B, string)) *store.DB {
	b.Helper()
	path := os.Getenv(env)
	if path == "" {
		path = filepath.Join(b.TempDir(), name)
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		make(b, path)
	} else if err != nil {
		b.Fatal(err)
	}
	db, err := store.Open(context.Background(), path, migrations.FS)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

// makeBenchCache syncs the generated fail2ban database into a new cache at
// path, under a local server named "generated".
func makeBenchCache(b *testing.B, path string) {
	ctx := context.Background()
	src := os.Getenv("BANGUI_BENCH_F2B_DB")
	if src == "" {
		src = filepath.Join(b.TempDir(), "f2b-1m.sqlite3")
	}
	if _, err := os.Stat(src); errors.Is(err, fs.ErrNotExist) {
		b.Logf("generating %s", src)
		opt := gen.Options{N: 1_000_000, Span: 8760 * time.Hour, Seed: 1, End: benchEnd}
		if err := gen.Generate(ctx, src, opt, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("syncing %s into %s", src, path)
	db, err := store.Open(ctx, path, migrations.FS)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	srv, err := db.AddServer(ctx, core.Server{Name: "generated", Kind: core.ServerLocal, Socket: "/nonexistent.sock"})
	if err != nil {
		b.Fatal(err)
	}
	t := histsync.Target{
		Server: srv,
		Info:   func(context.Context) (string, time.Duration, error) { return src, 0, nil },
		Open:   histsync.OpenFile,
	}
	sy := &histsync.Syncer{Store: db, Logger: slog.New(slog.DiscardHandler)}
	if _, err := sy.Sync(ctx, t); err != nil {
		b.Fatal(err)
	}
}

// goDashboard is the dashboard computed in Go from the rows of the range,
// loaded with one SELECT: the alternative the roll-ups are measured
// against. Buckets follow Dashboard's rules (hours up to 7 days, UTC days
// up to 90, then 7-day weeks ending with the range's last day).
func goDashboard(ctx context.Context, db *store.DB, from, to time.Time) (core.Dashboard, int, error) {
	d := core.Dashboard{From: from, To: to}
	f, t := from.Unix(), to.Unix()
	const hour, day, week = 3600, 86400, 7 * 86400
	step := int64(hour)
	switch span := t - f; {
	case span > 90*day:
		step = week
	case span > 7*day:
		step = day
	}
	first := f / step * step
	if step == week {
		end := (t-1)/day*day + day
		first = end - (end-f+week-1)/week*week
	}
	d.Step = time.Duration(step) * time.Second
	rs, err := db.Read.QueryContext(ctx, `SELECT time_of_ban, jail, origin, ip FROM bans WHERE time_of_ban >= ? AND time_of_ban < ?`, f, t)
	if err != nil {
		return d, 0, err
	}
	defer rs.Close()
	buckets := make([]int, (t-first+step-1)/step)
	jails, origins, ips := map[string]int{}, map[string]int{}, map[string]int{}
	n := 0
	for rs.Next() {
		var tob int64
		var jail, origin, ip string
		if err := rs.Scan(&tob, &jail, &origin, &ip); err != nil {
			return d, n, err
		}
		buckets[(tob-first)/step]++
		jails[jail]++
		origins[origin]++
		ips[ip]++
		n++
	}
	if err := rs.Err(); err != nil {
		return d, n, err
	}
	for i, c := range buckets {
		d.Trend = append(d.Trend, core.Bucket{Start: time.Unix(first+int64(i)*step, 0), Count: c})
	}
	d.Total = n
	d.ByJail = sortedCounts(jails, 0)
	for _, o := range core.Origins {
		if c := origins[o]; c > 0 {
			d.Origins = append(d.Origins, core.NamedCount{Name: o, Count: c})
		}
	}
	d.TopIPs = sortedCounts(ips, core.TopIPLimit)
	return d, n, nil
}

// sortedCounts sorts counts most first, then by name; limit > 0 keeps the
// first limit.
func sortedCounts(m map[string]int, limit int) []core.NamedCount {
	out := make([]core.NamedCount, 0, len(m))
	for k, n := range m {
		out = append(out, core.NamedCount{Name: k, Count: n})
	}
	slices.SortFunc(out, func(a, b core.NamedCount) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		if a.Name < b.Name {
			return -1
		}
		return 1
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}

// sameDashboard compares what the dashboard shows. Top IPs are compared
// by their counts: with ties at the tenth place the bounded walk may pick
// another address of the same count.
func sameDashboard(a, b core.Dashboard) bool {
	if a.Total != b.Total || !slices.Equal(a.ByJail, b.ByJail) || !slices.Equal(a.Origins, b.Origins) ||
		len(a.Trend) != len(b.Trend) || len(a.TopIPs) != len(b.TopIPs) {
		return false
	}
	for i := range a.Trend {
		if !a.Trend[i].Start.Equal(b.Trend[i].Start) || a.Trend[i].Count != b.Trend[i].Count {
			return false
		}
	}
	for i := range a.TopIPs {
		if a.TopIPs[i].Count != b.TopIPs[i].Count {
			return false
		}
	}
	return true
}

// BenchmarkHistory1M measures the cache's reads over 1,000,000 cached
// bans, one sub-benchmark per query and range:
//
//	dashboard/R  Dashboard (all of the below, as the dashboard view asks)
//	trend/R      its bans-over-time buckets (and the total)
//	jails/R      its bans by jail
//	topips/R     its ten most banned addresses
//	origins/R    its bans by origin
//	goagg/R      the same numbers from the range's rows loaded into Go
//	count/R      CountHistory (the history view's count line)
//	page/R       HistoryPage, the first 200 rows (the history view's page)
//	first/R      what the history view reads before its first rows show:
//	             CountHistory, HistoryJails, Newest and the first page
//
// R is 24h, 7d, 30d or 365d ending at the data's newest ban; the history
// reads also run over "all" (no range, the history view's default).
// timeline is IPTimeline of the most banned address, with its log lines.
func BenchmarkHistory1M(b *testing.B) {
	db := benchCache(b)
	ctx := context.Background()
	total, err := db.CountHistory(ctx, core.HistoryFilter{})
	if err != nil {
		b.Fatal(err)
	}
	if total < 900_000 {
		b.Fatalf("the cache holds %d bans, not about a million", total)
	}
	for _, r := range benchRanges {
		f := benchFilter(r.span)
		want, err := db.Dashboard(ctx, f)
		if err != nil {
			b.Fatal(err)
		}
		got, _, err := goDashboard(ctx, db, f.From, f.To)
		if err != nil {
			b.Fatal(err)
		}
		if !sameDashboard(want, got) {
			b.Fatalf("%s: Dashboard and the Go aggregation disagree:\n%+v\n%+v", r.name, want, got)
		}
		bans := float64(want.Total)
		run := func(name string, op func() error) {
			b.Run(name+"/"+r.name, func(b *testing.B) {
				for b.Loop() {
					if err := op(); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(bans, "bans")
			})
		}
		run("dashboard", func() error { _, err := db.Dashboard(ctx, f); return err })
		run("trend", func() error { _, _, err := db.DashTrend(ctx, f); return err })
		run("jails", func() error { _, err := db.DashSplit(ctx, f, "jail"); return err })
		run("topips", func() error { _, err := db.DashTopIPs(ctx, f, want.Total); return err })
		run("origins", func() error { _, err := db.DashSplit(ctx, f, "origin"); return err })
		run("goagg", func() error { _, _, err := goDashboard(ctx, db, f.From, f.To); return err })
	}
	for _, r := range append(benchRanges, struct {
		name string
		span time.Duration
	}{"all", 0}) {
		f := benchFilter(r.span)
		n, err := db.CountHistory(ctx, f)
		if err != nil {
			b.Fatal(err)
		}
		run := func(name string, op func() error) {
			b.Run(name+"/"+r.name, func(b *testing.B) {
				for b.Loop() {
					if err := op(); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(n), "bans")
			})
		}
		run("count", func() error { _, err := db.CountHistory(ctx, f); return err })
		run("page", func() error {
			rows, err := db.HistoryPage(ctx, f, nil, 200)
			if err == nil && len(rows) != min(200, n) {
				err = errors.New("short page")
			}
			return err
		})
		run("first", func() error {
			if _, err := db.CountHistory(ctx, f); err != nil {
				return err
			}
			if _, err := db.HistoryJails(ctx); err != nil {
				return err
			}
			if _, err := db.Newest(ctx); err != nil {
				return err
			}
			_, err := db.HistoryPage(ctx, f, nil, 200)
			return err
		})
	}
	all, err := db.Dashboard(ctx, core.HistoryFilter{From: benchEnd.Add(-400 * 24 * time.Hour), To: benchEnd.Add(time.Second)})
	if err != nil || len(all.TopIPs) == 0 {
		b.Fatalf("top IPs: %v %v", all.TopIPs, err)
	}
	top := all.TopIPs[0]
	b.Run("timeline", func(b *testing.B) {
		for b.Loop() {
			rows, err := db.IPTimeline(ctx, top.Name)
			if err != nil {
				b.Fatal(err)
			}
			if len(rows) != top.Count {
				b.Fatalf("timeline of %s: %d rows, want %d", top.Name, len(rows), top.Count)
			}
		}
		b.ReportMetric(float64(top.Count), "bans")
	})
}
