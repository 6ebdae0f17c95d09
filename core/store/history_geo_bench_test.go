package store_test

// Benchmarks of the map's reads over 1,000,000 cached bans with their
// countries (scripts/bench.sh, group geo): CountryCounts through the
// ban_daily_geo roll-up against the plain GROUP BY over the bans table, and
// TopIPs with a country filter.
//
// The cache is $BANGUI_BENCH_GEO_CACHE when that file exists. When the
// variable names a missing file, or is unset, the cache is made there (or
// in the benchmark's temp folder, made again for every -count) by
// geoBenchRowsFor through StoreBans, as a sync stores its pages: about a
// minute, 0.5 GB. The rows are made up rather than synced from the generated
// fail2ban database, so that their countries follow a known skewed law
// (see geoBenchRows).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net/netip"
	"os"
	"slices"
	"testing"
	"time"

	geodata "github.com/bangui/bangui/assets/geo"
	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/store"
	"github.com/bangui/bangui/migrations"
)

const (
	geoBenchRows = 1_000_000
	// geoBenchIPs is how many addresses the rows draw from, along a
	// Zipf-like law: the top address has about 1.5 % of the rows, and
	// about 128,000 of the addresses end up with bans.
	geoBenchIPs = 300_000
	// geoBenchSpan: the bans spread over the year before benchEnd.
	geoBenchSpan = 365 * 24 * time.Hour
	// geoBenchPage is how many rows one StoreBans call stores (the sync's
	// default transaction size, histsync.DefaultBatchRows).
	geoBenchPage = 50_000
)

// geoBenchServers are the cache's servers and their shares of the bans;
// the server-filtered benchmarks select the first.
var geoBenchServers = []struct {
	name  string
	share float64
}{{"alpha", 0.5}, {"beta", 0.3}, {"gamma", 0.2}}

// geoBenchJails: f2bgen's default jails and shares.
var geoBenchJails = []struct {
	name  string
	share float64
}{{"sshd", 0.60}, {"nginx-http-auth", 0.15}, {"postfix", 0.13}, {"dovecot", 0.08}, {"recidive", 0.04}}

// geoBenchTop are the countries most attacks come from, most first; the
// remaining of the 150 codes are taken from the ISO list in its order.
var geoBenchTop = []string{
	"CN", "US", "RU", "IN", "BR", "VN", "DE", "KR", "ID", "NL", "FR", "GB", "SG", "HK", "TW",
	"JP", "UA", "IR", "TR", "TH", "BG", "RO", "PL", "AR", "MX", "CO", "ZA", "EG", "PK", "BD",
}

// geoBenchCountries returns 150 country codes, most frequent first, then
// CountryUnknown and CountryNotRoutable, with each one's share of the
// addresses: 1 % unknown, 0.5 % not routable, and the codes along 1/rank
// (the first about 17.5 % of the addresses, the 150th about 0.1 %).
func geoBenchCountries(b *testing.B) ([]string, []float64) {
	var rows [][]string
	if err := json.Unmarshal(geodata.CodesJSON, &rows); err != nil {
		b.Fatal(err)
	}
	codes := slices.Clone(geoBenchTop)
	for _, r := range rows {
		if len(codes) == 150 {
			break
		}
		if len(r) > 0 && !slices.Contains(codes, r[0]) {
			codes = append(codes, r[0])
		}
	}
	if len(codes) != 150 {
		b.Fatalf("%d country codes, want 150", len(codes))
	}
	w := make([]float64, len(codes))
	total := 0.0
	for i := range w {
		w[i] = 1 / float64(i+1)
		total += w[i]
	}
	for i := range w {
		w[i] = w[i] / total * 0.985
	}
	return append(codes, core.CountryUnknown, core.CountryNotRoutable), append(w, 0.01, 0.005)
}

// geoPick draws an index along shares that sum to 1.
func geoPick(rng *rand.Rand, shares []float64) int {
	x := rng.Float64()
	for i, s := range shares {
		if x < s {
			return i
		}
		x -= s
	}
	return len(shares) - 1
}

// geoBenchAddr draws a public-looking address (10 % IPv6).
func geoBenchAddr(rng *rand.Rand) netip.Addr {
	if rng.IntN(10) == 0 {
		var b [16]byte
		b[0], b[1] = 0x2a, 0x01
		for i := 2; i < 16; i++ {
			b[i] = byte(rng.Uint32())
		}
		return netip.AddrFrom16(b)
	}
	for {
		var b [4]byte
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		if a := netip.AddrFrom4(b); core.IsRoutable(a) {
			return a
		}
	}
}

