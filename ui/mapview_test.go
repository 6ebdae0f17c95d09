package ui

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/geo"
	"github.com/bangui/bangui/core/store"
	"github.com/bangui/bangui/core/store/storetest"
)

// geoCache is a real cache file whose bans were located by the real
// resolver (the built-in database): 5 bans of 8.8.8.8 (US), 2 of
// 193.0.6.139 (NL), one of 198.51.100.1 (not routable) and one of 6.0.0.1
// (unknown), in the last day before testNow.
func geoCache(t *testing.T) *store.DB {
	t.Helper()
	ctx := context.Background()
	db := storetest.Open(t)
	s, err := db.AddServer(ctx, core.Server{Name: "web1", Kind: core.ServerLocal})
	if err != nil {
		t.Fatal(err)
	}
	r, _, err := geo.Open(ctx, geo.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var rows []core.HistoryBan
	for i, ip := range []string{"8.8.8.8", "8.8.8.8", "8.8.8.8", "8.8.8.8", "8.8.8.8", "193.0.6.139", "193.0.6.139", "198.51.100.1", "6.0.0.1"} {
		rows = append(rows, core.HistoryBan{Jail: "sshd", IP: ip, TimeOfBan: testNow.Add(-time.Duration(i+1) * time.Hour), Origin: core.OriginAuto})
	}
	ips := make([]string, len(rows))
	for i, b := range rows {
		ips[i] = b.IP
	}
	for i, c := range r.Countries(ips) {
		rows[i].Country = c
	}
	if _, err := db.StoreBans(ctx, s.ID, rows, nil); err != nil {
		t.Fatal(err)
	}
	return db
}

func newTestMap(t *testing.T, r core.History) *mapView {
	t.Helper()
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	v := newMapView(w, r)
	v.spawn = func(f func()) { f() }
	v.now = func() time.Time { return testNow }
	v.rng.now = v.now
	w.SetContent(v.root)
	w.Resize(fyne.NewSize(1200, 700))
	t.Cleanup(v.stop)
	return v
}

func TestMapViewCountsByCountry(t *testing.T) {
	v := newTestMap(t, geoCache(t))
	v.reload()
	if want := "9 bans from 2 countries · unknown 1 · not routable 1"; v.summary.Text != want {
		t.Errorf("summary %q, want %q", v.summary.Text, want)
	}
	var codes []string
	for i := range v.table.rows {
		codes = append(codes, v.table.cellText(i, 0)+"="+v.table.cellText(i, 2))
	}
	if got := strings.Join(codes, " "); got != "US=5 NL=2 n/r=1 ?=1" {
		t.Errorf("table %q", got)
	}
	if v.body.Objects[0] != v.mapBox {
		t.Error("the map is not shown")
	}
	v.modeSel.SetSelected(modeTable)
	if v.body.Objects[0] != v.table {
		t.Error("the table is not shown")
	}
	// Sorting by name.
	v.onSort(1)
	if v.table.cellText(0, 1) != "Netherlands" {
		t.Errorf("sorted by name, first %q", v.table.cellText(0, 1))
	}
	// The CSV has the table's rows.
	var buf bytes.Buffer
	if err := writeCountryCSV(&buf, v.rows); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "code,country,bans,share\n") || !strings.Contains(buf.String(), "US,United States of America,5,0.5556\n") {
		t.Errorf("csv:\n%s", buf.String())
	}
}

func TestMapViewSelectedCountry(t *testing.T) {
	v := newTestMap(t, geoCache(t))
	var opened string
	v.onIP = func(ip string) { opened = ip }
	v.infos = func(ips []string) []geo.Info {
		out := make([]geo.Info, len(ips))
		for i, ip := range ips {
			if ip == "8.8.8.8" {
				out[i] = geo.Info{Country: "US", ASN: 15169, Org: "GOOGLE"}
			}
		}
		return out
	}
	v.reload()
	// A click on the map lands in selectCountry (ui/worldmap tests the
	// hit-testing); here the click's effect.
	v.m.OnTapped("US")
	if v.m.Selected() != "US" || v.sideTitle.Text != "United States of America (US)" {
		t.Errorf("selected %q, title %q", v.m.Selected(), v.sideTitle.Text)
	}
	if len(v.topTable.rows) != 1 || v.topTable.rows[0] != (core.NamedCount{Name: "8.8.8.8", Count: 5}) {
		t.Errorf("top %v", v.topTable.rows)
	}
	if got := v.topTable.cellText(0, 2); got != "AS15169 GOOGLE" {
		t.Errorf("network %q", got)
	}
	if len(v.recent.rows) != 5 || !strings.Contains(v.sideInfo.Text, "5 bans") {
		t.Errorf("recent %d, info %q", len(v.recent.rows), v.sideInfo.Text)
	}
	v.topTable.onSelected(0)
	if opened != "8.8.8.8" {
		t.Errorf("opened %q", opened)
	}
	// A country without bans in range.
	v.selectCountry("FR")
	if len(v.topTable.rows) != 0 || !strings.Contains(v.sideInfo.Text, "No bans") {
		t.Errorf("FR: %v %q", v.topTable.rows, v.sideInfo.Text)
	}
	// A table row selects too.
	v.table.onSelected(1)
	if v.selected != "NL" {
		t.Errorf("row 1 selected %q", v.selected)
	}
	v.selectCountry("")
	if v.sideTitle.Text != "No country selected" {
		t.Errorf("title %q", v.sideTitle.Text)
	}
}

