//go:build unix

package histsync

// Benchmarks of the history sync over a fail2ban database of 1,000,000
// generated bans (scripts/bench.sh, group history-sync; docs/PERFORMANCE.md,
// "History cache (issue 4)"). The database is $BANGUI_BENCH_F2B_DB when
// that file exists; when the variable names a missing file it is generated
// there (and kept for the next run); without the variable it is generated
// into the benchmark's temp folder (about 30 s, 1.3 GB, removed after).
//
// TestWriteBenchCache, skipped unless $BANGUI_BENCH_CACHE_OUT is set,
// writes a BanGUI cache holding that database's history (for
// scripts/bench-memory.sh).

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/f2bdb"
	"github.com/bangui/bangui/core/f2bdb/gen"
	"github.com/bangui/bangui/core/store"
	"github.com/bangui/bangui/migrations"
)

// The generated database: what `f2bgen -n 1000000 -span 8760h -seed 1
// -end 2026-11-27T06:00:00Z` writes.
const (
	benchRows = 1_000_000
	benchEnv  = "BANGUI_BENCH_F2B_DB"
	cacheEnv  = "BANGUI_BENCH_CACHE_OUT"
)

// BenchEnd is the newest time of ban of the generated database.
var benchEnd = time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC)

func benchOptions() gen.Options {
	return gen.Options{N: benchRows, Span: 8760 * time.Hour, Seed: 1, End: benchEnd}
}

// benchF2BDB returns the path of the fail2ban database to read.
func benchF2BDB(tb testing.TB) string {
	tb.Helper()
	path := os.Getenv(benchEnv)
	if path == "" {
		path = filepath.Join(tb.TempDir(), "f2b-1m.sqlite3")
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		tb.Logf("generating %d bans into %s", benchRows, path)
		start := time.Now()
		if err := gen.Generate(context.Background(), path, benchOptions(), nil); err != nil {
			tb.Fatal(err)
		}
		tb.Logf("generated in %.1f s", time.Since(start).Seconds())
	} else if err != nil {
		tb.Fatal(err)
	}
	return path
}

// benchSource describes the database: its path and how many rows the
// cache must end up with (the generator sometimes bans an address twice in
// the same second and jail, which the cache stores once).
type benchSource struct {
	path     string
	rows     int // bans rows
	distinct int // distinct (jail, ip, timeofban)
}

// sources remembers the counts of a database named by $BANGUI_BENCH_F2B_DB
// (counting takes seconds; one test process runs every benchmark).
var sources = map[string]benchSource{}

func openBenchSource(tb testing.TB) benchSource {
	tb.Helper()
	s := benchSource{path: benchF2BDB(tb)}
	if c, ok := sources[s.path]; ok && os.Getenv(benchEnv) != "" {
		return c
	}
	db, err := f2bdb.Open(context.Background(), s.path)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	raw, err := openRaw(s.path)
	if err != nil {
		tb.Fatal(err)
	}
	defer raw.Close()
	if err := raw.QueryRow(`SELECT count(*), (SELECT count(*) FROM (SELECT DISTINCT jail, ip, timeofban FROM bans)) FROM bans`).
		Scan(&s.rows, &s.distinct); err != nil {
		tb.Fatal(err)
	}
	if s.rows != benchRows {
		tb.Logf("note: %s holds %d rows, not %d", s.path, s.rows, benchRows)
	}
	sources[s.path] = s
	return s
}

// openRaw opens path read-only with database/sql, for counting.
func openRaw(path string) (*sql.DB, error) {
	return sql.Open("sqlite", store.URI(path, "mode=ro"))
}

// newBenchCache opens an empty cache in dir with one server.
func newBenchCache(tb testing.TB, path, name string) (*store.DB, core.Server) {
	tb.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, path, migrations.FS)
	if err != nil {
		tb.Fatal(err)
	}
	srv, err := db.AddServer(ctx, core.Server{Name: name, Kind: core.ServerLocal, Socket: "/nonexistent.sock"})
	if err != nil {
		db.Close()
		tb.Fatal(err)
	}
	return db, srv
}

func benchTarget(s core.Server, path string) Target {
	return Target{
		Server: s,
		Info:   func(context.Context) (string, time.Duration, error) { return path, 0, nil },
		Open:   OpenFile,
	}
}

// quiet drops the sync's log lines, which would break the benchmark
// output's lines.
var quiet = slog.New(slog.DiscardHandler)

