package ui

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/jailconf"
)

// Small widgets and text helpers of the jail detail panel.

func heading(text string) fyne.CanvasObject {
	l := widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	return container.NewVBox(widget.NewSeparator(), l)
}

func wrapped() *widget.Label {
	l := widget.NewLabel("")
	l.Wrapping = fyne.TextWrapWord
	return l
}

// messageLabel is a hidden label for a result or an error (see tell).
func messageLabel() *widget.Label {
	l := wrapped()
	l.Hide()
	return l
}

// readOnly is a label the user can select and copy from.
func readOnly(mono bool) *widget.Label {
	l := widget.NewLabel("")
	l.Selectable = true
	l.Wrapping = fyne.TextWrapBreak
	l.TextStyle.Monospace = mono
	return l
}

// tell shows text in a message label with the given importance; empty
// text hides it.
func tell(l *widget.Label, text string, imp widget.Importance) {
	l.Importance = imp
	l.SetText(text)
	if text == "" {
		l.Hide()
	} else {
		l.Show()
	}
}

func tellErr(l *widget.Label, err error) { tell(l, core.ErrorMessage(err), widget.DangerImportance) }

// detailField is one editable setting: its entry, what the server holds
// now, an Apply button and the message under it.
type detailField struct {
	entry *widget.Entry
	now   *widget.Label
	apply *widget.Button
	msg   *widget.Label
	box   fyne.CanvasObject
	shown string // the value last put into entry
}

func newDetailField(placeholder string, onApply func()) *detailField {
	f := &detailField{entry: widget.NewEntry(), now: widget.NewLabel(""), msg: messageLabel()}
	f.entry.SetPlaceHolder(placeholder)
	f.entry.OnSubmitted = func(string) { onApply() }
	f.apply = widget.NewButton("Apply", onApply)
	// A fixed-width entry keeps the entries and buttons of the rows aligned.
	entry := container.NewGridWrap(fyne.NewSize(260, f.entry.MinSize().Height), f.entry)
	f.box = container.NewVBox(container.NewHBox(entry, f.apply, f.now), f.msg)
	return f
}

// set shows the server's value; the entry follows unless the user has
// typed something else into it.
func (f *detailField) set(value, now string) {
	if f.entry.Text == f.shown {
		f.entry.SetText(value)
	}
	f.shown = value
	f.now.SetText("now " + now)
}

func (f *detailField) reset() {
	f.shown = ""
	f.entry.SetText("")
	f.now.SetText("")
	tell(f.msg, "", widget.MediumImportance)
}

func (f *detailField) fail(err error) { tellErr(f.msg, err) }

func enableIf(on bool, ws ...fyne.Disableable) {
	for _, w := range ws {
		if on {
			w.Enable()
		} else {
			w.Disable()
		}
	}
}

// ignoreRow is one ignoreip entry with its remove button.
type ignoreRow struct {
	entry  string
	remove *widget.Button
	box    fyne.CanvasObject
}

// settingsText lists settings as "bantime = 600 · maxretry = 5", in
// jailconf.Keys order.
func settingsText(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	rank := func(k string) int {
		for i, key := range jailconf.Keys {
			if key == k {
				return i
			}
		}
		return len(jailconf.Keys)
	}
	sort.Slice(keys, func(i, j int) bool {
		if rank(keys[i]) != rank(keys[j]) {
			return rank(keys[i]) < rank(keys[j])
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + " = " + m[k]
	}
	return strings.Join(parts, " · ")
}

func lines(list []string, none string) string {
	if len(list) == 0 {
		return none
	}
	return strings.Join(list, "\n")
}

func datePatternText(d core.DatePattern) string {
	switch {
	case d.Pattern == "" && d.Name == "":
		return "default (fail2ban detects the date format)"
	case d.Name == "" || d.Name == d.Pattern:
		return d.Pattern
	}
	return d.Pattern + "\n" + d.Name
}

// secondsText is a time value as fail2ban's files write it: whole seconds,
// or -1 for forever.
func secondsText(d time.Duration) string {
	if d < 0 {
		return "-1"
	}
	return strconv.FormatInt(int64(d/time.Second), 10)
}

// formatTimeValue renders a fail2ban time with a readable form:
// "600 (10m)", "5400 (1h30m)", "-1 (forever)".
func formatTimeValue(d time.Duration) string {
	if d < 0 {
		return "-1 (forever)"
	}
	return fmt.Sprintf("%d (%s)", int64(d/time.Second), core.FormatDuration(d))
}
