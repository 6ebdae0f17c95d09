package ui

import (
	"image/color"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// column describes one column of a dataTable. width is the column's
// minimum; spare width is shared out in proportion.
type column[T any] struct {
	title string
	width float32
	fixed bool // keeps its width when the table must shrink (times, counters)
	// hidden columns take no width (setHidden).
	align  fyne.TextAlign
	text   func(T) string
	hidden bool
}

// dataTable is a table over a plain slice with a header row, whole-row
// selection and zebra stripes, whose columns stretch to fill the width.
// Rows are replaced with set, which redraws in place: no flicker, no
// rebuild.
type dataTable[T any] struct {
	widget.BaseWidget
	table *widget.Table // d.keys.Table
	keys  *keyTable     // what the canvas holds and focuses
	cols  []column[T]
	rows  []T
	sel   int // selected row, -1 for none

	widths []float32 // current column widths, as last set

	// onSelected is called with the row a user (or select) picks.
	onSelected func(row int)
	// onHeader, when set, makes the headers tappable (to sort).
	onHeader func(col int)
	// marked, when set, highlights the rows it accepts (multi-select).
	marked func(T) bool
	// arrows shows a sort arrow on a header: col and direction.
	sortCol  int
	sortDesc bool

	// source, when set, replaces rows: a virtual table over more rows
	// than memory should hold, fetched on demand (the history).
	source rowSource[T]
}

// rowSource gives a virtual dataTable its rows: how many there are, and
// the row at i when it is loaded (false: not yet; the cell shows a
// placeholder until the source loads it and refreshes the table).
type rowSource[T any] interface {
	length() int
	at(i int) (T, bool)
}

// length returns the number of rows.
func (d *dataTable[T]) length() int {
	if d.source != nil {
		return d.source.length()
	}
	return len(d.rows)
}

// headerCell is a header label that can be tapped.
type headerCell struct {
	widget.Label
	onTapped func()
}

func newHeaderCell() *headerCell {
	h := &headerCell{}
	h.TextStyle = fyne.TextStyle{Bold: true}
	h.ExtendBaseWidget(h)
	return h
}

// Tapped runs the header's action.
func (h *headerCell) Tapped(*fyne.PointEvent) {
	if h.onTapped != nil {
		h.onTapped()
	}
}

// tableCell is a cell template: a background for stripes and selection,
// and the text.
type tableCell struct {
	widget.BaseWidget
	bg    *canvas.Rectangle
	label *widget.Label
}

func newTableCell() *tableCell {
	c := &tableCell{bg: canvas.NewRectangle(color.Transparent), label: widget.NewLabel("")}
	c.label.Truncation = fyne.TextTruncateClip
	c.ExtendBaseWidget(c)
	return c
}

func (c *tableCell) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(container.New(bleedLayout{}, c.bg, c.label))
}

// bleedLayout stretches the first object (the background) over half the
// table's cell spacing on every side, so the backgrounds of neighbouring
// cells meet and a row reads as one band; the rest fill the cell.
type bleedLayout struct{}

func (bleedLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	for _, o := range objs[1:] {
		s = s.Max(o.MinSize())
	}
	return s
}

func (bleedLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	half := theme.Padding()/2 + 0.5 // the extra half pixel hides rounding seams
	objs[0].Move(fyne.NewPos(-half, -half))
	objs[0].Resize(size.AddWidthHeight(2*half, 2*half))
	for _, o := range objs[1:] {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}

func newDataTable[T any](cols []column[T]) *dataTable[T] {
	d := &dataTable[T]{cols: cols, sel: -1, sortCol: -1}
	d.keys = &keyTable{}
	d.keys.Length = func() (int, int) { return d.length(), len(d.cols) }
	d.keys.CreateCell = func() fyne.CanvasObject { return newTableCell() }
	d.keys.UpdateCell = d.updateCell
	d.keys.ExtendBaseWidget(d.keys) // focus and keys reach keyTable
	d.table = &d.keys.Table
	d.table.ShowHeaderRow = true
	d.table.ShowHeaderColumn = false
	d.table.HideSeparators = true
	d.table.CreateHeader = func() fyne.CanvasObject { return newHeaderCell() }
	d.table.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		h := o.(*headerCell)
		if id.Col < 0 || id.Col >= len(d.cols) {
			return
		}
		h.Alignment = d.cols[id.Col].align
		title := d.cols[id.Col].title
		if d.onHeader != nil && id.Col == d.sortCol {
			if d.sortDesc {
				title += " ▼"
			} else {
				title += " ▲"
			}
		}
		if d.cols[id.Col].hidden {
			title = ""
		}
		h.SetText(title)
		col := id.Col
		h.onTapped = func() {
			if d.onHeader != nil {
				d.onHeader(col)
			}
		}
	}
	// The table's own highlight marks one cell; the row highlight is ours.
	d.table.OnSelected = func(id widget.TableCellID) {
		d.table.UnselectAll()
		d.selectRow(id.Row)
	}
	d.widths = make([]float32, len(cols))
	for i, c := range cols {
		d.table.SetColumnWidth(i, c.width)
		d.widths[i] = c.width
	}
	d.ExtendBaseWidget(d)
	return d
}

