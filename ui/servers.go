package ui

import (
	"fmt"
	"image/color"
	"slices"
	"sort"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/bangui/bangui/core"
)

// Orders of the server list.
const (
	sortByName   = "Name"
	sortByGroup  = "Group"
	sortByStatus = "Status"
)

// serverEntry is one row of the server list: a group heading or a server.
type serverEntry struct {
	heading string // a group's name when this row heads a group
	server  core.Server
}

// serversView is the list of servers at the side of the window, each with
// a status dot and a one-line summary of its last refresh; sorted by name,
// by group (with a heading per group) or by status (offline first).
type serversView struct {
	list     *widget.List
	servers  []core.Server
	entries  []serverEntry // servers in display order, with headings
	states   map[int64]serverState
	onSelect func(core.Server)
	sortSel  *widget.Select
	root     fyne.CanvasObject
	selected int64 // the selected server's ID; 0: none
	// note stands in for the list while it is empty: looking for servers,
	// none yet (and how to add one), or why the list cannot be read.
	note *widget.Label

	// Managing SSH servers (hidden without them).
	addB, editB, removeB *widget.Button
	buttons              *fyne.Container
	onAdd                func()
	onEdit, onRemove     func(core.Server)
}

func newServersView(onSelect func(core.Server)) *serversView {
	v := &serversView{states: map[int64]serverState{}, onSelect: onSelect}
	v.list = widget.NewList(
		func() int { return len(v.entries) },
		func() fyne.CanvasObject { return newServerRow() },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			if i < len(v.entries) {
				e := v.entries[i]
				o.(*serverRow).set(e, v.states[e.server.ID])
			}
		})
	v.list.OnSelected = func(i widget.ListItemID) {
		if i >= len(v.entries) {
			return
		}
		e := v.entries[i]
		if e.heading != "" { // headings are not servers: keep the last choice
			v.list.Unselect(i)
			v.reselect()
			return
		}
		if e.server.ID == v.selected {
			return
		}
		v.selected = e.server.ID
		v.updateButtons()
		if v.onSelect != nil {
			v.onSelect(e.server)
		}
	}
	head := widget.NewLabelWithStyle("Servers", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.sortSel = widget.NewSelect([]string{sortByName, sortByGroup, sortByStatus}, func(string) { v.arrange() })
	v.sortSel.SetSelected(sortByGroup)
	v.addB = widget.NewButtonWithIcon("Add…", theme.ContentAddIcon(), func() {
		if v.onAdd != nil {
			v.onAdd()
		}
	})
	v.editB = widget.NewButtonWithIcon("", theme.DocumentCreateIcon(), func() {
		if s, ok := v.current(); ok && v.onEdit != nil {
			v.onEdit(s)
		}
	})
	v.removeB = widget.NewButtonWithIcon("", theme.DeleteIcon(), func() {
		if s, ok := v.current(); ok && v.onRemove != nil {
			v.onRemove(s)
		}
	})
	v.buttons = container.NewHBox(v.addB, v.editB, v.removeB)
	v.buttons.Hide()
	top := container.NewBorder(nil, nil, head, v.sortSel)
	v.note = widget.NewLabel("Looking for fail2ban servers…")
	v.note.Wrapping = fyne.TextWrapWord
	v.root = container.NewBorder(top, v.buttons, nil, nil, container.NewStack(v.list, container.NewVBox(v.note)))
	v.updateButtons()
	return v
}

// manage shows the add, edit and remove buttons.
func (v *serversView) manage(add func(), edit, remove func(core.Server)) {
	v.onAdd, v.onEdit, v.onRemove = add, edit, remove
	v.buttons.Show()
}

// current returns the selected server.
func (v *serversView) current() (core.Server, bool) {
	for _, s := range v.servers {
		if s.ID == v.selected && s.ID != 0 {
			return s, true
		}
	}
	return core.Server{}, false
}

// groups returns the group names in use, sorted.
func (v *serversView) groups() []string { return serverGroups(v.servers) }

// serverGroups returns the group names of list, sorted, without "".
func serverGroups(list []core.Server) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range list {
		if s.Group != "" && !seen[s.Group] {
			seen[s.Group] = true
			out = append(out, s.Group)
		}
	}
	sort.Strings(out)
	return out
}

