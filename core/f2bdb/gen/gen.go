// Package gen writes fail2ban-format databases filled with made-up bans,
// for benchmarks and for trying BanGUI without a busy server.
//
// The file has exactly the layout fail2ban 1.0.2 creates (SchemaV4, layout
// version 4): a jails row per jail, a logs row per file-backed jail, N rows
// in bans written in increasing timeofban order as the server writes them,
// and one bips row per (ip, jail) equal to that pair's last ban. The data
// column is a BLOB of UTF-8 JSON written the way Python's json.dumps
// (ensure_ascii=False) writes it, with per-jail log lines (sshd,
// nginx-http-auth, postfix, dovecot, recidive; a generic line for other
// jails) whose "matches" elements mix fail2ban's two forms: a
// [prefix, date, rest] list and a plain string.
//
// The addresses look public (IPv4 spread over the routable space, IPv6
// under real global prefixes) but the rows are data only: nothing here
// touches a firewall or a fail2ban server. The output is deterministic for
// given Options (Options.End included).
package gen

import (
	"cmp"
	"context"
	"crypto/md5"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/bangui/bangui/core"
)

// SchemaV4 is fail2ban 1.0.2's schema, layout version 4: the statements of
// server/database.py's _CREATE_SCRIPTS verbatim (so that sqlite_master holds
// the very same text, in the same order, as in a file fail2ban created),
// one per line, and the version row.
const SchemaV4 = "" +
	"CREATE TABLE IF NOT EXISTS fail2banDb(version INTEGER);\n" +
	"CREATE TABLE IF NOT EXISTS jails(name TEXT NOT NULL UNIQUE, enabled INTEGER NOT NULL DEFAULT 1);\n" +
	"CREATE INDEX IF NOT EXISTS jails_name ON jails(name);\n" +
	"CREATE TABLE IF NOT EXISTS logs(jail TEXT NOT NULL, path TEXT, firstlinemd5 TEXT, lastfilepos INTEGER DEFAULT 0, " +
	"FOREIGN KEY(jail) REFERENCES jails(name) ON DELETE CASCADE, UNIQUE(jail, path),UNIQUE(jail, path, firstlinemd5));\n" +
	"CREATE INDEX IF NOT EXISTS logs_path ON logs(path);\n" +
	"CREATE INDEX IF NOT EXISTS logs_jail_path ON logs(jail, path);\n" +
	"CREATE TABLE IF NOT EXISTS bans(jail TEXT NOT NULL, ip TEXT, timeofban INTEGER NOT NULL, bantime INTEGER NOT NULL, " +
	"bancount INTEGER NOT NULL default 1, data JSON, FOREIGN KEY(jail) REFERENCES jails(name) );\n" +
	"CREATE INDEX IF NOT EXISTS bans_jail_timeofban_ip ON bans(jail, timeofban);\n" +
	"CREATE INDEX IF NOT EXISTS bans_jail_ip ON bans(jail, ip);\n" +
	"CREATE INDEX IF NOT EXISTS bans_ip ON bans(ip);\n" +
	"CREATE TABLE IF NOT EXISTS bips(ip TEXT NOT NULL, jail TEXT NOT NULL, timeofban INTEGER NOT NULL, bantime INTEGER NOT NULL, " +
	"bancount INTEGER NOT NULL default 1, data JSON, PRIMARY KEY(ip, jail), FOREIGN KEY(jail) REFERENCES jails(name) );\n" +
	"CREATE INDEX IF NOT EXISTS bips_timeofban ON bips(timeofban);\n" +
	"CREATE INDEX IF NOT EXISTS bips_ip ON bips(ip);\n" +
	"INSERT INTO fail2banDb(version) VALUES(4);\n"

// Defaults and limits of Options.
const (
	DefaultSpan        = 365 * 24 * time.Hour
	DefaultManualShare = 0.02
	DefaultIPv6Share   = 0.05
	DefaultMaxMatches  = 10
	// MaxMaxMatches caps Options.MaxMatches (fail2ban's dbmaxmatches is
	// 10 by default).
	MaxMaxMatches = 100
	// MaxJails caps len(Options.Jails).
	MaxJails = 256
	// MaxRows caps Options.N.
	MaxRows = 100_000_000
)

// DefaultJails are the jails used when Options.Jails is empty, most common
// first; see defaultWeights.
var DefaultJails = []string{"sshd", "nginx-http-auth", "postfix", "dovecot", "recidive"}

