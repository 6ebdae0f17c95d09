package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/geo"
	"github.com/bangui/bangui/core/store"
	"github.com/bangui/bangui/core/store/storetest"
)

// geoBackground returns the background tasks with the geo store on db
// (online endpoint: endpoint), and a local server to store bans of.
func geoBackground(t *testing.T, db *store.DB, endpoint string) (*background, *geoService, core.Server) {
	t.Helper()
	ctx := context.Background()
	b, err := newBackground(ctx, db, core.DefaultPreferences().Sync)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.stop)
	g, err := openGeo(ctx, db, endpoint)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.addGeoTasks(g); err != nil {
		t.Fatal(err)
	}
	s, err := db.AddServer(ctx, core.Server{Name: "web1", Kind: core.ServerLocal})
	if err != nil {
		t.Fatal(err)
	}
	return b, g, s
}

// The geo settings, the locate task and the geo retention task, on a real
// cache file.
func TestGeoServiceAndTasks(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	b, g, srv := geoBackground(t, db, "")
	// Bans stored before anything located them (as after the migration).
	now := time.Now()
	rows := []core.HistoryBan{
		{Jail: "sshd", IP: "8.8.8.8", TimeOfBan: now.Add(-time.Hour), Origin: core.OriginAuto},
		{Jail: "sshd", IP: "192.0.2.1", TimeOfBan: now.Add(-2 * time.Hour), Origin: core.OriginAuto},
	}
	if _, err := db.StoreBans(ctx, srv.ID, rows, nil); err != nil {
		t.Fatal(err)
	}
	res, err := b.locate(ctx)
	if err != nil || !strings.Contains(res, "Looked at all addresses (2): 2 changed country, 2 bans moved") {
		t.Fatalf("locate: %q %v", res, err)
	}
	counts, _ := db.CountryCounts(ctx, core.HistoryFilter{From: now.Add(-24 * time.Hour), To: now})
	if len(counts) != 2 || counts[0].Name != core.CountryNotRoutable && counts[0].Name != "US" {
		t.Errorf("counts %v", counts)
	}
	// The same sources again: only what is not located yet.
	if res, err := b.locate(ctx); err != nil || !strings.Contains(res, "new and unknown addresses (0)") {
		t.Errorf("second locate: %q %v", res, err)
	}

	// A missing file in the settings: left out, named, the rest works.
	missing := filepath.Join(t.TempDir(), "GeoLite2-City.mmdb")
	problems, err := g.Apply(ctx, geo.Config{Databases: []string{missing}})
	if err != nil || len(problems) != 1 || !strings.Contains(problems[0].Error(), "does not exist") {
		t.Fatalf("apply: %v %v", problems, err)
	}
	cfg, err := g.Config(ctx)
	if err != nil || len(cfg.Databases) != 1 || cfg.Databases[0] != missing || cfg.Online {
		t.Errorf("config %+v %v", cfg, err)
	}
	var names []string
	for _, s := range g.Sources() {
		names = append(names, s.Name)
		if s.Name != "Left out" && s.Date == "" {
			t.Errorf("source %q has no date", s.Name)
		}
	}
	if got := strings.Join(names, "; "); !strings.Contains(got, geo.EmbeddedName) || !strings.Contains(got, "Left out") ||
		!strings.Contains(got, "World outlines") || strings.Contains(got, "ip-api") {
		t.Errorf("sources %q", got)
	}
	if c := g.Countries([]string{"8.8.8.8"}); c[0] != "US" {
		t.Errorf("countries after apply %v", c)
	}
	// Turning the online lookup on changes the sources: a full pass.
	if _, err := g.Apply(ctx, geo.Config{Online: true, OnlineEndpoint: "http://127.0.0.1:1/unused"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(g.Sources()[len(g.Sources())-3].Name, "ip-api") {
		t.Errorf("online source not listed: %+v", g.Sources())
	}
	// Nightly clean-up: nothing to delete yet, and a bad setting is named.
	if res, err := b.geoRetention(ctx); err != nil || !strings.Contains(res, "Deleted 0 geo answers unseen for 90 days") {
		t.Errorf("geo retention: %q %v", res, err)
	}
	db.SetSetting(ctx, settingGeoRetentionDays, "ninety")
	if _, err := b.geoRetention(ctx); err == nil || !strings.Contains(err.Error(), "not a number of days") {
		t.Errorf("bad retention setting: %v", err)
	}
	// On exit, the chain in use is closed once nothing uses it.
	c := g.acquire()
	g.Close()
	if !c.retired || c.users < 1 {
		t.Errorf("closed while in use: retired %v, users %d", c.retired, c.users)
	}
	g.release(c)
}

// Turning the online lookup off stops a geo run that is asking the
// online service (a loopback stand-in for ip-api.com that holds its
// answer), and the next run uses the new settings. Settings changed by
// another copy of the app are picked up by the next run.
func TestGeoRunStopsWhenOnlineIsTurnedOffStandIn(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	arrived := make(chan struct{}, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // read all: then a client that gives up ends r.Context()
		arrived <- struct{}{}
		<-r.Context().Done() // never answers: the client gives up
	}))
	defer srv.Close()
	b, g, s := geoBackground(t, db, srv.URL)
	// 6.0.0.1 is routable and unknown to the built-in database.
	if _, err := db.StoreBans(ctx, s.ID, []core.HistoryBan{{Jail: "sshd", IP: "6.0.0.1", TimeOfBan: time.Now().Add(-time.Hour), Origin: core.OriginAuto}}, nil); err != nil {
		t.Fatal(err)
	}
	// Another copy turned the online lookup on: the run picks it up.
	if err := db.SetSetting(ctx, settingGeoOnline, "true"); err != nil {
		t.Fatal(err)
	}
	type result struct {
		res string
		err error
	}
	done := make(chan result, 1)
	go func() {
		res, err := b.locate(ctx)
		done <- result{res, err}
	}()
	select {
	case <-arrived:
	case <-time.After(30 * time.Second):
		t.Fatal("the geo run never asked the online service")
	}
	if _, err := g.Apply(ctx, geo.Config{Online: false}); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-done:
		if core.ErrorCode(r.err) != core.ECANCELED || !strings.Contains(r.err.Error(), "sources changed") {
			t.Errorf("the stopped run says %q, %v", r.res, r.err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("turning the online lookup off did not stop the run")
	}
	// The next run is offline.
	res, err := b.locate(ctx)
	if err != nil || strings.Contains(res, "Online") {
		t.Errorf("next run: %q %v", res, err)
	}
	if len(arrived) != 0 {
		t.Errorf("the online service was asked again after it was turned off")
	}
	for _, src := range g.Sources() {
		if strings.Contains(src.Name, "ip-api") {
			t.Errorf("sources still list %s", src.Name)
		}
	}
}
