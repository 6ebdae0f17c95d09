package worldmap

import (
	"image"
	"image/color"
	"slices"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
)

// newTestMap returns a map of the default world shown alone in a test
// window of 800x400 (its canvas scale is 1).
func newTestMap(t *testing.T) (*Map, fyne.Window) {
	t.Helper()
	test.NewTempApp(t)
	m := NewMap(testWorld(t))
	w := test.NewTempWindow(t, m)
	w.SetPadded(false)
	w.Resize(fyne.NewSize(800, 400))
	if s := m.Size(); s.Width != 800 || s.Height != 400 {
		t.Fatalf("map is %v, want 800x400", s)
	}
	return m, w
}

// render returns the map's rendering at its size.
func render(t *testing.T, m *Map) *image.RGBA {
	t.Helper()
	r := test.WidgetRenderer(m).(*mapRenderer)
	s := m.Size()
	img, ok := r.raster.Generator(int(s.Width), int(s.Height)).(*image.RGBA)
	if !ok {
		t.Fatalf("generator did not return an *image.RGBA")
	}
	return img
}

// pixelAt returns the rendered colour at a place.
func pixelAt(m *Map, img *image.RGBA, lon, lat float64) color.NRGBA {
	b := img.Bounds()
	x, y := m.world.Project(lon, lat, b.Dx(), b.Dy())
	return color.NRGBAModel.Convert(img.At(int(x), int(y))).(color.NRGBA)
}

// distance is a colour distance (sum of channel differences).
func distance(a, b color.NRGBA) int {
	d := func(p, q uint8) int { return int(absDiff(p, q)) }
	return d(a.R, b.R) + d(a.G, b.G) + d(a.B, b.B) + d(a.A, b.A)
}

// placePos returns where a place is on the map, in widget coordinates.
func placePos(m *Map, lon, lat float64) fyne.Position {
	s := m.Size()
	x, y := m.world.Project(lon, lat, int(s.Width), int(s.Height))
	return fyne.NewPos(x, y)
}

func TestMapColoursFollowCounts(t *testing.T) {
	m, _ := newTestMap(t)
	m.SetCounts(map[string]int{"FR": 1000, "DE": 1, "IT": 30, "ES": 0, "ZZ": 5})
	img := render(t, m)
	pal := paletteFor(m)

	fr := pixelAt(m, img, 2.35, 47)   // France
	de := pixelAt(m, img, 10.5, 51)   // Germany
	it := pixelAt(m, img, 12.5, 42.8) // Italy
	es := pixelAt(m, img, -3.7, 40.4) // Spain: 0 bans
	pt := pixelAt(m, img, 19, 52)     // Poland: absent
	sea := pixelAt(m, img, -150, 0)

	if fr != pal.high {
		t.Errorf("France (the most bans) is %v, want the strong colour %v", fr, pal.high)
	}
	if de != pal.colorFor(1, 1000) {
		t.Errorf("Germany (1 ban) is %v, want %v", de, pal.colorFor(1, 1000))
	}
	if !(distance(fr, pal.high) < distance(it, pal.high) && distance(it, pal.high) < distance(de, pal.high)) {
		t.Errorf("colours not ordered by count: FR %v (1000), IT %v (30), DE %v (1); strong %v", fr, it, de, pal.high)
	}
	if distance(de, pal.plain) == 0 {
		t.Errorf("Germany (1 ban) has the plain fill %v", de)
	}
	// Log scale: 30 of 1000 is about half way (log 31 / log 1001 ≈ 0.5).
	mid := mix(pal.low, pal.high, 0.5)
	if d := distance(it, mid); d > 40 {
		t.Errorf("Italy (30 of 1000) is %v, want about half way %v", it, mid)
	}
	if es != pal.plain || pt != pal.plain {
		t.Errorf("Spain (0) is %v and Poland (absent) %v, want the plain fill %v", es, pt, pal.plain)
	}
	if sea.A != 0 {
		t.Errorf("the sea is %v, want transparent", sea)
	}
	bg := color.NRGBAModel.Convert(theme.ColorForWidget(theme.ColorNameBackground, m)).(color.NRGBA)
	if distance(pal.plain, opaque(bg)) < 30 {
		t.Errorf("plain fill %v is too close to the background %v", pal.plain, bg)
	}

	// Same size and counts: the cached image; new counts: a new one.
	if again := render(t, m); again != img {
		t.Errorf("rendering again without changes made a new image")
	}
	m.SetCounts(map[string]int{"de": 1}) // codes in either case
	img2 := render(t, m)
	if img2 == img {
		t.Fatalf("SetCounts did not redraw")
	}
	if got := pixelAt(m, img2, 10.5, 51); got != pal.high {
		t.Errorf("Germany alone (1 of 1) is %v, want the strong colour %v", got, pal.high)
	}
	if got := pixelAt(m, img2, 2.35, 47); got != pal.plain {
		t.Errorf("France now absent is %v, want plain %v", got, pal.plain)
	}
}

