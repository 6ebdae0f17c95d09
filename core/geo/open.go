package geo

import (
	"context"
	"net/http"
	"strings"
)

// Config is what the user chose in Settings.
type Config struct {
	// Databases are the user's .mmdb files, most preferred first; the
	// embedded database always comes after them.
	Databases []string
	// Online turns on the online service for addresses no database knows.
	// Off by default: it sends banned addresses to a third party over the
	// internet.
	Online bool
	// OnlineEndpoint replaces IPAPIEndpoint (tests: a loopback stand-in).
	OnlineEndpoint string
	// HTTPClient for the online service; nil: NewIPAPI's default.
	HTTPClient *http.Client
}

// ParseDatabases reads the geo.databases setting: one path per line,
// blank lines ignored.
func ParseDatabases(setting string) []string {
	var out []string
	for _, l := range strings.Split(setting, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// Open builds the resolver the app uses: the user's databases (a file
// that is missing or unusable is left out, and its error returned in
// problems, so one bad file never stops the map), then the embedded
// database, the online service only when cfg.Online, and the geo_cache
// table (cache may be nil).
func Open(ctx context.Context, cfg Config, cache Cache) (r *Resolver, problems []error, err error) {
	var dbs []*Database
	for _, p := range cfg.Databases {
		db, err := OpenDatabase(p)
		if err != nil {
			problems = append(problems, err)
			continue
		}
		dbs = append(dbs, db)
	}
	emb, err := Embedded()
	if err != nil {
		return nil, problems, err
	}
	dbs = append(dbs, emb)
	opt := Options{Databases: dbs, Cache: cache}
	if cfg.Online {
		opt.Online = NewIPAPI(cfg.OnlineEndpoint, cfg.HTTPClient)
	}
	r, err = New(ctx, opt)
	if err != nil {
		for _, db := range dbs {
			db.Close()
		}
		return nil, problems, err
	}
	return r, problems, nil
}