// Options say what to generate. The zero value of every field but N means
// its default.
type Options struct {
	// N is the number of bans rows (required, 1 to MaxRows).
	N int
	// Jails are the jail names. Default DefaultJails with skewed weights
	// (sshd 60 %, nginx-http-auth 15 %, postfix 13 %, dovecot 8 %,
	// recidive 4 %); a list given here is weighted by position, the first
	// most (1/1, 1/2, 1/3...). Known names (those of DefaultJails) get
	// their own log lines, bantime and maxretry; others a generic line.
	// recidive only bans addresses that were banned at least 3 times.
	Jails []string
	// End is the latest possible timeofban (default now); the bans spread
	// over [End-Span, End].
	End time.Time
	// Span defaults to DefaultSpan (365 days); negative is an error.
	Span time.Duration
	// Seed makes the content: the same Options give the same file content.
	Seed int64
	// ManualShare is the share of manual bans ("set <jail> banip": data
	// {"matches": [], "failures": 0}). Default DefaultManualShare; a
	// negative value means none.
	ManualShare float64
	// IPv6Share is the share of distinct addresses that are IPv6. Default
	// DefaultIPv6Share; a negative value means none.
	IPv6Share float64
	// DistinctIPs is the number of distinct addresses (default N/3, at
	// least 1; at most N). Every address is banned at least once and the
	// other rows go to them along a Zipf-like law, so a few addresses
	// recur a lot (the top one in about 1 % of the rows) while most are
	// banned once or twice.
	DistinctIPs int
	// MaxMatches caps the matches per ban, as fail2ban's dbmaxmatches
	// (default DefaultMaxMatches; typically 3 to 6 are stored, as many as
	// the failures up to this cap). Negative means dbmaxmatches = 0:
	// fail2ban then drops the "matches" key of detected bans.
	MaxMatches int
}

// Generate writes a new fail2ban database with opt.N bans at path. It
// refuses to overwrite anything (ECONFLICT when path, or a -journal or
// -wal file next to it, exists) and removes its partial file when it fails
// or ctx ends (ECANCELED). progress, when not nil, is called from the
// calling goroutine with the bans rows written so far and opt.N, at the
// start, every 10,000 rows and at the end.
//
// Generation runs with journal_mode=OFF and synchronous=OFF; the file is
// left in the rollback-journal mode fail2ban's own file is in (never WAL).
// Errors are *core.Error values.
func Generate(ctx context.Context, path string, opt Options, progress func(done, total int)) (err error) {
	if err := ctx.Err(); err != nil {
		return core.Wrap(err, core.ECANCELED, "generating the fail2ban database was cancelled")
	}
	plan, err := newPlan(opt)
	if err != nil {
		return err
	}
	abs, err := createFile(path)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.Remove(abs)
			os.Remove(abs + "-journal")
		}
	}()
	if ctx.Err() == nil {
		err = plan.write(ctx, abs, progress)
	}
	if ctx.Err() != nil {
		return core.Wrap(ctx.Err(), core.ECANCELED, "generating the fail2ban database was cancelled; the partial file was removed")
	}
	return err
}

// createFile creates path, which must not exist, and returns its absolute
// form.
func createFile(path string) (string, error) {
	if path == "" || path == ":memory:" {
		return "", core.Errorf(core.EINVALID, "no output file given")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", core.Wrap(err, core.EINVALID, fmt.Sprintf("cannot use %q as the output file", path))
	}
	for _, side := range []string{"-journal", "-wal"} {
		if _, err := os.Lstat(abs + side); err == nil {
			return "", core.Errorf(core.ECONFLICT,
				"%s exists (an SQLite journal left next to the output file): remove it, or choose another output file", abs+side)
		}
	}
	f, err := os.OpenFile(abs, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	switch {
	case errors.Is(err, fs.ErrExist):
		return "", core.Wrap(err, core.ECONFLICT,
			fmt.Sprintf("%s already exists: refusing to overwrite it; remove it or choose another output file", abs))
	case errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR):
		return "", core.Wrap(err, core.ENOTFOUND,
			fmt.Sprintf("cannot create %s: the folder %s does not exist", abs, filepath.Dir(abs)))
	case errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS):
		return "", core.Wrap(err, core.EPERMISSION,
			fmt.Sprintf("cannot create %s: the folder %s is not writable", abs, filepath.Dir(abs)))
	case err != nil:
		return "", core.Wrap(err, core.EUNAVAILABLE, fmt.Sprintf("cannot create %s", abs))
	}
	if err := f.Close(); err != nil {
		os.Remove(abs)
		return "", core.Wrap(err, core.EUNAVAILABLE, fmt.Sprintf("cannot create %s", abs))
	}
	return abs, nil
}

// style selects a jail's log lines.
type style uint8

const (
	styleGeneric style = iota
	styleSSHD
	styleNginx
	stylePostfix
	styleDovecot
	styleRecidive
)

// jailSpec is what a jail's bans look like.
type jailSpec struct {
	name     string
	weight   float64
	bantime  int64 // seconds, the first ban's
	maxtime  int64 // bantime.increment's cap
	maxretry int
	findtime int64
	style    style
	logpath  string // "" for a journal (systemd) backend: no logs row
	recidive bool
}