// updateButtons enables edit and remove for a selected SSH server (this
// machine's own server is found automatically).
func (v *serversView) updateButtons() {
	s, ok := v.current()
	if ok && s.Kind == core.ServerSSH {
		v.editB.Enable()
		v.removeB.Enable()
	} else {
		v.editB.Disable()
		v.removeB.Disable()
	}
}

// loadFailed says why the server list cannot be read, in place of it.
func (v *serversView) loadFailed(err error) {
	v.note.Importance = widget.DangerImportance
	v.note.SetText("Cannot read the server list: " + core.ErrorMessage(err))
	v.note.Show()
}

// setServers replaces the list, keeps the selected server when it is
// still there, and selects the first server otherwise.
func (v *serversView) setServers(list []core.Server) {
	v.servers = list
	v.note.Importance = widget.MediumImportance
	if len(list) == 0 {
		v.note.SetText(noServerTitle + ". " + noServerMessage)
		v.note.Show()
	} else {
		v.note.Hide()
	}
	keep := false
	for _, s := range list {
		keep = keep || s.ID == v.selected
	}
	if !keep {
		v.selected = 0
	}
	v.arrange()
	if v.selected == 0 {
		for i, e := range v.entries {
			if e.heading == "" {
				v.list.Select(i)
				break
			}
		}
	} else if s, ok := v.current(); ok && v.onSelect != nil {
		v.onSelect(s) // the server may have been edited
	}
}

// arrange orders the entries by the chosen sort and keeps the selection.
func (v *serversView) arrange() {
	list := slices.Clone(v.servers)
	by := v.sortSel.Selected
	down := func(s core.Server) int { // offline first, then unknown, then online
		st := v.states[s.ID]
		switch {
		case st.At.IsZero():
			return 1
		case !st.Online:
			return 0
		}
		return 2
	}
	sort.SliceStable(list, func(i, j int) bool {
		a, b := list[i], list[j]
		switch by {
		case sortByGroup:
			if a.Group != b.Group {
				return a.Group != "" && (b.Group == "" || a.Group < b.Group) // ungrouped last
			}
		case sortByStatus:
			if da, db := down(a), down(b); da != db {
				return da < db
			}
		}
		return strings.ToLower(a.Name) < strings.ToLower(b.Name)
	})
	rowH := newServerRow().MinSize().Height
	for i, e := range v.entries { // back to the row height before re-ordering
		if e.heading != "" {
			v.list.SetItemHeight(i, rowH)
		}
	}
	v.entries = v.entries[:0]
	grouped := by == sortByGroup && len(serverGroups(list)) > 0
	last := "\x00"
	for _, s := range list {
		if grouped && s.Group != last {
			h := s.Group
			if h == "" {
				h = "No group"
			}
			v.entries = append(v.entries, serverEntry{heading: h})
			last = s.Group
		}
		v.entries = append(v.entries, serverEntry{server: s})
	}
	// Headings are one short line; servers two.
	headH := widget.NewLabel("x").MinSize().Height
	for i, e := range v.entries {
		if e.heading != "" {
			v.list.SetItemHeight(i, headH)
		}
	}
	v.list.Refresh()
	v.reselect()
}

// selectID selects the server id, as if the user clicked it.
func (v *serversView) selectID(id int64) {
	for i, e := range v.entries {
		if e.heading == "" && e.server.ID == id {
			v.list.Select(i)
			return
		}
	}
}

// reselect highlights the selected server's row without running onSelect.
func (v *serversView) reselect() {
	for i, e := range v.entries {
		if e.heading == "" && e.server.ID == v.selected && v.selected != 0 {
			f := v.list.OnSelected
			v.list.OnSelected = nil
			v.list.Select(i)
			v.list.OnSelected = f
			return
		}
	}
}

// setState records what the last refresh learned about s. A server that
// goes offline keeps the time it was first seen offline.
func (v *serversView) setState(s core.Server, st serverState) {
	prev, had := v.states[s.ID]
	switch {
	case st.Online:
		st.Since = time.Time{}
	case had && !prev.Online && !prev.Since.IsZero():
		st.Since = prev.Since
	case st.Since.IsZero():
		st.Since = st.At
	}
	if st.LastSync.IsZero() {
		st.LastSync = prev.LastSync
	}
	v.states[s.ID] = st
	for i, e := range v.entries {
		if e.heading == "" && e.server.ID == s.ID {
			v.list.RefreshItem(i)
		}
	}
}

