package geo

// Benchmarks of the offline lookup chain (scripts/bench.sh, group geo):
// Resolver.Locate over 1,000,000 addresses, with a warm memory cache and
// cold (straight from the embedded MaxMind DB), and the MaxMind DB reader
// alone for comparison. The addresses are drawn once per process (seeded,
// so every run looks up the same ones); the benchmarks are skipped with
// -short.

import (
	"context"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"net/netip"
	"sync"
	"testing"

	"github.com/oschwald/maxminddb-golang/v2"

	geodata "github.com/bangui/bangui/assets/geo"
	"github.com/bangui/bangui/core"
)

const (
	// benchLookups is how many addresses one op looks up.
	benchLookups = 1_000_000
	// benchWarmSet is how many distinct addresses the warm benchmarks
	// draw their lookups from (all of them fit the memory cache, which
	// holds up to 1<<18 = 262,144 entries).
	benchWarmSet = 100_000
	// benchBatch is how many addresses a caller hands Locate at once
	// (about what a page of a sync or of the geo task holds).
	benchBatch = 1000
	// benchV6Share is the share of IPv6 addresses among the distinct ones.
	benchV6Share = 0.10
)

// benchV6Prefixes are real global unicast allocations with a weight each
// (those f2bgen draws its IPv6 addresses from, core/f2bdb/gen): random
// addresses from all of 2000::/3 would mostly fall outside any network
// and end the search early.
var benchV6Prefixes = []struct {
	s string
	w int
}{
	{"2a01:4f8::/29", 8}, {"2a03:b0c0::/32", 6}, {"2604:a880::/32", 6}, {"2001:41d0::/32", 6},
	{"2001:19f0::/32", 4}, {"2600:1f00::/24", 5}, {"2406:da00::/24", 3}, {"2a05:d000::/25", 3},
	{"2a02:c207::/32", 3}, {"240e::/20", 8}, {"2408:8000::/20", 5}, {"2409:8000::/20", 5},
	{"2001:da8::/32", 2}, {"2401:4900::/32", 3}, {"2405:201::/32", 3}, {"2001:ee0::/32", 2},
	{"2003::/19", 3}, {"2a00::/12", 4}, {"2400::/12", 3}, {"2600::/12", 3},
	{"2800::/12", 3}, {"2c00::/12", 2}, {"2001:1200::/23", 1}, {"2001:4200::/23", 1},
}

// benchAddr draws one routable address: IPv4 uniformly over the routable
// space, IPv6 a random /64 under one of benchV6Prefixes with a small or
// random interface id.
func benchAddr(rng *rand.Rand) netip.Addr {
	if rng.Float64() >= benchV6Share {
		for {
			var b [4]byte
			binary.BigEndian.PutUint32(b[:], rng.Uint32())
			if a := netip.AddrFrom4(b); core.IsRoutable(a) {
				return a
			}
		}
	}
	total := 0
	for _, p := range benchV6Prefixes {
		total += p.w
	}
	k := rng.IntN(total)
	i := 0
	for ; k >= benchV6Prefixes[i].w; i++ {
		k -= benchV6Prefixes[i].w
	}
	pfx := netip.MustParsePrefix(benchV6Prefixes[i].s)
	b := pfx.Addr().As16()
	hi := binary.BigEndian.Uint64(b[:8]) | rng.Uint64()&(math.MaxUint64>>pfx.Bits())
	lo := uint64(1 + rng.IntN(0x100))
	if rng.IntN(10) >= 4 {
		lo = rng.Uint64() | 1<<60
	}
	binary.BigEndian.PutUint64(b[:8], hi)
	binary.BigEndian.PutUint64(b[8:], lo)
	return netip.AddrFrom16(b)
}

// benchDistinct draws n distinct routable addresses.
func benchDistinct(rng *rand.Rand, n int) []netip.Addr {
	out := make([]netip.Addr, 0, n)
	seen := make(map[netip.Addr]struct{}, n)
	for len(out) < n {
		a := benchAddr(rng)
		if _, dup := seen[a]; dup {
			continue
		}
		seen[a] = struct{}{}
		out = append(out, a)
	}
	return out
}

// benchInput is what the benchmarks look up: set, the benchWarmSet
// distinct addresses the warm benchmarks warm the cache with; warm,
// benchLookups addresses drawn uniformly from set; cold, benchLookups
// distinct addresses.
var benchInput = sync.OnceValue(func() (in struct{ set, warm, cold []netip.Addr }) {
	rng := rand.New(rand.NewPCG(5, 1))
	in.set = benchDistinct(rng, benchWarmSet)
	in.warm = make([]netip.Addr, benchLookups)
	for i := range in.warm {
		in.warm[i] = in.set[rng.IntN(len(in.set))]
	}
	in.cold = benchDistinct(rand.New(rand.NewPCG(5, 2)), benchLookups)
	return in
})

// benchOpen builds the resolver as the app does with the default settings:
// the embedded database, no online service, no geo_cache table.
func benchOpen(b *testing.B) *Resolver {
	b.Helper()
	r, problems, err := Open(context.Background(), Config{}, nil)
	if err != nil || len(problems) > 0 {
		b.Fatal(err, problems)
	}
	return r
}

