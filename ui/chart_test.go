package ui

import (
	"fmt"
	"image/color"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/bangui/bangui/core"
)

// chartNow is "now" for the charts under test: labels in 2026 carry no year.
var chartNow = time.Date(2026, 11, 27, 18, 0, 0, 0, time.Local)

// chartVariantTheme forces a variant of the default theme.
type chartVariantTheme struct {
	fyne.Theme
	v fyne.ThemeVariant
}

func (t chartVariantTheme) Color(n fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	return t.Theme.Color(n, t.v)
}

// chartBuckets returns buckets step apart from start with counts.
func chartBuckets(start time.Time, step time.Duration, counts ...int) []core.Bucket {
	b := make([]core.Bucket, len(counts))
	for i, n := range counts {
		b[i] = core.Bucket{Start: start.Add(time.Duration(i) * step), Count: n}
	}
	return b
}

// showTrend puts a trend chart with buckets in a test window of size.
func showTrend(t *testing.T, buckets []core.Bucket, step time.Duration, size fyne.Size) (*trendChart, *trendRenderer, fyne.Window) {
	t.Helper()
	c := newTrendChart()
	c.now = func() time.Time { return chartNow }
	c.SetData(buckets, step)
	w := test.NewTempWindow(t, c)
	w.SetPadded(false)
	w.Resize(size)
	return c, test.WidgetRenderer(c).(*trendRenderer), w
}

func sameColor(a, b color.Color) bool {
	r1, g1, b1, a1 := a.RGBA()
	r2, g2, b2, a2 := b.RGBA()
	return r1 == r2 && g1 == g2 && b1 == b2 && a1 == a2
}

func approx(a, b float32) bool { return a-b < 1 && b-a < 1 }

func TestTrendChartBars(t *testing.T) {
	test.NewTempApp(t)
	counts := make([]int, 24)
	counts[5], counts[10], counts[11] = 1000, 500, 250
	start := time.Date(2026, 11, 27, 0, 0, 0, 0, time.Local)
	for _, size := range []fyne.Size{{Width: 320, Height: 170}, {Width: 900, Height: 320}} {
		t.Run(fmt.Sprint(size.Width), func(t *testing.T) {
			c, r, _ := showTrend(t, chartBuckets(start, time.Hour, counts...), time.Hour, size)
			if c.Size() != size {
				t.Fatalf("chart size %v, want %v", c.Size(), size)
			}
			if len(r.bars) != len(counts) {
				t.Fatalf("%d bars for %d buckets", len(r.bars), len(counts))
			}
			shown := 0
			for _, o := range r.Objects() {
				if rect, ok := o.(*canvas.Rectangle); ok && slices.Contains(r.bars, rect) {
					shown++
				}
			}
			if shown != len(counts) {
				t.Errorf("%d bar rectangles drawn, want %d", shown, len(counts))
			}
			bottom := r.origin.Y + r.plot.Height
			tall := r.bars[5]
			if !approx(tall.Size().Height, r.plot.Height) || !approx(tall.Position().Y, r.origin.Y) {
				t.Errorf("tallest bar at %v size %v, want the plot's height %v", tall.Position(), tall.Size(), r.plot.Height)
			}
			for i, want := range map[int]float32{10: 0.5, 11: 0.25, 0: 0} {
				b := r.bars[i]
				if !approx(b.Size().Height, want*r.plot.Height) {
					t.Errorf("bar %d height %v, want %v", i, b.Size().Height, want*r.plot.Height)
				}
				if !approx(b.Position().Y+b.Size().Height, bottom) {
					t.Errorf("bar %d ends at %v, want the baseline %v", i, b.Position().Y+b.Size().Height, bottom)
				}
			}
			for i := 1; i < len(r.bars); i++ {
				if r.bars[i].Position().X < r.bars[i-1].Position().X+r.bars[i-1].Size().Width {
					t.Fatalf("bars %d and %d overlap", i-1, i)
				}
			}
			last := r.bars[len(r.bars)-1]
			if end := last.Position().X + last.Size().Width; end > size.Width {
				t.Errorf("last bar ends at %v, past the width %v", end, size.Width)
			}
			// Value axis: 0, 250, 500, 750, 1000 on lines at their height.
			var ticks []string
			for i, tk := range r.ticks {
				ticks = append(ticks, tk.Text)
				y := r.grid[i].Position1.Y
				if want := bottom - float32(r.tickVals[i])/1000*r.plot.Height; !approx(y, want) {
					t.Errorf("tick %s at y %v, want %v", tk.Text, y, want)
				}
			}
			if got := strings.Join(ticks, " "); got != "0 250 500 750 1000" {
				t.Errorf("ticks %q", got)
			}
		})
	}
}

