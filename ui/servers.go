package ui

import (
	"fmt"
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/bangui/bangui/core"
)

// serversView is the list of servers at the side of the window, each with
// a status dot and a one-line summary of its last refresh.
type serversView struct {
	list     *widget.List
	servers  []core.Server
	states   map[int64]serverState
	onSelect func(core.Server)
	root     fyne.CanvasObject
	selected int // -1: none

	// Managing SSH servers (hidden without them).
	addB, editB, removeB *widget.Button
	buttons              *fyne.Container
	onAdd                func()
	onEdit, onRemove     func(core.Server)
}

func newServersView(onSelect func(core.Server)) *serversView {
	v := &serversView{states: map[int64]serverState{}, onSelect: onSelect, selected: -1}
	v.list = widget.NewList(
		func() int { return len(v.servers) },
		func() fyne.CanvasObject { return newServerRow() },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			if i < len(v.servers) {
				s := v.servers[i]
				o.(*serverRow).set(s, v.states[s.ID])
			}
		})
	v.list.OnSelected = func(i widget.ListItemID) {
		v.selected = i
		v.updateButtons()
		if i < len(v.servers) && v.onSelect != nil {
			v.onSelect(v.servers[i])
		}
	}
	head := widget.NewLabelWithStyle("Servers", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
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
	v.root = container.NewBorder(head, v.buttons, nil, nil, v.list)
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
	if v.selected < 0 || v.selected >= len(v.servers) {
		return core.Server{}, false
	}
	return v.servers[v.selected], true
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

// setServers replaces the list and selects the first server when nothing
// is selected yet.
func (v *serversView) setServers(list []core.Server) {
	v.servers = list
	v.list.Refresh()
	if len(list) > 0 {
		v.list.Select(0)
	}
}

// setState records what the last refresh learned about s.
func (v *serversView) setState(s core.Server, st serverState) {
	v.states[s.ID] = st
	for i, x := range v.servers {
		if x.ID == s.ID {
			v.list.RefreshItem(i)
		}
	}
}

// serverRow is one entry of the server list.
type serverRow struct {
	widget.BaseWidget
	dot    *canvas.Circle
	name   *widget.Label
	detail *widget.Label
}

func newServerRow() *serverRow {
	r := &serverRow{
		dot:    canvas.NewCircle(theme.Color(theme.ColorNameDisabled)),
		name:   widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		detail: widget.NewLabel(""),
	}
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
	return widget.NewSimpleRenderer(container.NewBorder(nil, nil, dot, nil, text))
}

func (r *serverRow) set(s core.Server, st serverState) {
	r.name.SetText(s.Name)
	var c color.Color
	switch {
	case st.At.IsZero():
		c = theme.Color(theme.ColorNameDisabled)
		r.detail.SetText("connecting…")
	case st.Online:
		c = theme.Color(theme.ColorNameSuccess)
		r.detail.SetText(fmt.Sprintf("fail2ban %s · %s · %s banned", st.Version, plural(st.Jails, "jail", "jails"), formatCount(st.Banned)))
	default:
		c = theme.Color(theme.ColorNameError)
		r.detail.SetText("offline since " + st.At.Format("15:04:05"))
	}
	r.dot.FillColor = c
	r.dot.Refresh()
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
