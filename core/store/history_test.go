package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/store"
)

// historyFixture fills a cache with n bans on two servers over the 400
// days before end, with a few addresses that recur a lot, and returns the
// rows as stored.
func historyFixture(t *testing.T, db *store.DB, n int, end time.Time) ([]core.Server, []core.HistoryBan) {
	t.Helper()
	ctx := context.Background()
	var servers []core.Server
	for _, name := range []string{"alpha", "beta"} {
		s, err := db.AddServer(ctx, core.Server{Name: name, Kind: core.ServerSSH, Host: name + ".example"})
		if err != nil {
			t.Fatal(err)
		}
		servers = append(servers, s)
	}
	r := rand.New(rand.NewPCG(1, 2))
	jails := []string{"sshd", "sshd", "sshd", "nginx", "postfix"}
	byServer := map[int64][]core.HistoryBan{}
	var all []core.HistoryBan
	span := int64(400 * 86400)
	for i := range n {
		var ip string
		switch k := r.IntN(10); {
		case k < 3:
			ip = fmt.Sprintf("203.0.113.%d", r.IntN(12)) // recurring attackers
		case k < 4:
			ip = fmt.Sprintf("2001:db8::%x", r.IntN(5000))
		default:
			ip = fmt.Sprintf("198.51.%d.%d", r.IntN(100), r.IntN(256))
		}
		s := servers[r.IntN(2)]
		b := core.HistoryBan{
			ServerID:  s.ID,
			Server:    s.Name,
			Jail:      jails[r.IntN(len(jails))],
			IP:        ip,
			TimeOfBan: time.Unix(end.Unix()-span+int64(i)*span/int64(n), 0),
			BanTime:   10 * time.Minute,
			BanCount:  1,
			Failures:  5,
			Matches:   []string{"Nov 27 sshd[1]: Failed password from " + ip, `odd "quoted" \ line ü`},
			Origin:    core.OriginAuto,
		}
		if r.IntN(20) == 0 {
			b.Origin, b.Failures, b.Matches = core.OriginManual, 0, nil
		}
		b.Country = fixtureCountry(ip)
		byServer[s.ID] = append(byServer[s.ID], b)
		all = append(all, b)
	}
	for id, rows := range byServer {
		for start := 0; start < len(rows); start += 3000 {
			page := rows[start:min(start+3000, len(rows))]
			if _, err := db.StoreBans(ctx, id, page, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	return servers, all
}

func TestStoreBansIdempotent(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	end := time.Now()
	servers, all := historyFixture(t, db, 2000, end)
	total, err := db.CountHistory(ctx, core.HistoryFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if total != len(all) {
		t.Fatalf("stored %d rows, want %d", total, len(all))
	}
	// The same rows again: nothing new, roll-ups unchanged.
	var mine []core.HistoryBan
	for _, b := range all {
		if b.ServerID == servers[0].ID {
			mine = append(mine, b)
		}
	}
	n, err := db.StoreBans(ctx, servers[0].ID, mine, []store.SyncCursor{{Jail: "sshd", TimeOfBan: 42, RowID: 7}})
	if err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("storing the same rows again added %d", n)
	}
	d, err := db.Dashboard(ctx, core.HistoryFilter{From: end.Add(-500 * 24 * time.Hour), To: end.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if d.Total != len(all) {
		t.Errorf("dashboard total %d after a repeated store, want %d", d.Total, len(all))
	}
	cur, err := db.SyncCursors(ctx, servers[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if c := cur["sshd"]; c.TimeOfBan != 42 || c.RowID != 7 {
		t.Errorf("cursor = %+v, want time 42 row 7", c)
	}
}

func TestStoreBansRefusesBadOrigin(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	s, err := db.AddServer(ctx, core.Server{Name: "x", Kind: core.ServerLocal})
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.StoreBans(ctx, s.ID, []core.HistoryBan{{Jail: "sshd", IP: "192.0.2.1", TimeOfBan: time.Now(), Origin: "martian"}}, nil)
	if core.ErrorCode(err) != core.EINVALID {
		t.Fatalf("err = %v, want EINVALID", err)
	}
	if n, _ := db.CountHistory(ctx, core.HistoryFilter{}); n != 0 {
		t.Errorf("%d rows stored by a refused batch", n)
	}
}

// expectDashboard aggregates rows in Go the way Dashboard must.
func expectDashboard(rows []core.HistoryBan, from, to time.Time, servers []int64) (total int, jails, origins map[string]int, ips map[string]int) {
	jails, origins, ips = map[string]int{}, map[string]int{}, map[string]int{}
	for _, b := range rows {
		if b.TimeOfBan.Before(from) || !b.TimeOfBan.Before(to) {
			continue
		}
		if len(servers) > 0 && !slices.Contains(servers, b.ServerID) {
			continue
		}
		total++
		jails[b.Jail]++
		origins[b.Origin]++
		ips[b.IP]++
	}
	return
}

func TestDashboardMatchesGoAggregation(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	end := time.Now().Truncate(time.Second)
	// Small ranges count top IPs directly, large ones walk the all-time
	// totals: both paths run here.
	defer store.SetTopIPDirect(2000)()
	servers, all := historyFixture(t, db, 12_000, end)
	cases := []struct {
		name     string
		from, to time.Time
		servers  []int64
		step     time.Duration
	}{
		{"24h", end.Add(-24 * time.Hour), end, nil, time.Hour},
		{"7d one server", end.Add(-7 * 24 * time.Hour), end, []int64{servers[1].ID}, time.Hour},
		{"30d", end.Add(-30 * 24 * time.Hour), end, nil, 24 * time.Hour},
		{"365d", end.Add(-365 * 24 * time.Hour), end, nil, 7 * 24 * time.Hour},
		{"365d one server", end.Add(-365 * 24 * time.Hour), end, []int64{servers[0].ID}, 7 * 24 * time.Hour},
		{"custom odd edges", end.Add(-50*24*time.Hour - 5*time.Hour - 17*time.Second), end.Add(-3*24*time.Hour - 7*time.Minute), nil, 24 * time.Hour},
		{"within one day", end.Add(-5 * time.Hour), end.Add(-2 * time.Hour), nil, time.Hour},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := db.Dashboard(ctx, core.HistoryFilter{From: c.from, To: c.to, ServerIDs: c.servers})
			if err != nil {
				t.Fatal(err)
			}
			total, jails, origins, ips := expectDashboard(all, c.from, c.to, c.servers)
			if d.Total != total {
				t.Errorf("total %d, want %d", d.Total, total)
			}
			if d.Step != c.step {
				t.Errorf("step %v, want %v", d.Step, c.step)
			}
			sum := 0
			for i, b := range d.Trend {
				sum += b.Count
				if i > 0 && b.Start.Sub(d.Trend[i-1].Start) != d.Step {
					t.Fatalf("bucket %d starts %v after the previous one, want %v", i, b.Start.Sub(d.Trend[i-1].Start), d.Step)
				}
			}
			if sum != total {
				t.Errorf("trend sums to %d, want %d", sum, total)
			}
			if len(d.Trend) == 0 || d.Trend[0].Start.After(c.from) || !d.Trend[len(d.Trend)-1].Start.Before(c.to) {
				t.Errorf("trend buckets %v..%v do not cover %v..%v", d.Trend[0].Start, d.Trend[len(d.Trend)-1].Start, c.from, c.to)
			}
			for _, j := range d.ByJail {
				if jails[j.Name] != j.Count {
					t.Errorf("jail %s: %d, want %d", j.Name, j.Count, jails[j.Name])
				}
			}
			if len(d.ByJail) != len(jails) {
				t.Errorf("%d jails, want %d", len(d.ByJail), len(jails))
			}
			for _, o := range d.Origins {
				if origins[o.Name] != o.Count {
					t.Errorf("origin %s: %d, want %d", o.Name, o.Count, origins[o.Name])
				}
			}
			// Top IPs: the counts must be the true top counts.
			var want []int
			for _, n := range ips {
				want = append(want, n)
			}
			sort.Sort(sort.Reverse(sort.IntSlice(want)))
			want = want[:min(len(want), core.TopIPLimit)]
			var got []int
			for _, c := range d.TopIPs {
				got = append(got, c.Count)
				if ips[c.Name] != c.Count {
					t.Errorf("top IP %s: %d, want %d", c.Name, c.Count, ips[c.Name])
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("top IP counts %v, want %v", got, want)
			}
		})
	}
}

func TestDashboardBadRange(t *testing.T) {
	db := mustOpen(t)
	now := time.Now()
	_, err := db.Dashboard(context.Background(), core.HistoryFilter{From: now, To: now.Add(-time.Hour)})
	if core.ErrorCode(err) != core.EINVALID || !strings.Contains(core.ErrorMessage(err), "pick a start before the end") {
		t.Fatalf("err = %v, want EINVALID that says what to do", err)
	}
}

func TestHistoryPagesAndFilters(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	end := time.Now().Truncate(time.Second) // the cache keeps whole seconds
	servers, all := historyFixture(t, db, 3000, end)
	in := func(cidr string) func(core.HistoryBan) bool {
		p := netip.MustParsePrefix(cidr)
		return func(b core.HistoryBan) bool { return p.Contains(netip.MustParseAddr(b.IP)) }
	}
	cases := []struct {
		name string
		f    core.HistoryFilter
		keep func(core.HistoryBan) bool
	}{
		{"all", core.HistoryFilter{}, func(core.HistoryBan) bool { return true }},
		{"jail", core.HistoryFilter{Jail: "nginx"}, func(b core.HistoryBan) bool { return b.Jail == "nginx" }},
		{"server", core.HistoryFilter{ServerIDs: []int64{servers[1].ID}}, func(b core.HistoryBan) bool { return b.ServerID == servers[1].ID }},
		{"origin", core.HistoryFilter{Origin: core.OriginManual}, func(b core.HistoryBan) bool { return b.Origin == core.OriginManual }},
		{"ip", core.HistoryFilter{IP: "203.0.113.7"}, func(b core.HistoryBan) bool { return b.IP == "203.0.113.7" }},
		{"cidr v4 /24", core.HistoryFilter{IP: "203.0.113.0/24"}, in("203.0.113.0/24")},
		{"cidr v4 /20", core.HistoryFilter{IP: "198.51.16.0/20"}, in("198.51.16.0/20")},
		{"cidr v6", core.HistoryFilter{IP: "2001:db8::/32"}, in("2001:db8::/32")},
		{"cidr v6 /120", core.HistoryFilter{IP: "2001:db8::100/120"}, in("2001:db8::100/120")},
		{"range, jail, origin and server", core.HistoryFilter{From: end.Add(-200*24*time.Hour - 7*time.Hour), To: end.Add(-3 * time.Hour),
			Jail: "sshd", Origin: core.OriginAuto, ServerIDs: []int64{servers[0].ID}},
			func(b core.HistoryBan) bool {
				return !b.TimeOfBan.Before(end.Add(-200*24*time.Hour-7*time.Hour)) && b.TimeOfBan.Before(end.Add(-3*time.Hour)) &&
					b.Jail == "sshd" && b.Origin == core.OriginAuto && b.ServerID == servers[0].ID
			}},
		{"range", core.HistoryFilter{From: end.Add(-30 * 24 * time.Hour), To: end.Add(-10 * 24 * time.Hour)},
			func(b core.HistoryBan) bool {
				return !b.TimeOfBan.Before(end.Add(-30*24*time.Hour)) && b.TimeOfBan.Before(end.Add(-10*24*time.Hour))
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var want []core.HistoryBan
			for _, b := range all {
				if c.keep(b) {
					want = append(want, b)
				}
			}
			slices.SortFunc(want, func(a, b core.HistoryBan) int { return compareKeys(b.Key(), a.Key()) })
			n, err := db.CountHistory(ctx, c.f)
			if err != nil {
				t.Fatal(err)
			}
			if n != len(want) {
				t.Errorf("count %d, want %d", n, len(want))
			}
			var got []core.HistoryBan
			var after *core.HistoryKey
			for {
				page, err := db.HistoryPage(ctx, c.f, after, 333)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, page...)
				if len(page) < 333 {
					break
				}
				k := page[len(page)-1].Key()
				after = &k
			}
			if len(got) != len(want) {
				t.Fatalf("paged %d rows, want %d", len(got), len(want))
			}
			// Seeking lands where paging does.
			for _, skip := range []int{1, 333, len(want) / 2, len(want)} {
				if skip == 0 || skip > len(want) {
					continue
				}
				k, err := db.HistorySeek(ctx, c.f, nil, skip)
				if err != nil {
					t.Fatal(err)
				}
				if k == nil || *k != want[skip-1].Key() {
					t.Fatalf("seek %d = %+v, want %+v", skip, k, want[skip-1].Key())
				}
			}
			if k, err := db.HistorySeek(ctx, c.f, nil, len(want)+1); err != nil || k != nil {
				t.Fatalf("seek past the end = %+v, %v; want nil", k, err)
			}
			for i := range got {
				if got[i].Key() != want[i].Key() || got[i].Origin != want[i].Origin || got[i].Server != want[i].Server {
					t.Fatalf("row %d = %+v, want %+v", i, got[i], want[i])
				}
			}
		})
	}
}

func compareKeys(a, b core.HistoryKey) int {
	switch {
	case a.TimeOfBan != b.TimeOfBan:
		return int(a.TimeOfBan - b.TimeOfBan)
	case a.ServerID != b.ServerID:
		return int(a.ServerID - b.ServerID)
	case a.Jail != b.Jail:
		return strings.Compare(a.Jail, b.Jail)
	}
	return strings.Compare(a.IP, b.IP)
}

func TestHistoryBadFilters(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	for _, f := range []core.HistoryFilter{{IP: "300.1.1.1"}, {IP: "203.0.113.0/33"}, {IP: "not an ip"}, {Origin: "martian"}} {
		_, err := db.HistoryPage(ctx, f, nil, 10)
		if core.ErrorCode(err) != core.EINVALID {
			t.Errorf("filter %+v: err = %v, want EINVALID", f, err)
		}
		if _, err := db.CountHistory(ctx, f); core.ErrorCode(err) != core.EINVALID {
			t.Errorf("count %+v: err = %v, want EINVALID", f, err)
		}
	}
}

func TestIPTimeline(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	_, all := historyFixture(t, db, 3000, time.Now())
	var want []core.HistoryBan
	for _, b := range all {
		if b.IP == "203.0.113.3" {
			want = append(want, b)
		}
	}
	got, err := db.IPTimeline(ctx, "203.0.113.3")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) || len(got) == 0 {
		t.Fatalf("timeline has %d bans, want %d", len(got), len(want))
	}
	for i := 1; i < len(got); i++ {
		if got[i].TimeOfBan.After(got[i-1].TimeOfBan) {
			t.Fatal("timeline not newest first")
		}
	}
	for _, b := range got {
		if b.Origin == core.OriginAuto && (len(b.Matches) != 2 || b.Matches[1] != `odd "quoted" \ line ü`) {
			t.Fatalf("matches = %q, want the two stored lines", b.Matches)
		}
	}
}

func TestDeleteBansBeforeKeepsRollupsExact(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	end := time.Now().Truncate(time.Second)
	_, all := historyFixture(t, db, 5000, end)
	cutoff := end.Add(-200*24*time.Hour - 3*time.Hour)
	n, err := db.DeleteBansBefore(ctx, cutoff)
	if err != nil {
		t.Fatal(err)
	}
	var kept []core.HistoryBan
	for _, b := range all {
		if !b.TimeOfBan.Before(cutoff) {
			kept = append(kept, b)
		}
	}
	if n != len(all)-len(kept) {
		t.Errorf("deleted %d, want %d", n, len(all)-len(kept))
	}
	d, err := db.Dashboard(ctx, core.HistoryFilter{From: end.Add(-500 * 24 * time.Hour), To: end.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	total, jails, _, ips := expectDashboard(kept, end.Add(-500*24*time.Hour), end.Add(time.Hour), nil)
	if d.Total != total {
		t.Errorf("total after retention %d, want %d", d.Total, total)
	}
	for _, j := range d.ByJail {
		if jails[j.Name] != j.Count {
			t.Errorf("jail %s: %d, want %d", j.Name, j.Count, jails[j.Name])
		}
	}
	for _, c := range d.TopIPs {
		if ips[c.Name] != c.Count {
			t.Errorf("top IP %s: %d, want %d", c.Name, c.Count, ips[c.Name])
		}
	}
}

func TestSyncStatus(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	s, err := db.AddServer(ctx, core.Server{Name: "x", Kind: core.ServerLocal})
	if err != nil {
		t.Fatal(err)
	}
	ok := core.SyncStatus{ServerID: s.ID, AttemptedAt: time.Unix(100, 0), SyncedAt: time.Unix(100, 0), DBPath: "/db", Copied: 5}
	if err := db.SetSyncStatus(ctx, ok); err != nil {
		t.Fatal(err)
	}
	failed := core.SyncStatus{ServerID: s.ID, AttemptedAt: time.Unix(200, 0), Error: "locked"}
	if err := db.SetSyncStatus(ctx, failed); err != nil {
		t.Fatal(err)
	}
	got, err := db.SyncStates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := core.SyncStatus{ServerID: s.ID, AttemptedAt: time.Unix(200, 0), SyncedAt: time.Unix(100, 0), DBPath: "/db", Copied: 5, Error: "locked"}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("states = %+v, want [%+v] (a failed attempt keeps the last success)", got, want)
	}
}
