package worldmap

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// legend shows a Map's colour scale in a row: a "no bans" swatch, then
// swatches for a few counts on the log scale, each with its count.
type legend struct {
	widget.BaseWidget
	m *Map
}

func newLegend(m *Map) *legend {
	l := &legend{m: m}
	l.ExtendBaseWidget(l)
	return l
}

// legendEntry is one swatch of the legend.
type legendEntry struct {
	label string
	color color.NRGBA
}

// entries returns the legend's swatches for the map's current counts.
func (l *legend) entries() []legendEntry {
	pal := paletteFor(l)
	out := []legendEntry{{"no bans", pal.plain}}
	for _, n := range legendSteps(l.m.max) {
		out = append(out, legendEntry{formatCount(n), pal.colorFor(n, l.m.max)})
	}
	return out
}

// legendSteps returns the counts the legend labels when the largest count
// is top: powers of ten from 1 (at most four of them, spread out, and none
// above half of top so that no two swatches look alike) and top itself.
func legendSteps(top int) []int {
	if top <= 0 {
		return nil
	}
	var powers []int
	for p := 1; p <= top/2; p *= 10 {
		powers = append(powers, p)
		if p > top/10 {
			break // the next power is above top (and might overflow)
		}
	}
	const most = 4
	stride := max(1, (len(powers)+most-1)/most)
	steps := make([]int, 0, most+1)
	for i := 0; i < len(powers); i += stride {
		steps = append(steps, powers[i])
	}
	return append(steps, top)
}

// CreateRenderer implements fyne.Widget.
func (l *legend) CreateRenderer() fyne.WidgetRenderer {
	r := &legendRenderer{l: l}
	r.update()
	return r
}

type legendRenderer struct {
	l        *legend
	swatches []*canvas.Rectangle
	labels   []*canvas.Text
	objects  []fyne.CanvasObject
}

// update sets the swatches and labels from the map's counts and the theme.
func (r *legendRenderer) update() {
	entries := r.l.entries()
	fg := theme.ColorForWidget(theme.ColorNameForeground, r.l)
	size := theme.SizeForWidget(theme.SizeNameCaptionText, r.l)
	for len(r.swatches) < len(entries) {
		s := canvas.NewRectangle(color.Transparent)
		s.StrokeWidth, s.CornerRadius = 1, 2
		r.swatches = append(r.swatches, s)
		r.labels = append(r.labels, canvas.NewText("", color.Transparent))
	}
	r.swatches, r.labels = r.swatches[:len(entries)], r.labels[:len(entries)]
	r.objects = r.objects[:0]
	for i, e := range entries {
		s, t := r.swatches[i], r.labels[i]
		s.FillColor, s.StrokeColor = e.color, fade(fg, 0x30)
		t.Text, t.Color, t.TextSize = e.label, fg, size
		r.objects = append(r.objects, s, t)
	}
}

// metrics returns the swatch side, the gap after a swatch and the gap
// after a label.
func (r *legendRenderer) metrics() (side, inner, outer float32) {
	size := theme.SizeForWidget(theme.SizeNameCaptionText, r.l)
	pad := theme.SizeForWidget(theme.SizeNameInnerPadding, r.l)
	return size, pad / 2, pad * 1.5
}

func (r *legendRenderer) Destroy() {}

func (r *legendRenderer) Layout(size fyne.Size) {
	side, inner, outer := r.metrics()
	x := float32(0)
	for i, s := range r.swatches {
		t := r.labels[i]
		ts := fyne.MeasureText(t.Text, t.TextSize, t.TextStyle)
		s.Resize(fyne.NewSquareSize(side))
		s.Move(fyne.NewPos(x, (size.Height-side)/2))
		x += side + inner
		t.Resize(ts)
		t.Move(fyne.NewPos(x, (size.Height-ts.Height)/2))
		x += ts.Width + outer
	}
}

func (r *legendRenderer) MinSize() fyne.Size {
	side, inner, outer := r.metrics()
	w, h := float32(0), side
	for i, t := range r.labels {
		ts := fyne.MeasureText(t.Text, t.TextSize, t.TextStyle)
		if i > 0 {
			w += outer
		}
		w += side + inner + ts.Width
		h = max(h, ts.Height)
	}
	return fyne.NewSize(w, h)
}

func (r *legendRenderer) Objects() []fyne.CanvasObject { return r.objects }

func (r *legendRenderer) Refresh() {
	r.update()
	r.Layout(r.l.Size())
	for _, o := range r.objects {
		o.Refresh()
	}
}
