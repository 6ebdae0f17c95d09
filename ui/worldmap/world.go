// Package worldmap draws a choropleth world map: country outlines from a
// TopoJSON topology (world-atlas's countries-110m.json), keyed by ISO
// 3166-1 alpha-2 codes, in the Equal Earth projection.
//
// World (this file and the other non-widget files) loads the outlines,
// projects them and rasterises them into an *image.RGBA with
// golang.org/x/image/vector; it does not import Fyne. Map is a Fyne widget
// that shows a World coloured by counts per country, with hover tooltips,
// taps and a legend.
package worldmap

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"

	geodata "github.com/bangui/bangui/assets/geo"
)

// World holds the country outlines of a world map, projected once into the
// Equal Earth projection's plane. Its methods are safe for concurrent use.
//
// Antarctica is left out: it would take a large part of the map for no
// information. The map shows latitudes from just south of Tierra del Fuego
// to north of Greenland.
type World struct {
	countries []*country          // sorted by code
	byCode    map[string]*country // the same countries, by code
	extent    box                 // the map's area in the projected plane

	mu      sync.Mutex
	layouts []*layout // pixel geometry for recently drawn sizes, newest first
}

// country is one country's outline in the projected plane (y up).
type country struct {
	code  string
	name  string
	parts []part
	box   box
}

// part is one polygon: an exterior ring with its holes, and the lines that
// make up its border.
type part struct {
	// rings[0] is the exterior, oriented counter-clockwise; the others are
	// holes, oriented clockwise, so that a non-zero fill leaves them out.
	rings [][]point
	// lines are the ring edges to stroke as the border: the rings, less the
	// edges made where the ring was cut at the antimeridian.
	lines [][]point
	box   box
}

type point struct{ x, y float64 }

// box is an axis-aligned bounding box; the zero box is empty.
type box struct {
	minX, minY, maxX, maxY float64
	set                    bool
}

func (b *box) add(p point) {
	if !b.set {
		*b = box{p.x, p.y, p.x, p.y, true}
		return
	}
	b.minX, b.maxX = min(b.minX, p.x), max(b.maxX, p.x)
	b.minY, b.maxY = min(b.minY, p.y), max(b.maxY, p.y)
}

func (b *box) union(o box) {
	if o.set {
		b.add(point{o.minX, o.minY})
		b.add(point{o.maxX, o.maxY})
	}
}

func (b box) contains(p point) bool {
	return b.set && p.x >= b.minX && p.x <= b.maxX && p.y >= b.minY && p.y <= b.maxY
}

// unnamedFeatures gives the codes of features that world-atlas ships
// without an ISO numeric id.
var unnamedFeatures = map[string]string{
	"N. Cyprus":  "CY",
	"Somaliland": "SO",
	"Kosovo":     "XK",
}

// omitted are the codes Load leaves off the map.
var omitted = map[string]bool{"AQ": true}

var (
	defaultOnce  sync.Once
	defaultWorld *World
	defaultErr   error
)

// Default returns the World built from the outlines and codes embedded in
// package geodata. It is loaded on first use and shared afterwards.
func Default() (*World, error) {
	defaultOnce.Do(func() {
		defaultWorld, defaultErr = Load(geodata.WorldTopoJSON, geodata.CodesJSON)
	})
	return defaultWorld, defaultErr
}