func TestTrendChartReusesObjects(t *testing.T) {
	test.NewTempApp(t)
	start := time.Date(2026, 11, 27, 0, 0, 0, 0, time.Local)
	c, r, _ := showTrend(t, chartBuckets(start, time.Hour, 1, 2, 3, 4), time.Hour, fyne.NewSize(400, 200))
	first := slices.Clone(r.bars)
	c.SetData(chartBuckets(start, time.Hour, 4, 3, 2, 1, 9), time.Hour)
	if len(r.bars) != 5 || !slices.Equal(r.bars[:4], first) {
		t.Errorf("bars were recreated on update")
	}
	c.SetData(chartBuckets(start, time.Hour, 1, 2), time.Hour)
	if len(r.bars) != 2 || len(r.Objects()) > 2+4*2+8 {
		t.Errorf("%d bars, %d objects after shrinking to 2 buckets", len(r.bars), len(r.Objects()))
	}
}

// visibleLabels returns the shown time labels, left to right.
func visibleLabels(r *trendRenderer) []*canvas.Text {
	var out []*canvas.Text
	for _, l := range r.xLabels {
		if l.Visible() {
			out = append(out, l)
		}
	}
	slices.SortFunc(out, func(a, b *canvas.Text) int { return int(a.Position().X - b.Position().X) })
	return out
}

func TestTrendChartLabelsDoNotOverlap(t *testing.T) {
	test.NewTempApp(t)
	hours := time.Date(2026, 11, 20, 0, 0, 0, 0, time.Local)
	days := time.Date(2026, 8, 29, 0, 0, 0, 0, time.UTC)
	weeks := time.Date(2024, 2, 5, 0, 0, 0, 0, time.UTC)
	series := []struct {
		name string
		step time.Duration
		from time.Time
		n    int
	}{
		{"day of hours", time.Hour, hours.Add(19 * time.Hour), 24},
		{"week of hours", time.Hour, hours, 168},
		{"400 hours", time.Hour, hours, 400},
		{"90 days", 24 * time.Hour, days, 90},
		{"7 days", 24 * time.Hour, days, 7},
		{"150 weeks", 7 * 24 * time.Hour, weeks, 150},
	}
	for _, s := range series {
		counts := make([]int, s.n)
		for i := range counts {
			counts[i] = (i*37)%100 + 1
		}
		for _, width := range []float32{300, 1200} {
			t.Run(fmt.Sprintf("%s/%v", s.name, width), func(t *testing.T) {
				c, r, _ := showTrend(t, chartBuckets(s.from, s.step, counts...), s.step, fyne.NewSize(width, 180))
				labels := visibleLabels(r)
				if len(labels) < 2 {
					t.Fatalf("%d labels", len(labels))
				}
				var texts []string
				for i, l := range labels {
					texts = append(texts, l.Text)
					left, right := l.Position().X, l.Position().X+l.MinSize().Width
					if left < 0 || right > c.Size().Width+0.5 {
						t.Errorf("label %q spans %v..%v, outside 0..%v", l.Text, left, right, c.Size().Width)
					}
					if i > 0 {
						prev := labels[i-1]
						if prevRight := prev.Position().X + prev.MinSize().Width; prevRight > left {
							t.Errorf("labels %q (to %v) and %q (from %v) overlap", prev.Text, prevRight, l.Text, left)
						}
					}
					if l.Position().Y < r.origin.Y+r.plot.Height {
						t.Errorf("label %q above the baseline", l.Text)
					}
				}
				t.Logf("%s", strings.Join(texts, " | "))
			})
		}
	}
}

