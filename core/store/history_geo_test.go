package store_test

import (
	"context"
	"hash/fnv"
	"io/fs"
	"net/netip"
	"path/filepath"
	"testing"
	"testing/fstest"
	"time"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/geo"
	"github.com/bangui/bangui/core/store"
	"github.com/bangui/bangui/migrations"
)

// fixtureCountry gives the fixture's addresses made-up countries, also
// "not located yet" ("") and unknown.
func fixtureCountry(ip string) string {
	h := fnv.New32a()
	h.Write([]byte(ip))
	return []string{"FR", "DE", "CN", "US", "", core.CountryUnknown, core.CountryNotRoutable}[h.Sum32()%7]
}

// expectCountries counts rows by country as CountryCounts should.
func expectCountries(rows []core.HistoryBan, f core.HistoryFilter) map[string]int {
	out := map[string]int{}
	for _, b := range rows {
		if b.TimeOfBan.Before(f.From) || !b.TimeOfBan.Before(f.To) ||
			(len(f.ServerIDs) > 0 && b.ServerID != f.ServerIDs[0]) ||
			(f.Jail != "" && b.Jail != f.Jail) || (f.Origin != "" && b.Origin != f.Origin) {
			continue
		}
		c := b.Country
		if c == "" {
			c = core.CountryUnknown
		}
		if f.Country != "" && c != f.Country {
			continue
		}
		out[c]++
	}
	return out
}

