package ui

import (
	"fmt"
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/bangui/bangui/core"
)

// barList draws named counts as horizontal bars, one fixed-height row per
// item: the name, a bar in proportion to the largest count, the count.
// Hovering a row shows its count and share; tapping it calls OnTapped.
type barList struct {
	widget.BaseWidget
	// OnTapped, when set, is called with the name of a tapped row.
	OnTapped func(name string)
	// Total, when above zero, is the whole that shares are of (say, all
	// bans when the list holds the top ten); else the sum of the items.
	Total int

	items []core.NamedCount
	empty string
	hover int // hovered row, -1 for none
	r     *barListRenderer
}

var (
	_ desktop.Hoverable  = (*barList)(nil)
	_ desktop.Cursorable = (*barList)(nil)
	_ fyne.Tappable      = (*barList)(nil)
)

func newBarList(emptyText string) *barList {
	l := &barList{empty: emptyText, hover: -1}
	l.ExtendBaseWidget(l)
	return l
}

// SetData shows items, in their order.
func (l *barList) SetData(items []core.NamedCount) {
	l.items = items
	if l.hover >= len(items) {
		l.hover = -1
	}
	l.Refresh()
}

func (l *barList) CreateRenderer() fyne.WidgetRenderer {
	r := &barListRenderer{l: l, empty: newChartText(theme.TextSize()), tip: newTooltip()}
	l.r = r
	r.Refresh()
	return r
}

// Cursor is a pointing hand when rows can be tapped.
func (l *barList) Cursor() desktop.Cursor {
	if l.OnTapped != nil && l.hover >= 0 {
		return desktop.PointerCursor
	}
	return desktop.DefaultCursor
}

// Tapped calls OnTapped with the tapped row's name.
func (l *barList) Tapped(e *fyne.PointEvent) {
	if i := l.rowAt(e.Position); i >= 0 && l.OnTapped != nil {
		l.OnTapped(l.items[i].Name)
	}
}

// MouseIn shows the row under the pointer.
func (l *barList) MouseIn(e *desktop.MouseEvent) { l.MouseMoved(e) }

// MouseMoved shows the count and share of the row under the pointer.
func (l *barList) MouseMoved(e *desktop.MouseEvent) { l.setHover(l.rowAt(e.Position)) }

// MouseOut hides the count.
func (l *barList) MouseOut() { l.setHover(-1) }

func (l *barList) setHover(i int) {
	if i == l.hover {
		return
	}
	l.hover = i
	if l.r != nil {
		l.r.showHover()
	}
}

// rowAt returns the row under pos, or -1.
func (l *barList) rowAt(pos fyne.Position) int {
	if pos.Y < 0 || pos.X < 0 || pos.X > l.Size().Width {
		return -1
	}
	i := int(pos.Y / barRowHeight(l))
	if i >= len(l.items) {
		return -1
	}
	return i
}

// barRowHeight is the fixed height of a barList row.
func barRowHeight(w fyne.Widget) float32 {
	size := theme.SizeForWidget(theme.SizeNameText, w)
	return fyne.MeasureText("Mg", size, fyne.TextStyle{}).Height + 3*theme.SizeForWidget(theme.SizeNamePadding, w)
}

// barRow is the canvas objects of one barList row.
type barRow struct {
	bg, track, bar *canvas.Rectangle
	name, count    *canvas.Text
}

type barListRenderer struct {
	l       *barList
	rows    []barRow
	empty   *canvas.Text
	tip     tooltip
	objects []fyne.CanvasObject
	colors  chartColors
	max     int
	lit     int // the row painted highlighted, -1 for none
}

func (r *barListRenderer) Destroy() {
	if r.l.r == r {
		r.l.r = nil
	}
}

func (r *barListRenderer) MinSize() fyne.Size {
	return fyne.NewSize(200, float32(max(len(r.l.items), 1))*barRowHeight(r.l))
}

func (r *barListRenderer) Objects() []fyne.CanvasObject { return r.objects }

// Refresh rereads the items and the theme, then redraws.
func (r *barListRenderer) Refresh() {
	l := r.l
	r.colors = colorsFor(l)
	col := r.colors
	textSize := theme.SizeForWidget(theme.SizeNameText, l)
	for len(r.rows) < len(l.items) {
		row := barRow{bg: canvas.NewRectangle(color.Transparent), track: canvas.NewRectangle(color.Transparent),
			bar: canvas.NewRectangle(color.Transparent), name: newChartText(textSize), count: newChartText(textSize)}
		row.bg.CornerRadius = 4
		row.count.Alignment = fyne.TextAlignTrailing
		r.rows = append(r.rows, row)
	}
	r.rows = r.rows[:len(l.items)]
	r.max = 0
	for i, it := range l.items {
		r.max = max(r.max, it.Count)
		row := r.rows[i]
		row.count.Text = formatCount(it.Count)
		row.name.TextSize, row.count.TextSize = textSize, textSize
		row.name.Color, row.count.Color = col.text, col.text
		row.bg.FillColor, row.track.FillColor, row.bar.FillColor = color.Transparent, col.grid, col.bar
	}
	r.lit = -1
	r.empty.Text = l.empty
	r.empty.TextSize = textSize
	r.empty.Color = col.faint
	r.empty.Hidden = len(l.items) > 0
	r.tip.style(col, textSize)

	objs := r.objects[:0]
	for _, row := range r.rows {
		objs = append(objs, row.bg, row.track, row.bar, row.name, row.count)
	}
	r.objects = append(objs, r.empty, r.tip.bg, r.tip.text)

	r.Layout(l.Size())
	for _, o := range r.objects {
		o.Refresh()
	}
}