func TestMapFollowsTheme(t *testing.T) {
	m, _ := newTestMap(t)
	m.SetCounts(map[string]int{"FR": 10})
	app := fyne.CurrentApp()
	app.Settings().SetTheme(theme.LightTheme())
	m.Refresh()
	light := pixelAt(m, render(t, m), 13.4, 52.5) // Germany, plain
	app.Settings().SetTheme(theme.DarkTheme())
	m.Refresh()
	dark := pixelAt(m, render(t, m), 13.4, 52.5)
	if light == dark {
		t.Fatalf("plain fill %v is the same in light and dark themes", light)
	}
	lum := func(c color.NRGBA) int { return int(c.R) + int(c.G) + int(c.B) }
	if lum(light) <= lum(dark) {
		t.Errorf("plain fill light %v is darker than dark %v", light, dark)
	}
}

func TestMapSelected(t *testing.T) {
	m, _ := newTestMap(t)
	m.SetCounts(map[string]int{"FR": 10, "DE": 10})
	before := render(t, m)
	m.SetSelected("de")
	if m.Selected() != "DE" {
		t.Errorf("Selected = %q", m.Selected())
	}
	after := render(t, m)
	pal := paletteFor(m)
	// Some pixels now have the selection colour, all near Germany.
	x0, y0 := m.world.Project(5, 56, 800, 400)
	x1, y1 := m.world.Project(16, 47, 800, 400)
	near := image.Rect(int(x0)-3, int(y0)-3, int(x1)+3, int(y1)+3)
	changed := 0
	for y := range 400 {
		for x := range 800 {
			if before.RGBAAt(x, y) == after.RGBAAt(x, y) {
				continue
			}
			changed++
			if !image.Pt(x, y).In(near) {
				t.Fatalf("selecting Germany changed (%d, %d), away from it", x, y)
			}
		}
	}
	if changed < 20 {
		t.Errorf("selecting Germany changed %d pixels", changed)
	}
	if c := color.NRGBAModel.Convert(after.At(int(x0), int(y0))).(color.NRGBA); c == pal.selected {
		t.Logf("corner pixel has the selection colour")
	}
	m.SetSelected("")
	if got := render(t, m); !slices.Equal(got.Pix, before.Pix) {
		t.Errorf("deselecting did not restore the map")
	}
}

func TestMapTapped(t *testing.T) {
	m, w := newTestMap(t)
	var tapped []string
	m.OnTapped = func(code string) { tapped = append(tapped, code) }
	test.TapAt(m, placePos(m, 2.35, 48.86)) // Paris, before any rendering
	render(t, m)
	test.TapCanvas(w.Canvas(), placePos(m, 149.13, -35.28)) // Canberra
	test.TapAt(m, placePos(m, -150, 0))                     // the Pacific
	if want := []string{"FR", "AU", ""}; !slices.Equal(tapped, want) {
		t.Errorf("OnTapped got %q, want %q", tapped, want)
	}
}

func TestMapTappedAtScale(t *testing.T) {
	// At a canvas scale of 2 the raster has twice the widget's pixels: hit
	// tests must follow.
	m, _ := newTestMap(t)
	r := test.WidgetRenderer(m).(*mapRenderer)
	r.raster.Generator(1600, 800)
	var got string
	m.OnTapped = func(code string) { got = code }
	test.TapAt(m, placePos(m, 37.62, 55.75)) // Moscow
	if got != "RU" {
		t.Errorf("tap on Moscow at scale 2: %q, want RU", got)
	}
}

