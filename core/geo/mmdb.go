package geo

import (
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/oschwald/maxminddb-golang/v2"

	geodata "github.com/bangui/bangui/assets/geo"
	"github.com/bangui/bangui/core"
)

// Database is one MaxMind DB file the chain reads: the embedded default or
// one the user added (GeoLite2 Country, City or ASN, or any MMDB with the
// same field names).
type Database struct {
	Name  string    // the file's base name ("GeoLite2-ASN.mmdb")
	Path  string    // "" for the embedded database
	Type  string    // the file's database_type ("GeoLite2-City")
	Built time.Time // the file's build_epoch
	// HasCountry and HasASN say which answers the file gives.
	HasCountry, HasASN bool

	r *maxminddb.Reader
	// records caches decoded records by their offset in the file: many
	// networks share one record (a country), so most lookups only walk
	// the search tree.
	mu      sync.RWMutex
	records map[uintptr]Info
}

// record holds the fields the chain reads, under every name the supported
// layouts use: ip-location-db (country_code), GeoIP2/GeoLite2 Country and
// City (country.iso_code, registered_country.iso_code) and ASN
// (autonomous_system_number, autonomous_system_organization).
type record struct {
	CountryCode string `maxminddb:"country_code"`
	Country     struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"country"`
	Registered struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"registered_country"`
	ASN   uint32 `maxminddb:"autonomous_system_number"`
	ASOrg string `maxminddb:"autonomous_system_organization"`
}

func (r *record) country() string {
	switch {
	case r.Country.ISOCode != "":
		return r.Country.ISOCode
	case r.CountryCode != "":
		return r.CountryCode
	default:
		return r.Registered.ISOCode
	}
}

// EmbeddedName names the database shipped in the binary.
const EmbeddedName = "iptoasn-country (built in)"

var embedded = sync.OnceValues(func() (*Database, error) {
	r, err := maxminddb.OpenBytes(geodata.CountryMMDB)
	if err != nil {
		return nil, fmt.Errorf("geo: the built-in database: %w", err)
	}
	return newDatabase(EmbeddedName, "", r)
})

// Embedded returns the database shipped in the binary (iptoasn-country
// from ip-location-db, PDDL 1.0). It is opened once and shared.
func Embedded() (*Database, error) { return embedded() }

// OpenDatabase opens a user's MaxMind DB file and checks that it gives
// countries or autonomous systems under field names the chain reads. The
// errors say what is wrong with the file and what to use instead; they
// are core.EINVALID (not a usable file) or core.ENOTFOUND (no file).
func OpenDatabase(path string) (*Database, error) {
	if path == "" {
		return nil, core.Errorf(core.EINVALID, "no file chosen: pick a .mmdb file (GeoLite2 Country, City or ASN, or another MaxMind DB)")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	if _, err := os.Stat(abs); errors.Is(err, fs.ErrNotExist) {
		return nil, core.Errorf(core.ENOTFOUND, "geo database %s does not exist: check the path in Settings, or remove it there", abs)
	} else if err != nil {
		return nil, core.Errorf(core.EPERMISSION, "geo database %s cannot be read: %v", abs, err)
	}
	r, err := maxminddb.Open(abs)
	if err != nil {
		return nil, core.Errorf(core.EINVALID, "%s is not a MaxMind DB (.mmdb) file (%v): choose a GeoLite2 Country, City or ASN file, or another .mmdb", abs, err)
	}
	db, err := newDatabase(filepath.Base(abs), abs, r)
	if err != nil {
		r.Close()
		return nil, err
	}
	return db, nil
}

// probeNetworks is how many of a file's networks newDatabase decodes to
// learn which fields it has.
const probeNetworks = 200

func newDatabase(name, path string, r *maxminddb.Reader) (*Database, error) {
	db := &Database{Name: name, Path: path, Type: r.Metadata.DatabaseType,
		Built: r.Metadata.BuildTime(), r: r, records: map[uintptr]Info{}}
	seen := map[string]bool{}
	n := 0
	for res := range r.Networks() {
		if n++; n > probeNetworks {
			break
		}
		var rec record
		if err := res.Decode(&rec); err != nil {
			return nil, core.Errorf(core.EINVALID, "%s: its records cannot be read (%v): choose another .mmdb file", name, err)
		}
		db.HasCountry = db.HasCountry || rec.country() != ""
		db.HasASN = db.HasASN || rec.ASN != 0
		var fields map[string]any
		if res.Decode(&fields) == nil {
			for k := range fields {
				seen[k] = true
			}
		}
	}
	if !db.HasCountry && !db.HasASN {
		fields := slices.Sorted(func(yield func(string) bool) {
			for k := range seen {
				if !yield(k) {
					return
				}
			}
		})
		have := "no records"
		if len(fields) > 0 {
			have = "fields " + strings.Join(fields, ", ")
		}
		return nil, core.Errorf(core.EINVALID,
			"%s (%s) has neither countries (country.iso_code or country_code) nor autonomous systems (autonomous_system_number); it holds %s: choose a GeoLite2 Country, City or ASN file, or an ip-location-db country/asn .mmdb",
			name, db.Type, have)
	}
	return db, nil
}

// lookup returns what the file says about a (Found false when it has no
// network for it).
func (db *Database) lookup(a netip.Addr) (Info, bool, error) {
	res := db.r.Lookup(a)
	if err := res.Err(); err != nil {
		return Info{}, false, err
	}
	if !res.Found() {
		return Info{}, false, nil
	}
	off := res.Offset()
	db.mu.RLock()
	in, ok := db.records[off]
	db.mu.RUnlock()
	if ok {
		return in, true, nil
	}
	var rec record
	if err := res.Decode(&rec); err != nil {
		return Info{}, false, err
	}
	in = Info{Country: rec.country(), ASN: rec.ASN, Org: rec.ASOrg, Source: db.Name}
	db.mu.Lock()
	if len(db.records) < maxRecordCache {
		db.records[off] = in
	}
	db.mu.Unlock()
	return in, true, nil
}

// maxRecordCache bounds a file's decoded-record cache (a City database has
// many more records than a Country one).
const maxRecordCache = 1 << 16

// Close releases the file (not the embedded database, which is shared).
func (db *Database) Close() error {
	if db.Path == "" {
		return nil
	}
	return db.r.Close()
}
