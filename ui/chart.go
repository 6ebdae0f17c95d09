package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
)

// The dashboard's charts, drawn with canvas primitives so they follow the
// theme: trendChart (bans over time) and barList (bans by name). Both are
// fed on the UI goroutine and redraw in place; their canvas objects are
// kept across updates. Hourly buckets are shown in local time, daily and
// weekly ones in UTC, as the history groups them.

const chartEmptyText = "No bans in this range"

// chartColors are the theme colours a chart paints with, looked up at
// render time so a theme change recolours it.
type chartColors struct {
	bar, lit, text, faint, grid, axis, band, tipBg, tipLine color.Color
}

func colorsFor(w fyne.Widget) chartColors {
	c := func(n fyne.ThemeColorName) color.Color { return theme.ColorForWidget(n, w) }
	primary, fg := c(theme.ColorNamePrimary), c(theme.ColorNameForeground)
	return chartColors{
		bar:     primary,
		lit:     mixColor(primary, fg, 0.35), // lighter on dark, deeper on light
		text:    fg,
		faint:   c(theme.ColorNamePlaceHolder),
		grid:    fadeColor(fg, 0x1c),
		axis:    fadeColor(fg, 0x55),
		band:    c(theme.ColorNameHover),
		tipBg:   c(theme.ColorNameOverlayBackground),
		tipLine: fadeColor(fg, 0x40),
	}
}

// fadeColor returns c with its opacity scaled by a/255.
func fadeColor(c color.Color, a uint8) color.NRGBA {
	n := color.NRGBAModel.Convert(c).(color.NRGBA)
	n.A = uint8(uint16(n.A) * uint16(a) / 255)
	return n
}

// mixColor returns a+(b-a)*t, opaque.
func mixColor(a, b color.Color, t float64) color.NRGBA {
	x := color.NRGBAModel.Convert(a).(color.NRGBA)
	y := color.NRGBAModel.Convert(b).(color.NRGBA)
	m := func(p, q uint8) uint8 { return uint8(float64(p) + (float64(q)-float64(p))*t + 0.5) }
	return color.NRGBA{R: m(x.R, y.R), G: m(x.G, y.G), B: m(x.B, y.B), A: 0xff}
}

// newChartText returns a text object for a chart.
func newChartText(size float32) *canvas.Text {
	t := canvas.NewText("", color.Transparent)
	t.TextSize = size
	return t
}

// tooltip is a small boxed text shown over a chart.
type tooltip struct {
	bg   *canvas.Rectangle
	text *canvas.Text
}

func newTooltip() tooltip {
	t := tooltip{bg: canvas.NewRectangle(color.Transparent), text: newChartText(theme.TextSize())}
	t.bg.CornerRadius, t.bg.StrokeWidth = 4, 1
	t.hide()
	return t
}

// style applies the theme's colours and text size.
func (t tooltip) style(c chartColors, textSize float32) {
	t.bg.FillColor, t.bg.StrokeColor, t.text.Color = c.tipBg, c.tipLine, c.text
	t.text.TextSize = textSize
}

// size returns the box's size for s.
func (t tooltip) size(s string) fyne.Size {
	m := fyne.MeasureText(s, t.text.TextSize, t.text.TextStyle)
	return fyne.NewSize(m.Width+2*theme.InnerPadding(), m.Height+theme.Padding()*1.5)
}

// show puts the box with s at pos.
func (t tooltip) show(s string, pos fyne.Position) {
	t.text.Text = s
	size := t.size(s)
	t.bg.Move(pos)
	t.bg.Resize(size)
	t.text.Move(pos.AddXY(theme.InnerPadding(), theme.Padding()*0.75))
	t.text.Resize(size.SubtractWidthHeight(2*theme.InnerPadding(), theme.Padding()*1.5))
	t.bg.Show()
	t.text.Show()
	t.bg.Refresh()
	t.text.Refresh()
}

func (t tooltip) hide() {
	t.bg.Hide()
	t.text.Hide()
}
