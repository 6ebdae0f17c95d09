package ui

import (
	"fmt"
	"image/color"
	"math"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/bangui/bangui/core"
)

// trendChart draws bans over time as vertical bars with a value axis and
// time labels; hovering a bar shows its period and count.
type trendChart struct {
	widget.BaseWidget
	buckets []core.Bucket
	step    time.Duration
	hover   int // hovered bucket, -1 for none

	now func() time.Time // for "this year"; time.Now
	r   *trendRenderer   // the current renderer, for hover updates
}

var _ desktop.Hoverable = (*trendChart)(nil)

func newTrendChart() *trendChart {
	c := &trendChart{hover: -1, now: time.Now}
	c.ExtendBaseWidget(c)
	return c
}

// SetData shows buckets, each step long (0: guessed from the buckets).
func (c *trendChart) SetData(buckets []core.Bucket, step time.Duration) {
	if step <= 0 {
		step = time.Hour
		if len(buckets) > 1 {
			step = buckets[1].Start.Sub(buckets[0].Start)
		}
	}
	c.buckets, c.step = buckets, step
	if c.hover >= len(buckets) {
		c.hover = -1
	}
	c.Refresh()
}

func (c *trendChart) CreateRenderer() fyne.WidgetRenderer {
	r := &trendRenderer{c: c, band: canvas.NewRectangle(color.Transparent),
		base: canvas.NewLine(color.Transparent), empty: newChartText(theme.TextSize()), tip: newTooltip()}
	r.empty.Text = chartEmptyText
	r.band.CornerRadius = 3
	c.r = r
	r.Refresh()
	return r
}

// MouseIn shows the value under the pointer.
func (c *trendChart) MouseIn(e *desktop.MouseEvent) { c.MouseMoved(e) }

// MouseMoved shows the value of the bar under the pointer.
func (c *trendChart) MouseMoved(e *desktop.MouseEvent) {
	if c.r != nil {
		c.setHover(c.r.indexAt(e.Position))
	}
}

// MouseOut hides the value.
func (c *trendChart) MouseOut() { c.setHover(-1) }

func (c *trendChart) setHover(i int) {
	if i == c.hover {
		return
	}
	c.hover = i
	if c.r != nil {
		c.r.showHover()
	}
}

// trendRenderer keeps one rectangle per bucket and pools of grid lines and
// labels, reused from one update to the next.
type trendRenderer struct {
	c       *trendChart
	grid    []*canvas.Line // one per tick; base draws the one at zero
	ticks   []*canvas.Text // value labels, [0] is "0"
	band    *canvas.Rectangle
	bars    []*canvas.Rectangle
	base    *canvas.Line
	xLabels []*canvas.Text
	empty   *canvas.Text
	tip     tooltip
	objects []fyne.CanvasObject

	colors    chartColors
	max       int       // the tallest bucket
	tickVals  []int     // values of ticks
	plot      fyne.Size // the plot area, at origin
	origin    fyne.Position
	slot, gap float32 // width of a bucket, space between bars
	lit       int     // the bar painted highlighted, -1 for none
}

func (r *trendRenderer) Destroy() {
	if r.c.r == r {
		r.c.r = nil
	}
}

func (r *trendRenderer) MinSize() fyne.Size { return fyne.NewSize(300, 160) }

func (r *trendRenderer) Objects() []fyne.CanvasObject { return r.objects }

