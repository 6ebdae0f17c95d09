package geo

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/bangui/bangui/core"
)

// CacheRow is one row of the geo_cache table: an online answer (or a
// negative one: Country Unknown, not asked again before RetryAt).
type CacheRow struct {
	IP string
	Info
	ResolvedAt, LastSeen, RetryAt time.Time
}

// Cache is the geo_cache table (core/store implements it).
type Cache interface {
	// LoadGeo calls fn for every row.
	LoadGeo(ctx context.Context, fn func(CacheRow)) error
	// PutGeo inserts or replaces rows.
	PutGeo(ctx context.Context, rows []CacheRow) error
	// TouchGeo sets last_seen of the rows of ips to at.
	TouchGeo(ctx context.Context, ips []string, at time.Time) error
}

// Options configure a Resolver.
type Options struct {
	// Databases in order of preference: the first that knows an
	// address's country gives it, the first that knows its AS gives that.
	// Put the user's files before the embedded one.
	Databases []*Database
	// Online is the internet service for addresses no database knows;
	// nil keeps every lookup offline (the default: it sends banned
	// addresses to a third party).
	Online Online
	// Cache is the geo_cache table; nil keeps online answers in memory
	// only.
	Cache Cache
	// MemoryLimit bounds the in-memory cache (entries; default 1<<18).
	MemoryLimit int
	// NegativeRetry is how long an address the online service did not
	// know is not asked again (default 7 days); FailureRetry how long
	// after the service failed (default 15 minutes).
	NegativeRetry, FailureRetry time.Duration
	Now                         func() time.Time
}

// memEntry is an answer in the memory cache; table says it came from the
// geo_cache table (its use refreshes last_seen).
type memEntry struct {
	Info
	table bool
}

// memKey is an address as the memory cache keys it: 16 bytes, IPv4 as
// IPv4-mapped. Keys and values hold no pointers, so the garbage collector
// never scans the map, and a hit is one hash of 16 bytes.
type memKey [16]byte

func keyOf(a netip.Addr) memKey { return a.Unmap().As16() }

// Resolver is the chain: memory cache, geo_cache table, MaxMind DB files,
// then (only when configured) the online service. Locate never leaves the
// machine; Resolve may. Safe for concurrent use.
type Resolver struct {
	opt Options

	mu sync.RWMutex
	// mem maps addresses to answers[i]: few distinct answers (a country
	// and its source) serve many addresses.
	mem       map[memKey]uint32
	answers   []memEntry
	answerIdx map[memEntry]uint32
	table     map[netip.Addr]CacheRow
	touched   map[netip.Addr]struct{}
	// failedUntil: the online service failed; not asked before then.
	failedUntil time.Time
	// sources interns the Source strings of merged answers.
	sources map[[2]string]string
}