// Load builds a World from a TopoJSON topology whose objects.countries
// holds one Polygon or MultiPolygon geometry per country, with id the ISO
// 3166-1 numeric code and properties.name the country's name (as
// world-atlas's countries-110m.json), and codesJSON, rows of [alpha-2,
// alpha-3, numeric, ...] (as i18n-iso-countries's codes.json) that map the
// numeric ids to alpha-2 codes. Coordinates are longitude and latitude in
// degrees, quantized or not.
//
// Features whose code cannot be found are skipped; several features with
// the same code (N. Cyprus and Cyprus) make one country.
func Load(topoJSON, codesJSON []byte) (*World, error) {
	numeric, err := decodeCodes(codesJSON)
	if err != nil {
		return nil, err
	}
	topo, err := decodeTopology(topoJSON)
	if err != nil {
		return nil, err
	}
	w := &World{byCode: map[string]*country{}}
	for i, g := range topo.geometries {
		code := featureCode(g, numeric)
		if code == "" || omitted[code] {
			continue
		}
		polys, err := g.polygons()
		if err != nil {
			return nil, fmt.Errorf("worldmap: feature %d (%s): %w", i, g.label(), err)
		}
		c := w.byCode[code]
		if c == nil {
			c = &country{code: code, name: g.Properties.Name}
			w.byCode[code] = c
			w.countries = append(w.countries, c)
		}
		for _, poly := range polys {
			rings := make([][]lonLat, 0, len(poly))
			for _, arcs := range poly {
				r, err := topo.ring(arcs)
				if err != nil {
					return nil, fmt.Errorf("worldmap: feature %d (%s): %w", i, g.label(), err)
				}
				rings = append(rings, r)
			}
			c.parts = append(c.parts, projectPolygon(rings)...)
		}
	}
	kept := w.countries[:0]
	for _, c := range w.countries {
		for _, p := range c.parts {
			c.box.union(p.box)
		}
		if len(c.parts) == 0 {
			delete(w.byCode, c.code)
			continue
		}
		kept = append(kept, c)
		w.extent.union(c.box)
	}
	w.countries = kept
	if len(w.countries) == 0 {
		return nil, errors.New("worldmap: topology has no countries with known codes")
	}
	sort.Slice(w.countries, func(i, j int) bool { return w.countries[i].code < w.countries[j].code })
	// The map is as wide as the whole world (the equator from -180° to
	// 180°), and as tall as the land on it, plus a little sea.
	xEdge, _ := equalEarth(180, 0)
	const pad = 0.01
	w.extent.minX, w.extent.maxX = -xEdge, xEdge
	w.extent.minY -= pad
	w.extent.maxY += pad
	return w, nil
}

// Codes returns the alpha-2 codes of every country on the map, sorted.
func (w *World) Codes() []string {
	codes := make([]string, len(w.countries))
	for i, c := range w.countries {
		codes[i] = c.code
	}
	return codes
}

// Name returns the country's name as the map data spells it ("Dominican
// Rep."), or "" for a code not on the map.
func (w *World) Name(code string) string {
	if c := w.byCode[code]; c != nil {
		return c.name
	}
	return ""
}

// Project returns where the point at longitude lon and latitude lat (in
// degrees) is drawn on a width x height rendering, in pixels from its
// top-left corner. Longitudes are taken modulo 360°, 180° as -180° (the
// map's west edge).
func (w *World) Project(lon, lat float64, width, height int) (x, y float32) {
	lon = math.Mod(lon+180, 360)
	if lon < 0 {
		lon += 360
	}
	px, py := equalEarth(lon-180, max(-90, min(90, lat)))
	f := w.fitFor(width, height)
	return float32(f.ox + f.s*px), float32(f.oy - f.s*py)
}

// CountryAt returns the alpha-2 code of the country drawn at pixel
// position (x, y) of a width x height rendering, or "" over the sea or
// outside the map.
func (w *World) CountryAt(x, y float32, width, height int) string {
	f := w.fitFor(width, height)
	if f.s <= 0 {
		return ""
	}
	p := point{(float64(x) - f.ox) / f.s, (f.oy - float64(y)) / f.s}
	if !w.extent.contains(p) {
		return ""
	}
	for _, c := range w.countries {
		if !c.box.contains(p) {
			continue
		}
		for _, pt := range c.parts {
			if pt.box.contains(p) && pt.contains(p) {
				return c.code
			}
		}
	}
	return ""
}

// contains reports whether p is inside the part (even-odd over its
// rings, so holes are out).
func (pt *part) contains(p point) bool {
	in := false
	for _, r := range pt.rings {
		j := len(r) - 1
		for i := range r {
			a, b := r[i], r[j]
			if (a.y > p.y) != (b.y > p.y) && p.x < a.x+(p.y-a.y)*(b.x-a.x)/(b.y-a.y) {
				in = !in
			}
			j = i
		}
	}
	return in
}

// fit maps the projected plane to pixels: px = ox + s*x, py = oy - s*y.
type fit struct{ s, ox, oy float64 }

// fitFor returns the largest fit of the map's extent into width x height
// pixels, less a one-pixel margin, centred.
func (w *World) fitFor(width, height int) fit {
	const margin = 1
	e := w.extent
	s := min((float64(width)-2*margin)/(e.maxX-e.minX), (float64(height)-2*margin)/(e.maxY-e.minY))
	if s <= 0 || math.IsNaN(s) {
		return fit{}
	}
	return fit{
		s:  s,
		ox: float64(width)/2 - s*(e.minX+e.maxX)/2,
		oy: float64(height)/2 + s*(e.minY+e.maxY)/2,
	}
}