// Refresh rereads the data and the theme, then redraws.
func (r *trendRenderer) Refresh() {
	c := r.c
	r.colors = colorsFor(c)
	r.max = 0
	for _, b := range c.buckets {
		r.max = max(r.max, b.Count)
	}
	r.tickVals = tickValues(r.max)

	// Grow the pools as needed, keeping what is there.
	for len(r.bars) < len(c.buckets) {
		r.bars = append(r.bars, canvas.NewRectangle(color.Transparent))
	}
	r.bars = r.bars[:len(c.buckets)]
	for len(r.ticks) < len(r.tickVals) {
		r.ticks = append(r.ticks, newChartText(0))
		r.grid = append(r.grid, canvas.NewLine(color.Transparent))
	}
	r.ticks, r.grid = r.ticks[:len(r.tickVals)], r.grid[:len(r.tickVals)]

	col := r.colors
	caption := theme.SizeForWidget(theme.SizeNameCaptionText, c)
	for _, b := range r.bars {
		b.FillColor = col.bar
	}
	r.lit = -1
	for i, v := range r.tickVals {
		r.ticks[i].Text, r.ticks[i].TextSize, r.ticks[i].Color = formatCount(v), caption, col.faint
		r.ticks[i].Alignment = fyne.TextAlignTrailing
		r.grid[i].StrokeColor, r.grid[i].StrokeWidth = col.grid, 1
	}
	for _, l := range r.xLabels {
		l.TextSize, l.Color = caption, col.faint
	}
	r.base.StrokeColor, r.base.StrokeWidth = col.axis, 1
	r.band.FillColor = col.band
	r.empty.Color = col.faint
	r.empty.TextSize = theme.SizeForWidget(theme.SizeNameText, c)
	r.empty.Hidden = r.max > 0
	r.tip.style(col, r.empty.TextSize)

	r.Layout(c.Size())
	for _, o := range r.objects {
		o.Refresh()
	}
}

// buildObjects lists the objects back to front.
func (r *trendRenderer) buildObjects() {
	objs := r.objects[:0]
	for _, l := range r.grid[min(1, len(r.grid)):] {
		objs = append(objs, l)
	}
	objs = append(objs, r.band)
	for _, b := range r.bars {
		objs = append(objs, b)
	}
	objs = append(objs, r.base)
	for _, t := range r.ticks {
		objs = append(objs, t)
	}
	for _, t := range r.xLabels {
		objs = append(objs, t)
	}
	r.objects = append(objs, r.empty, r.tip.bg, r.tip.text)
}

// Layout places the axes, bars and labels for size.
func (r *trendRenderer) Layout(size fyne.Size) {
	c := r.c
	pad := theme.Padding()
	caption := theme.SizeForWidget(theme.SizeNameCaptionText, c)
	lineH := fyne.MeasureText("0", caption, fyne.TextStyle{}).Height

	var tickW float32
	for _, t := range r.ticks {
		tickW = max(tickW, t.MinSize().Width)
	}
	r.origin = fyne.NewPos(tickW+2*pad, lineH/2+pad)
	r.plot = fyne.NewSize(
		max(size.Width-r.origin.X-pad, 1),
		max(size.Height-r.origin.Y-lineH-2*pad, 1))
	x0, bottom := r.origin.X, r.origin.Y+r.plot.Height

	// Value axis: labels right-aligned left of the plot, grid lines across.
	for i, v := range r.tickVals {
		y := bottom
		if r.max > 0 {
			y = float32(math.Round(float64(bottom - float32(v)/float32(r.max)*r.plot.Height)))
		}
		r.ticks[i].Move(fyne.NewPos(0, y-lineH/2))
		r.ticks[i].Resize(fyne.NewSize(tickW+pad/2, lineH))
		r.grid[i].Position1 = fyne.NewPos(x0, y)
		r.grid[i].Position2 = fyne.NewPos(x0+r.plot.Width, y)
	}
	r.base.Position1 = fyne.NewPos(x0, bottom)
	r.base.Position2 = fyne.NewPos(x0+r.plot.Width, bottom)

	// Bars: a gap of a fifth of the slot once there is room for one.
	n := len(r.bars)
	r.slot, r.gap = r.plot.Width, 0
	if n > 0 {
		r.slot = r.plot.Width / float32(n)
	}
	switch {
	case r.slot >= 6:
		r.gap = max(r.slot/5, 2)
	case r.slot >= 3:
		r.gap = 1
	}
	for i, b := range r.bars {
		h := float32(0)
		if r.max > 0 {
			h = float32(c.buckets[i].Count) / float32(r.max) * r.plot.Height
		}
		w := r.slot - r.gap
		b.Move(fyne.NewPos(x0+float32(i)*r.slot+r.gap/2, bottom-h))
		b.Resize(fyne.NewSize(w, h))
		rad := min(3, w/3, h/2)
		b.TopLeftCornerRadius, b.TopRightCornerRadius = rad, rad
	}

	r.layoutXLabels(size, bottom+pad, lineH)
	r.empty.Move(r.origin.AddXY((r.plot.Width-r.empty.MinSize().Width)/2, (r.plot.Height-r.empty.MinSize().Height)/2))
	r.empty.Resize(r.empty.MinSize())
	r.showHover()
	r.buildObjects()
}