// New builds a resolver and reads the geo_cache table into memory (it
// holds online answers only: a few thousand rows a day at most, bounded
// by the service's rate limit and the retention task).
func New(ctx context.Context, opt Options) (*Resolver, error) {
	if opt.MemoryLimit <= 0 {
		opt.MemoryLimit = 1 << 18
	}
	if opt.NegativeRetry <= 0 {
		opt.NegativeRetry = 7 * 24 * time.Hour
	}
	if opt.FailureRetry <= 0 {
		opt.FailureRetry = 15 * time.Minute
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	r := &Resolver{opt: opt, mem: map[memKey]uint32{}, answerIdx: map[memEntry]uint32{}, table: map[netip.Addr]CacheRow{},
		touched: map[netip.Addr]struct{}{}, sources: map[[2]string]string{}}
	if opt.Cache != nil {
		err := opt.Cache.LoadGeo(ctx, func(row CacheRow) {
			if a, err := netip.ParseAddr(row.IP); err == nil {
				r.table[a] = row
			}
		})
		if err != nil {
			return nil, fmt.Errorf("geo: read the geo cache: %w", err)
		}
	}
	return r, nil
}

// OnlineEnabled reports whether Resolve may ask the online service.
func (r *Resolver) OnlineEnabled() bool { return r.opt.Online != nil }

// Databases returns the MaxMind DB files in use, in order of preference.
func (r *Resolver) Databases() []*Database { return r.opt.Databases }

// Locate fills out[i] with what the offline sources say about addrs[i]
// (memory, geo_cache, MaxMind DB files). out must be as long as addrs.
func (r *Resolver) Locate(addrs []netip.Addr, out []Info) {
	var missing []int
	var seen []netip.Addr
	r.mu.RLock()
	for i, a := range addrs {
		if !a.IsValid() { // not an address: no key of its own ("::" has the zero one)
			out[i] = Info{Country: Unknown}
			continue
		}
		if j, ok := r.mem[keyOf(a)]; ok {
			e := &r.answers[j]
			out[i] = e.Info
			if e.table {
				seen = append(seen, a.Unmap())
			}
			continue
		}
		missing = append(missing, i)
	}
	r.mu.RUnlock()
	if len(missing) == 0 && len(seen) == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, a := range seen {
		r.touched[a] = struct{}{}
	}
	if len(r.mem)+len(missing) > r.opt.MemoryLimit {
		r.clearMem() // simple and cheap; the next lookups refill it
	}
	for _, i := range missing {
		a := addrs[i]
		e := r.locate(a)
		if e.table {
			r.touched[a.Unmap()] = struct{}{}
		}
		r.mem[keyOf(a)] = r.intern(e)
		out[i] = e.Info
	}
}

// intern returns the index of e in answers, adding it; r.mu is held.
func (r *Resolver) intern(e memEntry) uint32 {
	if j, ok := r.answerIdx[e]; ok {
		return j
	}
	j := uint32(len(r.answers))
	r.answers = append(r.answers, e)
	r.answerIdx[e] = j
	return j
}

// clearMem empties the memory cache; r.mu is held.
func (r *Resolver) clearMem() {
	clear(r.mem)
	clear(r.answerIdx)
	r.answers = r.answers[:0]
}

// locate resolves one address offline; r.mu is held.
func (r *Resolver) locate(a netip.Addr) memEntry {
	a = a.Unmap()
	if !a.IsValid() {
		return memEntry{Info: Info{Country: Unknown}}
	}
	if !core.IsRoutable(a) {
		return memEntry{Info: Info{Country: NotRoutable}}
	}
	if row, ok := r.table[a]; ok && row.Country != Unknown {
		return memEntry{Info: row.Info, table: true}
	}
	var country, asn Info
	var haveCountry, haveASN bool
	for _, db := range r.opt.Databases {
		in, found, err := db.lookup(a)
		if err != nil || !found {
			continue
		}
		if !haveCountry && db.HasCountry && in.Country != "" {
			country, haveCountry = in, true
		}
		if !haveASN && db.HasASN && in.ASN != 0 {
			asn, haveASN = in, true
		}
		if haveCountry && haveASN {
			break
		}
	}
	out := Info{Country: Unknown}
	switch {
	case haveCountry && haveASN && country.Source != asn.Source:
		out = Info{Country: country.Country, ASN: asn.ASN, Org: asn.Org, Source: r.mergedSource(country.Source, asn.Source)}
	case haveCountry:
		out = country
	case haveASN:
		out = asn
		out.Country = Unknown
	}
	_, negative := r.table[a]
	return memEntry{Info: out, table: negative}
}

func (r *Resolver) mergedSource(a, b string) string {
	k := [2]string{a, b}
	if s, ok := r.sources[k]; ok {
		return s
	}
	s := a + " + " + b
	r.sources[k] = s
	return s
}

// LocateText is Locate for addresses as text (fail2ban's, or the
// cache's). Text that is not an address gets Unknown; an IPv6 zone is
// ignored for the lookup (fe80::1%eth0 is link-local, so not routable).
func (r *Resolver) LocateText(ips []string) []Info {
	addrs := make([]netip.Addr, len(ips))
	for i, s := range ips {
		if a, err := netip.ParseAddr(s); err == nil {
			addrs[i] = a.WithZone("")
		} // else the zero Addr: Locate answers Unknown
	}
	out := make([]Info, len(addrs))
	r.Locate(addrs, out)
	return out
}

// Countries implements core.Locator: each address's country code
// (offline), as LocateText.
func (r *Resolver) Countries(ips []string) []string {
	out := make([]string, len(ips))
	for i, in := range r.LocateText(ips) {
		out[i] = in.Country
	}
	return out
}

// Resolve is Locate, then, when the online service is on, asks it about
// the routable addresses no offline source knows (in batches, at the
// service's pace), keeps its answers in geo_cache and returns the
// merged answers. Addresses the service did not know are not asked again
// for NegativeRetry. When the service fails, Resolve returns the answers
// so far with the error and does not ask again for FailureRetry.
// progress (may be nil) gets the addresses asked so far and how many
// need asking.
func (r *Resolver) Resolve(ctx context.Context, addrs []netip.Addr, progress func(done, total int)) ([]Info, error) {
	out := make([]Info, len(addrs))
	r.Locate(addrs, out)
	if r.opt.Online == nil {
		return out, nil
	}
	now := r.opt.Now()
	r.mu.RLock()
	paused := now.Before(r.failedUntil)
	var ask []netip.Addr
	where := map[netip.Addr][]int{}
	for i, a := range addrs {
		a = a.Unmap()
		if out[i].Country != Unknown || !core.IsRoutable(a) {
			continue
		}
		if row, ok := r.table[a]; ok && now.Before(row.RetryAt) {
			continue
		}
		if _, dup := where[a]; !dup {
			ask = append(ask, a)
		}
		where[a] = append(where[a], i)
	}
	r.mu.RUnlock()
	if len(ask) == 0 {
		return out, nil
	}
	if paused {
		return out, core.Errorf(core.EUNAVAILABLE, "%s failed recently; %d addresses wait for it until %s",
			r.opt.Online.Name(), len(ask), r.failedUntil.Format(time.TimeOnly))
	}
	size := max(1, r.opt.Online.BatchSize())
	for start := 0; start < len(ask); start += size {
		batch := ask[start:min(start+size, len(ask))]
		infos, err := r.opt.Online.Lookup(ctx, batch)
		if err == nil && len(infos) != len(batch) {
			err = fmt.Errorf("%s answered %d entries for %d addresses", r.opt.Online.Name(), len(infos), len(batch))
		}
		if err != nil {
			if !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
				r.mu.Lock()
				r.failedUntil = r.opt.Now().Add(r.opt.FailureRetry)
				r.mu.Unlock()
			}
			return out, fmt.Errorf("geo: online lookup of %d addresses (%d done): %w", len(ask), start, err)
		}
		for j, a := range batch {
			if infos[j].Country != Unknown {
				for _, i := range where[a] {
					out[i] = infos[j]
				}
			}
		}
		// Answers that could not be kept are still used now.
		if err := r.keep(ctx, batch, infos); err != nil {
			return out, err
		}
		if progress != nil {
			progress(start+len(batch), len(ask))
		}
	}
	return out, nil
}

