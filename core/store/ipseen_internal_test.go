package store

// White-box: the query plan is checked on IPSeen's own SQL text.

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/migrations"
)

// openIPSeen opens a fresh cache with two servers, alpha and beta, and
// stores bans of 203.0.113.5 on both plus noise around it.
func openIPSeen(t *testing.T) (*DB, core.Server, core.Server) {
	t.Helper()
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "bangui.db"), migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	var srv []core.Server
	for _, name := range []string{"alpha", "beta"} {
		s, err := db.AddServer(ctx, core.Server{Name: name, Kind: core.ServerSSH, Host: name + ".example"})
		if err != nil {
			t.Fatal(err)
		}
		srv = append(srv, s)
	}
	ban := func(jail, ip string, at int64) core.HistoryBan {
		return core.HistoryBan{Jail: jail, IP: ip, TimeOfBan: time.Unix(at, 0), BanTime: time.Hour, BanCount: 1, Origin: core.OriginAuto}
	}
	alpha := []core.HistoryBan{
		ban("sshd", "203.0.113.5", 1000),
		ban("nginx", "203.0.113.5", 2000),
		ban("sshd", "203.0.113.5", 3000),
		ban("sshd", "203.0.113.50", 9000), // same text prefix, another address
		ban("sshd", "203.0.113.4", 9100),
	}
	beta := []core.HistoryBan{
		ban("sshd", "203.0.113.5", 4000),
		ban("postfix", "2001:db8::5", 5000),
		ban("postfix", "2001:db8::5", 6000),
	}
	// Noise, so the planner has a table worth an index.
	for i := range 500 {
		beta = append(beta, ban("sshd", fmt.Sprintf("198.51.100.%d", i%250), int64(10_000+i)))
	}
	if _, err := db.StoreBans(ctx, srv[0].ID, alpha, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := db.StoreBans(ctx, srv[1].ID, beta, nil); err != nil {
		t.Fatal(err)
	}
	return db, srv[0], srv[1]
}

func TestIPSeen(t *testing.T) {
	db, alpha, beta := openIPSeen(t)
	ctx := context.Background()
	want := []core.IPSighting{
		{ServerID: beta.ID, Server: "beta", Jail: "sshd", First: time.Unix(4000, 0), Last: time.Unix(4000, 0), Count: 1},
		{ServerID: alpha.ID, Server: "alpha", Jail: "sshd", First: time.Unix(1000, 0), Last: time.Unix(3000, 0), Count: 2},
		{ServerID: alpha.ID, Server: "alpha", Jail: "nginx", First: time.Unix(2000, 0), Last: time.Unix(2000, 0), Count: 1},
	}
	// The IPv4-mapped form and surrounding blanks name the same address.
	for _, ip := range []string{"203.0.113.5", " ::ffff:203.0.113.5 "} {
		got, err := db.IPSeen(ctx, ip)
		if err != nil {
			t.Fatal(err)
		}
		if !sameSightings(got, want) {
			t.Errorf("IPSeen(%q) =\n%+v\nwant\n%+v", ip, got, want)
		}
	}

	got, err := db.IPSeen(ctx, "2001:db8::5")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Server != "beta" || got[0].Jail != "postfix" || got[0].Count != 2 ||
		!got[0].First.Equal(time.Unix(5000, 0)) || !got[0].Last.Equal(time.Unix(6000, 0)) {
		t.Errorf("IPSeen(2001:db8::5) = %+v", got)
	}

	// A block gathers its addresses: 203.0.113.4, .5 and .50.
	got, err = db.IPSeen(ctx, "203.0.113.0/24")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].Jail != "sshd" || got[0].Server != "alpha" || got[0].Count != 4 ||
		!got[0].Last.Equal(time.Unix(9100, 0)) {
		t.Errorf("IPSeen(203.0.113.0/24) = %+v", got)
	}

	got, err = db.IPSeen(ctx, "192.0.2.1")
	if err != nil || len(got) != 0 {
		t.Errorf("IPSeen of an address never banned = %+v, %v; want nothing", got, err)
	}

	for _, bad := range []string{"", "example.org", "203.0.113.5; DROP TABLE bans"} {
		if _, err := db.IPSeen(ctx, bad); core.ErrorCode(err) != core.EINVALID {
			t.Errorf("IPSeen(%q): %v; want an EINVALID error", bad, err)
		}
	}
}

// TestIPSeenPlan checks that IPSeen reads the bans_ip index, for an address
// and for a block, and never scans the table.
func TestIPSeenPlan(t *testing.T) {
	db, _, _ := openIPSeen(t)
	ctx := context.Background()
	for _, ip := range []string{"203.0.113.5", "203.0.113.0/24", "2001:db8::/32"} {
		w := &where{}
		if err := ipCond(w, ip); err != nil {
			t.Fatal(err)
		}
		rows, err := db.Read.QueryContext(ctx, "EXPLAIN QUERY PLAN "+fmt.Sprintf(ipSeenQuery, w.String()), w.args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan strings.Builder
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			plan.WriteString(detail + "\n")
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
		p := plan.String()
		t.Logf("plan for %s:\n%s", ip, p)
		if !strings.Contains(p, "SEARCH b USING INDEX bans_ip (ip") || strings.Contains(p, "SCAN b") {
			t.Errorf("IPSeen(%s) does not search bans_ip:\n%s", ip, p)
		}
	}
}

func sameSightings(a, b []core.IPSighting) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.ServerID != y.ServerID || x.Server != y.Server || x.Jail != y.Jail || x.Count != y.Count ||
			!x.First.Equal(y.First) || !x.Last.Equal(y.Last) {
			return false
		}
	}
	return true
}
