package remote_test

// Benchmarks of the history reader (remote/history.go): 100,000 generated
// history rows read from fail2ban's database over SSH (a private sshd on
// 127.0.0.1, sshtest), next to the same file read locally by core/f2bdb,
// in the same run. They only run with -bench (and not with -short) and
// need root, sshd, sudo and python3, like the integration tests.
//
//	BenchmarkHistorySync: one histsync.Syncer.Sync of the whole file into
//	  a fresh cache: local file, SSH as root, SSH as a user with
//	  HistorySudoersLine (sudo -n). Metrics <way>-rows/s and the
//	  ratios <way>-x = local rows/s / <way> rows/s.
//	BenchmarkHistoryRead: the reading side alone (every jail paged with
//	  BansAfter by f2bdb.MaxLimit rows, records decoded), same ways, and
//	  <way>-open-ms, the part of it spent opening the reader.
//
// Each way opens its reader inside the timer (for SSH: a session, the
// remote python3 start, the open; as root also root's login shell files,
// see sshtest), on an SSH connection dialled before it. Nothing here checks
// how long anything took.

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/f2bdb"
	"github.com/bangui/bangui/core/f2bdb/gen"
	"github.com/bangui/bangui/core/histsync"
	"github.com/bangui/bangui/core/store"
	"github.com/bangui/bangui/migrations"
	"github.com/bangui/bangui/remote"
	"github.com/bangui/bangui/remote/sshtest"
)

const histBenchRows = 100_000

// histBench is the setup both benchmarks use.
type histBench struct {
	path string // the generated fail2ban database
	ways []histWay
}

// histWay is one way to open the database.
type histWay struct {
	name string
	open func(ctx context.Context, path string) (histsync.Reader, error)
}

func histBenchStart(b *testing.B) *histBench {
	b.Helper()
	if testing.Short() {
		b.Skip("starts sshd; skipped with -short")
	}
	h := &histBench{path: filepath.Join(b.TempDir(), "f2b.sqlite3")}
	start := time.Now()
	opt := gen.Options{N: histBenchRows, Seed: 1, End: time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC)}
	if err := gen.Generate(context.Background(), h.path, opt, nil); err != nil {
		b.Fatal(err)
	}
	user := sshtest.UniqueName("bhb")
	srv := sshtest.Start(b, sshtest.Options{Users: []sshtest.User{
		{Name: "root"},
		{Name: user, Sudoers: remote.HistorySudoersLine(user)},
	}})
	home := b.TempDir()
	kh := filepath.Join(home, ".ssh", "known_hosts")
	if err := os.MkdirAll(filepath.Dir(kh), 0o700); err != nil {
		b.Fatal(err)
	}
	srv.WriteKnownHosts(b, kh, false)
	dialUser := func(name string) *remote.Client {
		tg, err := remote.Resolve(srv.Host, remote.ResolveOptions{
			ConfigPath: filepath.Join(home, "no-config"), HomeDir: home, LocalUser: "tester", User: name, Port: srv.Port,
		})
		if err != nil {
			b.Fatal(err)
		}
		tg.GlobalKnownHostsFiles = nil
		tg.IdentityFiles = []string{srv.ClientKeyPath(name)}
		c, err := remote.Dial(context.Background(), tg, remote.DialOptions{AgentSocket: "none", HomeDir: home, KeepAlive: -1})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { c.Close() })
		return c
	}
	viaSSH := func(c *remote.Client, sudo bool) func(context.Context, string) (histsync.Reader, error) {
		return func(ctx context.Context, path string) (histsync.Reader, error) {
			r, err := remote.OpenHistory(ctx, c, path, remote.HistoryOptions{Sudo: sudo})
			if err != nil {
				return nil, err
			}
			return r, nil
		}
	}
	h.ways = []histWay{
		{"local", histsync.OpenFile},
		{"root", viaSSH(dialUser("root"), false)},
		{"sudo", viaSSH(dialUser(user), true)},
	}
	b.Logf("setup: %d rows generated, sshd started in %v", histBenchRows, time.Since(start).Round(time.Millisecond))
	return h
}

// report adds <way>-rows/s and, for the SSH ways, <way>-x.
func report(b *testing.B, ways []histWay, rows int, took map[string]time.Duration) {
	local := float64(rows) / took["local"].Seconds()
	for _, w := range ways {
		rate := float64(rows) / took[w.name].Seconds()
		b.ReportMetric(rate, w.name+"-rows/s")
		if w.name != "local" {
			b.ReportMetric(local/rate, w.name+"-x")
		}
	}
}

// BenchmarkHistorySync syncs the generated file into a fresh cache, each
// way once per iteration.
func BenchmarkHistorySync(b *testing.B) {
	h := histBenchStart(b)
	ctx := context.Background()
	quiet := slog.New(slog.DiscardHandler)
	took := map[string]time.Duration{}
	var copied int
	for b.Loop() {
		for _, w := range h.ways {
			b.StopTimer()
			db, err := store.Open(ctx, filepath.Join(b.TempDir(), "bangui.db"), migrations.FS)
			if err != nil {
				b.Fatal(err)
			}
			s, err := db.AddServer(ctx, core.Server{Name: w.name, Kind: core.ServerLocal})
			if err != nil {
				b.Fatal(err)
			}
			t := histsync.Target{
				Server: s,
				Info:   func(context.Context) (string, time.Duration, error) { return h.path, 0, nil },
				Open:   w.open,
			}
			sy := &histsync.Syncer{Store: db, Logger: quiet}
			b.StartTimer()
			t0 := time.Now()
			res, err := sy.Sync(ctx, t)
			took[w.name] += time.Since(t0)
			b.StopTimer()
			if err != nil {
				b.Fatalf("%s: %v", w.name, err)
			}
			if res.Read != histBenchRows || res.Skipped != 0 || res.BadData != 0 {
				b.Fatalf("%s: %+v", w.name, res)
			}
			if copied == 0 {
				copied = res.Copied
			} else if res.Copied != copied {
				b.Fatalf("%s copied %d rows, local %d", w.name, res.Copied, copied)
			}
			db.Close()
			b.StartTimer()
		}
	}
	report(b, h.ways, histBenchRows*b.N, took)
}

// BenchmarkHistoryRead pages through every jail of the generated file,
// each way once per iteration.
func BenchmarkHistoryRead(b *testing.B) {
	h := histBenchStart(b)
	ctx := context.Background()
	took := map[string]time.Duration{}
	opened := map[string]time.Duration{}
	for b.Loop() {
		for _, w := range h.ways {
			t0 := time.Now()
			r, err := w.open(ctx, h.path)
			if err != nil {
				b.Fatalf("%s: %v", w.name, err)
			}
			opened[w.name] += time.Since(t0)
			jails, err := r.Jails(ctx)
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for _, jail := range jails {
				after, row := time.Unix(0, 0), int64(-1<<62)
				for {
					recs, err := r.BansAfter(ctx, jail, after, row, f2bdb.MaxLimit)
					if err != nil {
						b.Fatal(err)
					}
					n += len(recs)
					if len(recs) < f2bdb.MaxLimit {
						break
					}
					after, row = recs[len(recs)-1].TimeOfBan, recs[len(recs)-1].RowID
				}
			}
			r.Close()
			took[w.name] += time.Since(t0)
			if n != histBenchRows {
				b.Fatalf("%s read %d rows", w.name, n)
			}
		}
	}
	report(b, h.ways, histBenchRows*b.N, took)
	for _, w := range h.ways {
		b.ReportMetric(float64(opened[w.name].Microseconds())/1e3/float64(b.N), w.name+"-open-ms")
	}
}