func (d *dataTable[T]) updateCell(id widget.TableCellID, o fyne.CanvasObject) {
	c := o.(*tableCell)
	if id.Row < 0 || id.Row >= d.length() || id.Col >= len(d.cols) {
		c.label.SetText("")
		return
	}
	col := d.cols[id.Col]
	c.label.Alignment = col.align
	r, loaded := d.row(id.Row)
	text := "…"
	switch {
	case loaded:
		text = col.text(r)
	case id.Col > 0:
		text = ""
	}
	if col.hidden {
		text = "" // a label is not clipped to a zero-width cell
	}
	// Fyne 2.7 re-shapes the text of an ellipsis label on every update,
	// fitting or not (two thirds of scrolling time with 50,000 rows, see
	// docs/PERFORMANCE.md); so only text that may not fit gets the
	// ellipsis, judged by a generous width per character.
	trunc := fyne.TextTruncateClip
	if id.Col < len(d.widths) && float32(utf8.RuneCountInString(text))*theme.TextSize()*0.62+2*theme.InnerPadding() > d.widths[id.Col] {
		trunc = fyne.TextTruncateEllipsis
	}
	if c.label.Truncation != trunc {
		c.label.Truncation = trunc
	}
	c.label.SetText(text)
	switch {
	case id.Row == d.sel || (loaded && d.marked != nil && d.marked(r)):
		c.bg.FillColor = theme.Color(theme.ColorNameSelection)
	case id.Row%2 == 1:
		c.bg.FillColor = theme.Color(theme.ColorNameInputBackground)
	default:
		c.bg.FillColor = color.Transparent
	}
	c.bg.Refresh()
}

func (d *dataTable[T]) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(d.keys)
}

// Resize stretches the columns over the new width. When the width is
// short, the columns that are not fixed give up space first (down to 60%),
// then all shrink alike; cells truncate with an ellipsis.
func (d *dataTable[T]) Resize(s fyne.Size) {
	var base, flex float32
	shown := 0
	for _, c := range d.cols {
		if c.hidden {
			continue
		}
		shown++
		base += c.width
		if !c.fixed {
			flex += c.width
		}
	}
	// The table puts one padding between cells; leave room for it and for
	// the scroll bar, so stretching never adds a horizontal scroll bar.
	// (The table pads hidden columns too.)
	avail := s.Width - theme.ScrollBarSize() - theme.Padding()*float32(len(d.cols)+1)
	all, flexScale := float32(1), float32(1)
	switch {
	case base <= 0:
	case avail >= base:
		all = avail / base
	case flex > 0 && avail-(base-flex) >= 0.6*flex:
		flexScale = (avail - (base - flex)) / flex
	default:
		flexScale = 0.6
		all = max(avail/(base-flex+0.6*flex), 0.6)
	}
	for i, c := range d.cols {
		w := c.width * all
		if !c.fixed {
			w *= flexScale
		}
		if c.hidden {
			w = 0
		}
		d.table.SetColumnWidth(i, w)
		d.widths[i] = w
	}
	d.BaseWidget.Resize(s)
}

// setHidden shows or hides column col and lays the columns out again.
func (d *dataTable[T]) setHidden(col int, hidden bool) {
	if d.cols[col].hidden == hidden {
		return
	}
	d.cols[col].hidden = hidden
	if sz := d.Size(); sz.Width > 0 {
		d.Resize(sz)
	}
	d.table.Refresh()
}

// set replaces the rows and redraws the visible cells.
func (d *dataTable[T]) set(rows []T) {
	d.rows = rows
	if d.sel >= len(rows) {
		d.sel = -1
	}
	d.table.Refresh()
}

// selectRow highlights row i and tells onSelected.
func (d *dataTable[T]) selectRow(i int) {
	if i < 0 || i >= d.length() {
		return
	}
	d.sel = i
	d.table.Refresh()
	if d.onSelected != nil {
		d.onSelected(i)
	}
}

// unselect clears the highlight.
func (d *dataTable[T]) unselect() {
	d.sel = -1
	d.table.Refresh()
}

// row returns the row at i, if any.
func (d *dataTable[T]) row(i int) (T, bool) {
	var zero T
	if d.source != nil {
		return d.source.at(i)
	}
	if i < 0 || i >= len(d.rows) {
		return zero, false
	}
	return d.rows[i], true
}

// cellText returns the text of a cell as shown, for tests.
func (d *dataTable[T]) cellText(row, col int) string {
	r, ok := d.row(row)
	if !ok || col < 0 || col >= len(d.cols) {
		return ""
	}
	return d.cols[col].text(r)
}

// keyTable is a widget.Table that offers the keys it does not use (Delete,
// F5) to onKey first: a clicked table holds the keyboard focus, and
// Fyne's Table ignores those keys.
type keyTable struct {
	widget.Table
	onKey func(*fyne.KeyEvent) bool
}

func (t *keyTable) TypedKey(ev *fyne.KeyEvent) {
	if t.onKey != nil && t.onKey(ev) {
		return
	}
	t.Table.TypedKey(ev)
}