// setSynced records when s's history was last copied.
func (v *serversView) setSynced(id int64, at time.Time) {
	st := v.states[id]
	if st.LastSync.Equal(at) {
		return
	}
	st.LastSync = at
	v.states[id] = st
	for i, e := range v.entries {
		if e.heading == "" && e.server.ID == id {
			v.list.RefreshItem(i)
		}
	}
}

// serverRow is one entry of the server list.
type serverRow struct {
	widget.BaseWidget
	dot     *canvas.Circle
	name    *widget.Label
	detail  *widget.Label
	heading *widget.Label
	body    *fyne.Container
}

func newServerRow() *serverRow {
	r := &serverRow{
		dot:     canvas.NewCircle(theme.Color(theme.ColorNameDisabled)),
		name:    widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		detail:  widget.NewLabel(""),
		heading: widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true, Italic: true}),
	}
	r.heading.Importance = widget.LowImportance
	r.detail.SizeName = theme.SizeNameCaptionText
	r.detail.Truncation = fyne.TextTruncateEllipsis
	r.name.Truncation = fyne.TextTruncateEllipsis
	r.ExtendBaseWidget(r)
	return r
}

func (r *serverRow) CreateRenderer() fyne.WidgetRenderer {
	// The dot sits level with the name, inset from the edge.
	nameH := r.name.MinSize().Height
	dot := container.NewVBox(container.NewGridWrap(fyne.NewSize(18, nameH),
		container.NewCenter(container.NewGridWrap(fyne.NewSize(10, 10), r.dot))))
	text := container.New(&tightVBox{}, r.name, r.detail)
	r.body = container.NewBorder(nil, nil, dot, nil, text)
	r.heading.Hide()
	return widget.NewSimpleRenderer(container.NewStack(r.body, r.heading))
}

func (r *serverRow) set(e serverEntry, st serverState) {
	if r.body == nil {
		r.CreateRenderer() // never shown yet (tests)
	}
	if e.heading != "" {
		r.heading.SetText(e.heading)
		r.heading.Show()
		r.body.Hide()
		return
	}
	r.heading.Hide()
	r.body.Show()
	s := e.server
	r.name.SetText(s.Name)
	r.detail.SetText(serverDetail(st))
	var c color.Color
	switch {
	case st.At.IsZero():
		c = theme.Color(theme.ColorNameDisabled)
	case st.Online:
		c = theme.Color(theme.ColorNameSuccess)
	default:
		c = theme.Color(theme.ColorNameError)
	}
	r.dot.FillColor = c
	r.dot.Refresh()
}

// serverDetail is a server row's second line: version, jails and bans, or
// how long it has been offline, and when its history was last copied.
func serverDetail(st serverState) string {
	var line string
	switch {
	case st.At.IsZero():
		line = "connecting…"
	case st.Online:
		line = fmt.Sprintf("fail2ban %s · %s · %s banned", st.Version, plural(st.Jails, "jail", "jails"), formatCount(st.Banned))
	default:
		since := st.Since
		if since.IsZero() {
			since = st.At
		}
		line = "offline since " + formatSince(since, st.At)
	}
	if !st.LastSync.IsZero() {
		line += " · synced " + formatSince(st.LastSync, time.Now())
	}
	return line
}

// formatSince is a clock time today, else a date and time.
func formatSince(t, now time.Time) string {
	y1, m1, d1 := t.Date()
	y2, m2, d2 := now.Date()
	if y1 == y2 && m1 == m2 && d1 == d2 {
		return t.Format("15:04")
	}
	return t.Format("Jan 2 15:04")
}

// tightVBox stacks objects vertically with no padding, so a name and its
// caption read as one entry.
type tightVBox struct{}

func (tightVBox) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	for _, o := range objs {
		m := o.MinSize()
		s.Width = max(s.Width, m.Width)
		s.Height += m.Height
	}
	return s.SubtractWidthHeight(0, theme.Padding()*float32(len(objs)-1)*2)
}

func (tightVBox) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	y := float32(0)
	for i, o := range objs {
		h := o.MinSize().Height
		if i > 0 {
			y -= theme.Padding() * 2
		}
		o.Move(fyne.NewPos(0, y))
		o.Resize(fyne.NewSize(size.Width, h))
		y += h
	}
}
