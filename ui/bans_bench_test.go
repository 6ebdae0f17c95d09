package ui

// Benchmarks of the bans view with 50,000 bans (issue 3): the render half
// of "first rows within 1 s of selecting the jail" (the fetch half is
// BenchmarkAllBans50000 in core/f2b), filtering and scrolling. They only
// run with -bench; scripts/bench.sh runs them (groups ui-apply, ui-filter,
// ui-scroll) and docs/PERFORMANCE.md reports them.
//
// The view runs in Fyne's test app, in a 1100x700 test window, over a
// fakeSource that returns the bans at once. The test driver runs the same
// widget code as the desktop driver (sorting, filtering, table layout and
// binding of the visible cells) but paints nothing: the OpenGL frame that
// follows is not measured. Nothing here checks how long anything took.

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/bangui/bangui/core"
)

const benchBansN = 50000

// benchBans returns n bans in one jail as the server lists them: by end of
// ban, one second apart, ending within the next day. The addresses are
// those of BenchmarkAllBans50000, 2001:db8:50:H::L (H from 1, L from 1 to
// 0x100), in an order unrelated to the times.
func benchBans(n int) []core.Ban {
	bans := make([]core.Ban, n)
	for i := range bans {
		k := i * 7919 % n // 7919 is prime and does not divide 50,000
		start := testNow.Add(-time.Duration(n-i) * time.Second)
		bans[i] = core.Ban{
			Jail:    "app1",
			IP:      fmt.Sprintf("2001:db8:50:%x::%x", 1+k/256, 1+k%256),
			Start:   start,
			BanTime: 24 * time.Hour,
			End:     start.Add(24 * time.Hour),
		}
	}
	return bans
}

// benchView is a bans view in a test window, switched to a server whose
// source returns bans, with nothing fetched yet. cells counts the table
// cells bound (UpdateCell calls), maxRow is the last row bound so far.
type benchView struct {
	*bansView
	w      fyne.Window
	src    *fakeSource
	srv    core.Server
	cells  int
	maxRow int
}

func newBenchView(b *testing.B, bans []core.Ban) *benchView {
	b.Helper()
	test.NewTempApp(b)
	w := test.NewTempWindow(b, nil)
	v := newBansView(w, 0)
	w.SetContent(v.root)
	w.Resize(fyne.NewSize(1100, 700))
	v.spawn = func(func()) {} // no background fetch: the benchmarks call update
	v.now = func() time.Time { return testNow }
	bv := &benchView{bansView: v, w: w, srv: core.Server{ID: 1, Name: "web1"}}
	bv.src = &fakeSource{
		jails:   func() ([]string, error) { return []string{"app1", "app2"}, nil },
		allBans: func() ([]core.Ban, error) { return bans, nil },
	}
	bind := v.table.table.UpdateCell
	v.table.table.UpdateCell = func(id widget.TableCellID, o fyne.CanvasObject) {
		bv.cells++
		bv.maxRow = max(bv.maxRow, id.Row)
		bind(id, o)
	}
	v.setServer(bv.srv, bv.src, nil)
	b.Cleanup(v.stop)
	return bv
}

// loaded fetches and shows the bans, and checks that all are listed and
// that the table bound visible cells.
func (v *benchView) loaded(b *testing.B) {
	b.Helper()
	v.cells = 0
	v.update(context.Background())
	if len(v.table.rows) != benchBansN || v.cells == 0 {
		b.Fatalf("after update: %d rows, %d cells bound; want %d rows and some cells", len(v.table.rows), v.cells, benchBansN)
	}
}

// BenchmarkBansViewApply50000 measures the view's update with 50,000 bans
// right after the server was selected (setServer, outside the timer, leaves
// an empty table): jail list, selection bookkeeping, sort by end, the
// count, and the table's refresh of its visible cells. This is what runs
// on the UI goroutine once the fetch has returned.
func BenchmarkBansViewApply50000(b *testing.B) {
	v := newBenchView(b, benchBans(benchBansN))
	v.loaded(b) // warm-up: creates the visible cells once
	ctx := context.Background()
	b.ReportAllocs()
	var cells int
	for b.Loop() {
		b.StopTimer()
		v.setServer(v.srv, v.src, nil)
		v.cells = 0
		b.StartTimer()
		v.update(ctx)
		cells += v.cells
	}
	if n := formatCount(benchBansN); len(v.table.rows) != benchBansN || v.count.Text != n+" of "+n+" · 0 selected" {
		b.Fatalf("shown %d rows, count %q", len(v.table.rows), v.count.Text)
	}
	reportViewMs(b)
	b.ReportMetric(float64(cells)/float64(b.N), "cells/op")
}

// BenchmarkBansViewFilter50000 measures typing a filter over 50,000 bans:
// one SetText on the filter entry, which filters, sorts the matches and
// refreshes the table before it returns. Before each op, outside the
// timer, the filter is cleared (all 50,000 shown). narrow is an IP prefix
// that keeps 4,352 rows; broad is the first keystroke of an address,
// which keeps all of them (every keystroke until the prefix narrows costs
// about this much).
func BenchmarkBansViewFilter50000(b *testing.B) {
	bans := benchBans(benchBansN)
	for _, c := range []struct{ name, query string }{
		{"narrow", "2001:db8:50:1"},
		{"broad", "2"},
	} {
		b.Run(c.name, func(b *testing.B) {
			want := len(core.FilterBans(bans, core.BanFilter{Query: c.query}))
			if want == 0 {
				b.Fatalf("%q matches nothing", c.query)
			}
			v := newBenchView(b, bans)
			v.loaded(b)
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				v.filter.SetText("")
				if len(v.table.rows) != benchBansN {
					b.Fatalf("cleared filter shows %d rows", len(v.table.rows))
				}
				b.StartTimer()
				v.filter.SetText(c.query)
			}
			if len(v.table.rows) != want {
				b.Fatalf("filter %q shows %d rows, want %d", c.query, len(v.table.rows), want)
			}
			reportViewMs(b)
			b.ReportMetric(float64(want), "rows")
		})
	}
}