var knownJails = map[string]jailSpec{
	"sshd":            {weight: 0.60, bantime: 600, maxtime: 7 * 86400, maxretry: 5, findtime: 600, style: styleSSHD},
	"nginx-http-auth": {weight: 0.15, bantime: 600, maxtime: 7 * 86400, maxretry: 3, findtime: 600, style: styleNginx, logpath: "/var/log/nginx/error.log"},
	"postfix":         {weight: 0.13, bantime: 600, maxtime: 7 * 86400, maxretry: 3, findtime: 600, style: stylePostfix, logpath: "/var/log/mail.log"},
	"dovecot":         {weight: 0.08, bantime: 600, maxtime: 7 * 86400, maxretry: 3, findtime: 600, style: styleDovecot, logpath: "/var/log/mail.log"},
	"recidive":        {weight: 0.04, bantime: 604800, maxtime: 604800, maxretry: 5, findtime: 86400, style: styleRecidive, logpath: "/var/log/fail2ban.log", recidive: true},
}

// row is one ban before its data is made.
type row struct {
	t     int64 // timeofban
	ip    int32
	idx   int32 // generation order: the tie-break that keeps the sort deterministic
	jail  uint8
	flags uint8
	count int32 // bancount
}

const (
	flagLast      = 1 << iota // the pair's last ban: also written to bips
	flagManual                // data {"matches": [], "failures": 0}
	flagPermanent             // bantime -1
)

// plan is everything decided before writing; the data column is made while
// writing, from rng, in row order.
type plan struct {
	opt   Options
	jails []jailSpec
	ips   []string
	v6    []bool
	rows  []row
	rng   *rand.Rand
}

// newPlan checks opt, fills the defaults and draws addresses, times and
// jails.
func newPlan(opt Options) (*plan, error) {
	if opt.N <= 0 || opt.N > MaxRows {
		return nil, core.Errorf(core.EINVALID, "the number of bans must be between 1 and %d, not %d", MaxRows, opt.N)
	}
	switch {
	case opt.Span < 0:
		return nil, core.Errorf(core.EINVALID, "the time span must not be negative (%v)", opt.Span)
	case opt.Span == 0:
		opt.Span = DefaultSpan
	case opt.Span < time.Second:
		return nil, core.Errorf(core.EINVALID, "the time span must be at least 1s (%v)", opt.Span)
	}
	if opt.End.IsZero() {
		opt.End = time.Now()
	}
	end := opt.End.Unix()
	if end-int64(opt.Span/time.Second) < 0 || end > 1<<40 {
		return nil, core.Errorf(core.EINVALID, "the bans would fall outside 1970..%d: end %v, span %v",
			time.Unix(1<<40, 0).Year(), opt.End, opt.Span)
	}
	var err error
	if opt.ManualShare, err = share("manual ban", opt.ManualShare, DefaultManualShare); err != nil {
		return nil, err
	}
	if opt.IPv6Share, err = share("IPv6", opt.IPv6Share, DefaultIPv6Share); err != nil {
		return nil, err
	}
	switch {
	case opt.DistinctIPs < 0 || opt.DistinctIPs > opt.N:
		return nil, core.Errorf(core.EINVALID, "the number of distinct addresses must be between 1 and the number of bans (%d), not %d",
			opt.N, opt.DistinctIPs)
	case opt.DistinctIPs == 0:
		opt.DistinctIPs = max(opt.N/3, 1)
	}
	switch {
	case opt.MaxMatches > MaxMaxMatches:
		return nil, core.Errorf(core.EINVALID, "at most %d matches per ban, not %d", MaxMaxMatches, opt.MaxMatches)
	case opt.MaxMatches == 0:
		opt.MaxMatches = DefaultMaxMatches
	}
	jails, err := jailSpecs(opt.Jails)
	if err != nil {
		return nil, err
	}
	opt.Jails = make([]string, len(jails))
	for i, j := range jails {
		opt.Jails[i] = j.name
	}

	p := &plan{opt: opt, jails: jails,
		rng: rand.New(rand.NewPCG(uint64(opt.Seed), 0x9e3779b97f4a7c15))}
	p.drawAddresses()
	p.drawRows()
	return p, nil
}

// share checks a share option: 0 gives def, negative 0.
func share(what string, v, def float64) (float64, error) {
	switch {
	case math.IsNaN(v) || v > 1:
		return 0, core.Errorf(core.EINVALID, "the %s share must be between 0 and 1, not %v", what, v)
	case v == 0:
		return def, nil
	case v < 0:
		return 0, nil
	}
	return v, nil
}

// jailSpecs returns the specs of names (DefaultJails when empty).
func jailSpecs(names []string) ([]jailSpec, error) {
	given := len(names) > 0
	if !given {
		names = DefaultJails
	}
	if len(names) > MaxJails {
		return nil, core.Errorf(core.EINVALID, "at most %d jails, not %d", MaxJails, len(names))
	}
	seen := map[string]bool{}
	var out []jailSpec
	for i, n := range names {
		n = strings.TrimSpace(n)
		if n == "" || strings.ContainsAny(n, " \t\r\n/\\") || len(n) > 64 {
			return nil, core.Errorf(core.EINVALID, "%q is not a jail name (1 to 64 characters, no spaces or slashes)", n)
		}
		if seen[n] {
			return nil, core.Errorf(core.EINVALID, "jail %q is listed twice", n)
		}
		seen[n] = true
		s, ok := knownJails[n]
		if !ok {
			s = jailSpec{bantime: 600, maxtime: 7 * 86400, maxretry: 5, findtime: 600, style: styleGeneric,
				logpath: "/var/log/" + n + ".log"}
		}
		s.name = n
		if given {
			s.weight = 1 / float64(i+1)
		}
		out = append(out, s)
	}
	return out, nil
}