// layoutXLabels labels every k-th bucket, k chosen so the labels fit,
// aligned to round times; a label that would still touch the one before
// is left out.
func (r *trendRenderer) layoutXLabels(size fyne.Size, y, lineH float32) {
	c := r.c
	caption := theme.SizeForWidget(theme.SizeNameCaptionText, c)
	sample := "Nov 28" // wider than "00:00"; hourly charts show dates at midnight
	if n := len(c.buckets); n > 0 && (c.buckets[0].Start.Year() != c.now().Year() ||
		c.buckets[n-1].Start.Year() != c.buckets[0].Start.Year()) {
		sample = "Nov 28 2026" // some labels will carry the year
	}
	gap := 3 * theme.Padding()
	need := fyne.MeasureText(sample, caption, fyne.TextStyle{}).Width + gap
	k := niceEvery(c.step, int(math.Ceil(float64(need/max(r.slot, 0.01)))))

	used := 0
	lastRight := float32(-1e9)
	lastYear := c.now().Year()
	for i, b := range c.buckets {
		if alignIndex(b.Start, c.step, i)%k != 0 {
			continue
		}
		text, year := bucketLabel(b.Start, c.step, lastYear)
		w := fyne.MeasureText(text, caption, fyne.TextStyle{}).Width
		x := r.origin.X + (float32(i)+0.5)*r.slot - w/2
		x = min(max(x, 0), size.Width-w)
		if x < lastRight+gap {
			continue
		}
		lastRight, lastYear = x+w, year
		if used == len(r.xLabels) {
			t := newChartText(caption)
			t.Color = r.colors.faint
			r.xLabels = append(r.xLabels, t)
		}
		l := r.xLabels[used]
		used++
		if l.Text != text {
			l.Text = text
			l.Refresh()
		}
		l.Move(fyne.NewPos(x, y))
		l.Resize(fyne.NewSize(w, lineH))
		l.Show()
	}
	for _, l := range r.xLabels[used:] {
		l.Hide()
	}
}

// indexAt returns the bucket whose column (plot and time label) holds
// pos, or -1.
func (r *trendRenderer) indexAt(pos fyne.Position) int {
	x := pos.X - r.origin.X
	if x < 0 || x >= r.plot.Width || pos.Y < 0 || pos.Y > r.c.Size().Height || r.slot <= 0 {
		return -1
	}
	i := int(x / r.slot)
	if i >= len(r.bars) {
		return -1
	}
	return i
}

// showHover paints the hovered bar highlighted and shows its tooltip.
func (r *trendRenderer) showHover() {
	c := r.c
	i := c.hover
	if i >= len(r.bars) {
		i = -1
	}
	if r.lit != i {
		if r.lit >= 0 && r.lit < len(r.bars) {
			r.bars[r.lit].FillColor = r.colors.bar
			r.bars[r.lit].Refresh()
		}
		if i >= 0 {
			r.bars[i].FillColor = r.colors.lit
			r.bars[i].Refresh()
		}
		r.lit = i
	}
	if i < 0 {
		r.band.Hide()
		r.tip.hide()
		return
	}
	r.band.Move(fyne.NewPos(r.origin.X+float32(i)*r.slot, r.origin.Y))
	r.band.Resize(fyne.NewSize(r.slot, r.plot.Height))
	r.band.Show()
	r.band.Refresh()

	b := c.buckets[i]
	text := bucketSpan(b.Start, c.step, c.now().Year()) + " · " + plural(b.Count, "ban", "bans")
	size := r.tip.size(text)
	bar := r.bars[i]
	centre := bar.Position().X + bar.Size().Width/2
	pos := fyne.NewPos(centre-size.Width/2, bar.Position().Y-size.Height-theme.Padding())
	if pos.Y < 0 { // no room above the bar: beside it, at the top
		pos.Y = r.origin.Y
		pos.X = bar.Position().X + bar.Size().Width + theme.Padding()
		if pos.X+size.Width > c.Size().Width {
			pos.X = bar.Position().X - theme.Padding() - size.Width
		}
	}
	pos.X = min(max(pos.X, 0), c.Size().Width-size.Width)
	r.tip.show(text, pos)
}

