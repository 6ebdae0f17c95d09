package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// Escape closes the topmost dialog the way its Cancel, Close or OK button
// would, so the dialog's callback and SetOnClosed run. Fyne 2.7 has no
// such key: the driver gives Escape to the focused widget, else to the
// canvas's OnTypedKey, and a shortcut needs a modifier. So installEscape
// owns the canvas's handler, and the text fields and buttons of our
// dialogs (dialogEntry, dialogSelectEntry, dialogButton) pass Escape on
// when they have the keyboard. Pop-up menus (menus, Select and
// SelectEntry lists) take the keyboard when shown and close on Escape by
// themselves.

// installEscape makes Escape, with nothing focused, close the topmost
// dialog of w. The canvas has one key handler: a handler set before this
// call is kept and gets the other keys, and Escape when no dialog took it.
// Call it once per window, after any SetOnTypedKey of its own (or use
// escapeKey in that handler instead).
func installEscape(w fyne.Window) {
	c := w.Canvas()
	prev := c.OnTypedKey()
	c.SetOnTypedKey(func(ev *fyne.KeyEvent) {
		if escapeKey(c, ev) {
			return
		}
		if prev != nil {
			prev(ev)
		}
	})
}

// escapeKey closes the topmost dialog of c when ev is Escape. It reports
// whether it used the key.
func escapeKey(c fyne.Canvas, ev *fyne.KeyEvent) bool {
	return ev.Name == fyne.KeyEscape && closeTopDialog(c)
}

// escapeFrom is Escape typed into o, a focused field or button of a
// dialog: o lets go of the keyboard and the dialog above all others
// closes. It reports whether o was on a canvas.
func escapeFrom(o fyne.CanvasObject) bool {
	c := fyne.CurrentApp().Driver().CanvasForObject(o)
	if c == nil {
		return false
	}
	c.Unfocus()
	closeTopDialog(c)
	return true
}

// closeTopDialog taps the dismiss button of the topmost dialog of c and
// reports whether it found one. The button is, in order:
//   - a dialogButton made by newEscapeButton, wherever it is in the dialog;
//   - in the button row of a Fyne dialog (dialog.NewConfirm, NewCustom,
//     NewForm, NewInformation, NewError and their Show… forms) its only
//     button, or else its only button of default importance (Fyne gives
//     the confirm button high or danger importance, the dismiss button
//     none);
//   - in other modal pop-ups (the file dialogs), a row of buttons with
//     one of default importance beside emphasized ones.
//
// Hidden and disabled buttons are never tapped; a dialog without a
// dismiss button (a progress dialog) stays open.
func closeTopDialog(c fyne.Canvas) bool {
	if c == nil {
		return false
	}
	p, ok := c.Overlays().Top().(*widget.PopUp)
	if !ok || p == nil || !p.Visible() {
		return false
	}
	b := dismissButton(p.Content)
	if b == nil || !tappable(b) {
		return false
	}
	b.Tapped(&fyne.PointEvent{})
	return true
}

// dismissButton finds the button that closes the dialog whose content is
// content (see closeTopDialog).
func dismissButton(content fyne.CanvasObject) *widget.Button {
	if b := markedEscape(content); b != nil {
		return b
	}
	if row, ok := fyneDialogButtons(content); ok {
		return pickDismiss(row, true) // not a guess among the content's buttons
	}
	return findButtonRow(content)
}

// fyneDialogButtons returns the button row of a dialog made by Fyne's
// dialog package: its content holds the icon, background, content,
// buttons and title, in that order.
func fyneDialogButtons(content fyne.CanvasObject) ([]*widget.Button, bool) {
	box, ok := content.(*fyne.Container)
	if !ok || len(box.Objects) != 5 {
		return nil, false
	}
	if _, ok := box.Objects[4].(*widget.Label); !ok {
		return nil, false
	}
	return buttonsIn(box.Objects[3]), true
}

// pickDismiss chooses the dismiss button of a row: the only button (when
// single is true), or the only one of default importance beside
// emphasized ones.
func pickDismiss(row []*widget.Button, single bool) *widget.Button {
	if len(row) == 1 {
		if single {
			return row[0]
		}
		return nil
	}
	var plain *widget.Button
	for _, b := range row {
		if b.Importance != widget.MediumImportance {
			continue
		}
		if plain != nil {
			return nil // two candidates: better do nothing
		}
		plain = b
	}
	if plain == nil || len(row) < 2 {
		return nil
	}
	return plain
}

// tappable reports whether a tap on b would do something.
func tappable(b *widget.Button) bool {
	return b.Visible() && !b.Disabled() && b.OnTapped != nil
}

// asButton returns the button o is, if it is one.
func asButton(o fyne.CanvasObject) *widget.Button {
	switch b := o.(type) {
	case *widget.Button:
		return b
	case *dialogButton:
		return &b.Button
	}
	return nil
}