// drawAddresses draws opt.DistinctIPs distinct public-looking addresses.
func (p *plan) drawAddresses() {
	d := p.opt.DistinctIPs
	p.ips = make([]string, 0, d)
	p.v6 = make([]bool, 0, d)
	seen := make(map[netip.Addr]struct{}, d)
	for len(p.ips) < d {
		var a netip.Addr
		v6 := p.rng.Float64() < p.opt.IPv6Share
		if v6 {
			a = randomIPv6(p.rng)
		} else {
			a = randomIPv4(p.rng)
		}
		if _, dup := seen[a]; dup {
			continue
		}
		seen[a] = struct{}{}
		p.ips = append(p.ips, a.String())
		p.v6 = append(p.v6, v6)
	}
}

// v4Excluded are the ranges no attacker comes from: RFC 6890 special-use
// blocks, private, shared (CGNAT), loopback, link-local, documentation,
// benchmarking, multicast and reserved.
var v4Excluded = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
		"172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16",
		"198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/3",
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// randomIPv4 draws a public-looking IPv4 address, uniformly over the
// routable space (so a world map gets many countries), host part not .0
// or .255.
func randomIPv4(rng *rand.Rand) netip.Addr {
	for {
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], rng.Uint32())
		if b[3] == 0 || b[3] == 255 {
			continue
		}
		a := netip.AddrFrom4(b)
		if !slices.ContainsFunc(v4Excluded, func(p netip.Prefix) bool { return p.Contains(a) }) {
			return a
		}
	}
}

// v6Prefixes are real global unicast allocations (hosting providers,
// access networks and RIR blocks across the regions) with a weight each.
var v6Prefixes = func() []struct {
	p netip.Prefix
	w int
} {
	list := []struct {
		s string
		w int
	}{
		{"2a01:4f8::/29", 8},  // Hetzner, DE
		{"2a03:b0c0::/32", 6}, // DigitalOcean, EU
		{"2604:a880::/32", 6}, // DigitalOcean, US
		{"2001:41d0::/32", 6}, // OVH, FR
		{"2001:19f0::/32", 4}, // Vultr
		{"2600:1f00::/24", 5}, // Amazon, US
		{"2406:da00::/24", 3}, // Amazon, AP
		{"2a05:d000::/25", 3}, // Amazon, EU
		{"2a02:c207::/32", 3}, // Contabo, DE
		{"240e::/20", 8},      // China Telecom
		{"2408:8000::/20", 5}, // China Unicom
		{"2409:8000::/20", 5}, // China Mobile
		{"2001:da8::/32", 2},  // CERNET, CN
		{"2401:4900::/32", 3}, // Bharti Airtel, IN
		{"2405:201::/32", 3},  // Reliance Jio, IN
		{"2001:ee0::/32", 2},  // VNPT, VN
		{"2003::/19", 3},      // Deutsche Telekom, DE
		{"2a00::/12", 4},      // RIPE NCC
		{"2400::/12", 3},      // APNIC
		{"2600::/12", 3},      // ARIN
		{"2800::/12", 3},      // LACNIC
		{"2c00::/12", 2},      // AFRINIC
		{"2001:1200::/23", 1}, // LACNIC
		{"2001:4200::/23", 1}, // AFRINIC
	}
	out := make([]struct {
		p netip.Prefix
		w int
	}, len(list))
	for i, e := range list {
		out[i].p, out[i].w = netip.MustParsePrefix(e.s), e.w
	}
	return out
}()

var v6TotalWeight = func() int {
	n := 0
	for _, e := range v6Prefixes {
		n += e.w
	}
	return n
}()

// randomIPv6 draws an address under one of v6Prefixes: a random /64 below
// the prefix, and an interface id that is either small (servers: ::1,
// ::a2) or random (SLAAC).
func randomIPv6(rng *rand.Rand) netip.Addr {
	k := rng.IntN(v6TotalWeight)
	i := 0
	for ; k >= v6Prefixes[i].w; i++ {
		k -= v6Prefixes[i].w
	}
	pfx := v6Prefixes[i].p
	b := pfx.Addr().As16()
	hi := binary.BigEndian.Uint64(b[:8])
	bits := pfx.Bits()
	hi |= rng.Uint64() & (math.MaxUint64 >> bits) // bits < 64 for every prefix
	var lo uint64
	switch r := rng.IntN(10); {
	case r < 4:
		lo = uint64(1 + rng.IntN(0x100))
	default:
		lo = rng.Uint64() | 1<<60
	}
	binary.BigEndian.PutUint64(b[:8], hi)
	binary.BigEndian.PutUint64(b[8:], lo)
	return netip.AddrFrom16(b)
}

