package worldmap

import (
	"flag"
	"fmt"
	"hash/fnv"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	geodata "github.com/bangui/bangui/assets/geo"
)

var update = flag.Bool("update", false, "rewrite the golden images in testdata/")

func testWorld(tb testing.TB) *World {
	tb.Helper()
	w, err := Default()
	if err != nil {
		tb.Fatalf("Default: %v", err)
	}
	return w
}

// places are points whose country the map must know, at any size.
var places = []struct {
	name     string
	lon, lat float64
	want     string
}{
	{"Paris", 2.35, 48.86, "FR"},
	{"Berlin", 13.40, 52.52, "DE"},
	{"Madrid", -3.70, 40.42, "ES"},
	{"mid-Pacific", -150, 0, ""},
	{"Moscow", 37.62, 55.75, "RU"},
	{"Chukotka", -175, 66, "RU"},
	{"Kamchatka", 159, 55, "RU"},
	{"Fiji", 178.4, -17.8, "FJ"},
	{"North Atlantic", -20, 60, ""},
	{"Canberra", 149.13, -35.28, "AU"},
	{"Brasilia", -47.88, -15.79, "BR"},
	{"Washington", -77.04, 38.90, "US"},
	{"Anchorage", -149.9, 61.2, "US"},
	{"Nuuk", -51.7, 64.2, "GL"},
	{"Cayenne", -52.3, 4.9, "FR"},
	{"Maseru (Lesotho, a hole in South Africa)", 27.7, -29.5, "LS"},
	{"Johannesburg", 28.05, -26.2, "ZA"},
	{"Kyrenia (N. Cyprus)", 33.3, 35.3, "CY"},
	{"Hargeisa (Somaliland)", 44.06, 9.56, "SO"},
	{"Pristina (Kosovo)", 21.17, 42.67, "XK"},
	{"South Pole (Antarctica is left out)", 0, -89, ""},
	{"Indian Ocean", 80, -20, ""},
}

func TestCountryAt(t *testing.T) {
	w := testWorld(t)
	for _, size := range [][2]int{{800, 400}, {1600, 800}, {640, 640}} {
		for _, p := range places {
			x, y := w.Project(p.lon, p.lat, size[0], size[1])
			if got := w.CountryAt(x, y, size[0], size[1]); got != p.want {
				t.Errorf("%dx%d: %s (%.2f, %.2f) at (%.1f, %.1f): CountryAt = %q, want %q",
					size[0], size[1], p.name, p.lon, p.lat, x, y, got, p.want)
			}
		}
	}
}

func TestCountryAtOutside(t *testing.T) {
	w := testWorld(t)
	for _, pt := range [][2]float32{{-5, 200}, {900, 200}, {400, -3}, {400, 500}} {
		if got := w.CountryAt(pt[0], pt[1], 800, 400); got != "" {
			t.Errorf("CountryAt(%v) = %q outside the map, want \"\"", pt, got)
		}
	}
	if got := w.CountryAt(0, 0, 0, 0); got != "" {
		t.Errorf("CountryAt on a 0x0 map = %q", got)
	}
}

func TestProjectFitsAndCentres(t *testing.T) {
	w := testWorld(t)
	for _, size := range [][2]int{{800, 400}, {400, 800}, {1000, 300}} {
		wd, ht := size[0], size[1]
		// The equator spans the map's width; the map is centred.
		x0, y0 := w.Project(-180, 0, wd, ht)
		x1, y1 := w.Project(179.9999, 0, wd, ht)
		if x0 < 0 || x1 > float32(wd) || y0 != y1 {
			t.Errorf("%dx%d: equator from (%.1f, %.1f) to (%.1f, %.1f)", wd, ht, x0, y0, x1, y1)
		}
		if d := float32(wd) - x1 - x0; d < -1 || d > 1 {
			t.Errorf("%dx%d: map not centred horizontally: margins %.1f and %.1f", wd, ht, x0, float32(wd)-x1)
		}
		// North is up, and the map keeps its aspect ratio: a degree of
		// latitude at the equator is about as long as a degree of longitude.
		_, yn := w.Project(0, 10, wd, ht)
		_, ys := w.Project(0, -10, wd, ht)
		xe, _ := w.Project(10, 0, wd, ht)
		xw, _ := w.Project(-10, 0, wd, ht)
		if yn >= ys {
			t.Errorf("%dx%d: north is not up", wd, ht)
		}
		if r := (ys - yn) / (xe - xw); r < 1 || r > 1.4 {
			t.Errorf("%dx%d: 20° of latitude / 20° of longitude at the equator = %.2f", wd, ht, r)
		}
	}
}