// locateBatches looks addrs up batch addresses at a time.
func locateBatches(r *Resolver, addrs []netip.Addr, out []Info, batch int) {
	for start := 0; start < len(addrs); start += batch {
		end := min(start+batch, len(addrs))
		r.Locate(addrs[start:end], out[start:end])
	}
}

func (r *Resolver) memLen() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.mem)
}

// reportLookups adds lookups/s and ns/lookup to the op's figures (one op
// looks up benchLookups addresses).
func reportLookups(b *testing.B) {
	s := b.Elapsed().Seconds()
	if s <= 0 || b.N == 0 {
		return
	}
	n := float64(b.N) * benchLookups
	b.ReportMetric(n/s, "lookups/s")
	b.ReportMetric(s*1e9/n, "ns/lookup")
}

// unknownShare returns the percentage of infos no database knows.
func unknownShare(infos []Info) float64 {
	n := 0
	for _, in := range infos {
		if in.Country == Unknown {
			n++
		}
	}
	return 100 * float64(n) / float64(len(infos))
}

// BenchmarkLocate1M looks up 1,000,000 addresses (90 % IPv4, 10 % IPv6,
// all routable) per op:
//
//	warm/batch1000  Locate with 1,000 addresses per call, every address in
//	                the memory cache: the 1,000,000 are drawn uniformly
//	                from 100,000 distinct ones, all located once before
//	                the timer (the cache holds up to 262,144)
//	warm/batch1     the same, one Locate call per address (worst case)
//	cold/batch1000  1,000,000 distinct addresses, 1,000 per call, through
//	                a new resolver per op (made outside the timer): the
//	                memory cache starts empty, every address walks the
//	                embedded database's search tree, and the cache is
//	                emptied whenever it would pass 262,144 entries (3 times
//	                per op). The embedded database is shared by the
//	                process, and so is its cache of decoded records (one
//	                per country): that is warm after the first op, as in
//	                the app after its first lookups.
//	mmdb/decode     the same 1,000,000 addresses with the MaxMind DB reader
//	                alone (maxminddb.OpenBytes on the embedded file,
//	                Lookup, then Decode of country_code): what the chain
//	                adds its caches and bookkeeping to
//	mmdb/walk       the reader's Lookup alone (search tree, no decoding)
func BenchmarkLocate1M(b *testing.B) {
	if testing.Short() {
		b.Skip("1,000,000 addresses; not with -short")
	}
	in := benchInput()
	set, warm, cold := in.set, in.warm, in.cold
	out := make([]Info, benchLookups)

	b.Run("warm", func(b *testing.B) {
		r := benchOpen(b)
		defer r.Close()
		locateBatches(r, set, make([]Info, len(set)), benchBatch)
		if n := r.memLen(); n != len(set) {
			b.Fatalf("memory cache holds %d addresses after the warm-up, want %d", n, len(set))
		}
		for _, bt := range []struct {
			name  string
			batch int
		}{{"batch1000", benchBatch}, {"batch1", 1}} {
			b.Run(bt.name, func(b *testing.B) {
				for b.Loop() {
					locateBatches(r, warm, out, bt.batch)
				}
				reportLookups(b)
				if n := r.memLen(); n != len(set) {
					b.Fatalf("memory cache holds %d addresses after the run, want %d: lookups missed it", n, len(set))
				}
				b.ReportMetric(unknownShare(out), "unknown-%")
			})
		}
	})

	b.Run("cold/batch1000", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			r := benchOpen(b)
			b.StartTimer()
			locateBatches(r, cold, out, benchBatch)
			b.StopTimer()
			r.Close()
			b.StartTimer()
		}
		reportLookups(b)
		b.ReportMetric(unknownShare(out), "unknown-%")
	})

	rd, err := maxminddb.OpenBytes(geodata.CountryMMDB)
	if err != nil {
		b.Fatal(err)
	}
	defer rd.Close()
	b.Run("mmdb/decode", func(b *testing.B) {
		var rec struct {
			CountryCode string `maxminddb:"country_code"`
		}
		unknown := 0
		for b.Loop() {
			unknown = 0
			for _, a := range cold {
				rec.CountryCode = ""
				res := rd.Lookup(a)
				if err := res.Decode(&rec); err != nil {
					b.Fatal(err)
				}
				if rec.CountryCode == "" {
					unknown++
				}
			}
		}
		reportLookups(b)
		b.ReportMetric(100*float64(unknown)/float64(len(cold)), "unknown-%")
	})
	b.Run("mmdb/walk", func(b *testing.B) {
		found := 0
		for b.Loop() {
			found = 0
			for _, a := range cold {
				res := rd.Lookup(a)
				if err := res.Err(); err != nil {
					b.Fatal(err)
				}
				if res.Found() {
					found++
				}
			}
		}
		reportLookups(b)
		b.ReportMetric(100-100*float64(found)/float64(len(cold)), "unknown-%")
	})
}