// drawRows decides every row's address, jail and time, sorts the rows by
// time and counts the bans per (ip, jail).
func (p *plan) drawRows() {
	n, d := p.opt.N, len(p.ips)
	rng := p.rng

	// Bans per address: one each, the rest along weights (k+q)^-s.
	const q, s = 10.0, 1.1
	counts := make([]int32, d)
	rest := n - d
	if rest > 0 {
		w := make([]float64, d)
		total := 0.0
		for k := range w {
			w[k] = math.Pow(float64(k)+q, -s)
			total += w[k]
		}
		given := 0
		for k := range w {
			e := int(float64(rest) * w[k] / total)
			counts[k] = int32(e)
			given += e
		}
		for k := 0; given < rest; k = (k + 1) % d {
			counts[k]++
			given++
		}
	}

	// Jail weights. recidive is never an address's first choice: it bans
	// addresses with 3 bans or more, with the probability that gives it
	// its weight's share of all rows.
	var jailW []float64
	recidive, recP := -1, 0.0
	for i, j := range p.jails {
		if j.recidive && len(p.jails) > 1 {
			recidive = i
			jailW = append(jailW, 0)
			continue
		}
		jailW = append(jailW, j.weight)
	}
	if recidive >= 0 {
		eligible := 0
		for _, c := range counts {
			if c+1 >= 3 {
				eligible += int(c) + 1
			}
		}
		if eligible > 0 {
			share := p.jails[recidive].weight / (sum(jailW) + p.jails[recidive].weight)
			recP = min(share*float64(n)/float64(eligible), 0.5)
		}
	}

	span := int64(p.opt.Span / time.Second)
	start := p.opt.End.Unix() - span
	p.rows = make([]row, 0, n)
	for ip := range d {
		c := int(counts[ip]) + 1
		primary := pick(rng, jailW)
		// A campaign: an address that comes back often is active longer.
		var window int64
		if c > 1 {
			window = min(int64(float64(c)*float64(3600+rng.IntN(23*3600))), span)
		}
		from := start + rng.Int64N(span-window+1)
		for range c {
			j := primary
			switch {
			case c >= 3 && recP > 0 && rng.Float64() < recP:
				j = recidive
			case rng.IntN(10) < 2:
				j = pick(rng, jailW)
			}
			var flags uint8
			if rng.Float64() < p.opt.ManualShare {
				flags |= flagManual
			}
			p.rows = append(p.rows, row{
				t:     from + rng.Int64N(window+1),
				ip:    int32(ip),
				idx:   int32(len(p.rows)),
				jail:  uint8(j),
				flags: flags,
			})
		}
	}
	slices.SortFunc(p.rows, func(a, b row) int {
		return cmp.Or(cmp.Compare(a.t, b.t), cmp.Compare(a.idx, b.idx))
	})

	// bancount per (ip, jail), and each pair's last row.
	nj := int64(len(p.jails))
	last := make(map[int64]int32, d+d/4)
	for i := range p.rows {
		r := &p.rows[i]
		key := int64(r.ip)*nj + int64(r.jail)
		if prev, ok := last[key]; ok {
			r.count = p.rows[prev].count + 1
		} else {
			r.count = 1
		}
		last[key] = int32(i)
	}
	for _, i := range last {
		r := &p.rows[i]
		r.flags |= flagLast
	}
	// A few last bans are permanent (bantime -1). Decided in row order so
	// that the map's order does not matter.
	for i := range p.rows {
		if p.rows[i].flags&flagLast != 0 && rng.IntN(250) == 0 {
			p.rows[i].flags |= flagPermanent
		}
	}
}

func sum(w []float64) float64 {
	t := 0.0
	for _, x := range w {
		t += x
	}
	return t
}

// pick draws an index with probability proportional to w.
func pick(rng *rand.Rand, w []float64) int {
	x := rng.Float64() * sum(w)
	for i, v := range w {
		if x < v {
			return i
		}
		x -= v
	}
	return len(w) - 1
}

// bantime of r: the jail's, doubled with every ban of the pair
// (bantime.increment's default formula) up to maxtime; -1 when permanent.
func (p *plan) bantime(r row) int64 {
	if r.flags&flagPermanent != 0 {
		return -1
	}
	j := p.jails[r.jail]
	bt := j.bantime
	for k := int32(1); k < r.count && bt < j.maxtime; k++ {
		bt *= 2
	}
	return min(bt, max(j.maxtime, j.bantime))
}

// Rows per multi-row INSERT (6 parameters each) and per progress report.
const (
	stmtRows     = 500
	progressRows = 10_000
)

// batch is one multi-row INSERT's parameters.
type batch struct {
	bips bool
	rows int
	args []any
	done int // bans rows generated so far, for progress
}