func TestCodes(t *testing.T) {
	w := testWorld(t)
	codes := w.Codes()
	if len(codes) < 170 {
		t.Fatalf("%d countries, want about 175", len(codes))
	}
	if !slices.IsSorted(codes) {
		t.Errorf("Codes not sorted")
	}
	for _, c := range []string{"FR", "RU", "FJ", "US", "XK", "CY", "SO", "GL"} {
		if !slices.Contains(codes, c) {
			t.Errorf("Codes lacks %s", c)
		}
	}
	if slices.Contains(codes, "AQ") {
		t.Errorf("Codes has Antarctica, which is not drawn")
	}
	if got := w.Name("FR"); got != "France" {
		t.Errorf(`Name("FR") = %q`, got)
	}
	if got := w.Name("ZZ"); got != "" {
		t.Errorf(`Name("ZZ") = %q`, got)
	}
}

func TestLoadErrors(t *testing.T) {
	codes := geodata.CodesJSON
	const good = `{"type":"Topology","arcs":[[[0,0],[10,0],[0,10],[-10,-10]]],
		"objects":{"countries":{"type":"GeometryCollection","geometries":[
			{"type":"Polygon","arcs":[[0]],"id":"250","properties":{"name":"France"}}]}}}`
	if w, err := Load([]byte(good), codes); err != nil {
		t.Fatalf("minimal topology: %v", err)
	} else if got := w.Codes(); !slices.Equal(got, []string{"FR"}) {
		t.Fatalf("minimal topology: Codes = %v", got)
	}
	tests := []struct {
		name, topo, codes, want string
	}{
		{"invalid JSON", `{"type":"Topology",`, "", "decoding TopoJSON"},
		{"not JSON at all", `hello`, "", "decoding TopoJSON"},
		{"not a topology", `{"type":"FeatureCollection"}`, "", "not a TopoJSON topology"},
		{"no objects", `{"type":"Topology","arcs":[]}`, "", "no objects.countries"},
		{"no countries", `{"type":"Topology","arcs":[],"objects":{"land":{"type":"GeometryCollection","geometries":[]}}}`, "", "no objects.countries"},
		{"countries not a collection", `{"type":"Topology","arcs":[],"objects":{"countries":{"type":"Polygon","arcs":[[0]]}}}`, "", "not a GeometryCollection"},
		{"arc out of range", strings.Replace(good, `"arcs":[[0]]`, `"arcs":[[0,7]]`, 1), "", "arc index 7 out of range"},
		{"reversed arc out of range", strings.Replace(good, `"arcs":[[0]]`, `"arcs":[[-3]]`, 1), "", "arc index -3 out of range"},
		{"bad arcs", strings.Replace(good, `"arcs":[[0]]`, `"arcs":"zero"`, 1), "", "bad Polygon arcs"},
		{"short position", strings.Replace(good, `[10,0]`, `[10]`, 1), "", "position 1 has 1 coordinates"},
		{"not degrees", strings.Replace(good, `[0,10]`, `[0,1000]`, 1), "", "is not a longitude and latitude"},
		{"unknown ids only", strings.Replace(good, `"250"`, `"999"`, 1), "", "no countries with known codes"},
		{"invalid codes", good, `[["FR"`, "decoding country codes"},
		{"empty codes", good, `[]`, "country codes list is empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := codes
			if tc.codes != "" {
				c = []byte(tc.codes)
			}
			w, err := Load([]byte(tc.topo), c)
			if err == nil {
				t.Fatalf("Load succeeded with %d countries, want an error", len(w.Codes()))
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "worldmap: ") {
				t.Errorf("error %q, want one with %q", err, tc.want)
			}
		})
	}
}

// testFill gives each country a fixed colour of its own.
func testFill(code string) color.Color {
	h := fnv.New32a()
	h.Write([]byte(code))
	v := h.Sum32()
	return color.RGBA{uint8(90 + v%130), uint8(90 + (v>>8)%130), uint8(90 + (v>>16)%130), 0xff}
}

var testSea = color.RGBA{0xd8, 0xe8, 0xff, 0xff}

func renderTest(w *World, width, height int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	draw.Draw(img, img.Bounds(), image.NewUniform(testSea), image.Point{}, draw.Src)
	w.Render(img, testFill, color.Black)
	return img
}

