// Package geodata embeds the geo data the app ships (see sources.json and
// scripts/refresh-assets.sh): the default IP-to-country database, the
// world outlines, and ISO country codes and names. It imports nothing, so
// core may use it.
package geodata

import _ "embed"

// CountryMMDB is iptoasn-country.mmdb (ip-location-db, PDDL 1.0): a
// MaxMind DB whose records hold one key, country_code (ISO alpha-2).
//
//go:embed iptoasn-country.mmdb
var CountryMMDB []byte

// WorldTopoJSON is world-atlas's countries-110m.json: country outlines as
// TopoJSON, features keyed by ISO 3166-1 numeric code.
//
//go:embed countries-110m.json
var WorldTopoJSON []byte

// CodesJSON is i18n-iso-countries' codes.json: rows of
// [alpha-2, alpha-3, numeric, "ISO 3166-2:XX"].
//
//go:embed codes.json
var CodesJSON []byte

// NamesJSON is i18n-iso-countries' langs/en.json: English country names
// by alpha-2 code (a string, or a list whose first entry is the usual
// name).
//
//go:embed names-en.json
var NamesJSON []byte

// SourcesJSON describes each file above: name, npm package and version,
// licence, and where it comes from.
//
//go:embed sources.json
var SourcesJSON []byte

// Licences are the licence texts the bundled data asks to ship.
//
//go:embed LICENSE.world-atlas
var LicenceWorldAtlas string

//go:embed LICENSE.i18n-iso-countries
var LicenceCountryCodes string
