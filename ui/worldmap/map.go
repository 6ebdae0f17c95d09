package worldmap

import (
	"image"
	"image/color"
	"math"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Map is a widget that shows a World as a choropleth of ban counts per
// country: countries with bans are tinted on a logarithmic scale from a
// faint to a strong colour (the theme's error colour), countries without
// bans get a plain fill, and the sea is left transparent. Hovering a
// country shows its name and count in a small tooltip.
//
// The map is drawn by a canvas.Raster at the window's pixel size, so it is
// crisp at any size and scale; the image is kept while the size, counts,
// selection and theme colours stay the same.
//
// Its methods must be called on the UI goroutine (use fyne.Do from
// others).
type Map struct {
	widget.BaseWidget

	// OnHover, if set, is called with the code of the country under the
	// pointer whenever it changes, and with "" when the pointer leaves
	// the countries (over the sea or out of the map).
	OnHover func(code string)
	// OnTapped, if set, is called with the code of the tapped country, or
	// with "" for a tap on the sea.
	OnTapped func(code string)

	world    *World
	counts   map[string]int
	max      int
	selected string
	names    func(code string) string
	legend   *legend

	// Hover state.
	hovered string
	pointer fyne.Position
	tipBg   *canvas.Rectangle
	tipText *canvas.Text

	// Rendering cache, used by the raster's generator.
	version    int // bumped when counts or the selection change
	img        *image.RGBA
	imgKey     renderKey
	pixW, pixH int // pixel size of the last rendering
}

// renderKey is what a rendering depends on.
type renderKey struct {
	w, h    int
	version int
	pal     palette
}

// NewMap returns a map of w with no counts: every country plain.
func NewMap(w *World) *Map {
	m := &Map{world: w, counts: map[string]int{}}
	m.ExtendBaseWidget(m)
	return m
}

// SetCounts sets the number of bans per country (by ISO alpha-2 code,
// in either case) and redraws the map and its legend. Codes not on the
// map count for the legend's scale only; counts of zero or less mean no
// bans.
func (m *Map) SetCounts(counts map[string]int) {
	m.counts = make(map[string]int, len(counts))
	m.max = 0
	for code, n := range counts {
		if n > 0 {
			code = strings.ToUpper(code)
			m.counts[code] += n
			m.max = max(m.max, m.counts[code])
		}
	}
	m.version++
	m.Refresh()
	if m.legend != nil {
		m.legend.Refresh()
	}
}

// SetSelected outlines the country with the given alpha-2 code; ""
// selects none.
func (m *Map) SetSelected(code string) {
	code = strings.ToUpper(code)
	if code == m.selected {
		return
	}
	m.selected = code
	m.version++
	m.Refresh()
}

// Selected returns the code of the outlined country, or "".
func (m *Map) Selected() string { return m.selected }

// SetNames sets how the tooltip names a country; without it (or with nil)
// it uses the map data's names.
func (m *Map) SetNames(names func(code string) string) {
	m.names = names
	m.updateTip()
}

// Legend returns the map's legend: swatches of the colour scale with a
// few labelled counts (1, 10, 100, … and the largest count) and a
// "no bans" swatch. It follows SetCounts. Every call returns the same
// object.
func (m *Map) Legend() fyne.CanvasObject {
	if m.legend == nil {
		m.legend = newLegend(m)
	}
	return m.legend
}

// CreateRenderer implements fyne.Widget.
func (m *Map) CreateRenderer() fyne.WidgetRenderer {
	m.ExtendBaseWidget(m)
	raster := canvas.NewRaster(m.generate)
	m.tipBg = canvas.NewRectangle(color.Transparent)
	m.tipBg.CornerRadius, m.tipBg.StrokeWidth = 4, 1
	m.tipText = canvas.NewText("", color.Transparent)
	m.tipBg.Hide()
	m.tipText.Hide()
	return &mapRenderer{m: m, raster: raster, objects: []fyne.CanvasObject{raster, m.tipBg, m.tipText}}
}

// MouseIn implements desktop.Hoverable.
func (m *Map) MouseIn(ev *desktop.MouseEvent) { m.hoverAt(ev.Position) }

// MouseMoved implements desktop.Hoverable.
func (m *Map) MouseMoved(ev *desktop.MouseEvent) { m.hoverAt(ev.Position) }

// MouseOut implements desktop.Hoverable.
func (m *Map) MouseOut() { m.setHovered("") }

// Tapped implements fyne.Tappable.
func (m *Map) Tapped(ev *fyne.PointEvent) {
	if m.OnTapped != nil {
		m.OnTapped(m.codeAt(ev.Position))
	}
}

// hoverAt moves the pointer to pos, in widget coordinates.
func (m *Map) hoverAt(pos fyne.Position) {
	m.pointer = pos
	m.setHovered(m.codeAt(pos))
}

func (m *Map) setHovered(code string) {
	changed := code != m.hovered
	m.hovered = code
	m.updateTip()
	if changed && m.OnHover != nil {
		m.OnHover(code)
	}
}

// codeAt returns the country at pos, in widget coordinates.
func (m *Map) codeAt(pos fyne.Position) string {
	size := m.Size()
	if size.Width <= 0 || size.Height <= 0 {
		return ""
	}
	if m.pixW > 0 && m.pixH > 0 {
		// Hit-test the rendering the user sees, in its pixels.
		sx, sy := float32(m.pixW)/size.Width, float32(m.pixH)/size.Height
		return m.world.CountryAt(pos.X*sx, pos.Y*sy, m.pixW, m.pixH)
	}
	return m.world.CountryAt(pos.X, pos.Y, int(size.Width), int(size.Height))
}

// name returns how the tooltip names a country.
func (m *Map) name(code string) string {
	if m.names != nil {
		if n := m.names(code); n != "" {
			return n
		}
	}
	if n := m.world.Name(code); n != "" {
		return n
	}
	return code
}

// tipLabel returns the tooltip's text for a country.
func (m *Map) tipLabel(code string) string {
	switch n := m.counts[code]; n {
	case 0:
		return m.name(code) + ": no bans"
	case 1:
		return m.name(code) + ": 1 ban"
	default:
		return m.name(code) + ": " + formatCount(n) + " bans"
	}
}

// updateTip shows, moves or hides the tooltip for the hovered country.
func (m *Map) updateTip() {
	if m.tipText == nil {
		return // not rendered yet
	}
	if m.hovered == "" {
		if m.tipText.Visible() {
			m.tipBg.Hide()
			m.tipText.Hide()
			m.tipBg.Refresh()
			m.tipText.Refresh()
		}
		return
	}
	fg := theme.ColorForWidget(theme.ColorNameForeground, m)
	m.tipBg.FillColor = theme.ColorForWidget(theme.ColorNameOverlayBackground, m)
	m.tipBg.StrokeColor = fade(fg, 0x40)
	m.tipText.Color = fg
	m.tipText.TextSize = theme.SizeForWidget(theme.SizeNameCaptionText, m)
	m.tipText.Text = m.tipLabel(m.hovered)

	pad := theme.SizeForWidget(theme.SizeNameInnerPadding, m) / 2
	ts := fyne.MeasureText(m.tipText.Text, m.tipText.TextSize, m.tipText.TextStyle)
	box := fyne.NewSize(ts.Width+2*pad, ts.Height+pad)
	// Below and right of the pointer, but inside the map.
	size := m.Size()
	pos := m.pointer.Add(fyne.NewPos(12, 16))
	if pos.X+box.Width > size.Width {
		pos.X = m.pointer.X - 8 - box.Width
	}
	if pos.Y+box.Height > size.Height {
		pos.Y = m.pointer.Y - 8 - box.Height
	}
	pos.X, pos.Y = max(0, pos.X), max(0, pos.Y)
	m.tipBg.Move(pos)
	m.tipBg.Resize(box)
	m.tipText.Move(pos.Add(fyne.NewPos(pad, pad/2)))
	m.tipText.Resize(ts)
	m.tipBg.Show()
	m.tipText.Show()
	m.tipBg.Refresh()
	m.tipText.Refresh()
}

// generate is the raster's generator: the map at w x h pixels.
func (m *Map) generate(w, h int) image.Image {
	key := renderKey{w: w, h: h, version: m.version, pal: paletteFor(m)}
	if m.img != nil && m.imgKey == key {
		return m.img
	}
	// A new image each time: the previous one may still be in use.
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	pal := key.pal
	m.world.Render(img, func(code string) color.Color {
		return pal.colorFor(m.counts[code], m.max)
	}, pal.border)
	if m.selected != "" {
		m.world.Outline(img, m.selected, pal.selected, float32(max(2, float64(w)/800)))
	}
	m.img, m.imgKey = img, key
	m.pixW, m.pixH = w, h
	return img
}

type mapRenderer struct {
	m       *Map
	raster  *canvas.Raster
	objects []fyne.CanvasObject
}

func (r *mapRenderer) Destroy() {}

func (r *mapRenderer) Layout(size fyne.Size) {
	r.raster.Resize(size)
	r.m.updateTip()
}

func (r *mapRenderer) MinSize() fyne.Size { return fyne.NewSize(320, 160) }

func (r *mapRenderer) Objects() []fyne.CanvasObject { return r.objects }

func (r *mapRenderer) Refresh() {
	r.m.updateTip()
	r.raster.Refresh()
}

// palette is the colours the map paints with, from the theme.
type palette struct {
	plain    color.NRGBA // countries without bans
	low      color.NRGBA // the fewest bans
	high     color.NRGBA // the most bans
	border   color.NRGBA // borders between countries
	selected color.NRGBA // the selected country's outline
}

// paletteFor returns the palette for a widget, from its theme.
func paletteFor(w fyne.Widget) palette {
	c := func(n fyne.ThemeColorName) color.NRGBA {
		return color.NRGBAModel.Convert(theme.ColorForWidget(n, w)).(color.NRGBA)
	}
	bg, fg, hot := c(theme.ColorNameBackground), c(theme.ColorNameForeground), c(theme.ColorNameError)
	plain := mix(bg, fg, 0.14)
	return palette{
		plain:    plain,
		low:      mix(plain, hot, 0.2),
		high:     opaque(hot),
		border:   opaque(bg),
		selected: fg,
	}
}

// colorFor returns the fill for a country with n bans when the most any
// country has is top: plain for none, else on a log scale from low (at
// t = 0) to high (at top), t = log(1+n) / log(1+top).
func (p palette) colorFor(n, top int) color.NRGBA {
	if n <= 0 || top <= 0 {
		return p.plain
	}
	t := math.Log1p(float64(n)) / math.Log1p(float64(top))
	return mix(p.low, p.high, math.Min(1, t))
}

// mix returns a+(b-a)*t, opaque.
func mix(a, b color.NRGBA, t float64) color.NRGBA {
	m := func(p, q uint8) uint8 { return uint8(math.Round(float64(p) + (float64(q)-float64(p))*t)) }
	return color.NRGBA{R: m(a.R, b.R), G: m(a.G, b.G), B: m(a.B, b.B), A: 0xff}
}

// opaque returns c with full opacity.
func opaque(c color.NRGBA) color.NRGBA {
	c.A = 0xff
	return c
}

// fade returns c with its opacity scaled by a/255.
func fade(c color.Color, a uint8) color.NRGBA {
	n := color.NRGBAModel.Convert(c).(color.NRGBA)
	n.A = uint8(uint16(n.A) * uint16(a) / 255)
	return n
}

// formatCount formats n with thousands separators: 12,345.
func formatCount(n int) string {
	s := strconv.Itoa(n)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	out := make([]byte, 0, len(s)+len(s)/3)
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}