// Equal Earth projection (Šavrič, Patterson and Jenny, 2018), forward
// formula on the unit sphere.
const (
	eeA1 = 1.340264
	eeA2 = -0.081106
	eeA3 = 0.000893
	eeA4 = 0.003796
)

var eeM = math.Sqrt(3) / 2

// equalEarth projects longitude and latitude in degrees to the plane,
// with y up.
func equalEarth(lon, lat float64) (x, y float64) {
	lambda, phi := lon*math.Pi/180, lat*math.Pi/180
	theta := math.Asin(eeM * math.Sin(phi))
	t2 := theta * theta
	t6 := t2 * t2 * t2
	x = lambda * math.Cos(theta) / (eeM * (eeA1 + 3*eeA2*t2 + t6*(7*eeA3+9*eeA4*t2)))
	y = theta * (eeA1 + eeA2*t2 + t6*(eeA3+eeA4*t2))
	return x, y
}

// lonLat is a position in degrees.
type lonLat struct{ lon, lat float64 }

// projectPolygon turns a polygon in degrees (exterior ring first, then
// holes) into parts in the projected plane. A polygon that crosses the
// antimeridian is unwrapped (its longitudes made continuous, some beyond
// ±180°) and then drawn as up to two copies, each shifted by a multiple of
// 360° and cut to [-180°, 180°], so that no edge runs across the map.
func projectPolygon(rings [][]lonLat) []part {
	if len(rings) == 0 || len(rings[0]) < 3 {
		return nil
	}
	// Holes are unwrapped next to their exterior, so that a copy holds
	// both.
	for i := range rings {
		rings[i] = unwrap(rings[i], rings[0][0].lon)
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, p := range rings[0] {
		lo, hi = min(lo, p.lon), max(hi, p.lon)
	}
	var parts []part
	for _, shift := range []float64{-360, 0, 360} {
		if hi+shift <= -180 || lo+shift >= 180 {
			continue
		}
		var pt part
		for i, r := range rings {
			shifted := make([]lonLat, len(r))
			for j, p := range r {
				shifted[j] = lonLat{p.lon + shift, p.lat}
			}
			if lo+shift < -180 || hi+shift > 180 {
				shifted = clipLon(shifted)
			}
			if len(shifted) < 3 {
				if i == 0 {
					break
				}
				continue
			}
			ring, lines := projectRing(shifted)
			orient(ring, i == 0)
			pt.rings = append(pt.rings, ring)
			pt.lines = append(pt.lines, lines...)
			for _, p := range ring {
				pt.box.add(p)
			}
		}
		if len(pt.rings) > 0 {
			parts = append(parts, pt)
		}
	}
	return parts
}

// unwrap returns ring with longitudes shifted by multiples of 360° so that
// no edge spans more than 180° of longitude, starting within 180° of the
// longitude ref. A ring around a pole cannot be unwrapped and is returned
// as it is.
func unwrap(ring []lonLat, ref float64) []lonLat {
	out := make([]lonLat, len(ring))
	copy(out, ring)
	for i := range out {
		prev := ref
		if i > 0 {
			prev = out[i-1].lon
		}
		if d := out[i].lon - prev; d > 180 || d < -180 {
			out[i].lon -= 360 * math.Round(d/360)
		}
	}
	if n := len(out); n > 1 && math.Abs(out[n-1].lon-out[0].lon) > 180 {
		return ring
	}
	return out
}

// clipLon cuts a closed ring to longitudes in [-180°, 180°]
// (Sutherland-Hodgman against both meridians). Points made by the cut lie
// exactly on ±180°.
func clipLon(ring []lonLat) []lonLat {
	return clipHalf(clipHalf(ring, -180, 1), 180, -1)
}

// clipHalf keeps the part of a closed ring where dir*(lon-bound) >= 0.
func clipHalf(ring []lonLat, bound, dir float64) []lonLat {
	if len(ring) == 0 {
		return nil
	}
	out := make([]lonLat, 0, len(ring)+4)
	prev := ring[len(ring)-1]
	ps := dir * (prev.lon - bound)
	for _, p := range ring {
		s := dir * (p.lon - bound)
		if (s >= 0) != (ps >= 0) {
			t := ps / (ps - s)
			out = append(out, lonLat{bound, prev.lat + t*(p.lat-prev.lat)})
		}
		if s >= 0 {
			out = append(out, p)
		}
		prev, ps = p, s
	}
	return out
}

// maxStep is the longest edge, in degrees, projected as a straight line;
// longer edges get points in between so that they follow the projection's
// curves (meridians are curved in Equal Earth).
const maxStep = 1.0

// projectRing projects a closed ring (its last point is not repeated) and
// returns it with the border lines to stroke: the whole ring, closed, less
// any edges that run along the antimeridian (where a cut made them).
func projectRing(ring []lonLat) ([]point, [][]point) {
	proj := make([]point, 0, len(ring))
	onEdge := make([]bool, 0, len(ring)) // whether the edge ending at proj[i] lies on the antimeridian
	n := len(ring)
	for i := range n {
		a, b := ring[(i+n-1)%n], ring[i]
		edge := math.Abs(a.lon) == 180 && a.lon == b.lon
		steps := int(math.Ceil(max(math.Abs(b.lon-a.lon), math.Abs(b.lat-a.lat)) / maxStep))
		for k := 1; k <= steps; k++ {
			t := float64(k) / float64(steps)
			x, y := equalEarth(a.lon+t*(b.lon-a.lon), a.lat+t*(b.lat-a.lat))
			proj = append(proj, point{x, y})
			onEdge = append(onEdge, edge)
		}
		if steps == 0 {
			x, y := equalEarth(b.lon, b.lat)
			proj = append(proj, point{x, y})
			onEdge = append(onEdge, edge)
		}
	}
	return proj, borderLines(proj, onEdge)
}

// borderLines splits a closed projected ring into the lines to stroke,
// leaving out the edges flagged in onEdge (onEdge[i] is for the edge that
// ends at ring[i]).
func borderLines(ring []point, onEdge []bool) [][]point {
	m := len(ring)
	start := -1
	for i, e := range onEdge {
		if e {
			start = i
			break
		}
	}
	if start < 0 {
		closed := make([]point, m+1)
		copy(closed, ring)
		closed[m] = ring[0]
		return [][]point{closed}
	}
	// Walk the ring from the end of a left-out edge, so that no line wraps
	// around the ring's end.
	var lines [][]point
	var cur []point
	for k := 1; k <= m; k++ {
		i := (start + k) % m
		if onEdge[i] {
			if len(cur) > 1 {
				lines = append(lines, cur)
			}
			cur = nil
			continue
		}
		if cur == nil {
			cur = []point{ring[(i+m-1)%m]}
		}
		cur = append(cur, ring[i])
	}
	if len(cur) > 1 {
		lines = append(lines, cur)
	}
	return lines
}

// orient reverses ring if needed so that it is counter-clockwise (y up)
// when ccw is set, clockwise otherwise.
func orient(ring []point, ccw bool) {
	area := 0.0
	j := len(ring) - 1
	for i, p := range ring {
		q := ring[j]
		area += (q.x - p.x) * (q.y + p.y)
		j = i
	}
	// area is twice the signed area, positive for counter-clockwise.
	if (area > 0) != ccw {
		for i, j := 0, len(ring)-1; i < j; i, j = i+1, j-1 {
			ring[i], ring[j] = ring[j], ring[i]
		}
	}
}

// TopoJSON decoding.

type topology struct {
	arcs       [][]lonLat
	geometries []geometry
}

type geometry struct {
	Type       string          `json:"type"`
	ID         json.RawMessage `json:"id"`
	Arcs       json.RawMessage `json:"arcs"`
	Properties struct {
		Name string `json:"name"`
	} `json:"properties"`
}

// label names the geometry in errors.
func (g geometry) label() string {
	if g.Properties.Name != "" {
		return strconv.Quote(g.Properties.Name)
	}
	if len(g.ID) > 0 {
		return "id " + string(g.ID)
	}
	return "unnamed"
}

// polygons returns the geometry's polygons as arc indexes: polygons, rings,
// arcs. Geometries other than Polygon and MultiPolygon have none.
func (g geometry) polygons() ([][][]int, error) {
	switch g.Type {
	case "Polygon":
		var p [][]int
		if err := json.Unmarshal(g.Arcs, &p); err != nil {
			return nil, fmt.Errorf("bad Polygon arcs: %w", err)
		}
		return [][][]int{p}, nil
	case "MultiPolygon":
		var mp [][][]int
		if err := json.Unmarshal(g.Arcs, &mp); err != nil {
			return nil, fmt.Errorf("bad MultiPolygon arcs: %w", err)
		}
		return mp, nil
	}
	return nil, nil
}

// featureCode returns the feature's alpha-2 code: by numeric id, or by
// name for the few features that have none; "" if unknown.
func featureCode(g geometry, numeric map[int]string) string {
	id := bytes.TrimSpace(g.ID)
	if len(id) == 0 || string(id) == "null" {
		return unnamedFeatures[g.Properties.Name]
	}
	var s string
	if id[0] == '"' {
		if json.Unmarshal(id, &s) != nil {
			return ""
		}
	} else {
		s = string(id)
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return unnamedFeatures[g.Properties.Name]
	}
	return numeric[n]
}

// decodeTopology parses a topology, decoding its arcs to degrees.
func decodeTopology(data []byte) (*topology, error) {
	var raw struct {
		Type      string `json:"type"`
		Transform *struct {
			Scale     [2]float64 `json:"scale"`
			Translate [2]float64 `json:"translate"`
		} `json:"transform"`
		Arcs    [][][]float64              `json:"arcs"`
		Objects map[string]json.RawMessage `json:"objects"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("worldmap: decoding TopoJSON: %w", err)
	}
	if raw.Type != "Topology" {
		return nil, fmt.Errorf("worldmap: not a TopoJSON topology (type %q)", raw.Type)
	}
	obj, ok := raw.Objects["countries"]
	if !ok {
		return nil, errors.New("worldmap: topology has no objects.countries")
	}
	var coll struct {
		Type       string     `json:"type"`
		Geometries []geometry `json:"geometries"`
	}
	if err := json.Unmarshal(obj, &coll); err != nil {
		return nil, fmt.Errorf("worldmap: decoding objects.countries: %w", err)
	}
	if coll.Type != "GeometryCollection" {
		return nil, fmt.Errorf("worldmap: objects.countries is a %q, not a GeometryCollection", coll.Type)
	}
	t := &topology{geometries: coll.Geometries, arcs: make([][]lonLat, len(raw.Arcs))}
	for i, arc := range raw.Arcs {
		pts := make([]lonLat, len(arc))
		var x, y float64
		for j, pos := range arc {
			if len(pos) < 2 {
				return nil, fmt.Errorf("worldmap: arc %d: position %d has %d coordinates", i, j, len(pos))
			}
			if tr := raw.Transform; tr != nil {
				// Quantized: positions are deltas from the previous one.
				x, y = x+pos[0], y+pos[1]
				pts[j] = lonLat{x*tr.Scale[0] + tr.Translate[0], y*tr.Scale[1] + tr.Translate[1]}
			} else {
				pts[j] = lonLat{pos[0], pos[1]}
			}
			if p := pts[j]; !(math.Abs(p.lon) <= 360 && math.Abs(p.lat) <= 90.001) {
				return nil, fmt.Errorf("worldmap: arc %d: position %d (%g, %g) is not a longitude and latitude in degrees", i, j, p.lon, p.lat)
			}
		}
		t.arcs[i] = pts
	}
	return t, nil
}

// ring joins arcs (index i, or ^i for arc i reversed) into a closed ring,
// without repeating its first point at the end.
func (t *topology) ring(arcs []int) ([]lonLat, error) {
	var r []lonLat
	for _, a := range arcs {
		i := a
		if a < 0 {
			i = ^a
		}
		if i >= len(t.arcs) {
			return nil, fmt.Errorf("arc index %d out of range (topology has %d arcs)", a, len(t.arcs))
		}
		arc := t.arcs[i]
		if len(r) > 0 && len(arc) > 0 {
			// Each arc starts where the previous one ended.
			r = r[:len(r)-1]
		}
		if a >= 0 {
			r = append(r, arc...)
		} else {
			for k := len(arc) - 1; k >= 0; k-- {
				r = append(r, arc[k])
			}
		}
	}
	if n := len(r); n > 1 && r[0] == r[n-1] {
		r = r[:n-1]
	}
	return r, nil
}

// decodeCodes parses codes.json into alpha-2 codes by numeric code.
func decodeCodes(data []byte) (map[int]string, error) {
	var rows [][]string
	if err := json.Unmarshal(data, &rows); err != nil {
		return nil, fmt.Errorf("worldmap: decoding country codes: %w", err)
	}
	m := make(map[int]string, len(rows))
	for _, row := range rows {
		if len(row) < 3 {
			continue
		}
		n, err := strconv.Atoi(row[2])
		if err != nil || len(row[0]) != 2 {
			continue
		}
		m[n] = strings.ToUpper(row[0])
	}
	if len(m) == 0 {
		return nil, errors.New("worldmap: country codes list is empty")
	}
	return m, nil
}