// geoBenchRowsFor draws the cache's rows, by server, each server's sorted
// by time. Every address has one country for all its bans (as the geo
// task leaves them); a ban's server, jail and time are independent of
// its address; 5 % are manual bans without log lines, the others carry
// three matched lines.
func geoBenchRowsFor(b *testing.B) [][]core.HistoryBan {
	rng := rand.New(rand.NewPCG(7, 11))
	codes, shares := geoBenchCountries(b)
	ips := make([]string, geoBenchIPs)
	countries := make([]string, geoBenchIPs)
	seen := make(map[netip.Addr]bool, geoBenchIPs)
	for i := range ips {
		a := geoBenchAddr(rng)
		for seen[a] {
			a = geoBenchAddr(rng)
		}
		seen[a] = true
		ips[i] = a.String()
		countries[i] = codes[geoPick(rng, shares)]
	}
	zipf := rand.NewZipf(rng, 1.1, 10, geoBenchIPs-1)
	serverShares := make([]float64, len(geoBenchServers))
	for i, s := range geoBenchServers {
		serverShares[i] = s.share
	}
	jailShares := make([]float64, len(geoBenchJails))
	for i, j := range geoBenchJails {
		jailShares[i] = j.share
	}
	span := int64(geoBenchSpan / time.Second)
	end := benchEnd.Unix()
	out := make([][]core.HistoryBan, len(geoBenchServers))
	for range geoBenchRows {
		k := zipf.Uint64()
		ip := ips[k]
		r := core.HistoryBan{
			Jail:      geoBenchJails[geoPick(rng, jailShares)].name,
			IP:        ip,
			TimeOfBan: time.Unix(end-rng.Int64N(span), 0),
			BanTime:   10 * time.Minute,
			BanCount:  1,
			Origin:    core.OriginAuto,
			Country:   countries[k],
		}
		if rng.IntN(20) == 0 {
			r.Origin = core.OriginManual
		} else {
			r.Failures = 5
			for n := range 3 {
				r.Matches = append(r.Matches, fmt.Sprintf("2026-11-27 06:00:%02d host sshd[%d]: Failed password for invalid user admin from %s port %d ssh2",
					n, 1000+rng.IntN(60000), ip, 1024+rng.IntN(60000)))
			}
		}
		s := geoPick(rng, serverShares)
		out[s] = append(out[s], r)
	}
	for _, rows := range out {
		slices.SortFunc(rows, func(a, b core.HistoryBan) int { return a.TimeOfBan.Compare(b.TimeOfBan) })
	}
	return out
}

// makeGeoBenchCache stores the rows into a new cache at path (made under
// another name, then renamed, so a failed run leaves no partial cache).
func makeGeoBenchCache(b *testing.B, path string) {
	ctx := context.Background()
	start := time.Now()
	byServer := geoBenchRowsFor(b)
	b.Logf("drew %d rows in %.1f s; storing them into %s", geoBenchRows, time.Since(start).Seconds(), path)
	tmp := path + ".part"
	for _, p := range []string{tmp, tmp + "-wal", tmp + "-shm"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			b.Fatal(err)
		}
	}
	db, err := store.Open(ctx, tmp, migrations.FS)
	if err != nil {
		b.Fatal(err)
	}
	stored := 0
	for i, s := range geoBenchServers {
		srv, err := db.AddServer(ctx, core.Server{Name: s.name, Kind: core.ServerLocal, Socket: "/nonexistent-" + s.name + ".sock"})
		if err != nil {
			b.Fatal(err)
		}
		rows := byServer[i]
		for p := 0; p < len(rows); p += geoBenchPage {
			n, err := db.StoreBans(ctx, srv.ID, rows[p:min(p+geoBenchPage, len(rows))], nil)
			if err != nil {
				b.Fatal(err)
			}
			stored += n
		}
	}
	if err := db.ReleaseWriteCache(ctx); err != nil {
		b.Fatal(err)
	}
	if err := db.Close(); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		b.Fatal(err)
	}
	b.Logf("stored %d rows (%d duplicates skipped) in %.1f s", stored, geoBenchRows-stored, time.Since(start).Seconds())
}

// geoBenchCache opens the cache the benchmarks read, and returns the ID
// of the server the filtered benchmarks select.
func geoBenchCache(b *testing.B) (*store.DB, int64) {
	b.Helper()
	ctx := context.Background()
	db := openBenchCache(b, "BANGUI_BENCH_GEO_CACHE", "bangui-geo.db", makeGeoBenchCache)
	servers, err := db.Servers(ctx)
	if err != nil {
		b.Fatal(err)
	}
	for _, s := range servers {
		if s.Name == geoBenchServers[0].name {
			return db, s.ID
		}
	}
	b.Fatalf("the cache has no server %q: not one made by this benchmark (remove $BANGUI_BENCH_GEO_CACHE)", geoBenchServers[0].name)
	return nil, 0
}