// write creates the schema and writes the rows into the new, empty file
// abs.
func (p *plan) write(ctx context.Context, abs string, progress func(done, total int)) error {
	db, err := sql.Open("sqlite", fileURI(abs))
	if err != nil {
		return core.Wrap(err, core.EINTERNAL, "cannot open "+abs)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(ctx)
	if err != nil {
		return writeError(err, abs)
	}
	defer conn.Close()

	for _, s := range []string{
		"PRAGMA journal_mode=OFF", "PRAGMA synchronous=OFF", "PRAGMA locking_mode=EXCLUSIVE",
		// One transaction, and a cache of 32 MiB: measured faster than
		// commits every 100,000 rows (which rewrite the index pages each
		// time) and than larger caches (modernc's allocator pays for every
		// page it hands back when the connection closes).
		"PRAGMA cache_size=-32768", "PRAGMA temp_store=MEMORY",
		"BEGIN", SchemaV4,
	} {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			return writeError(err, abs)
		}
	}
	for _, j := range p.jails {
		if _, err := conn.ExecContext(ctx, "INSERT INTO jails(name, enabled) VALUES(?, 1)", j.name); err != nil {
			return writeError(err, abs)
		}
	}
	for _, j := range p.jails {
		if j.logpath == "" {
			continue
		}
		sum := md5.Sum([]byte(firstLine(j, p.opt.End.Unix()-int64(p.opt.Span/time.Second))))
		pos := 1<<20 + p.rng.Int64N(1<<28)
		if _, err := conn.ExecContext(ctx, "INSERT INTO logs(jail, path, firstlinemd5, lastfilepos) VALUES(?, ?, ?, ?)",
			j.name, j.logpath, hex.EncodeToString(sum[:]), pos); err != nil {
			return writeError(err, abs)
		}
	}

	full := map[bool]*sql.Stmt{}
	for _, bips := range []bool{false, true} {
		st, err := conn.PrepareContext(ctx, insertSQL(bips, stmtRows))
		if err != nil {
			return writeError(err, abs)
		}
		defer st.Close()
		full[bips] = st
	}

	// The data column is made on a second goroutine while SQLite writes.
	gctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan batch, 4)
	go p.produce(gctx, batches)

	if progress != nil {
		progress(0, p.opt.N)
	}
	written, reported := 0, 0
	for b := range batches {
		if err := ctx.Err(); err != nil {
			return err
		}
		if b.rows == stmtRows {
			_, err = full[b.bips].ExecContext(ctx, b.args...)
		} else {
			_, err = conn.ExecContext(ctx, insertSQL(b.bips, b.rows), b.args...)
		}
		if err != nil {
			return writeError(err, abs)
		}
		if b.bips {
			continue
		}
		written = b.done
		if progress != nil && written-reported >= progressRows && written < p.opt.N {
			reported = written
			progress(written, p.opt.N)
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if written != p.opt.N {
		return core.Errorf(core.EINTERNAL, "wrote %d bans rows instead of %d", written, p.opt.N)
	}
	for _, s := range []string{"COMMIT", "PRAGMA locking_mode=NORMAL", "PRAGMA journal_mode=DELETE"} {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			return writeError(err, abs)
		}
	}
	var mode string
	if err := conn.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return writeError(err, abs)
	}
	if !strings.EqualFold(mode, "delete") {
		return core.Errorf(core.EINTERNAL, "%s was left in journal mode %q", abs, mode)
	}
	for _, st := range full {
		st.Close()
	}
	if err := conn.Close(); err != nil {
		return writeError(err, abs)
	}
	if err := db.Close(); err != nil {
		return writeError(err, abs)
	}
	if progress != nil {
		progress(p.opt.N, p.opt.N)
	}
	return nil
}

// fileURI is path as an SQLite file: URI (so that "?" or "#" in a name are
// not read as parameters).
func fileURI(path string) string {
	p := filepath.ToSlash(path)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return (&url.URL{Scheme: "file", Path: p}).String()
}

// writeError wraps a failed SQLite call.
func writeError(err error, abs string) error {
	msg := err.Error()
	if strings.Contains(msg, "disk is full") || strings.Contains(msg, "SQLITE_FULL") {
		return core.Wrap(err, core.EUNAVAILABLE, "writing "+abs+" failed: the disk is full")
	}
	return core.Wrap(err, core.EUNAVAILABLE, "writing "+abs+" failed")
}

// insertSQL is a multi-row INSERT of n rows into bans or bips.
func insertSQL(bips bool, n int) string {
	var b strings.Builder
	if bips {
		b.WriteString("INSERT INTO bips(ip, jail, timeofban, bantime, bancount, data) VALUES ")
	} else {
		b.WriteString("INSERT INTO bans(jail, ip, timeofban, bantime, bancount, data) VALUES ")
	}
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?,?,?,?,?,?)")
	}
	return b.String()
}