// cpuTime is the CPU time of this process so far (all threads).
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func fileSize(path string) int64 {
	var n int64
	for _, p := range []string{path, path + "-wal"} {
		if fi, err := os.Stat(p); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// checkCache checks, outside the timer, that the cache holds every row
// once and that the roll-ups agree with it.
func checkCache(b *testing.B, db *store.DB, src benchSource) {
	ctx := context.Background()
	n, err := db.CountHistory(ctx, core.HistoryFilter{})
	if err != nil || n != src.distinct {
		b.Fatalf("cache holds %d rows (%v), want %d", n, err, src.distinct)
	}
	d, err := db.Dashboard(ctx, core.HistoryFilter{From: benchEnd.Add(-400 * 24 * time.Hour), To: benchEnd.Add(time.Hour)})
	if err != nil || d.Total != src.distinct {
		b.Fatalf("dashboard total %d (%v), want %d: the roll-ups drifted", d.Total, err, src.distinct)
	}
}

// BenchmarkSync1M is one Syncer.Sync of the whole database into an empty
// cache: reading, decoding, storing with the roll-ups, pipelined as the
// app runs it.
func BenchmarkSync1M(b *testing.B) {
	src := openBenchSource(b)
	ctx := context.Background()
	var wall, cpu time.Duration
	var read int
	var size int64
	for b.Loop() {
		b.StopTimer()
		path := filepath.Join(b.TempDir(), "bangui.db")
		db, srv := newBenchCache(b, path, "generated")
		sy := &Syncer{Store: db, Logger: quiet}
		c0, t0 := cpuTime(b), time.Now()
		b.StartTimer()
		res, err := sy.Sync(ctx, benchTarget(srv, src.path))
		b.StopTimer()
		wall += time.Since(t0)
		cpu += cpuTime(b) - c0
		if err != nil {
			b.Fatal(err)
		}
		if res.Read != src.rows || res.Copied != src.distinct || res.Skipped != 0 || res.BadData != 0 {
			b.Fatalf("sync result %+v, want %d read and %d copied", res, src.rows, src.distinct)
		}
		read += res.Read
		checkCache(b, db, src)
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}
		size = fileSize(path)
		os.Remove(path)
		b.StartTimer()
	}
	b.ReportMetric(float64(read)/wall.Seconds(), "rows/s")
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(size)/1e6, "cache-MB")
	b.ReportMetric(float64(src.distinct), "copied/op")
}

// readAll runs the sync's reading side alone (BansAfter page by page and
// the conversion, as readJail does), for every jail; each page goes to
// page if not nil.
func readAll(ctx context.Context, tb testing.TB, path string, onPage func(page)) (rows int) {
	r, err := OpenFile(ctx, path)
	if err != nil {
		tb.Fatal(err)
	}
	defer r.Close()
	jails, err := r.Jails(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	s := &Syncer{Logger: quiet}
	started := time.Now()
	for _, jail := range jails {
		pages := make(chan page, 1)
		go s.readJail(ctx, r, jail, store.SyncCursor{}, started, pages)
		for p := range pages {
			if p.err != nil {
				tb.Fatal(p.err)
			}
			rows += p.read
			if onPage != nil {
				onPage(p)
			}
		}
	}
	return rows
}

// BenchmarkSyncRead1M is the reading side of the sync alone: every page
// read from fail2ban's database, its data column decoded and converted,
// then dropped.
func BenchmarkSyncRead1M(b *testing.B) {
	src := openBenchSource(b)
	ctx := context.Background()
	var wall, cpu time.Duration
	var read int
	for b.Loop() {
		c0, t0 := cpuTime(b), time.Now()
		n := readAll(ctx, b, src.path, nil)
		wall += time.Since(t0)
		cpu += cpuTime(b) - c0
		if n != src.rows {
			b.Fatalf("read %d rows, want %d", n, src.rows)
		}
		read += n
	}
	b.ReportMetric(float64(read)/wall.Seconds(), "rows/s")
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
}

// BenchmarkSyncStore1M is the storing side alone: the same rows, read into
// memory before the timer, stored with StoreBans into an empty cache in
// the transactions a sync makes when its reader keeps ahead: the pages of
// one jail together up to DefaultBatchRows rows, with the roll-ups and the
// jail's cursor.
func BenchmarkSyncStore1M(b *testing.B) {
	src := openBenchSource(b)
	ctx := context.Background()
	var pages []page // one per transaction
	readAll(ctx, b, src.path, func(p page) {
		if n := len(pages); n > 0 && pages[n-1].cursor.Jail == p.cursor.Jail && len(pages[n-1].rows) < DefaultBatchRows {
			pages[n-1].rows = append(pages[n-1].rows, p.rows...)
			pages[n-1].cursor = p.cursor
			return
		}
		pages = append(pages, p)
	})
	var wall, cpu time.Duration
	var stored int
	for b.Loop() {
		b.StopTimer()
		path := filepath.Join(b.TempDir(), "bangui.db")
		db, srv := newBenchCache(b, path, "generated")
		c0, t0 := cpuTime(b), time.Now()
		b.StartTimer()
		copied := 0
		for _, p := range pages {
			n, err := db.StoreBans(ctx, srv.ID, p.rows, []store.SyncCursor{p.cursor})
			if err != nil {
				b.Fatal(err)
			}
			copied += n
			stored += len(p.rows)
		}
		b.StopTimer()
		wall += time.Since(t0)
		cpu += cpuTime(b) - c0
		if copied != src.distinct {
			b.Fatalf("stored %d new rows, want %d", copied, src.distinct)
		}
		checkCache(b, db, src)
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}
		os.Remove(path)
		b.StartTimer()
	}
	b.ReportMetric(float64(stored)/wall.Seconds(), "rows/s")
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
}

// TestWriteBenchCache writes a BanGUI cache at $BANGUI_BENCH_CACHE_OUT
// (a new file) holding the history of the benchmark database
// ($BANGUI_BENCH_F2B_DB, generated when missing) under a local server
// named "generated" whose socket does not exist. Skipped without the
// variable.
func TestWriteBenchCache(t *testing.T) {
	out := os.Getenv(cacheEnv)
	if out == "" {
		t.Skip(cacheEnv + " not set")
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatalf("%s exists; give a new file", out)
	}
	path := benchF2BDB(t)
	db, srv := newBenchCache(t, out, "generated")
	defer db.Close()
	start := time.Now()
	res, err := (&Syncer{Store: db}).Sync(context.Background(), benchTarget(srv, path))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %s in %.1f s", out, res, time.Since(start).Seconds())
}
