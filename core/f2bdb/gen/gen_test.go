package gen

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/f2bdb"
)

var testEnd = time.Date(2026, 11, 27, 2, 42, 29, 0, time.UTC)

// generate writes opt into a new file in a temp folder.
func generate(t testing.TB, opt Options) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fail2ban.sqlite3")
	if err := Generate(context.Background(), path, opt, nil); err != nil {
		t.Fatalf("Generate: %v", err)
	}
	return path
}

// readAll returns every bans row (by rowid) and every bips row.
func readAll(t testing.TB, path string) (db *f2bdb.DB, bans, current []f2bdb.BanRecord) {
	t.Helper()
	ctx := context.Background()
	db, err := f2bdb.Open(ctx, path)
	if err != nil {
		t.Fatalf("f2bdb.Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	var after int64
	for {
		recs, err := db.Bans(ctx, "", after, 10000)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) == 0 {
			break
		}
		bans = append(bans, recs...)
		after = recs[len(recs)-1].RowID
	}
	current, err = db.Current(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return db, bans, current
}

func TestGenerate(t *testing.T) {
	const n = 5000
	opt := Options{N: n, End: testEnd, Seed: 7}
	path := generate(t, opt)
	db, bans, current := readAll(t, path)

	if db.Version() != 4 {
		t.Fatalf("version %d, want 4", db.Version())
	}
	if len(bans) != n {
		t.Fatalf("%d bans rows, want %d", len(bans), n)
	}

	start := testEnd.Add(-DefaultSpan)
	jails := map[string]int{}
	ips := map[string]bool{}
	count := map[string]int{}
	last := map[string]f2bdb.BanRecord{}
	var lists, strs, manual, v6, permanent int
	for i, r := range bans {
		if r.DataErr != nil {
			t.Fatalf("row %d: %v", i, r.DataErr)
		}
		if i > 0 && r.TimeOfBan.Before(bans[i-1].TimeOfBan) {
			t.Fatalf("row %d at %v is before row %d at %v", i, r.TimeOfBan, i-1, bans[i-1].TimeOfBan)
		}
		if r.TimeOfBan.Before(start) || r.TimeOfBan.After(testEnd) {
			t.Fatalf("row %d at %v is outside [%v, %v]", i, r.TimeOfBan, start, testEnd)
		}
		jails[r.Jail]++
		ips[r.IP] = true
		k := f2bdb.Key(r.Jail, r.IP)
		count[k]++
		if r.BanCount != count[k] {
			t.Fatalf("row %d (%s): bancount %d, want %d", i, k, r.BanCount, count[k])
		}
		last[k] = r
		a, err := netip.ParseAddr(r.IP)
		if err != nil || a.String() != r.IP {
			t.Fatalf("row %d: address %q is not canonical (%v)", i, r.IP, err)
		}
		checkPublic(t, a)
		if a.Is6() {
			v6++
		}
		switch {
		case r.BanTime == -time.Second:
			permanent++
		case r.BanTime < 600*time.Second:
			t.Fatalf("row %d: bantime %v", i, r.BanTime)
		}
		if r.Failures == 0 {
			manual++
			if len(r.Matches) != 0 || r.Extra != nil {
				t.Fatalf("manual row %d: matches %q, extra %v", i, r.Matches, r.Extra)
			}
			continue
		}
		if len(r.Matches) == 0 || len(r.Matches) > DefaultMaxMatches || len(r.Matches) > r.Failures {
			t.Fatalf("row %d: %d matches for %d failures", i, len(r.Matches), r.Failures)
		}
		key := "ip4"
		if a.Is6() {
			key = "ip6"
		}
		if r.Extra[key] != r.IP || len(r.Extra) != 1 {
			t.Fatalf("row %d: extra %v, want %s=%s", i, r.Extra, key, r.IP)
		}
		for _, m := range r.Matches {
			if !strings.Contains(m, r.IP) {
				t.Fatalf("row %d: match %q lacks %s", i, m, r.IP)
			}
		}
	}
	for _, j := range DefaultJails {
		if jails[j] == 0 {
			t.Errorf("no bans in jail %s: %v", j, jails)
		}
	}
	if jails["sshd"] < jails["nginx-http-auth"] || jails["recidive"] > jails["postfix"] {
		t.Errorf("jail weights not skewed as documented: %v", jails)
	}
	if want := n / 3; len(ips) != want {
		t.Errorf("%d distinct addresses, want %d", len(ips), want)
	}
	if manual < n/200 || manual > n/20 {
		t.Errorf("%d manual bans out of %d, want about 2 %%", manual, n)
	}
	if v6 < n/100 || v6 > n/5 {
		t.Errorf("%d IPv6 bans out of %d, want about 5 %%", v6, n)
	}
	t.Logf("%d manual, %d IPv6, %d permanent, %d pairs, jails %v", manual, v6, permanent, len(last), jails)
	maxCount := 0
	for _, c := range count {
		maxCount = max(maxCount, c)
	}
	if maxCount < 20 {
		t.Errorf("the most banned (ip, jail) pair has only %d bans: no heavy tail", maxCount)
	}

	// Both element forms of "matches", read raw.
	raw, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	rows, err := raw.Query("SELECT typeof(data), data FROM bans")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var typ string
		var data []byte
		if err := rows.Scan(&typ, &data); err != nil {
			t.Fatal(err)
		}
		if typ != "blob" {
			t.Fatalf("data is stored as %s, want blob", typ)
		}
		var obj struct{ Matches []json.RawMessage }
		if err := json.Unmarshal(data, &obj); err != nil {
			t.Fatalf("%s: %v", data, err)
		}
		for _, m := range obj.Matches {
			switch m[0] {
			case '[':
				var parts []string
				if err := json.Unmarshal(m, &parts); err != nil || len(parts) != 3 {
					t.Fatalf("match %s: want [prefix, date, rest] (%v)", m, err)
				}
				lists++
			case '"':
				strs++
			default:
				t.Fatalf("match %s", m)
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	if lists == 0 || strs == 0 || lists < strs {
		t.Errorf("matches: %d lists, %d strings; want both, lists first", lists, strs)
	}
	var mode string
	if err := raw.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "delete" {
		t.Errorf("journal_mode %q (%v), want delete", mode, err)
	}
	if _, err := os.Stat(path + "-wal"); err == nil {
		t.Errorf("a -wal file was left")
	}
	var nJails, nLogs int
	if err := raw.QueryRow("SELECT (SELECT count(*) FROM jails WHERE enabled = 1), (SELECT count(*) FROM logs)").Scan(&nJails, &nLogs); err != nil {
		t.Fatal(err)
	}
	if nJails != len(DefaultJails) || nLogs == 0 {
		t.Errorf("%d jails, %d logs rows", nJails, nLogs)
	}
	checkSchema(t, raw)

	// bips: one row per (ip, jail), the pair's last ban.
	if len(current) != len(last) {
		t.Fatalf("%d bips rows, want %d (one per pair)", len(current), len(last))
	}
	for _, c := range current {
		k := f2bdb.Key(c.Jail, c.IP)
		l, ok := last[k]
		if !ok {
			t.Fatalf("bips has %s, which bans lacks", k)
		}
		c.RowID, l.RowID = 0, 0
		if fmt.Sprint(c) != fmt.Sprint(l) {
			t.Fatalf("bips %s:\n%+v\nlast ban:\n%+v", k, c, l)
		}
	}
}

// checkSchema compares the file's schema with a database made from
// SchemaV4 directly.
func checkSchema(t *testing.T, raw *sql.DB) {
	t.Helper()
	ref, err := sql.Open("sqlite", "file::memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	ref.SetMaxOpenConns(1)
	if _, err := ref.Exec(SchemaV4); err != nil {
		t.Fatal(err)
	}
	schema := func(db *sql.DB) []string {
		rows, err := db.Query("SELECT type || ' ' || name || ' ' || coalesce(sql, '') FROM sqlite_master ORDER BY rowid")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out = append(out, s)
		}
		return out
	}
	if got, want := schema(raw), schema(ref); !slices.Equal(got, want) {
		t.Errorf("schema:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// checkPublic fails when a is not a public-looking address.
func checkPublic(t *testing.T, a netip.Addr) {
	t.Helper()
	if a.IsPrivate() || a.IsLoopback() || a.IsMulticast() || a.IsLinkLocalUnicast() || a.IsUnspecified() ||
		!a.IsGlobalUnicast() {
		t.Fatalf("%s is not public", a)
	}
	if a.Is4() {
		for _, p := range v4Excluded {
			if p.Contains(a) {
				t.Fatalf("%s is in %s", a, p)
			}
		}
		return
	}
	if !netip.MustParsePrefix("2000::/3").Contains(a) || netip.MustParsePrefix("2001:db8::/32").Contains(a) ||
		netip.MustParsePrefix("2002::/16").Contains(a) {
		t.Fatalf("%s is not a global IPv6 address", a)
	}
}

// contentHash hashes every row of both tables.
func contentHash(t testing.TB, path string) string {
	_, bans, current := readAll(t, path)
	h := sha256.New()
	for _, rs := range [][]f2bdb.BanRecord{bans, current} {
		for _, r := range rs {
			fmt.Fprintf(h, "%d|%s|%s|%d|%d|%d|%d|%q|%v\n", r.RowID, r.Jail, r.IP, r.TimeOfBan.Unix(), r.BanTime,
				r.BanCount, r.Failures, r.Matches, r.Extra)
		}
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

func TestDeterministic(t *testing.T) {
	opt := Options{N: 2000, End: testEnd, Seed: 42, Span: 30 * 24 * time.Hour}
	a, b := contentHash(t, generate(t, opt)), contentHash(t, generate(t, opt))
	if a != b {
		t.Fatalf("same seed, different content: %s != %s", a, b)
	}
	opt.Seed++
	if c := contentHash(t, generate(t, opt)); c == a {
		t.Fatalf("another seed gave the same content")
	}
}

func TestOptions(t *testing.T) {
	opt := Options{N: 3000, End: testEnd, Seed: 1, Jails: []string{"web", "sshd"}, DistinctIPs: 100,
		ManualShare: -1, IPv6Share: 0.5, MaxMatches: 2, Span: time.Hour}
	_, bans, current := readAll(t, generate(t, opt))
	ips := map[string]bool{}
	var v6, web int
	for _, r := range bans {
		ips[r.IP] = true
		if r.Jail == "web" {
			web++
		} else if r.Jail != "sshd" {
			t.Fatalf("jail %q", r.Jail)
		}
		if r.Failures == 0 || len(r.Matches) == 0 || len(r.Matches) > 2 {
			t.Fatalf("%d failures, %d matches", r.Failures, len(r.Matches))
		}
		if r.TimeOfBan.Before(testEnd.Add(-time.Hour)) {
			t.Fatalf("%v before the span", r.TimeOfBan)
		}
		if strings.Contains(r.IP, ":") {
			v6++
		}
	}
	if len(ips) != 100 || web < len(bans)/2 || v6 == 0 || len(current) < 100 {
		t.Errorf("%d addresses, %d web of %d, %d IPv6, %d bips", len(ips), web, len(bans), v6, len(current))
	}

	// dbmaxmatches = 0: no "matches" key.
	_, bans, _ = readAll(t, generate(t, Options{N: 50, End: testEnd, MaxMatches: -1}))
	for _, r := range bans {
		if len(r.Matches) != 0 {
			t.Fatalf("matches with MaxMatches -1: %q", r.Matches)
		}
	}
}

func TestRefuses(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "exists.sqlite3")
	if err := os.WriteFile(path, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := Generate(ctx, path, Options{N: 10}, nil)
	if core.ErrorCode(err) != core.ECONFLICT || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("existing file: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "keep" {
		t.Fatalf("the existing file was changed: %q", b)
	}

	for _, c := range []struct {
		opt  Options
		path string
		code string
	}{
		{Options{N: 0}, "a", core.EINVALID},
		{Options{N: -5}, "a", core.EINVALID},
		{Options{N: 10, DistinctIPs: 11}, "a", core.EINVALID},
		{Options{N: 10, Jails: []string{"a", "a"}}, "a", core.EINVALID},
		{Options{N: 10, Jails: []string{"a b"}}, "a", core.EINVALID},
		{Options{N: 10, ManualShare: 2}, "a", core.EINVALID},
		{Options{N: 10, Span: -time.Hour}, "a", core.EINVALID},
		{Options{N: 10}, "nofolder/a.sqlite3", core.ENOTFOUND},
	} {
		p := filepath.Join(dir, c.path)
		err := Generate(ctx, p, c.opt, nil)
		if core.ErrorCode(err) != c.code || core.ErrorMessage(err) == "" {
			t.Errorf("%+v: %v, want %s", c.opt, err, c.code)
		}
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%+v: %s was created", c.opt, p)
		}
	}

	// Cancelled: no file left behind.
	cctx, cancel := context.WithCancel(ctx)
	p := filepath.Join(dir, "cancelled.sqlite3")
	err = Generate(cctx, p, Options{N: 200_000, End: testEnd}, func(done, total int) {
		if done > 0 {
			cancel()
		}
	})
	cancel()
	if core.ErrorCode(err) != core.ECANCELED {
		t.Fatalf("cancelled: %v", err)
	}
	if _, err := os.Stat(p); err == nil {
		t.Errorf("the partial file %s was left", p)
	}
}

func TestProgress(t *testing.T) {
	var calls [][2]int
	path := filepath.Join(t.TempDir(), "p.sqlite3")
	if err := Generate(context.Background(), path, Options{N: 25_000, End: testEnd}, func(done, total int) {
		calls = append(calls, [2]int{done, total})
	}); err != nil {
		t.Fatal(err)
	}
	if len(calls) < 3 || calls[0] != [2]int{0, 25_000} || calls[len(calls)-1] != [2]int{25_000, 25_000} {
		t.Fatalf("progress calls %v", calls)
	}
	for i := 1; i < len(calls); i++ {
		if calls[i][0] < calls[i-1][0] {
			t.Fatalf("progress went back: %v", calls)
		}
	}
}

func TestAppendPyString(t *testing.T) {
	for in, want := range map[string]string{
		`plain <a&b> /x`:  `"plain <a&b> /x"`,
		"q\"b\\n\n\t\x01": `"q\"b\\n\n\t\u0001"`,
		"grüße":           `"grüße"`,
	} {
		if got := string(appendPyString(nil, in)); got != want {
			t.Errorf("%q: %s, want %s", in, got, want)
		}
	}
}

func BenchmarkGenerate(b *testing.B) {
	const n = 100_000
	dir := b.TempDir()
	i := 0
	for b.Loop() {
		path := filepath.Join(dir, fmt.Sprintf("b%d.sqlite3", i))
		i++
		if err := Generate(context.Background(), path, Options{N: n, End: testEnd, Seed: int64(i)}, nil); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		os.Remove(path)
		b.StartTimer()
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// fail2banPy is a Python 3 that imports fail2ban (Debian's package), or "".
func fail2banPy(t *testing.T) string {
	t.Helper()
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		if err := exec.Command(py, "-c", "import fail2ban.server.database").Run(); err == nil {
			return py
		}
	}
	return ""
}

// readByFail2ban makes fail2ban's own Fail2BanDb create a database at ref
// and read the one at path (getBans, and getCurrentBans of every jail, as
// when it restores bans at start); it prints one line
// per ticket: "bans|" or "bips|", then ip|time|bantime|bancount|failures|
// matches as JSON.
const readByFail2ban = `
import json, sys
from fail2ban.server.database import Fail2BanDb
Fail2BanDb(sys.argv[1]).close()
db = Fail2BanDb(sys.argv[2])
out = []
for t in db.getBans():
    out.append("bans|%s|%d|%d|%s" % (t.getIP(), t.getTime(), t.getAttempt(), json.dumps(t.getMatches(), separators=(",", ":"))))
class Jail:
    def __init__(self, name):
        self.name = name
# (getJailNames uses fetchmany: one name only)
for (name,) in db._db.execute("SELECT name FROM jails ORDER BY name").fetchall():
  for t in db.getCurrentBans(jail=Jail(name), fromtime=0, correctBanTime=False, maxmatches=100):
    out.append("bips|%s|%d|%d|%d|%d|%s" % (t.getIP(), t.getTime(), t.getBanTime(), t.getBanCount(), t.getAttempt(), json.dumps(t.getMatches(), separators=(",", ":"))))
db.close()
print("\n".join(out))
`

// TestFail2banReadsIt checks the file against fail2ban 1.0.2 itself, when
// it is installed: the same sqlite_master (text, order, root pages) as a
// file fail2ban creates, and fail2ban's own reader sees the rows f2bdb sees.
func TestFail2banReadsIt(t *testing.T) {
	py := fail2banPy(t)
	if py == "" {
		t.Skip("fail2ban's Python package is not installed")
	}
	path := generate(t, Options{N: 1500, End: testEnd, Seed: 3})
	_, bans, current := readAll(t, path)
	ref := filepath.Join(t.TempDir(), "ref.sqlite3")
	out, err := exec.Command(py, "-c", readByFail2ban, ref, path).CombinedOutput()
	if err != nil {
		t.Fatalf("fail2ban: %v\n%s", err, out)
	}

	master := func(p string) []string {
		db, err := sql.Open("sqlite", "file:"+p+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		rows, err := db.Query("SELECT type || '|' || name || '|' || tbl_name || '|' || rootpage || '|' || coalesce(sql, '') FROM sqlite_master ORDER BY rowid")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var s []string
		for rows.Next() {
			var x string
			if err := rows.Scan(&x); err != nil {
				t.Fatal(err)
			}
			s = append(s, x)
		}
		return s
	}
	if got, want := master(path), master(ref); !slices.Equal(got, want) {
		t.Errorf("sqlite_master:\n%s\nfail2ban's:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	matches := func(m []string) string {
		if m == nil {
			m = []string{}
		}
		var b strings.Builder
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(m); err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(b.String())
	}
	var want []string
	for _, r := range bans {
		want = append(want, fmt.Sprintf("bans|%s|%d|%d|%s", r.IP, r.TimeOfBan.Unix(), r.Failures, matches(r.Matches)))
	}
	for _, r := range current {
		want = append(want, fmt.Sprintf("bips|%s|%d|%d|%d|%d|%s", r.IP, r.TimeOfBan.Unix(), r.BanTime/time.Second,
			r.BanCount, r.Failures, matches(r.Matches)))
	}
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if strings.HasPrefix(l, "bans|") || strings.HasPrefix(l, "bips|") {
			got = append(got, l)
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if len(got) != len(want) {
		t.Fatalf("fail2ban read %d rows, f2bdb %d\n%s", len(got), len(want), out)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("fail2ban: %s\nf2bdb:    %s", got[i], want[i])
		}
	}
}