func checkCountries(t *testing.T, db *store.DB, rows []core.HistoryBan, f core.HistoryFilter) {
	t.Helper()
	got, err := db.CountryCounts(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	want := expectCountries(rows, f)
	for _, c := range got {
		if want[c.Name] != c.Count {
			t.Errorf("%+v: %s has %d, want %d", f, c.Name, c.Count, want[c.Name])
		}
		delete(want, c.Name)
	}
	for c, n := range want {
		t.Errorf("%+v: %s missing (want %d)", f, c, n)
	}
}

func TestCountryCountsMatchGoAggregation(t *testing.T) {
	db := mustOpen(t)
	end := time.Now().Truncate(time.Second)
	servers, all := historyFixture(t, db, 20000, end)
	for _, span := range []time.Duration{24 * time.Hour, 7 * 24 * time.Hour, 30 * 24 * time.Hour, 365 * 24 * time.Hour, 3*24*time.Hour + 17*time.Minute} {
		from, to := end.Add(-span), end.Add(-time.Duration(span.Hours())*time.Minute)
		checkCountries(t, db, all, core.HistoryFilter{From: from, To: to})
		checkCountries(t, db, all, core.HistoryFilter{From: from, To: to, ServerIDs: []int64{servers[1].ID}})
		checkCountries(t, db, all, core.HistoryFilter{From: from, To: to, Jail: "nginx", Origin: core.OriginAuto})
		checkCountries(t, db, all, core.HistoryFilter{From: from, To: to, Country: "CN"})
		checkCountries(t, db, all, core.HistoryFilter{From: from, To: to, Country: core.CountryUnknown})
	}
	// The history's country filter and count agree with the roll-up.
	f := core.HistoryFilter{From: end.Add(-100 * 24 * time.Hour), To: end, Country: "FR"}
	n, err := db.CountHistory(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	page, err := db.HistoryPage(context.Background(), f, nil, store.MaxHistoryPage)
	if err != nil {
		t.Fatal(err)
	}
	if want := expectCountries(all, f)["FR"]; n != want || len(page) != want {
		t.Errorf("FR: count %d, page %d, want %d", n, len(page), want)
	}
	for _, b := range page {
		if b.Country != "FR" {
			t.Fatalf("row of %s has country %q", b.IP, b.Country)
		}
	}
	// Top addresses of one country.
	top, err := db.TopIPs(context.Background(), core.HistoryFilter{From: end.Add(-400 * 24 * time.Hour), To: end.Add(time.Hour), Country: "DE"})
	if err != nil || len(top) == 0 {
		t.Fatalf("top: %v %v", top, err)
	}
	for _, c := range top {
		if fixtureCountry(c.Name) != "DE" {
			t.Errorf("top address %s is not in DE", c.Name)
		}
	}
	if _, err := db.CountryCounts(context.Background(), core.HistoryFilter{Country: "France"}); core.ErrorCode(err) != core.EINVALID {
		t.Errorf("bad country filter: %v", err)
	}
}

// Moving addresses to other countries keeps every count exact, and the
// geo task (geo.Relocate) finds what is not located yet.
func TestRelocateKeepsRollupsExact(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	end := time.Now().Truncate(time.Second)
	_, all := historyFixture(t, db, 8000, end)
	// Two public addresses the embedded database knows, stored before
	// anything located them, once with a disagreeing country.
	srv, err := db.AddServer(ctx, core.Server{Name: "gamma", Kind: core.ServerLocal})
	if err != nil {
		t.Fatal(err)
	}
	extra := []core.HistoryBan{
		{Jail: "sshd", IP: "8.8.8.8", TimeOfBan: end.Add(-30 * time.Hour), Origin: core.OriginAuto},
		{Jail: "sshd", IP: "8.8.8.8", TimeOfBan: end.Add(-3 * time.Hour), Origin: core.OriginAuto, Country: "FR"},
		{Jail: "sshd", IP: "193.0.6.139", TimeOfBan: end.Add(-2 * time.Hour), Origin: core.OriginManual},
	}
	if _, err := db.StoreBans(ctx, srv.ID, extra, nil); err != nil {
		t.Fatal(err)
	}
	for i := range extra {
		extra[i].ServerID = srv.ID
	}
	all = append(all, extra...)

	todo, err := db.IPsToLocate(ctx, "", 100000, false)
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]string{}
	for _, c := range todo {
		found[c.IP] = c.Country
	}
	if c, ok := found["8.8.8.8"]; !ok || c != "" {
		t.Errorf("8.8.8.8 (rows disagree) should be to locate with '': %q %v", c, ok)
	}

	emb, err := geo.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	r, err := geo.New(ctx, geo.Options{Databases: []*geo.Database{emb}})
	if err != nil {
		t.Fatal(err)
	}
	st, err := geo.Relocate(ctx, r, db, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	// What the resolver says is now every row's country.
	want := map[string]string{}
	for i, b := range all {
		if _, ok := want[b.IP]; !ok {
			want[b.IP] = r.Countries([]string{b.IP})[0]
		}
		all[i].Country = want[b.IP]
	}
	if want["8.8.8.8"] != "US" || want["193.0.6.139"] != "NL" || want["203.0.113.1"] != core.CountryNotRoutable {
		t.Errorf("resolver: %v %v %v", want["8.8.8.8"], want["193.0.6.139"], want["203.0.113.1"])
	}
	if st.Addresses != len(want) || st.Moved == 0 {
		t.Errorf("stats %+v for %d addresses", st, len(want))
	}
	for _, span := range []time.Duration{24 * time.Hour, 30 * 24 * time.Hour, 450 * 24 * time.Hour} {
		checkCountries(t, db, all, core.HistoryFilter{From: end.Add(-span), To: end.Add(time.Hour)})
	}
	d, err := db.Dashboard(ctx, core.HistoryFilter{From: end.Add(-450 * 24 * time.Hour), To: end.Add(time.Hour)})
	if err != nil || d.Total != len(all) {
		t.Errorf("total after relocate %d, want %d (%v)", d.Total, len(all), err)
	}
	// Only unknown addresses are left to ask about; a second pass moves
	// nothing.
	left, _ := db.IPsToLocate(ctx, "", 100000, false)
	for _, c := range left {
		if c.Country != core.CountryUnknown {
			t.Errorf("still to locate: %v", c)
		}
	}
	if st, err := geo.Relocate(ctx, r, db, true, nil); err != nil || st.Moved != 0 || st.Changed != 0 {
		t.Errorf("second pass %+v %v", st, err)
	}
	// Retention keeps the country roll-up exact too.
	cutoff := end.Add(-200 * 24 * time.Hour)
	if _, err := db.DeleteBansBefore(ctx, cutoff); err != nil {
		t.Fatal(err)
	}
	var kept []core.HistoryBan
	for _, b := range all {
		if !b.TimeOfBan.Before(cutoff) {
			kept = append(kept, b)
		}
	}
	checkCountries(t, db, kept, core.HistoryFilter{From: end.Add(-450 * 24 * time.Hour), To: end.Add(time.Hour)})
}

// A cache made before the geo migration keeps its counts; its bans are
// "not located yet" until the geo task runs.
func TestGeoMigrationKeepsHistory(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	before := fstest.MapFS{}
	err := fs.WalkDir(migrations.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || p >= "0004" {
			return err
		}
		b, err := fs.ReadFile(migrations.FS, p)
		before[p] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	old, err := store.Open(ctx, path, before)
	if err != nil {
		t.Fatal(err)
	}
	// The old schema's servers table: insert as 0001's writer did.
	srv := core.Server{Name: "old"}
	if err := old.Write.QueryRowContext(ctx, `INSERT INTO servers (name, kind, created_at, updated_at) VALUES ('old', 'local', 0, 0) RETURNING id`).Scan(&srv.ID); err != nil {
		t.Fatal(err)
	}
	end := time.Now().Truncate(time.Second)
	var rows []core.HistoryBan
	for i := range 500 {
		a := netip.AddrFrom4([4]byte{8, 8, byte(i / 200), byte(i)})
		rows = append(rows, core.HistoryBan{Jail: "sshd", IP: a.String(), TimeOfBan: end.Add(-time.Duration(i) * 3 * time.Hour), Origin: core.OriginAuto})
	}
	// The old schema has no country column: store through SQL as 0003's writer did.
	for _, b := range rows {
		if _, err := old.Write.ExecContext(ctx, `INSERT INTO bans (server_id, jail, ip, time_of_ban, ban_time, origin, synced_at) VALUES (?, ?, ?, ?, 600, 'auto', 0)`,
			srv.ID, b.Jail, b.IP, b.TimeOfBan.Unix()); err != nil {
			t.Fatal(err)
		}
		if _, err := old.Write.ExecContext(ctx, `INSERT INTO ban_daily (day, server_id, jail, origin, n) VALUES (?, ?, 'sshd', 'auto', 1)
			ON CONFLICT DO UPDATE SET n = n + 1`, b.TimeOfBan.Unix()/86400, srv.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := old.Write.ExecContext(ctx, `INSERT INTO ban_ip_total (ip, n) VALUES (?, 1) ON CONFLICT DO UPDATE SET n = n + 1`, b.IP); err != nil {
			t.Fatal(err)
		}
	}
	old.Close()

	db := mustOpenAt(t, path)
	f := core.HistoryFilter{From: end.Add(-100 * 24 * time.Hour), To: end.Add(time.Hour)}
	counts, err := db.CountryCounts(ctx, f)
	if err != nil || len(counts) != 1 || counts[0].Name != core.CountryUnknown || counts[0].Count != len(rows) {
		t.Fatalf("after the migration: %v %v", counts, err)
	}
	emb, _ := geo.Embedded()
	r, _ := geo.New(ctx, geo.Options{Databases: []*geo.Database{emb}})
	if _, err := geo.Relocate(ctx, r, db, false, nil); err != nil {
		t.Fatal(err)
	}
	counts, err = db.CountryCounts(ctx, f)
	if err != nil || len(counts) != 1 || counts[0].Name != "US" || counts[0].Count != len(rows) {
		t.Errorf("after the geo task: %v %v", counts, err)
	}
}
