package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// column describes one column of a dataTable.
type column[T any] struct {
	title string
	width float32
	align fyne.TextAlign
	text  func(T) string
}

// dataTable is a widget.Table over a plain slice with a header row. Rows
// are replaced with set, which refreshes in place: no flicker, no rebuild.
type dataTable[T any] struct {
	*widget.Table
	cols []column[T]
	rows []T
}

func newDataTable[T any](cols []column[T]) *dataTable[T] {
	d := &dataTable[T]{cols: cols}
	d.Table = widget.NewTableWithHeaders(
		func() (int, int) { return len(d.rows), len(d.cols) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(id widget.TableCellID, o fyne.CanvasObject) {
			l := o.(*widget.Label)
			if id.Row < 0 || id.Row >= len(d.rows) || id.Col >= len(d.cols) {
				l.SetText("")
				return
			}
			c := d.cols[id.Col]
			l.Alignment = c.align
			l.SetText(c.text(d.rows[id.Row]))
		})
	d.ShowHeaderColumn = false
	d.CreateHeader = func() fyne.CanvasObject {
		l := widget.NewLabel("")
		l.TextStyle = fyne.TextStyle{Bold: true}
		return l
	}
	d.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		l := o.(*widget.Label)
		if id.Col >= 0 && id.Col < len(d.cols) {
			l.Alignment = d.cols[id.Col].align
			l.SetText(d.cols[id.Col].title)
		}
	}
	for i, c := range cols {
		d.SetColumnWidth(i, c.width)
	}
	return d
}

// set replaces the rows and redraws the visible cells.
func (d *dataTable[T]) set(rows []T) {
	d.rows = rows
	d.Refresh()
}

// row returns the row at i, if any.
func (d *dataTable[T]) row(i int) (T, bool) {
	var zero T
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