func TestTrendChartLabelFormats(t *testing.T) {
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	local := func(h int) time.Time { return time.Date(2026, 11, 27, h, 0, 0, 0, time.Local) }
	week := 7 * 24 * time.Hour
	labels := []struct {
		t    time.Time
		step time.Duration
		prev int
		want string
	}{
		{local(15), time.Hour, 2026, "15:00"},
		{local(0), time.Hour, 2026, "Nov 27"},
		{time.Date(2027, 1, 1, 0, 0, 0, 0, time.Local), time.Hour, 2026, "Jan 1 2027"},
		{day(2026, 11, 27), 24 * time.Hour, 2026, "Nov 27"},
		{day(2027, 1, 4), week, 2026, "Jan 4 2027"},
	}
	for _, l := range labels {
		if got, _ := bucketLabel(l.t, l.step, l.prev); got != l.want {
			t.Errorf("bucketLabel(%v, %v) = %q, want %q", l.t, l.step, got, l.want)
		}
	}
	spans := []struct {
		t    time.Time
		step time.Duration
		want string
	}{
		{local(15), time.Hour, "Nov 27 15:00–16:00"},
		{day(2026, 11, 27), 24 * time.Hour, "Nov 27"},
		{day(2025, 11, 27), 24 * time.Hour, "Nov 27 2025"},
		{day(2026, 11, 21), week, "Nov 21–27"},
		{day(2026, 11, 28), week, "Nov 28–Dec 4"},
		{day(2026, 12, 29), week, "Dec 29 2026–Jan 4 2027"},
	}
	for _, s := range spans {
		if got := bucketSpan(s.t, s.step, 2026); got != s.want {
			t.Errorf("bucketSpan(%v, %v) = %q, want %q", s.t, s.step, got, s.want)
		}
	}
}

func TestChartTickValues(t *testing.T) {
	for top, want := range map[int][]int{
		0: {0}, 1: {0, 1}, 3: {0, 1, 2, 3}, 7: {0, 2, 4, 6},
		99: {0, 20, 40, 60, 80}, 130: {0, 50, 100}, 110: {0, 25, 50, 75, 100}, 1000: {0, 250, 500, 750, 1000}, 1234: {0, 250, 500, 750, 1000},
		48000: {0, 10000, 20000, 30000, 40000},
	} {
		if got := tickValues(top); !slices.Equal(got, want) {
			t.Errorf("tickValues(%d) = %v, want %v", top, got, want)
		}
	}
	for top := 2; top < 200000; top = top*11/10 + 1 {
		v := tickValues(top)
		if len(v) < 3 || len(v) > 5 || v[len(v)-1] > top {
			t.Fatalf("tickValues(%d) = %v: want 3 to 5 values up to the top", top, v)
		}
	}
}

func TestTrendChartHover(t *testing.T) {
	test.NewTempApp(t)
	start := time.Date(2026, 11, 27, 12, 0, 0, 0, time.Local)
	c, r, w := showTrend(t, chartBuckets(start, time.Hour, 10, 40, 12345, 0, 7), time.Hour, fyne.NewSize(400, 200))
	if r.tip.text.Visible() {
		t.Fatal("tooltip shown before hovering")
	}
	bar := r.bars[2] // 14:00, the tallest
	c.MouseMoved(&desktop.MouseEvent{PointEvent: fyne.PointEvent{
		Position: bar.Position().AddXY(bar.Size().Width/2, bar.Size().Height/2)}})
	if !r.tip.text.Visible() || !r.tip.bg.Visible() {
		t.Fatal("no tooltip on hover")
	}
	if got, want := r.tip.text.Text, "Nov 27 14:00–15:00 · 12 345 bans"; got != want {
		t.Errorf("tooltip %q, want %q", got, want)
	}
	if !sameColor(bar.FillColor, r.colors.lit) || sameColor(r.bars[1].FillColor, r.colors.lit) {
		t.Error("hovered bar not highlighted alone")
	}
	tip := r.tip.bg
	if tip.Position().X < 0 || tip.Position().Y < 0 || tip.Position().X+tip.Size().Width > c.Size().Width {
		t.Errorf("tooltip at %v size %v, outside the chart", tip.Position(), tip.Size())
	}

	// A bar with no bans still answers, through the real pointer routing.
	empty := r.bars[3]
	test.MoveMouse(w.Canvas(), empty.Position().AddXY(empty.Size().Width/2, -20))
	if got, want := r.tip.text.Text, "Nov 27 15:00–16:00 · 0 bans"; got != want {
		t.Errorf("tooltip %q, want %q", got, want)
	}
	if !sameColor(bar.FillColor, r.colors.bar) {
		t.Error("previous bar still highlighted")
	}

	c.MouseOut()
	if r.tip.text.Visible() || r.band.Visible() {
		t.Error("tooltip still shown after the pointer left")
	}
	for i, b := range r.bars {
		if !sameColor(b.FillColor, r.colors.bar) {
			t.Errorf("bar %d still highlighted", i)
		}
	}

	// Left of the plot (over the value axis) shows nothing.
	c.MouseMoved(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(2, 50)}})
	if r.tip.text.Visible() {
		t.Error("tooltip over the axis")
	}
}