func TestMapHover(t *testing.T) {
	m, w := newTestMap(t)
	m.SetCounts(map[string]int{"FR": 1234, "DE": 1})
	m.SetNames(func(code string) string {
		if code == "FR" {
			return "La France"
		}
		return ""
	})
	var hovers []string
	m.OnHover = func(code string) { hovers = append(hovers, code) }
	c := w.Canvas()

	test.MoveMouse(c, placePos(m, 2.35, 47)) // France
	if !m.tipText.Visible() || m.tipText.Text != "La France: 1,234 bans" {
		t.Errorf("tooltip over France: visible %v, %q", m.tipText.Visible(), m.tipText.Text)
	}
	test.MoveMouse(c, placePos(m, 2.5, 46.5)) // still France: no new OnHover
	test.MoveMouse(c, placePos(m, 10.5, 51))  // Germany
	if m.tipText.Text != "Germany: 1 ban" {
		t.Errorf("tooltip over Germany: %q", m.tipText.Text)
	}
	test.MoveMouse(c, placePos(m, -3.7, 40.4)) // Spain
	if m.tipText.Text != "Spain: no bans" {
		t.Errorf("tooltip over Spain: %q", m.tipText.Text)
	}
	// The tooltip is near the pointer and inside the map.
	p := placePos(m, -3.7, 40.4)
	tp, ts := m.tipBg.Position(), m.tipBg.Size()
	if tp.X < p.X-ts.Width-20 || tp.X > p.X+20 || tp.Y < p.Y-ts.Height-20 || tp.Y > p.Y+20 {
		t.Errorf("tooltip at %v (size %v), pointer at %v", tp, ts, p)
	}
	test.MoveMouse(c, placePos(m, -30, 30)) // the Atlantic
	if m.tipText.Visible() || m.tipBg.Visible() {
		t.Errorf("tooltip still shown over the sea")
	}
	test.MoveMouse(c, placePos(m, 10.5, 51))
	m.MouseOut()
	if want := []string{"FR", "DE", "ES", "", "DE", ""}; !slices.Equal(hovers, want) {
		t.Errorf("OnHover got %q, want %q", hovers, want)
	}
	if m.tipText.Visible() {
		t.Errorf("tooltip still shown after the pointer left")
	}

	// Near the right edge the tooltip flips to the pointer's left.
	test.MoveMouse(c, placePos(m, 150, -25)) // Australia
	if tp, ts := m.tipBg.Position(), m.tipBg.Size(); tp.X+ts.Width > m.Size().Width {
		t.Errorf("tooltip at %v (size %v) runs off the map", tp, ts)
	}
}

func TestLegend(t *testing.T) {
	m, w := newTestMap(t)
	leg := m.Legend()
	if m.Legend() != leg {
		t.Errorf("Legend returned another object")
	}
	w.SetContent(container.NewBorder(nil, leg, nil, nil, m))
	labels := func() []string {
		r := test.WidgetRenderer(leg.(*legend)).(*legendRenderer)
		var out []string
		for _, l := range r.labels {
			out = append(out, l.Text)
		}
		return out
	}
	if got, want := labels(), []string{"no bans"}; !slices.Equal(got, want) {
		t.Errorf("legend without counts: %q, want %q", got, want)
	}
	m.SetCounts(map[string]int{"FR": 2345, "DE": 3})
	if got, want := labels(), []string{"no bans", "1", "10", "100", "1,000", "2,345"}; !slices.Equal(got, want) {
		t.Errorf("legend for max 2345: %q, want %q", got, want)
	}
	// The swatches have the map's colours.
	r := test.WidgetRenderer(leg.(*legend)).(*legendRenderer)
	pal := paletteFor(m)
	if got := r.swatches[0].FillColor; got != pal.plain {
		t.Errorf("no-bans swatch %v, want %v", got, pal.plain)
	}
	if got := r.swatches[len(r.swatches)-1].FillColor; got != pal.high {
		t.Errorf("max swatch %v, want %v", got, pal.high)
	}
	if got, want := r.swatches[2].FillColor, pal.colorFor(10, 2345); got != want {
		t.Errorf("10 swatch %v, want %v", got, want)
	}
	if min := leg.MinSize(); min.Width < 100 || min.Height <= 0 {
		t.Errorf("legend MinSize %v", min)
	}
	m.SetCounts(map[string]int{"FR": 7})
	if got, want := labels(), []string{"no bans", "1", "7"}; !slices.Equal(got, want) {
		t.Errorf("legend for max 7: %q, want %q", got, want)
	}
}

func TestLegendSteps(t *testing.T) {
	for _, tc := range []struct {
		max  int
		want []int
	}{
		{0, nil},
		{1, []int{1}},
		{2, []int{1, 2}},
		{15, []int{1, 15}},
		{20, []int{1, 10, 20}},
		{100, []int{1, 10, 100}},
		{2345, []int{1, 10, 100, 1000, 2345}},
		{1_000_000, []int{1, 100, 10_000, 1_000_000}},
	} {
		if got := legendSteps(tc.max); !slices.Equal(got, tc.want) {
			t.Errorf("legendSteps(%d) = %v, want %v", tc.max, got, tc.want)
		}
	}
}

func TestFormatCount(t *testing.T) {
	for n, want := range map[int]string{0: "0", 7: "7", 999: "999", 1000: "1,000", 1234567: "1,234,567", -4200: "-4,200"} {
		if got := formatCount(n); got != want {
			t.Errorf("formatCount(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestMapMinSize(t *testing.T) {
	test.NewTempApp(t)
	m := NewMap(testWorld(t))
	if s := m.MinSize(); s.Width < 320 || s.Height < 160 {
		t.Errorf("MinSize %v", s)
	}
}