func TestRenderGolden(t *testing.T) {
	w := testWorld(t)
	for _, size := range [][2]int{{800, 400}, {1600, 800}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			img := renderTest(w, size[0], size[1])
			// Paint a red dot where Project puts a few places, so the
			// golden image shows they land where they should.
			for _, p := range places[:3] {
				x, y := w.Project(p.lon, p.lat, size[0], size[1])
				draw.Draw(img, image.Rect(int(x)-1, int(y)-1, int(x)+2, int(y)+2), image.NewUniform(color.RGBA{0xff, 0, 0, 0xff}), image.Point{}, draw.Src)
			}
			compareGolden(t, filepath.Join("testdata", fmt.Sprintf("render_%dx%d.png", size[0], size[1])), img)
		})
	}
}

// compareGolden compares img with the PNG at path, allowing a few pixels
// to differ a little (antialiasing may round differently elsewhere). The
// file is written when missing or with -update.
func compareGolden(t *testing.T, path string, img *image.RGBA) {
	t.Helper()
	if _, err := os.Stat(path); *update || os.IsNotExist(err) {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := png.Encode(f, img); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", path)
		return
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if want.Bounds() != img.Bounds() {
		t.Fatalf("%s is %v, rendering is %v", path, want.Bounds(), img.Bounds())
	}
	const (
		channelTolerance = 24   // per 8-bit channel
		maxBadFraction   = 2e-3 // of the pixels
	)
	bad := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			g := color.RGBAModel.Convert(want.At(x, y)).(color.RGBA)
			o := img.RGBAAt(x, y)
			if absDiff(g.R, o.R) > channelTolerance || absDiff(g.G, o.G) > channelTolerance ||
				absDiff(g.B, o.B) > channelTolerance || absDiff(g.A, o.A) > channelTolerance {
				bad++
			}
		}
	}
	if frac := float64(bad) / float64(b.Dx()*b.Dy()); frac > maxBadFraction {
		out := filepath.Join(t.TempDir(), filepath.Base(path))
		if f, err := os.Create(out); err == nil {
			_ = png.Encode(f, img)
			_ = f.Close()
		}
		t.Errorf("%s: %d pixels (%.3f%%) differ; rendering written to %s (run with -update to accept it)", path, bad, 100*frac, out)
	}
}

func absDiff(a, b uint8) uint8 {
	if a > b {
		return a - b
	}
	return b - a
}

// TestRenderNoStreaks checks that no ring is drawn across the map: rings
// that cross the antimeridian (Russia, Fiji) would paint a band along
// their latitudes.
func TestRenderNoStreaks(t *testing.T) {
	w := testWorld(t)
	const width, height = 1200, 600
	img := renderTest(w, width, height)
	sea := []struct{ lon, lat float64 }{
		{-150, -17.8}, {-100, -17}, {-30, -17}, {80, -17}, // Fiji's latitudes
		{-176, 60}, {-30, 66}, {0, 68}, {-170, 71}, // Chukotka's
		{-178, 60}, {178, 55}, {-150, 0},
	}
	for _, p := range sea {
		x, y := w.Project(p.lon, p.lat, width, height)
		if got := img.RGBAAt(int(x), int(y)); got != testSea {
			t.Errorf("(%v, %v) at (%d, %d) is %v, want the sea", p.lon, p.lat, int(x), int(y), got)
		}
	}
	// Each side of the antimeridian has its share of Russia and Fiji
	// (Fiji's islands are small: their pixels are mostly border).
	for _, p := range []struct{ lon, lat float64 }{{-175, 66}, {179, 68}, {178.4, -17.8}, {-179.9, -16.2}} {
		x, y := w.Project(p.lon, p.lat, width, height)
		if got := img.RGBAAt(int(x), int(y)); got == testSea {
			t.Errorf("(%v, %v) at (%d, %d) is sea, want land", p.lon, p.lat, int(x), int(y))
		}
	}
}