// Layout gives the names up to two fifths of the width, the counts what
// the widest needs, and the bars the rest.
func (r *barListRenderer) Layout(size fyne.Size) {
	l := r.l
	pad := theme.Padding()
	rowH := barRowHeight(l)
	var nameW, countW float32
	for i, row := range r.rows {
		nameW = max(nameW, fyne.MeasureText(l.items[i].Name, row.name.TextSize, row.name.TextStyle).Width)
		countW = max(countW, row.count.MinSize().Width)
	}
	nameW = min(nameW, max(size.Width*0.4, 60))
	barX := pad + nameW + 2*pad
	barW := max(size.Width-barX-countW-3*pad, 1)
	barH := rowH * 0.45

	for i, row := range r.rows {
		y := float32(i) * rowH
		row.bg.Move(fyne.NewPos(0, y+1))
		row.bg.Resize(fyne.NewSize(size.Width, rowH-2))

		name := ellipsize(l.items[i].Name, nameW, row.name.TextSize, row.name.TextStyle)
		if name != row.name.Text {
			row.name.Text = name
			row.name.Refresh()
		}
		textH := row.name.MinSize().Height
		row.name.Move(fyne.NewPos(pad, y+(rowH-textH)/2))
		row.name.Resize(fyne.NewSize(nameW, textH))
		row.count.Move(fyne.NewPos(size.Width-pad-countW, y+(rowH-textH)/2))
		row.count.Resize(fyne.NewSize(countW, textH))

		w := float32(0)
		if r.max > 0 {
			w = float32(l.items[i].Count) / float32(r.max) * barW
			if l.items[i].Count > 0 {
				w = max(w, 2)
			}
		}
		barY := y + (rowH-barH)/2
		row.track.Move(fyne.NewPos(barX, barY))
		row.track.Resize(fyne.NewSize(barW, barH))
		row.bar.Move(fyne.NewPos(barX, barY))
		row.bar.Resize(fyne.NewSize(w, barH))
		row.track.CornerRadius = min(3, barH/2)
		row.bar.CornerRadius = min(3, barH/2, w/2)
	}
	r.empty.Move(fyne.NewPos((size.Width-r.empty.MinSize().Width)/2, (size.Height-r.empty.MinSize().Height)/2))
	r.empty.Resize(r.empty.MinSize())
	r.showHover()
}

// showHover highlights the hovered row and shows its count and share
// just after its bar, or over the bar's end when there is no room.
func (r *barListRenderer) showHover() {
	l := r.l
	i := l.hover
	if i >= len(r.rows) {
		i = -1
	}
	if r.lit != i {
		if r.lit >= 0 && r.lit < len(r.rows) {
			row := r.rows[r.lit]
			row.bg.FillColor, row.bar.FillColor = color.Transparent, r.colors.bar
			row.bg.Refresh()
			row.bar.Refresh()
		}
		if i >= 0 {
			row := r.rows[i]
			row.bg.FillColor, row.bar.FillColor = r.colors.band, r.colors.lit
			row.bg.Refresh()
			row.bar.Refresh()
		}
		r.lit = i
	}
	if i < 0 {
		r.tip.hide()
		return
	}
	total := l.Total
	if total <= 0 {
		for _, it := range l.items {
			total += it.Count
		}
	}
	text := plural(l.items[i].Count, "ban", "bans") + " · " + formatShare(l.items[i].Count, total)
	size := r.tip.size(text)
	row := r.rows[i]
	end := row.bar.Position().X + row.bar.Size().Width + theme.Padding()
	limit := row.count.Position().X - theme.Padding()
	x := min(end, limit-size.Width)
	x = max(x, row.track.Position().X)
	y := row.bg.Position().Y + (row.bg.Size().Height-size.Height)/2
	r.tip.show(text, fyne.NewPos(x, y))
}

// formatShare renders part/total as a percentage: "12.3%".
func formatShare(part, total int) string {
	if total <= 0 {
		return "0%"
	}
	p := 100 * float64(part) / float64(total)
	if p > 0 && p < 0.1 {
		return "<0.1%"
	}
	return fmt.Sprintf("%.1f%%", p)
}

// ellipsize shortens s with "…" to fit width.
func ellipsize(s string, width, size float32, style fyne.TextStyle) string {
	if fyne.MeasureText(s, size, style).Width <= width {
		return s
	}
	runes := []rune(s)
	lo, hi := 0, len(runes) // the longest fitting prefix is in [lo, hi)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if fyne.MeasureText(string(runes[:mid])+"…", size, style).Width <= width {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return string(runes[:lo]) + "…"
}