type failingHistory struct{ noHistory }

func (failingHistory) CountryCounts(context.Context, core.HistoryFilter) ([]core.NamedCount, error) {
	return nil, errors.New("disk I/O error")
}

func TestMapViewEmptyAndError(t *testing.T) {
	v := newTestMap(t, storetest.Open(t))
	v.reload()
	if v.body.Objects[0] != v.state || v.state.title.Text != "No ban history yet" || !v.csvB.Disabled() {
		t.Errorf("empty: %q", v.state.title.Text)
	}
	v = newTestMap(t, failingHistory{})
	v.reload()
	if !strings.Contains(v.state.title.Text, "Could not count") || !strings.Contains(v.state.message.Text, "disk I/O error") {
		t.Errorf("error: %q %q", v.state.title.Text, v.state.message.Text)
	}
}

func TestHistoryViewCountryColumnAndFilter(t *testing.T) {
	db := geoCache(t)
	servers, _ := db.Servers(context.Background())
	v, _ := newTestHistory(t, db, servers)
	v.reload()
	v.selectCountry("NL")
	v.countrySel.OnChanged(v.countrySel.Selected)
	if v.pages.length() != 2 {
		t.Fatalf("NL filter: %d rows", v.pages.length())
	}
	i := slices.IndexFunc(v.table.cols, func(c column[core.HistoryBan]) bool { return c.title == "Country" })
	v.table.Refresh()
	if got := v.table.cellText(0, i); got != "NL" {
		t.Errorf("country cell %q", got)
	}
	v.selectCountry(core.CountryNotRoutable)
	v.countrySel.OnChanged(v.countrySel.Selected)
	if v.pages.length() != 1 {
		t.Errorf("not routable: %d rows", v.pages.length())
	}
	// An address opened from the map or the dashboard is not hidden by
	// the country filter.
	v.showIP("8.8.8.8")
	if v.pages.length() != 5 || v.countrySel.Selected != allCountries {
		t.Errorf("showIP: %d rows, country filter %q", v.pages.length(), v.countrySel.Selected)
	}
}

type mapLocator map[string]string

func (m mapLocator) Countries(ips []string) []string {
	out := make([]string, len(ips))
	for i, ip := range ips {
		out[i] = m[ip]
	}
	return out
}

func TestBansViewCountryColumnAndFilter(t *testing.T) {
	src := banSource()
	v := newTestBans(t, src)
	v.locator = mapLocator{"192.0.2.10": core.CountryNotRoutable, "192.0.2.9": "FR", "198.51.100.7": "FR"}
	v.update(context.Background())
	col := slices.IndexFunc(v.table.cols, func(c column[core.Ban]) bool { return c.title == "Country" })
	for i, b := range v.table.rows {
		want := map[string]string{"192.0.2.10": "n/r", "192.0.2.9": "FR", "198.51.100.7": "FR"}[b.IP]
		if got := v.table.cellText(i, col); got != want {
			t.Errorf("%s: country %q, want %q", b.IP, got, want)
		}
	}
	if want := []string{allCountries, "France (FR)", "Not routable"}; !slices.Equal(v.countrySel.Options, want) {
		t.Errorf("options %v", v.countrySel.Options)
	}
	v.countrySel.SetSelected("France (FR)")
	if len(v.table.rows) != 2 {
		t.Errorf("FR: %d rows (%s)", len(v.table.rows), shownIPs(v))
	}
}