func TestRenderFillAndBorder(t *testing.T) {
	w := testWorld(t)
	const width, height = 800, 400
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	red := color.RGBA{0xff, 0, 0, 0xff}
	w.Render(img, func(code string) color.Color {
		if code == "FR" {
			return red
		}
		return nil // not drawn
	}, nil)
	x, y := w.Project(2.35, 47, width, height)
	if got := img.RGBAAt(int(x), int(y)); got != red {
		t.Errorf("France is %v, want %v", got, red)
	}
	x, y = w.Project(13.4, 52.5, width, height)
	if got := img.RGBAAt(int(x), int(y)); got != (color.RGBA{}) {
		t.Errorf("Germany (fill nil) is %v, want untouched", got)
	}
	// A sub-image: the map is drawn relative to its bounds.
	big := image.NewRGBA(image.Rect(0, 0, width+50, height+30))
	sub := big.SubImage(image.Rect(50, 30, width+50, height+30)).(*image.RGBA)
	w.Render(sub, testFill, color.Black)
	ref := renderTestTransparent(w, width, height)
	for _, p := range places {
		x, y := w.Project(p.lon, p.lat, width, height)
		if got, want := big.RGBAAt(int(x)+50, int(y)+30), ref.RGBAAt(int(x), int(y)); got != want {
			t.Errorf("%s in a sub-image: %v, want %v", p.name, got, want)
		}
	}
	// Outline of the selected country.
	w.Outline(ref, "FR", red, 3)
	w.Outline(ref, "ZZ", red, 3) // not on the map: nothing
	found := false
	for yy := 0; yy < height && !found; yy++ {
		for xx := 0; xx < width; xx++ {
			if ref.RGBAAt(xx, yy) == red {
				found = true
				break
			}
		}
	}
	if !found {
		t.Errorf("Outline drew nothing")
	}
	// Tiny and empty images do not panic.
	for _, s := range [][2]int{{0, 0}, {1, 1}, {3, 2}, {2, 300}} {
		w.Render(image.NewRGBA(image.Rect(0, 0, s[0], s[1])), testFill, color.Black)
	}
}

func renderTestTransparent(w *World, width, height int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	w.Render(img, testFill, color.Black)
	return img
}

func TestRenderConcurrent(t *testing.T) {
	w := testWorld(t)
	want := renderTest(w, 400, 200)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			size := 400 + 10*(i%2)
			img := renderTest(w, size, 200)
			w.CountryAt(100, 100, size, 200)
			if size == 400 && !slices.Equal(img.Pix, want.Pix) {
				t.Errorf("concurrent rendering differs")
			}
		}()
	}
	wg.Wait()
}

func BenchmarkRender1600x800(b *testing.B) {
	w := testWorld(b)
	img := image.NewRGBA(image.Rect(0, 0, 1600, 800))
	w.Render(img, testFill, color.Black) // geometry now cached
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		shade := uint8(i)
		w.Render(img, func(code string) color.Color {
			c := testFill(code).(color.RGBA)
			c.R += shade
			return c
		}, color.Black)
	}
}

func BenchmarkRenderCold1600x800(b *testing.B) {
	w := testWorld(b)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		// A size not in the cache each time (it keeps a few).
		width := 1600 - i%16
		img := image.NewRGBA(image.Rect(0, 0, width, 800))
		w.Render(img, testFill, color.Black)
	}
}

func BenchmarkCountryAt(b *testing.B) {
	w := testWorld(b)
	const width, height = 1600, 800
	// A spread of points over the map, land and sea.
	var pts [][2]float32
	for y := float32(5); y < height; y += 37 {
		for x := float32(3); x < width; x += 41 {
			pts = append(pts, [2]float32{x, y})
		}
	}
	for i := 0; b.Loop(); i++ {
		p := pts[i%len(pts)]
		w.CountryAt(p[0], p[1], width, height)
	}
}

func BenchmarkLoad(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(geodata.WorldTopoJSON, geodata.CodesJSON); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzLoad checks that no topology makes Load panic (or hang).
func FuzzLoad(f *testing.F) {
	f.Add(`{"type":"Topology","arcs":[[[0,0],[10,0],[0,10],[-10,-10]]],"objects":{"countries":{"type":"GeometryCollection","geometries":[{"type":"Polygon","arcs":[[0]],"id":"250"}]}}}`)
	f.Add(`{"type":"Topology","transform":{"scale":[1,1],"translate":[-180,-90]},"arcs":[[[0,0],[359,0],[0,10],[-359,-10]],[[5,5]]],"objects":{"countries":{"type":"GeometryCollection","geometries":[{"type":"MultiPolygon","arcs":[[[0],[-2]],[[1]]],"id":242}]}}}`)
	f.Add(`{"type":"Topology","arcs":[[]],"objects":{"countries":{"type":"GeometryCollection","geometries":[{"type":"Polygon","arcs":[[0,0,-1]],"id":"x","properties":{"name":"Kosovo"}}]}}}`)
	f.Fuzz(func(t *testing.T, topo string) {
		w, err := Load([]byte(topo), geodata.CodesJSON)
		if err != nil {
			return
		}
		img := image.NewRGBA(image.Rect(0, 0, 64, 32))
		w.Render(img, testFill, color.Black)
		w.CountryAt(10, 10, 64, 32)
	})
}