func TestTrendChartEmpty(t *testing.T) {
	test.NewTempApp(t)
	c, r, _ := showTrend(t, nil, time.Hour, fyne.NewSize(400, 200))
	if !r.empty.Visible() || r.empty.Text != "No bans in this range" {
		t.Fatalf("empty message %q visible=%v", r.empty.Text, r.empty.Visible())
	}
	if len(r.bars) != 0 {
		t.Errorf("%d bars without data", len(r.bars))
	}
	mid := r.empty.Position().X + r.empty.MinSize().Width/2
	if plotMid := r.origin.X + r.plot.Width/2; !approx(mid, plotMid) {
		t.Errorf("message centred at %v, plot centre %v", mid, plotMid)
	}
	if r.base.Position1.Y != r.base.Position2.Y || r.base.Position2.X-r.base.Position1.X < 300 {
		t.Errorf("baseline %v-%v, want flat across the plot", r.base.Position1, r.base.Position2)
	}

	start := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	c.SetData(chartBuckets(start, 24*time.Hour, 0, 0, 0), 24*time.Hour)
	if !r.empty.Visible() || len(r.bars) != 3 {
		t.Errorf("all-zero data: message visible=%v, %d bars", r.empty.Visible(), len(r.bars))
	}
	for i, b := range r.bars {
		if b.Size().Height != 0 {
			t.Errorf("bar %d height %v with no bans", i, b.Size().Height)
		}
	}
	c.SetData(chartBuckets(start, 24*time.Hour, 0, 5, 0), 24*time.Hour)
	if r.empty.Visible() {
		t.Error("empty message shown with data")
	}
}

func TestTrendChartThemeChange(t *testing.T) {
	a := test.NewTempApp(t)
	a.Settings().SetTheme(chartVariantTheme{theme.DefaultTheme(), theme.VariantLight})
	start := time.Date(2026, 11, 27, 0, 0, 0, 0, time.Local)
	c, r, _ := showTrend(t, chartBuckets(start, time.Hour, 3, 6, 9), time.Hour, fyne.NewSize(400, 200))
	def := theme.DefaultTheme()
	check := func(name string, th fyne.Theme, v fyne.ThemeVariant) {
		t.Helper()
		if want := th.Color(theme.ColorNamePrimary, v); !sameColor(r.bars[0].FillColor, want) {
			t.Errorf("%s: bar %v, want primary %v", name, r.bars[0].FillColor, want)
		}
		want := th.Color(theme.ColorNamePlaceHolder, v)
		if !sameColor(r.ticks[0].Color, want) {
			t.Errorf("%s: tick label %v, want %v", name, r.ticks[0].Color, want)
		}
		if l := visibleLabels(r); len(l) == 0 || !sameColor(l[0].Color, want) {
			t.Errorf("%s: time labels not in %v", name, want)
		}
		c.MouseMoved(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: r.bars[1].Position().AddXY(1, 1)}})
		if want := th.Color(theme.ColorNameForeground, v); !sameColor(r.tip.text.Color, want) {
			t.Errorf("%s: tooltip text %v, want foreground %v", name, r.tip.text.Color, want)
		}
		c.MouseOut()
	}
	check("light", def, theme.VariantLight)
	a.Settings().SetTheme(chartVariantTheme{def, theme.VariantDark})
	check("dark", def, theme.VariantDark)
	a.Settings().SetTheme(test.NewTheme())
	check("test theme", test.NewTheme(), theme.VariantDark)
}