// naiveCountries is the plain count the roll-up is measured against: the
// range's rows grouped by country (through the bans_key index, which
// starts with time_of_ban; the country column is read from each row).
func naiveCountries(ctx context.Context, db *store.DB, f core.HistoryFilter) (map[string]int, error) {
	q := `SELECT country, count(*) FROM bans WHERE time_of_ban >= ? AND time_of_ban < ?`
	args := []any{f.From.Unix(), f.To.Unix()}
	if len(f.ServerIDs) == 1 {
		q += ` AND server_id = ?`
		args = append(args, f.ServerIDs[0])
	}
	rs, err := db.Read.QueryContext(ctx, q+` GROUP BY country`, args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	out := map[string]int{}
	for rs.Next() {
		var c string
		var n int
		if err := rs.Scan(&c, &n); err != nil {
			return nil, err
		}
		if c == "" {
			c = core.CountryUnknown
		}
		out[c] += n
	}
	return out, rs.Err()
}

// BenchmarkCountryCounts1M measures the map's reads over 1,000,000 cached
// bans with countries (3 servers, 150 countries plus unknown and not
// routable), one sub-benchmark per query and range:
//
//	countries/R         CountryCounts, every server (the map's totals)
//	countries-server/R  CountryCounts of one server (half of the bans)
//	naive/R             SELECT country, count(*) FROM bans WHERE
//	                    time_of_ban >= ? AND time_of_ban < ? GROUP BY
//	                    country: what the roll-up is measured against
//	topips-K/R          TopIPs with a country filter (the map's country
//	                    panel): K 1st is the country with the most bans
//	                    over the year, 10th the tenth (logged)
//
// R is 24h, 7d, 30d or 365d ending at the data's newest ban (topips: 30d
// and 365d). Each range's CountryCounts is checked against the naive
// count before it is timed.
func BenchmarkCountryCounts1M(b *testing.B) {
	if testing.Short() {
		b.Skip("1,000,000 cached bans; not with -short")
	}
	db, alpha := geoBenchCache(b)
	ctx := context.Background()
	total, err := db.CountHistory(ctx, core.HistoryFilter{})
	if err != nil {
		b.Fatal(err)
	}
	if total < 990_000 {
		b.Fatalf("the cache holds %d bans, not about a million", total)
	}
	run := func(name string, bans int, op func() error) {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if err := op(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(bans), "bans")
		})
	}
	var byCountry []core.NamedCount
	for _, r := range benchRanges {
		for _, sf := range []struct {
			name string
			ids  []int64
		}{{"countries", nil}, {"countries-server", []int64{alpha}}} {
			f := benchFilter(r.span)
			f.ServerIDs = sf.ids
			got, err := db.CountryCounts(ctx, f)
			if err != nil {
				b.Fatal(err)
			}
			want, err := naiveCountries(ctx, db, f)
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for _, c := range got {
				if want[c.Name] != c.Count {
					b.Fatalf("%s/%s: %s has %d bans, the naive count %d", sf.name, r.name, c.Name, c.Count, want[c.Name])
				}
				delete(want, c.Name)
				n += c.Count
			}
			if len(want) > 0 {
				b.Fatalf("%s/%s: countries missing: %v", sf.name, r.name, want)
			}
			if sf.ids == nil && r.span == geoBenchSpan {
				byCountry = got
			}
			run(sf.name+"/"+r.name, n, func() error { _, err := db.CountryCounts(ctx, f); return err })
		}
		f := benchFilter(r.span)
		n, err := db.CountHistory(ctx, f)
		if err != nil {
			b.Fatal(err)
		}
		run("naive/"+r.name, n, func() error { _, err := naiveCountries(ctx, db, f); return err })
	}
	if len(byCountry) < 10 {
		b.Fatalf("%d countries over a year", len(byCountry))
	}
	for _, c := range []struct{ rank, code string }{{"1st", byCountry[0].Name}, {"10th", byCountry[9].Name}} {
		b.Logf("topips-%s: %s", c.rank, c.code)
		for _, r := range benchRanges[2:] {
			f := benchFilter(r.span)
			f.Country = c.code
			n, err := db.CountHistory(ctx, f)
			if err != nil {
				b.Fatal(err)
			}
			run("topips-"+c.rank+"/"+r.name, n, func() error {
				top, err := db.TopIPs(ctx, f)
				if err == nil && len(top) != min(core.TopIPLimit, n) {
					err = fmt.Errorf("%d top addresses", len(top))
				}
				return err
			})
		}
	}
}
