// Command f2bgen writes a fail2ban database (the layout fail2ban 1.0.2
// writes, version 4) filled with made-up bans, for benchmarks and for
// trying BanGUI:
//
//	f2bgen -out /tmp/f2b.sqlite3 -n 1000000 -span 8760h -seed 1
//
// The addresses look public but the rows are data only; nothing is banned
// anywhere. It never overwrites a file.
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"time"

	_ "modernc.org/sqlite"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/f2bdb/gen"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		stop()
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "f2bgen:", core.ErrorMessage(err))
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("f2bgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		out   = fs.String("out", "", "the database file to create (required; never overwritten)")
		n     = fs.Int("n", 100_000, "number of bans rows")
		span  = fs.Duration("span", gen.DefaultSpan, "the bans spread over this long before -end (e.g. 8760h)")
		seed  = fs.Int64("seed", 1, "random seed: the same flags give the same content")
		jails = fs.String("jails", "", "comma-separated jail names, most common first (default "+
			strings.Join(gen.DefaultJails, ",")+" with skewed weights)")
		end      = fs.String("end", "", "latest time of ban, RFC 3339 (default now)")
		distinct = fs.Int("distinct", 0, "number of distinct addresses (default n/3)")
		ipv6     = fs.Float64("ipv6", gen.DefaultIPv6Share, "share of IPv6 addresses (0 to 1)")
		manual   = fs.Float64("manual", gen.DefaultManualShare, "share of manual bans (0 to 1)")
		quiet    = fs.Bool("q", false, "no progress on stderr")
		cpuprof  = fs.String("cpuprofile", "", "write a CPU profile to this file")
	)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: f2bgen -out FILE [-n N] [-span 8760h] [-seed S] [-jails a,b,c] [-end RFC3339]")
		fmt.Fprintln(stderr, "Writes a new fail2ban database (layout version 4) with N made-up bans.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return core.Errorf(core.EINVALID, "%v", err)
	}
	if fs.NArg() > 0 {
		return core.Errorf(core.EINVALID, "unexpected argument %q (flags only; see -h)", fs.Arg(0))
	}
	if *out == "" {
		return core.Errorf(core.EINVALID, "-out is required: the database file to create")
	}
	if *n <= 0 {
		return core.Errorf(core.EINVALID, "-n must be at least 1, not %d", *n)
	}
	if *span <= 0 {
		return core.Errorf(core.EINVALID, "-span must be positive, not %v", *span)
	}
	opt := gen.Options{N: *n, Span: *span, Seed: *seed, DistinctIPs: *distinct,
		IPv6Share: zeroMeansNone(*ipv6), ManualShare: zeroMeansNone(*manual)}
	for _, j := range strings.Split(*jails, ",") {
		if j = strings.TrimSpace(j); j != "" {
			opt.Jails = append(opt.Jails, j)
		}
	}
	if len(opt.Jails) == 0 && strings.TrimSpace(*jails) != "" {
		return core.Errorf(core.EINVALID, "-jails %q names no jail", *jails)
	}
	if *end != "" {
		t, err := time.Parse(time.RFC3339, *end)
		if err != nil {
			return core.Wrap(err, core.EINVALID, fmt.Sprintf("-end %q is not an RFC 3339 time such as 2026-11-27T02:42:29Z", *end))
		}
		opt.End = t
	}

	if *cpuprof != "" {
		f, err := os.Create(*cpuprof)
		if err != nil {
			return core.Wrap(err, core.EINVALID, "cannot create the CPU profile "+*cpuprof)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return core.Wrap(err, core.EINTERNAL, "cannot start the CPU profile")
		}
		defer pprof.StopCPUProfile()
	}
	start := time.Now()
	last, shown := time.Time{}, false
	progress := func(done, total int) {
		if *quiet {
			return
		}
		if now := time.Now(); done == total || now.Sub(last) >= 200*time.Millisecond {
			last, shown = now, done < total
			fmt.Fprintf(stderr, "\rf2bgen: %d/%d bans (%3.0f%%) %5.1fs", done, total,
				100*float64(done)/float64(total), now.Sub(start).Seconds())
			if done == total {
				fmt.Fprintln(stderr)
			}
		}
	}
	err := gen.Generate(ctx, *out, opt, progress)
	if err != nil {
		if shown {
			fmt.Fprintln(stderr)
		}
		return err
	}
	elapsed := time.Since(start)

	abs, _ := filepath.Abs(*out)
	fi, err := os.Stat(abs)
	if err != nil {
		return core.Wrap(err, core.EUNAVAILABLE, "cannot stat "+abs)
	}
	bans, bips, ips, jailsN, err := counts(ctx, abs)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %d bans rows, %d bips rows, %d distinct IPs, %d jails, %.1f MB, %.1f s (%.0f rows/s)\n",
		abs, bans, bips, ips, jailsN, float64(fi.Size())/1e6, elapsed.Seconds(), float64(bans)/elapsed.Seconds())
	return nil
}

// zeroMeansNone maps a flag's 0 to Options' "none" (a negative share).
func zeroMeansNone(v float64) float64 {
	if v == 0 {
		return -1
	}
	return v
}

// counts reads back the rows written, read-only.
func counts(ctx context.Context, abs string) (bans, bips, ips, jails int64, err error) {
	uri := (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String() + "?mode=ro"
	db, err := sql.Open("sqlite", uri)
	if err != nil {
		return 0, 0, 0, 0, core.Wrap(err, core.EINTERNAL, "cannot open "+abs)
	}
	defer db.Close()
	err = db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM bans), (SELECT count(*) FROM bips),
		(SELECT count(*) FROM (SELECT DISTINCT ip FROM bans)), (SELECT count(*) FROM jails)`).Scan(&bans, &bips, &ips, &jails)
	if err != nil {
		return 0, 0, 0, 0, core.Wrap(err, core.EUNAVAILABLE, "cannot count the rows of "+abs)
	}
	return bans, bips, ips, jails, nil
}