// BenchmarkChartTrendSetData updates a 400-bucket chart.
func BenchmarkChartTrendSetData(b *testing.B) {
	test.NewTempApp(b)
	c := newTrendChart()
	w := test.NewTempWindow(b, c)
	w.Resize(fyne.NewSize(900, 300))
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.Local)
	counts := make([]int, 400)
	for i := range counts {
		counts[i] = i * 7 % 300
	}
	buckets := chartBuckets(start, time.Hour, counts...)
	for b.Loop() {
		c.SetData(buckets, time.Hour)
	}
}

// showBarList puts a bar list with items in a test window of size.
func showBarList(t *testing.T, items []core.NamedCount, size fyne.Size) (*barList, *barListRenderer, fyne.Window) {
	t.Helper()
	l := newBarList("No bans yet")
	l.SetData(items)
	w := test.NewTempWindow(t, l)
	w.SetPadded(false)
	w.Resize(size)
	return l, test.WidgetRenderer(l).(*barListRenderer), w
}

var barListItems = []core.NamedCount{
	{Name: "203.0.113.77", Count: 2000},
	{Name: "2001:db8:85a3:0000:0000:8a2e:0370:7334", Count: 1000},
	{Name: "198.51.100.4", Count: 500},
	{Name: "192.0.2.1", Count: 0},
}

func TestBarListRows(t *testing.T) {
	test.NewTempApp(t)
	for _, width := range []float32{260, 600} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			l, r, _ := showBarList(t, barListItems, fyne.NewSize(width, 200))
			if len(r.rows) != len(barListItems) {
				t.Fatalf("%d rows for %d items", len(r.rows), len(barListItems))
			}
			rowH := barRowHeight(l)
			full := r.rows[0].track.Size().Width
			for i, row := range r.rows {
				want := float32(barListItems[i].Count) / 2000 * full
				if barListItems[i].Count > 0 && want < 2 {
					want = 2
				}
				if !approx(row.bar.Size().Width, want) {
					t.Errorf("row %d bar %v wide, want %v", i, row.bar.Size().Width, want)
				}
				if y := row.bg.Position().Y; y < float32(i)*rowH || y+row.bg.Size().Height > float32(i+1)*rowH {
					t.Errorf("row %d outside its band", i)
				}
				nameEnd := row.name.Position().X + row.name.MinSize().Width
				if nameEnd > row.track.Position().X {
					t.Errorf("row %d name %q runs into the bar (%v > %v)", i, row.name.Text, nameEnd, row.track.Position().X)
				}
				if end := row.count.Position().X + row.count.Size().Width; end > width || end < width-10 {
					t.Errorf("row %d count ends at %v, want right-aligned to %v", i, end, width)
				}
				if row.track.Position().X+full > row.count.Position().X {
					t.Errorf("row %d bar runs into the count", i)
				}
			}
			if got := r.rows[0].count.Text; got != "2000" {
				t.Errorf("count %q", got)
			}
			long := r.rows[1].name.Text
			if !strings.HasSuffix(long, "…") || !strings.HasPrefix(long, "2001:db8") {
				t.Errorf("long name shown as %q, want it cut with an ellipsis", long)
			}
			if got := l.MinSize().Height; !approx(got, 4*rowH) {
				t.Errorf("min height %v, want 4 rows of %v", got, rowH)
			}
		})
	}
}

func TestBarListTapped(t *testing.T) {
	test.NewTempApp(t)
	l, _, _ := showBarList(t, barListItems, fyne.NewSize(400, 200))
	var got []string
	l.OnTapped = func(name string) { got = append(got, name) }
	rowH := barRowHeight(l)
	test.TapAt(l, fyne.NewPos(20, 2.5*rowH))
	test.TapAt(l, fyne.NewPos(300, 0.5*rowH))
	test.TapAt(l, fyne.NewPos(20, 4.5*rowH)) // below the rows
	if want := []string{"198.51.100.4", "203.0.113.77"}; !slices.Equal(got, want) {
		t.Errorf("tapped %q, want %q", got, want)
	}
	l.MouseMoved(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(20, rowH/2)}})
	if l.Cursor() != desktop.PointerCursor {
		t.Error("no pointer cursor over a tappable row")
	}
}