// keep records online answers: in geo_cache, the table's copy in memory,
// and the memory cache.
func (r *Resolver) keep(ctx context.Context, addrs []netip.Addr, infos []Info) error {
	now := r.opt.Now()
	rows := make([]CacheRow, len(addrs))
	for i, a := range addrs {
		rows[i] = CacheRow{IP: a.String(), Info: infos[i], ResolvedAt: now, LastSeen: now}
		if infos[i].Country == Unknown {
			rows[i].RetryAt = now.Add(r.opt.NegativeRetry)
		}
	}
	if r.opt.Cache != nil {
		if err := r.opt.Cache.PutGeo(ctx, rows); err != nil {
			return fmt.Errorf("geo: keep online answers: %w", err)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, a := range addrs {
		r.table[a] = rows[i]
		delete(r.mem, keyOf(a))
		delete(r.touched, a)
	}
	return nil
}

// Flush writes last_seen of the geo_cache rows used since the last flush.
func (r *Resolver) Flush(ctx context.Context) (int, error) {
	now := r.opt.Now()
	r.mu.Lock()
	ips := make([]string, 0, len(r.touched))
	for a := range r.touched {
		ips = append(ips, a.String())
		if row, ok := r.table[a]; ok {
			row.LastSeen = now // the copy in memory follows (Forget reads it)
			r.table[a] = row
		}
	}
	clear(r.touched)
	r.mu.Unlock()
	if len(ips) == 0 || r.opt.Cache == nil {
		return 0, nil
	}
	if err := r.opt.Cache.TouchGeo(ctx, ips, now); err != nil {
		return 0, fmt.Errorf("geo: refresh last seen: %w", err)
	}
	return len(ips), nil
}

// Forget drops geo_cache rows the retention task deleted from the copy in
// memory: every row last seen before cutoff.
func (r *Resolver) Forget(cutoff time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for a, row := range r.table {
		if row.LastSeen.Before(cutoff) {
			if _, used := r.touched[a]; !used {
				delete(r.table, a)
				delete(r.mem, keyOf(a))
			}
		}
	}
}

// Close releases the user's database files.
func (r *Resolver) Close() error {
	var errs []error
	for _, db := range r.opt.Databases {
		errs = append(errs, db.Close())
	}
	return errors.Join(errs...)
}