// tickValues returns 3 to 5 round values from 0 up to at most top (fewer
// for tiny tops: counts are whole).
func tickValues(top int) []int {
	if top <= 0 {
		return []int{0}
	}
	step := 1
	for mag := 1; top/step > 4; mag *= 10 {
		// 1, 2, 5, 10, 20, 25, 50, 100, ... (2.5 rounds to 2 below 10)
		for _, s := range []int{mag, 2 * mag, 25 * mag / 10, 5 * mag} {
			if step = s; top/step <= 4 {
				break
			}
		}
	}
	vals := make([]int, 0, 5)
	for v := 0; v <= top; v += step {
		vals = append(vals, v)
	}
	return vals
}

// niceEvery returns the smallest round label interval, in buckets, of at
// least min for buckets step long: whole hours that divide a day, whole
// weeks of days, quarters of years of weeks.
func niceEvery(step time.Duration, least int) int {
	var nice []int
	switch {
	case step < 24*time.Hour:
		nice = []int{1, 2, 3, 4, 6, 12, 24, 48, 72, 168, 336, 672}
	case step < 7*24*time.Hour:
		nice = []int{1, 2, 7, 14, 28, 56, 91, 182, 364}
	default:
		nice = []int{1, 2, 4, 8, 13, 26, 52, 104, 208}
	}
	for _, k := range nice {
		if k >= least {
			return k
		}
	}
	return max(least, 1)
}

// alignIndex numbers bucket i so that multiples of round intervals fall
// on round times: local hours, UTC days from a Monday, weeks.
func alignIndex(t time.Time, step time.Duration, i int) int {
	switch {
	case step == time.Hour:
		_, off := t.Local().Zone()
		return int((t.Unix()+int64(off))/3600) + 72
	case step == 24*time.Hour:
		return int(t.Unix()/86400) + 3 // 1970-01-01 was a Thursday
	case step == 7*24*time.Hour:
		return int(t.Unix() / (7 * 86400))
	}
	return i
}

// bucketLabel is the axis label of a bucket starting at t; the year is
// added when it differs from the year of the label before (prevYear).
func bucketLabel(t time.Time, step time.Duration, prevYear int) (string, int) {
	if step < 24*time.Hour {
		t = t.Local()
		if t.Hour() != 0 || t.Minute() != 0 {
			return t.Format("15:04"), prevYear
		}
	} else {
		t = t.UTC()
	}
	if t.Year() != prevYear {
		return t.Format("Jan 2 2006"), t.Year()
	}
	return t.Format("Jan 2"), t.Year()
}

// bucketSpan names the period of a bucket for its tooltip: "Nov 27
// 15:00–16:00", "Nov 27", "Nov 21–27"; with the year when it is not this
// year.
func bucketSpan(t time.Time, step time.Duration, thisYear int) string {
	year := func(t time.Time) string {
		if t.Year() != thisYear {
			return fmt.Sprintf(" %d", t.Year())
		}
		return ""
	}
	switch {
	case step < 24*time.Hour:
		t = t.Local()
		return t.Format("Jan 2") + year(t) + " " + t.Format("15:04") + "–" + t.Add(step).Format("15:04")
	case step == 24*time.Hour:
		t = t.UTC()
		return t.Format("Jan 2") + year(t)
	}
	t = t.UTC()
	end := t.Add(step - 24*time.Hour)
	switch {
	case end.Year() != t.Year():
		return t.Format("Jan 2 2006") + "–" + end.Format("Jan 2 2006")
	case end.Month() != t.Month():
		return t.Format("Jan 2") + "–" + end.Format("Jan 2") + year(t)
	}
	return t.Format("Jan 2") + "–" + end.Format("2") + year(t)
}