func TestBarListHover(t *testing.T) {
	test.NewTempApp(t)
	l, r, w := showBarList(t, barListItems, fyne.NewSize(400, 200))
	rowH := barRowHeight(l)
	l.MouseMoved(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(50, 1.5*rowH)}})
	if !r.tip.text.Visible() {
		t.Fatal("no tooltip on hover")
	}
	if got, want := r.tip.text.Text, "1000 bans · 28.6%"; got != want {
		t.Errorf("tooltip %q, want %q", got, want)
	}
	if !sameColor(r.rows[1].bar.FillColor, r.colors.lit) || sameColor(r.rows[0].bar.FillColor, r.colors.lit) {
		t.Error("hovered row not highlighted alone")
	}
	tip := r.tip.bg
	if tip.Position().Y < rowH || tip.Position().Y+tip.Size().Height > 2*rowH ||
		tip.Position().X+tip.Size().Width > r.rows[1].count.Position().X {
		t.Errorf("tooltip at %v size %v, want inside row 1 before the count", tip.Position(), tip.Size())
	}

	// The share is of Total when set, and the pointer routing works.
	l.Total = 100000
	test.MoveMouse(w.Canvas(), fyne.NewPos(50, 0.5*rowH))
	if got, want := r.tip.text.Text, "2000 bans · 2.0%"; got != want {
		t.Errorf("tooltip %q, want %q", got, want)
	}
	l.MouseOut()
	if r.tip.text.Visible() || sameColor(r.rows[0].bar.FillColor, r.colors.lit) {
		t.Error("tooltip or highlight left after the pointer left")
	}
}

func TestBarListEmpty(t *testing.T) {
	test.NewTempApp(t)
	l, r, _ := showBarList(t, nil, fyne.NewSize(300, 120))
	if !r.empty.Visible() || r.empty.Text != "No bans yet" {
		t.Errorf("empty text %q visible=%v", r.empty.Text, r.empty.Visible())
	}
	called := false
	l.OnTapped = func(string) { called = true }
	test.TapAt(l, fyne.NewPos(10, 10))
	if called {
		t.Error("tap on an empty list called OnTapped")
	}
	l.SetData(barListItems[:1])
	if r.empty.Visible() || len(r.rows) != 1 {
		t.Errorf("with data: message visible=%v, %d rows", r.empty.Visible(), len(r.rows))
	}
}

func TestBarListThemeChange(t *testing.T) {
	a := test.NewTempApp(t)
	a.Settings().SetTheme(chartVariantTheme{theme.DefaultTheme(), theme.VariantLight})
	_, r, _ := showBarList(t, barListItems, fyne.NewSize(400, 200))
	def := theme.DefaultTheme()
	for _, tc := range []struct {
		name string
		th   fyne.Theme
		v    fyne.ThemeVariant
	}{
		{"light", chartVariantTheme{def, theme.VariantLight}, theme.VariantLight},
		{"dark", chartVariantTheme{def, theme.VariantDark}, theme.VariantDark},
		{"test", test.NewTheme(), theme.VariantDark},
	} {
		a.Settings().SetTheme(tc.th)
		if want := tc.th.Color(theme.ColorNameForeground, tc.v); !sameColor(r.rows[0].name.Color, want) {
			t.Errorf("%s: name %v, want foreground %v", tc.name, r.rows[0].name.Color, want)
		}
		if want := tc.th.Color(theme.ColorNamePrimary, tc.v); !sameColor(r.rows[0].bar.FillColor, want) {
			t.Errorf("%s: bar %v, want primary %v", tc.name, r.rows[0].bar.FillColor, want)
		}
	}
}

func TestBarListEllipsize(t *testing.T) {
	test.NewTempApp(t)
	size := theme.TextSize()
	if got := ellipsize("sshd", 200, size, fyne.TextStyle{}); got != "sshd" {
		t.Errorf("short name changed to %q", got)
	}
	long := strings.Repeat("nginx-", 20)
	got := ellipsize(long, 100, size, fyne.TextStyle{})
	if !strings.HasSuffix(got, "…") || fyne.MeasureText(got, size, fyne.TextStyle{}).Width > 100 {
		t.Errorf("ellipsize = %q (%v wide)", got, fyne.MeasureText(got, size, fyne.TextStyle{}).Width)
	}
	if formatShare(1, 3) != "33.3%" || formatShare(1, 5000) != "<0.1%" || formatShare(0, 0) != "0%" {
		t.Errorf("formatShare: %q %q %q", formatShare(1, 3), formatShare(1, 5000), formatShare(0, 0))
	}
}