// produce makes the rows' parameters in row order and sends them in
// batches; it closes out when done or when ctx ends.
func (p *plan) produce(ctx context.Context, out chan<- batch) {
	defer close(out)
	mk := func(bips bool) batch { return batch{bips: bips, args: make([]any, 0, 6*stmtRows)} }
	bans, bips := mk(false), mk(true)
	send := func(b *batch, done int) bool {
		b.done = done
		select {
		case out <- *b:
		case <-ctx.Done():
			return false
		}
		*b = mk(b.bips)
		return true
	}
	g := &lineGen{rng: p.rng}
	for i, r := range p.rows {
		data := g.data(p, r)
		ip, jail := p.ips[r.ip], p.jails[r.jail].name
		bt, bc := p.bantime(r), int64(r.count)
		bans.args = append(bans.args, jail, ip, r.t, bt, bc, data)
		bans.rows++
		if r.flags&flagLast != 0 {
			bips.args = append(bips.args, ip, jail, r.t, bt, bc, data)
			bips.rows++
			if bips.rows == stmtRows && !send(&bips, i+1) {
				return
			}
		}
		if bans.rows == stmtRows && !send(&bans, i+1) {
			return
		}
	}
	if bips.rows > 0 && !send(&bips, len(p.rows)) {
		return
	}
	if bans.rows > 0 {
		send(&bans, len(p.rows))
	}
}

// lineGen makes data columns.
type lineGen struct {
	rng   *rand.Rand
	times []int64
	line  []byte
}

// data returns r's data column: UTF-8 JSON as fail2ban's
// json.dumps(ensure_ascii=False) writes it.
func (g *lineGen) data(p *plan, r row) []byte {
	if r.flags&flagManual != 0 {
		return []byte(`{"matches": [], "failures": 0}`)
	}
	j := &p.jails[r.jail]
	rng := g.rng
	failures := j.maxretry
	for failures < 50 && rng.IntN(2) == 0 {
		failures++
	}
	ip := p.ips[r.ip]
	b := make([]byte, 0, 1024)
	b = append(b, '{')
	if p.opt.MaxMatches > 0 {
		n := min(failures, p.opt.MaxMatches)
		// Failure times within findtime before the ban, the last one at it.
		g.times = g.times[:0]
		for range n - 1 {
			g.times = append(g.times, r.t-rng.Int64N(j.findtime))
		}
		slices.Sort(g.times)
		g.times = append(g.times, r.t)
		// Most rows hold lists, some strings, some both.
		mode := rng.IntN(20) // 0..13 lists, 14..16 strings, 17..19 mixed
		b = append(b, `"matches": [`...)
		for k, t := range g.times {
			if k > 0 {
				b = append(b, ", "...)
			}
			asList := mode < 14 || (mode >= 17 && rng.IntN(2) == 0)
			date, rest := g.logLine(p, j, t, ip)
			if asList {
				b = append(b, `["", `...)
				b = appendPyString(b, date)
				b = append(b, ", "...)
				b = appendPyString(b, rest)
				b = append(b, ']')
			} else {
				b = appendPyString(b, date+rest)
			}
		}
		b = append(b, "], "...)
	}
	b = append(b, `"failures": `...)
	b = strconv.AppendInt(b, int64(failures), 10)
	if p.v6[r.ip] {
		b = append(b, `, "ip6": `...)
	} else {
		b = append(b, `, "ip4": `...)
	}
	b = appendPyString(b, ip)
	return append(b, '}')
}

var (
	sshUsers = []string{"root", "admin", "test", "user", "ubuntu", "oracle", "postgres", "git", "guest",
		"ftpuser", "pi", "support", "deploy", "mysql", "debian", "centos", "hadoop", "jenkins", "www-data",
		"minecraft", "steam", "tomcat", "nagios", "ansible", "dev", "backup", "vagrant", "administrator",
		"user1", "test1", "ts3", "sysadmin", "odoo", "es", "elastic", "docker", "kafka", "solana", "sol", "validator"}
	mailUsers = []string{"info", "admin", "contact", "sales", "office", "test", "support", "webmaster",
		"postmaster", "noreply", "hr", "billing", "marketing", "newsletter", "mail", "user", "scanner", "accounts"}
	domains   = []string{"example.com", "example.org", "example.net"}
	httpPaths = []string{"/admin/", "/wp-login.php", "/phpmyadmin/", "/private/", "/status", "/grafana/",
		"/secure/", "/.env", "/manager/html", "/backup/", "/"}
	saslMech = []string{"LOGIN", "PLAIN"}
	helos    = []string{"User", "WIN-CLJ1B0GQ6JP", "ylmf-pc", "localhost", "mail.example.net", "[127.0.0.1]"}
)

