package histsync_test

import (
	"context"
	"testing"
	"time"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/f2b"
	"github.com/bangui/bangui/core/f2b/f2btest"
	"github.com/bangui/bangui/core/histsync"
	"github.com/bangui/bangui/core/store"
)

// addBlocklist stores a source named name and records that it banned ips
// in jail on server.
func addBlocklist(t *testing.T, db *store.DB, serverID int64, name, jail string, ips ...string) {
	t.Helper()
	ctx := context.Background()
	src, err := db.AddBlocklist(ctx, core.BlocklistSource{Name: name, URL: "https://example.org/" + jail + ".txt", Jail: jail})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.AddBlocklistEntries(ctx, src.ID, serverID, jail, ips, time.Now()); err != nil {
		t.Fatal(err)
	}
}

// cachedBan returns the one cached ban of ip.
func cachedBan(t *testing.T, db *store.DB, ip string) core.HistoryBan {
	t.Helper()
	tl, err := db.IPTimeline(context.Background(), ip)
	if err != nil || len(tl) != 1 {
		t.Fatalf("timeline of %s: %+v, %v; want one ban", ip, tl, err)
	}
	return tl[0]
}

// dailyByOrigin sums the ban_daily and ban_daily_geo roll-ups by origin.
func dailyByOrigin(t *testing.T, db *store.DB, table string) map[string]int {
	t.Helper()
	rows, err := db.Read.Query(`SELECT origin, sum(n) FROM ` + table + ` GROUP BY origin`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var o string
		var n int
		if err := rows.Scan(&o, &n); err != nil {
			t.Fatal(err)
		}
		out[o] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSyncBlocklistOrigin(t *testing.T) {
	ctx := context.Background()
	path, f2b := f2bFile(t)
	now := time.Now().Unix()
	ban(t, f2b, "sshd", "192.0.2.1", now-50, manualData)           // imported from the list
	ban(t, f2b, "sshd", "192.0.2.2", now-40, manualData)           // banned by hand
	ban(t, f2b, "sshd", "192.0.2.3", now-30, autoBan("192.0.2.3")) // on the list, but the filter found it
	ban(t, f2b, "sshd", "192.0.2.4", now-20, manualData)           // on the list for another jail
	ban(t, f2b, "recidive", "192.0.2.5", now-10, manualData)       // on the list for another server
	ban(t, f2b, "sshd", "192.0.2.6", now, manualData)              // imported, on a later page

	db, srv := cache(t)
	other, err := db.AddServer(ctx, core.Server{Name: "mail", Kind: core.ServerLocal})
	if err != nil {
		t.Fatal(err)
	}
	addBlocklist(t, db, srv.ID, "blocklist.de ssh", "sshd", "192.0.2.1", "192.0.2.3", "192.0.2.6")
	addBlocklist(t, db, srv.ID, "recidive list", "recidive", "192.0.2.4")
	addBlocklist(t, db, other.ID, "mail list", "recidive", "192.0.2.5")

	s := &histsync.Syncer{Store: db, PageSize: 2}
	res, err := s.Sync(ctx, fileTarget(srv, path, 0))
	if err != nil {
		t.Fatal(err)
	}
	if res.Copied != 6 {
		t.Fatalf("result %+v; want 6 bans copied", res)
	}
	for ip, want := range map[string][2]string{
		"192.0.2.1": {core.OriginBlocklist, "blocklist.de ssh"},
		"192.0.2.2": {core.OriginManual, ""},
		"192.0.2.3": {core.OriginAuto, ""},
		"192.0.2.4": {core.OriginManual, ""},
		"192.0.2.5": {core.OriginManual, ""},
		"192.0.2.6": {core.OriginBlocklist, "blocklist.de ssh"},
	} {
		if b := cachedBan(t, db, ip); b.Origin != want[0] || b.Source != want[1] {
			t.Errorf("%s cached with origin %q source %q; want %q %q", ip, b.Origin, b.Source, want[0], want[1])
		}
	}

	// The roll-ups count the list's bans under its origin.
	want := map[string]int{core.OriginBlocklist: 2, core.OriginManual: 3, core.OriginAuto: 1}
	for _, table := range []string{"ban_daily", "ban_daily_geo"} {
		if got := dailyByOrigin(t, db, table); len(got) != len(want) || got[core.OriginBlocklist] != 2 || got[core.OriginManual] != 3 || got[core.OriginAuto] != 1 {
			t.Errorf("%s by origin = %v; want %v", table, got, want)
		}
	}
	if n, err := db.CountHistory(ctx, core.HistoryFilter{Origin: core.OriginBlocklist}); err != nil || n != 2 {
		t.Errorf("history of origin blocklist: %d, %v; want 2", n, err)
	}
}

// TestSyncBlocklistOriginRealServer bans two addresses by hand on a real
// fail2ban, as an import does ("set <jail> banip"); the one a source
// recorded syncs as that source's, the other stays manual.
func TestSyncBlocklistOriginRealServer(t *testing.T) {
	srv := f2btest.Start(t, f2btest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	srv.Client(t, "set", "app2", "banip", "198.51.100.20")
	srv.Client(t, "set", "app2", "banip", "198.51.100.21")
	waitRows(t, srv.DBFile, 2)

	db, s := cache(t)
	addBlocklist(t, db, s.ID, "spamhaus drop", "app2", "198.51.100.20")
	client := f2b.New(f2b.UnixDialer{Path: srv.Socket}, f2b.Config{})
	defer client.Close()
	res, err := (&histsync.Syncer{Store: db}).Sync(ctx, histsync.LocalTarget(s, client))
	if err != nil {
		t.Fatal(err)
	}
	if res.Copied != 2 {
		t.Fatalf("result %+v; want 2 bans copied", res)
	}
	if b := cachedBan(t, db, "198.51.100.20"); b.Origin != core.OriginBlocklist || b.Source != "spamhaus drop" || b.Jail != "app2" {
		t.Errorf("imported ban cached as %+v; want origin blocklist from spamhaus drop", b)
	}
	if b := cachedBan(t, db, "198.51.100.21"); b.Origin != core.OriginManual || b.Source != "" {
		t.Errorf("manual ban cached as %+v; want origin manual", b)
	}
	if got := dailyByOrigin(t, db, "ban_daily"); got[core.OriginBlocklist] != 1 || got[core.OriginManual] != 1 {
		t.Errorf("ban_daily by origin = %v; want one blocklist and one manual", got)
	}
}