// buttonsIn lists the shown buttons directly in row (or row itself),
// disabled ones too: a disabled Open still tells which button is Cancel.
func buttonsIn(row fyne.CanvasObject) []*widget.Button {
	if b := asButton(row); b != nil {
		if b.Visible() {
			return []*widget.Button{b}
		}
		return nil
	}
	box, ok := row.(*fyne.Container)
	if !ok || !box.Visible() {
		return nil
	}
	var out []*widget.Button
	for _, o := range box.Objects {
		if b := asButton(o); b != nil && b.Visible() {
			out = append(out, b)
		}
	}
	return out
}

// escapeChildren are the objects inside o that the search walks: those of
// containers and scrolls, not the insides of widgets.
func escapeChildren(o fyne.CanvasObject) []fyne.CanvasObject {
	if o == nil || !o.Visible() {
		return nil
	}
	switch x := o.(type) {
	case *fyne.Container:
		return x.Objects
	case *container.Scroll:
		return []fyne.CanvasObject{x.Content}
	}
	return nil
}

// markedEscape finds a shown button made by newEscapeButton in o.
func markedEscape(o fyne.CanvasObject) *widget.Button {
	if b, ok := o.(*dialogButton); ok {
		if b.escape && b.Visible() { // disabled: Escape does nothing
			return &b.Button
		}
		return nil
	}
	for _, c := range escapeChildren(o) {
		if b := markedEscape(c); b != nil {
			return b
		}
	}
	return nil
}

// findButtonRow looks through the containers of o (not scrolls: a file
// dialog's path bar is one) for a row with a dismiss button.
func findButtonRow(o fyne.CanvasObject) *widget.Button {
	box, ok := o.(*fyne.Container)
	if !ok || !box.Visible() {
		return nil
	}
	if b := pickDismiss(buttonsIn(box), false); b != nil {
		return b
	}
	for _, c := range box.Objects {
		if b := findButtonRow(c); b != nil {
			return b
		}
	}
	return nil
}

// dialogEntry is a text field of a dialog: Escape typed into it closes
// the dialog as its Cancel would. (Fyne's Entry ignores Escape, and a
// focused field gets every key.)
type dialogEntry struct {
	widget.Entry
}

// newDialogEntry returns a one-line dialogEntry.
func newDialogEntry() *dialogEntry {
	e := &dialogEntry{}
	e.Wrapping = fyne.TextWrap(fyne.TextTruncateClip)
	e.ExtendBaseWidget(e)
	return e
}

// newDialogMultiLineEntry returns a multi-line dialogEntry.
func newDialogMultiLineEntry() *dialogEntry {
	e := newDialogEntry()
	e.MultiLine = true
	return e
}

// newDialogPasswordEntry returns a dialogEntry that hides what is typed;
// the Entry adds its show/hide button when it is first drawn.
func newDialogPasswordEntry() *dialogEntry {
	e := newDialogEntry()
	e.Password = true
	return e
}

// TypedKey closes the dialog on Escape and edits the text otherwise.
func (e *dialogEntry) TypedKey(ev *fyne.KeyEvent) {
	if ev.Name == fyne.KeyEscape && escapeFrom(e) {
		return
	}
	e.Entry.TypedKey(ev)
}

// dialogSelectEntry is a dialog's text field with a list of suggestions;
// Escape closes the dialog as in dialogEntry (an open list takes the
// keyboard and closes first).
type dialogSelectEntry struct {
	widget.SelectEntry
}

// newDialogSelectEntry returns a dialogSelectEntry offering options.
func newDialogSelectEntry(options []string) *dialogSelectEntry {
	e := &dialogSelectEntry{}
	e.Wrapping = fyne.TextWrap(fyne.TextTruncateClip)
	e.ExtendBaseWidget(e)
	e.SetOptions(options)
	return e
}

// TypedKey closes the dialog on Escape and edits the text otherwise.
func (e *dialogSelectEntry) TypedKey(ev *fyne.KeyEvent) {
	if ev.Name == fyne.KeyEscape && escapeFrom(e) {
		return
	}
	e.SelectEntry.TypedKey(ev)
}

// dialogButton is a button of a dialog that has no Fyne button row (one
// made with dialog.NewCustomWithoutButtons, or with its own buttons).
// Escape typed while it has the keyboard closes the dialog; the one made
// by newEscapeButton is the button Escape taps.
type dialogButton struct {
	widget.Button
	escape bool
}

// newDialogButton returns a dialog's button.
func newDialogButton(label string, icon fyne.Resource, tapped func()) *dialogButton {
	b := &dialogButton{}
	b.Text, b.Icon, b.OnTapped = label, icon, tapped
	b.ExtendBaseWidget(b)
	return b
}

// newEscapeButton returns the button Escape taps in its dialog: Cancel,
// Close, or the button that closes without acting.
func newEscapeButton(label string, icon fyne.Resource, tapped func()) *dialogButton {
	b := newDialogButton(label, icon, tapped)
	b.escape = true
	return b
}

// TypedKey closes the dialog on Escape; Space taps the button.
func (b *dialogButton) TypedKey(ev *fyne.KeyEvent) {
	if ev.Name == fyne.KeyEscape && escapeFrom(b) {
		return
	}
	b.Button.TypedKey(ev)
}