// logLine returns the date part and the rest of one failure line of jail j
// at t: the [prefix, date, rest] form with an empty prefix.
func (g *lineGen) logLine(p *plan, j *jailSpec, t int64, ip string) (date, rest string) {
	rng := g.rng
	tm := time.Unix(t, 0).UTC()
	b := g.line[:0]
	pid := 1000 + rng.IntN(64000)
	port := 1024 + rng.IntN(64511)
	switch j.style {
	case styleSSHD:
		date = tm.Format(time.DateTime)
		b = append(b, " sshd["...)
		b = strconv.AppendInt(b, int64(pid), 10)
		b = append(b, "]: "...)
		user := sshUsers[rng.IntN(len(sshUsers))]
		switch rng.IntN(6) {
		case 0, 1:
			b = fmt.Appendf(b, "Failed password for invalid user %s from %s port %d ssh2", user, ip, port)
		case 2:
			b = fmt.Appendf(b, "Failed password for root from %s port %d ssh2", ip, port)
		case 3:
			b = fmt.Appendf(b, "Invalid user %s from %s port %d", user, ip, port)
		case 4:
			b = fmt.Appendf(b, "Connection closed by authenticating user root %s port %d [preauth]", ip, port)
		default:
			b = fmt.Appendf(b, "Disconnected from invalid user %s %s port %d [preauth]", user, ip, port)
		}
	case styleNginx:
		date = tm.Format("2006/01/02 15:04:05")
		dom := domains[rng.IntN(len(domains))]
		path := httpPaths[rng.IntN(len(httpPaths))]
		b = fmt.Appendf(b, " [error] %d#%d: *%d ", pid, pid, 1+rng.IntN(9_999_999))
		if rng.IntN(3) == 0 {
			b = append(b, "no user/password was provided for basic authentication"...)
		} else {
			b = fmt.Appendf(b, `user "%s": password mismatch`, sshUsers[rng.IntN(len(sshUsers))])
		}
		b = fmt.Appendf(b, `, client: %s, server: %s, request: "GET %s HTTP/1.1", host: "%s"`, ip, dom, path, dom)
	case stylePostfix:
		date = tm.Format(time.DateTime)
		b = fmt.Appendf(b, " postfix/smtpd[%d]: ", pid)
		if rng.IntN(4) == 0 {
			b = fmt.Appendf(b, "NOQUEUE: reject: RCPT from unknown[%s]: 554 5.7.1 <%s@%s>: Relay access denied; from=<%s@%s> to=<%s@%s> proto=ESMTP helo=<%s>",
				ip, mailUsers[rng.IntN(len(mailUsers))], "example.net", mailUsers[rng.IntN(len(mailUsers))],
				domains[rng.IntN(len(domains))], mailUsers[rng.IntN(len(mailUsers))], "example.net", helos[rng.IntN(len(helos))])
		} else {
			b = fmt.Appendf(b, "warning: unknown[%s]: SASL %s authentication failed: UGFzc3dvcmQ6", ip, saslMech[rng.IntN(2)])
		}
	case styleDovecot:
		date = tm.Format(time.DateTime)
		user := mailUsers[rng.IntN(len(mailUsers))] + "@" + domains[rng.IntN(len(domains))]
		if rng.IntN(3) == 0 {
			b = fmt.Appendf(b, " dovecot: auth-worker(%d): pam(%s,%s,<%s>): pam_authenticate() failed: Authentication failure (password mismatch?)",
				pid, user, ip, session(rng))
		} else {
			proto := "imap"
			if rng.IntN(3) == 0 {
				proto = "pop3"
			}
			b = fmt.Appendf(b, " dovecot: %s-login: Disconnected: Connection closed (auth failed, %d attempts in %d secs): user=<%s>, method=PLAIN, rip=%s, lip=192.0.2.25, TLS, session=<%s>",
				proto, 1+rng.IntN(3), 1+rng.IntN(20), user, ip, session(rng))
		}
	case styleRecidive:
		date = tm.Format(time.DateTime) + fmt.Sprintf(",%03d", rng.IntN(1000))
		other := "sshd"
		for _, o := range p.jails {
			if !o.recidive && rng.IntN(3) != 0 {
				other = o.name
				break
			}
		}
		b = fmt.Appendf(b, " fail2ban.actions        [%d]: NOTICE  [%s] Ban %s", 700+rng.IntN(300), other, ip)
	default:
		date = tm.Format(time.DateTime)
		b = fmt.Appendf(b, " %s[%d]: authentication failure from %s", j.name, pid, ip)
	}
	g.line = b
	return date, string(b)
}

// session is a dovecot session id.
func session(rng *rand.Rand) string {
	const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	var s [16]byte
	for i := range s {
		s[i] = chars[rng.IntN(len(chars))]
	}
	return string(s[:])
}

// firstLine is the first line of a jail's log file, whose md5 fail2ban
// keeps in logs.firstlinemd5.
func firstLine(j jailSpec, t int64) string {
	return time.Unix(t, 0).UTC().Format(time.DateTime) + " " + j.name + " log started\n"
}

// appendPyString appends s as a JSON string the way Python's json.dumps
// with ensure_ascii=False writes it: only '"', '\\' and control characters
// are escaped (no HTML escaping, lower-case \u00XX).
func appendPyString(b []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		case '\b':
			b = append(b, '\\', 'b')
		case '\f':
			b = append(b, '\\', 'f')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
