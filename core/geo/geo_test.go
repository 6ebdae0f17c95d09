package geo_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/geo"
	"github.com/bangui/bangui/core/store/storetest"
)

func locate(t *testing.T, r *geo.Resolver, ips ...string) []geo.Info {
	t.Helper()
	addrs := make([]netip.Addr, len(ips))
	for i, s := range ips {
		addrs[i] = netip.MustParseAddr(s)
	}
	out := make([]geo.Info, len(addrs))
	r.Locate(addrs, out)
	return out
}

func openDefault(t *testing.T, cfg geo.Config, cache geo.Cache) *geo.Resolver {
	t.Helper()
	r, problems, err := geo.Open(context.Background(), cfg, cache)
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) > 0 {
		t.Fatalf("problems: %v", problems)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// Known addresses on the embedded database (iptoasn-country, June 2026).
func TestEmbeddedKnownAddresses(t *testing.T) {
	r := openDefault(t, geo.Config{}, nil)
	want := map[string]string{
		"8.8.8.8":              "US", // Google
		"193.0.6.139":          "NL", // RIPE NCC, Amsterdam
		"81.2.69.142":          "GB",
		"200.160.2.3":          "BR", // NIC.br
		"2001:4860:4860::8888": "US", // Google, IPv6
		"2001:67c:2e8::1":      "NL", // RIPE NCC, IPv6
		"::ffff:8.8.8.8":       "US", // IPv4-mapped: judged as IPv4
		"6.0.0.1":              geo.Unknown,
	}
	for ip, c := range want {
		got := locate(t, r, ip)[0]
		if got.Country != c {
			t.Errorf("%s: country %q, want %q (%+v)", ip, got.Country, c, got)
		}
		if c != geo.Unknown && got.Source != geo.EmbeddedName {
			t.Errorf("%s: source %q, want the embedded database", ip, got.Source)
		}
	}
	if geo.Name("FR") != "France" || geo.Name("US") == "US" || geo.Name(geo.Unknown) != "Unknown" || geo.Name(geo.NotRoutable) != "Not routable" {
		t.Errorf("names: FR=%q US=%q", geo.Name("FR"), geo.Name("US"))
	}
	if n := len(geo.Codes()); n < 240 {
		t.Errorf("only %d country names", n)
	}
}

func TestNotRoutableIsNeverLookedUp(t *testing.T) {
	var asked atomic.Int32
	srv := ipapiStandIn(t, &asked, nil)
	r := openDefault(t, geo.Config{Online: true, OnlineEndpoint: srv.URL}, storetest.Open(t))
	ips := []string{"10.1.2.3", "192.168.0.1", "127.0.0.1", "192.0.2.7", "198.51.100.1", "203.0.113.9",
		"100.64.0.1", "169.254.1.1", "224.0.0.1", "255.255.255.255", "0.1.2.3",
		"::1", "fe80::1", "fc00::1", "2001:db8::1", "ff02::1", "::"}
	addrs := make([]netip.Addr, len(ips))
	for i, s := range ips {
		addrs[i] = netip.MustParseAddr(s)
	}
	infos, err := r.Resolve(context.Background(), addrs, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, in := range infos {
		if in.Country != geo.NotRoutable {
			t.Errorf("%s: %+v, want not routable", ips[i], in)
		}
	}
	if asked.Load() != 0 {
		t.Errorf("the online service was asked %d times about addresses that are not routable", asked.Load())
	}
	// Text with a zone: link-local, so not routable; bad text is unknown.
	if got := r.Countries([]string{"fe80::1%eth0", "not-an-ip", "8.8.8.8"}); got[0] != geo.NotRoutable || got[1] != geo.Unknown || got[2] != "US" {
		t.Errorf("Countries: %q", got)
	}
}

// Addresses as text, as fail2ban and the cache hold them: a zone is
// ignored for the lookup, text that is not an address is unknown.
// (Addresses the user types go through core.NormalizeIP, which refuses
// zones with a message.)
func TestLocateTextZonesAndGarbage(t *testing.T) {
	r := openDefault(t, geo.Config{}, nil)
	got := r.LocateText([]string{"2001:4860:4860::8888%eth0", "fe80::1%eth0", "8.8.8", "", "::ffff:8.8.8.8"})
	want := []string{"US", geo.NotRoutable, geo.Unknown, geo.Unknown, "US"}
	for i := range want {
		if got[i].Country != want[i] {
			t.Errorf("%d: %+v, want %s", i, got[i], want[i])
		}
	}
	if _, err := core.NormalizeIP("fe80::1%eth0"); err == nil || !strings.Contains(err.Error(), "zone") {
		t.Errorf("NormalizeIP of a zoned address: %v", err)
	}
}

// writeMMDB writes a MaxMind DB with the given networks and records.
func writeMMDB(t *testing.T, name, dbType string, recs map[string]mmdbtype.Map) string {
	t.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: dbType, RecordSize: 24, BuildEpoch: 1_780_000_000})
	if err != nil {
		t.Fatal(err)
	}
	for cidr, rec := range recs {
		_, n, err := net.ParseCIDR(cidr)
		if err != nil {
			t.Fatal(err)
		}
		if err := tree.Insert(n, rec); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tree.WriteTo(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func cityRecord(iso string) mmdbtype.Map {
	return mmdbtype.Map{"country": mmdbtype.Map{"iso_code": mmdbtype.String(iso), "names": mmdbtype.Map{"en": mmdbtype.String("x")}},
		"city": mmdbtype.Map{"names": mmdbtype.Map{"en": mmdbtype.String("Somewhere")}}}
}

func TestUserDatabaseTakesPrecedence(t *testing.T) {
	city := writeMMDB(t, "GeoLite2-City.mmdb", "GeoLite2-City", map[string]mmdbtype.Map{
		"8.8.8.0/24": cityRecord("DE"), "6.0.0.0/8": cityRecord("FR"),
	})
	asn := writeMMDB(t, "GeoLite2-ASN.mmdb", "GeoLite2-ASN", map[string]mmdbtype.Map{
		"8.8.0.0/16": {"autonomous_system_number": mmdbtype.Uint32(15169), "autonomous_system_organization": mmdbtype.String("GOOGLE")},
		"1.1.1.0/24": {"autonomous_system_number": mmdbtype.Uint32(13335), "autonomous_system_organization": mmdbtype.String("CLOUDFLARENET")},
	})
	r := openDefault(t, geo.Config{Databases: []string{city, asn}}, nil)
	got := locate(t, r, "8.8.8.8", "6.0.0.1", "1.1.1.1", "193.0.6.139")
	want := []geo.Info{
		{Country: "DE", ASN: 15169, Org: "GOOGLE", Source: "GeoLite2-City.mmdb + GeoLite2-ASN.mmdb"},
		{Country: "FR", Source: "GeoLite2-City.mmdb"},
		{Country: "US", ASN: 13335, Org: "CLOUDFLARENET", Source: geo.EmbeddedName + " + GeoLite2-ASN.mmdb"},
		{Country: "NL", Source: geo.EmbeddedName},
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%d: %+v, want %+v", i, got[i], want[i])
		}
	}
	dbs := r.Databases()
	if len(dbs) != 3 || dbs[0].Type != "GeoLite2-City" || !dbs[0].HasCountry || dbs[0].HasASN || !dbs[1].HasASN ||
		dbs[0].Built.Unix() != 1_780_000_000 || dbs[2].Name != geo.EmbeddedName {
		t.Errorf("databases: %+v %+v %+v", dbs[0], dbs[1], dbs[2])
	}
}

func TestBadUserDatabases(t *testing.T) {
	dir := t.TempDir()
	notMMDB := filepath.Join(dir, "notes.mmdb")
	if err := os.WriteFile(notMMDB, []byte("this is not a database\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	otherFields := writeMMDB(t, "other.mmdb", "Other-Layout", map[string]mmdbtype.Map{
		"8.8.8.0/24": {"land": mmdbtype.String("DE"), "provider": mmdbtype.String("x")},
	})
	missing := filepath.Join(dir, "gone.mmdb")
	cases := []struct {
		path string
		code string
		says []string
	}{
		{notMMDB, core.EINVALID, []string{"notes.mmdb", "not a MaxMind DB", "GeoLite2"}},
		{otherFields, core.EINVALID, []string{"other.mmdb", "land, provider", "country.iso_code", "autonomous_system_number"}},
		{missing, core.ENOTFOUND, []string{"gone.mmdb", "does not exist", "Settings"}},
		{"", core.EINVALID, []string{"no file chosen"}},
	}
	for _, c := range cases {
		_, err := geo.OpenDatabase(c.path)
		if err == nil || core.ErrorCode(err) != c.code {
			t.Errorf("OpenDatabase(%q): %v, want code %v", c.path, err, c.code)
			continue
		}
		for _, s := range c.says {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("OpenDatabase(%q): %q does not say %q", c.path, err, s)
			}
		}
	}
	// Bad files are left out; the rest of the chain works.
	r, problems, err := geo.Open(context.Background(), geo.Config{Databases: []string{notMMDB, otherFields, missing}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if len(problems) != 3 || len(r.Databases()) != 1 {
		t.Errorf("problems %v, databases %d", problems, len(r.Databases()))
	}
	if got := locate(t, r, "8.8.8.8")[0]; got.Country != "US" {
		t.Errorf("8.8.8.8 with bad user files: %+v", got)
	}
}

// ipapiStandIn is a loopback HTTP server that stands in for ip-api.com's
// batch endpoint: it knows 6.0.0.0/8 as Fiji (AS 64500) and nothing else.
// answer, when set, replaces the normal answer.
func ipapiStandIn(t *testing.T, asked *atomic.Int32, answer func(w http.ResponseWriter, ips []string) bool) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		asked.Add(1)
		var ips []string
		if err := json.NewDecoder(req.Body).Decode(&ips); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if answer != nil && answer(w, ips) {
			return
		}
		out := make([]map[string]string, len(ips))
		for i, ip := range ips {
			if strings.HasPrefix(ip, "6.") {
				out[i] = map[string]string{"status": "success", "countryCode": "FJ", "as": "AS64500 Example Fiji", "org": "Example", "query": ip}
			} else {
				out[i] = map[string]string{"status": "fail", "message": "reserved range", "query": ip}
			}
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("X-Rl", "14")
		w.Header().Set("X-Ttl", "60")
		json.NewEncoder(w).Encode(out)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func addrs(ips ...string) []netip.Addr {
	out := make([]netip.Addr, len(ips))
	for i, s := range ips {
		out[i] = netip.MustParseAddr(s)
	}
	return out
}

func TestOnlineStandInOffByDefault(t *testing.T) {
	var asked atomic.Int32
	srv := ipapiStandIn(t, &asked, nil)
	r := openDefault(t, geo.Config{OnlineEndpoint: srv.URL}, storetest.Open(t))
	infos, err := r.Resolve(context.Background(), addrs("6.0.0.1", "6.0.0.2"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if infos[0].Country != geo.Unknown || asked.Load() != 0 || r.OnlineEnabled() {
		t.Errorf("online off: %+v, service asked %d times", infos, asked.Load())
	}
}

func TestOnlineStandInAnswersAreKept(t *testing.T) {
	var asked atomic.Int32
	srv := ipapiStandIn(t, &asked, nil)
	db := storetest.Open(t)
	r := openDefault(t, geo.Config{Online: true, OnlineEndpoint: srv.URL}, db)
	// 6.0.0.1 is unknown offline; 8.8.8.8 known offline; 10.0.0.1 not routable.
	var progressed int
	infos, err := r.Resolve(context.Background(), addrs("6.0.0.1", "8.8.8.8", "10.0.0.1", "6.0.0.1"), func(done, total int) { progressed = done })
	if err != nil {
		t.Fatal(err)
	}
	want := geo.Info{Country: "FJ", ASN: 64500, Org: "Example", Source: "ip-api.com"}
	if infos[0] != want || infos[3] != want || infos[1].Country != "US" || infos[2].Country != geo.NotRoutable {
		t.Errorf("infos %+v", infos)
	}
	if asked.Load() != 1 || progressed != 1 {
		t.Errorf("asked %d times, progress %d", asked.Load(), progressed)
	}
	// Locate (offline) now knows it from geo_cache.
	if got := locate(t, r, "6.0.0.1")[0]; got != want {
		t.Errorf("Locate after Resolve: %+v", got)
	}
	// A new resolver on the same cache file reads the table: no new request.
	r2 := openDefault(t, geo.Config{Online: true, OnlineEndpoint: srv.URL}, db)
	if got := locate(t, r2, "6.0.0.1")[0]; got != want {
		t.Errorf("from geo_cache: %+v", got)
	}
	if _, err := r2.Resolve(context.Background(), addrs("6.0.0.1"), nil); err != nil || asked.Load() != 1 {
		t.Errorf("asked again: %d, %v", asked.Load(), err)
	}
	// Using the answer marks it seen; Flush writes last_seen.
	n, err := r2.Flush(context.Background())
	if err != nil || n != 1 {
		t.Errorf("flush: %d %v", n, err)
	}
}

func TestOnlineStandInNegativeAnswersWait(t *testing.T) {
	var asked atomic.Int32
	srv := ipapiStandIn(t, &asked, func(w http.ResponseWriter, ips []string) bool {
		out := make([]map[string]string, len(ips))
		for i, ip := range ips {
			out[i] = map[string]string{"status": "fail", "message": "invalid query", "query": ip}
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(out)
		return true
	})
	clock := time.Unix(1_790_000_000, 0)
	emb, _ := geo.Embedded()
	r, err := geo.New(context.Background(), geo.Options{Databases: []*geo.Database{emb},
		Online: geo.NewIPAPI(srv.URL, nil), Cache: storetest.Open(t), Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		infos, err := r.Resolve(context.Background(), addrs("6.0.0.9"), nil)
		if err != nil || infos[0].Country != geo.Unknown {
			t.Fatalf("%+v %v", infos, err)
		}
	}
	if asked.Load() != 1 {
		t.Errorf("a negative answer was asked again %d times", asked.Load()-1)
	}
	clock = clock.Add(8 * 24 * time.Hour) // past the 7-day retry
	if _, err := r.Resolve(context.Background(), addrs("6.0.0.9"), nil); err != nil || asked.Load() != 2 {
		t.Errorf("after the retry time: asked %d, %v", asked.Load(), err)
	}
}

func TestOnlineStandInBadAnswers(t *testing.T) {
	cases := map[string]func(w http.ResponseWriter, ips []string) bool{
		"wrong count": func(w http.ResponseWriter, ips []string) bool {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `[{"status":"success","countryCode":"FR","query":"6.0.0.1"}]`)
			return true
		},
		"malformed": func(w http.ResponseWriter, ips []string) bool {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `[{"status":`)
			return true
		},
		"server error": func(w http.ResponseWriter, ips []string) bool {
			http.Error(w, "boom", http.StatusInternalServerError)
			return true
		},
	}
	for name, answer := range cases {
		t.Run(name, func(t *testing.T) {
			var asked atomic.Int32
			srv := ipapiStandIn(t, &asked, answer)
			db := storetest.Open(t)
			r := openDefault(t, geo.Config{Online: true, OnlineEndpoint: srv.URL}, db)
			infos, err := r.Resolve(context.Background(), addrs("6.0.0.1", "6.0.0.2", "8.8.8.8"), nil)
			if err == nil || !strings.Contains(err.Error(), "ip-api.com") {
				t.Fatalf("err %v", err)
			}
			// The offline answers stand; nothing was kept from the bad answer.
			if infos[0].Country != geo.Unknown || infos[2].Country != "US" {
				t.Errorf("infos %+v", infos)
			}
			rows := 0
			db.LoadGeo(context.Background(), func(geo.CacheRow) { rows++ })
			if rows != 0 {
				t.Errorf("%d geo_cache rows from a bad answer", rows)
			}
			// The service is not asked again at once.
			before := asked.Load()
			_, err = r.Resolve(context.Background(), addrs("6.0.0.1"), nil)
			if err == nil || core.ErrorCode(err) != core.EUNAVAILABLE || asked.Load() != before {
				t.Errorf("second try: %v, asked %d more", err, asked.Load()-before)
			}
		})
	}
}

// Retention on a real cache file: rows unseen since the cut-off go,
// fresh ones (also those refreshed by use) stay.
func TestGeoCacheRetention(t *testing.T) {
	db := storetest.Open(t)
	ctx := context.Background()
	now := time.Unix(1_790_000_000, 0)
	old, fresh := now.Add(-100*24*time.Hour), now.Add(-10*24*time.Hour)
	rows := []geo.CacheRow{
		{IP: "6.0.0.1", Info: geo.Info{Country: "FJ", Source: "ip-api.com"}, ResolvedAt: old, LastSeen: old},
		{IP: "6.0.0.2", Info: geo.Info{Country: "FJ", Source: "ip-api.com"}, ResolvedAt: old, LastSeen: old},
		{IP: "6.0.0.3", Info: geo.Info{Country: geo.Unknown, Source: "ip-api.com"}, ResolvedAt: old, LastSeen: old, RetryAt: old.Add(7 * 24 * time.Hour)},
		{IP: "6.0.0.4", Info: geo.Info{Country: "FJ", Source: "ip-api.com"}, ResolvedAt: old, LastSeen: fresh},
	}
	if err := db.PutGeo(ctx, rows); err != nil {
		t.Fatal(err)
	}
	r, err := geo.New(ctx, geo.Options{Cache: db, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	locate(t, r, "6.0.0.2") // used today
	if n, err := r.Flush(ctx); err != nil || n != 1 {
		t.Fatalf("flush %d %v", n, err)
	}
	cutoff := now.Add(-90 * 24 * time.Hour)
	n, err := db.DeleteGeoUnseenBefore(ctx, cutoff)
	if err != nil || n != 2 {
		t.Fatalf("deleted %d, %v; want 2", n, err)
	}
	r.Forget(cutoff)
	var left []string
	db.LoadGeo(ctx, func(row geo.CacheRow) { left = append(left, row.IP) })
	if strings.Join(left, " ") != "6.0.0.2 6.0.0.4" {
		t.Errorf("left %v", left)
	}
	if got := locate(t, r, "6.0.0.1")[0]; got.Country != geo.Unknown {
		t.Errorf("forgotten row still answers: %+v", got)
	}
	for _, ip := range []string{"6.0.0.2", "6.0.0.4"} { // used today; seen 10 days ago
		if got := locate(t, r, ip)[0]; got.Country != "FJ" {
			t.Errorf("kept row %s: %+v", ip, got)
		}
	}
}