// BenchmarkBansViewScroll50000 measures scrolling the table of 50,000
// bans, one op per scroll step, each step timed on its own: besides the
// mean (ns/op) it reports the median, the 99th percentile and the slowest
// step (a stall is a slow step), and the cells bound per step.
//
//   - wheel: one mouse-wheel notch (test.Scroll with 25 px, what the
//     desktop driver sends per notch on Linux), through the table's
//     scroller, which binds only the cells that come into view; in runs of
//     100 notches, each run starting (outside the timer) at the next of 20
//     offsets spread over the whole table.
//   - jump: Table.ScrollToOffset 37 visible heights further each step,
//     wrapping at the end, so that a few hundred steps cover the whole
//     table: no row stays in view and every visible cell is bound anew,
//     as after Page Down or a drag of the scroll bar.
func BenchmarkBansViewScroll50000(b *testing.B) {
	bans := benchBans(benchBansN)
	b.Run("wheel", func(b *testing.B) {
		v := newBenchView(b, bans)
		v.loaded(b)
		v.layout()
		total := v.contentHeight()
		at := fyne.CurrentApp().Driver().AbsolutePositionForObject(v.table).Add(fyne.NewPos(300, 120))
		c := v.w.Canvas()
		const run, starts = 100, 20
		var steps []time.Duration
		cells := 0
		var y, reach float32
		b.ReportAllocs()
		for b.Loop() {
			if len(steps)%run == 0 {
				b.StopTimer()
				y = total * float32(len(steps)/run%starts) / starts
				v.table.table.ScrollToOffset(fyne.NewPos(0, y))
				v.cells = 0
				b.StartTimer()
			}
			t0 := time.Now()
			test.Scroll(c, at, 0, -25)
			steps = append(steps, time.Since(t0))
			cells += v.cells
			v.cells = 0
			y += 25
			reach = max(reach, y)
		}
		v.scrolled(b, reach)
		reportSteps(b, steps, cells)
	})
	b.Run("jump", func(b *testing.B) {
		v := newBenchView(b, bans)
		v.loaded(b)
		v.layout()
		total := v.contentHeight()
		page := v.table.table.Size().Height - v.rowPitch() // the visible rows, minus the header
		var steps []time.Duration
		cells := 0
		var y, reach float32
		b.ReportAllocs()
		for b.Loop() {
			if y += 37 * page; y > total {
				y -= total
			}
			reach = max(reach, y)
			v.cells = 0
			t0 := time.Now()
			v.table.table.ScrollToOffset(fyne.NewPos(0, y))
			steps = append(steps, time.Since(t0))
			cells += v.cells
		}
		v.scrolled(b, reach)
		reportSteps(b, steps, cells)
	})
}

// layout lays the window out again, as the desktop driver does before it
// paints a frame: its EnsureMinSize re-lays out the parent of every object
// whose minimum size changed. The test canvas paints no frames, so without
// this the table's scroller keeps the size of the empty table and does not
// scroll. A resize to another size and back forces the same layout.
func (v *benchView) layout() {
	s := v.w.Canvas().Size()
	v.w.Resize(s.AddWidthHeight(0, 1))
	v.w.Resize(s)
}

// scrolled checks that the rows bound reached (nine tenths of) the
// furthest offset scrolled to, reach.
func (v *benchView) scrolled(b *testing.B, reach float32) {
	b.Helper()
	if want := int(reach / v.rowPitch() * 9 / 10); v.maxRow < want {
		b.Fatalf("scrolled to %.0f px but bound rows up to %d only, want %d: the table did not scroll", reach, v.maxRow, want)
	}
}

// rowPitch is the height of a table row plus the padding between rows.
func (v *benchView) rowPitch() float32 {
	return newTableCell().MinSize().Height + theme.Padding()
}

// contentHeight is the height of all rows, roughly (it only decides where
// the scroll benchmarks start over).
func (v *benchView) contentHeight() float32 {
	return float32(len(v.table.rows)) * v.rowPitch()
}

// reportViewMs reports the time per op in milliseconds.
func reportViewMs(b *testing.B) {
	if b.N > 0 {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ms/op")
	}
}

// reportSteps reports the median, 99th percentile and maximum of the step
// times in microseconds, and the cells bound per step.
func reportSteps(b *testing.B, steps []time.Duration, cells int) {
	if len(steps) == 0 {
		return
	}
	s := slices.Clone(steps)
	slices.Sort(s)
	us := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e3 }
	b.ReportMetric(us(s[len(s)/2]), "p50-us/step")
	b.ReportMetric(us(s[len(s)*99/100]), "p99-us/step")
	b.ReportMetric(us(s[len(s)-1]), "max-us/step")
	b.ReportMetric(float64(cells)/float64(len(steps)), "cells/step")
}
