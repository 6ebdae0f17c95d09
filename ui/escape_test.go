package ui

import (
	"errors"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/bangui/bangui/core"
)

// pressKey sends a key the way the desktop driver does: to the focused
// object, else to the canvas's handler.
func pressKey(c fyne.Canvas, name fyne.KeyName) {
	ev := &fyne.KeyEvent{Name: name}
	if f := c.Focused(); f != nil {
		f.TypedKey(ev)
		return
	}
	if h := c.OnTypedKey(); h != nil {
		h(ev)
	}
}

// escapeWindow returns a window with installEscape, and the keys its
// earlier handler saw.
func escapeWindow(t *testing.T) (fyne.Window, *[]fyne.KeyName) {
	t.Helper()
	test.NewTempApp(t)
	w := test.NewTempWindow(t, widget.NewLabel("main"))
	w.Resize(fyne.NewSize(800, 600))
	var seen []fyne.KeyName
	w.Canvas().SetOnTypedKey(func(ev *fyne.KeyEvent) { seen = append(seen, ev.Name) })
	installEscape(w)
	return w, &seen
}

func TestEscapeAnswersConfirmNo(t *testing.T) {
	w, seen := escapeWindow(t)
	answers := []bool{}
	d := dialog.NewConfirm("Remove", "Remove it?", func(ok bool) { answers = append(answers, ok) }, w)
	d.SetConfirmImportance(widget.DangerImportance)
	d.Show()
	pressKey(w.Canvas(), fyne.KeyEscape)
	if len(answers) != 1 || answers[0] {
		t.Errorf("answers %v, want [false]", answers)
	}
	if top := w.Canvas().Overlays().Top(); top != nil {
		t.Errorf("dialog still open: %T", top)
	}
	if len(*seen) != 0 {
		t.Errorf("the earlier handler got %v too", *seen)
	}
}

func TestEscapeClosesCustomAndErrorDialogs(t *testing.T) {
	w, _ := escapeWindow(t)
	closed := 0
	d := dialog.NewCustom("Import", "Close", widget.NewLabel("done"), w)
	d.SetOnClosed(func() { closed++ })
	d.Show()
	dialog.ShowError(errors.New("no route to host"), w) // on top
	pressKey(w.Canvas(), fyne.KeyEscape)
	if closed != 0 || len(w.Canvas().Overlays().List()) != 1 {
		t.Fatalf("first Escape: closed %d, %d overlays, want the error dialog closed only", closed, len(w.Canvas().Overlays().List()))
	}
	pressKey(w.Canvas(), fyne.KeyEscape)
	if closed != 1 || w.Canvas().Overlays().Top() != nil {
		t.Errorf("second Escape: closed %d, top %T", closed, w.Canvas().Overlays().Top())
	}
}

func TestEscapeInServerFormFieldClosesWithoutSaving(t *testing.T) {
	admin := &fakeAdmin{}
	saved := 0
	f := newTestForm(t, admin, core.Server{}, func(core.Server) { saved++ })
	installEscape(f.w)
	closed := false
	f.d.SetOnClosed(func() { closed = true })
	c := f.w.Canvas()
	c.Focus(f.host)
	test.Type(f.host, "web1.example.org")
	if c.Focused() != f.host || f.host.Text != "web1.example.org" {
		t.Fatalf("focused %T, text %q", c.Focused(), f.host.Text)
	}
	pressKey(c, fyne.KeyEscape)
	if !closed || c.Overlays().Top() != nil || c.Focused() != nil {
		t.Errorf("closed %v, top %T, focused %T", closed, c.Overlays().Top(), c.Focused())
	}
	if len(admin.added) != 0 || saved != 0 {
		t.Errorf("saved on Escape: added %v, saved %d", admin.added, saved)
	}
}

func TestEscapeEntryKeepsOtherKeys(t *testing.T) {
	test.NewTempApp(t)
	e := newDialogMultiLineEntry()
	w := test.NewTempWindow(t, e)
	w.Resize(fyne.NewSize(300, 200))
	w.Canvas().Focus(e)
	test.Type(e, "ab")
	pressKey(w.Canvas(), fyne.KeyReturn)
	test.Type(e, "c")
	pressKey(w.Canvas(), fyne.KeyEscape) // no dialog: only lets go of the keyboard
	if e.Text != "ab\nc" || w.Canvas().Focused() != nil {
		t.Errorf("text %q, focused %T", e.Text, w.Canvas().Focused())
	}
	p := newDialogPasswordEntry()
	test.NewTempWindow(t, p) // drawn: the show/hide button is added
	if !p.Password || p.ActionItem == nil {
		t.Errorf("password entry: password %v, action %v", p.Password, p.ActionItem)
	}
}

func TestEscapeTapsMarkedButton(t *testing.T) {
	w, _ := escapeWindow(t)
	var did []string
	var d *dialog.CustomDialog
	preview := widget.NewButton("Preview", func() { did = append(did, "preview") })
	save := widget.NewButton("Save", func() { did = append(did, "save") })
	save.Importance = widget.HighImportance
	cancel := newEscapeButton("Cancel", nil, func() { did = append(did, "cancel"); d.Hide() })
	help := newDialogButton("Help", nil, func() { did = append(did, "help") })
	d = dialog.NewCustomWithoutButtons("Blocklist", container.NewVBox(
		newDialogEntry(), container.NewHBox(help, preview, cancel, save)), w)
	d.Show()
	pressKey(w.Canvas(), fyne.KeyEscape)
	if len(did) != 1 || did[0] != "cancel" || w.Canvas().Overlays().Top() != nil {
		t.Fatalf("did %v, top %T", did, w.Canvas().Overlays().Top())
	}

	// A focused dialog button passes Escape on; a plain Fyne button
	// swallows it (a limit of Fyne: the focused widget gets every key).
	d.Show()
	w.Canvas().Focus(save)
	pressKey(w.Canvas(), fyne.KeyEscape)
	if w.Canvas().Overlays().Top() == nil || len(did) != 1 {
		t.Fatalf("Escape on a plain button: did %v", did)
	}
	w.Canvas().Focus(help)
	pressKey(w.Canvas(), fyne.KeySpace)
	pressKey(w.Canvas(), fyne.KeyEscape)
	if want := []string{"cancel", "help", "cancel"}; len(did) != 3 || did[1] != want[1] || did[2] != want[2] {
		t.Errorf("did %v, want %v", did, want)
	}
	if w.Canvas().Overlays().Top() != nil {
		t.Error("still open")
	}
}

func TestEscapeLeavesDialogsWithoutDismiss(t *testing.T) {
	w, seen := escapeWindow(t)
	pressKey(w.Canvas(), fyne.KeyEscape) // no dialog: the earlier handler has it
	pressKey(w.Canvas(), fyne.KeyF5)
	if len(*seen) != 2 || (*seen)[0] != fyne.KeyEscape || (*seen)[1] != fyne.KeyF5 {
		t.Errorf("earlier handler saw %v", *seen)
	}

	// A progress dialog has no dismiss button; two plain buttons are a
	// guess Escape does not make.
	wait := dialog.NewCustomWithoutButtons("Exporting", widget.NewProgressBarInfinite(), w)
	wait.Show()
	pressKey(w.Canvas(), fyne.KeyEscape)
	if w.Canvas().Overlays().Top() == nil {
		t.Fatal("Escape closed a dialog without a dismiss button")
	}
	wait.Hide()
	var tapped []string
	two := dialog.NewCustomWithoutButtons("Pick", widget.NewLabel("which?"), w)
	two.SetButtons([]fyne.CanvasObject{
		widget.NewButton("Left", func() { tapped = append(tapped, "left") }),
		widget.NewButton("Right", func() { tapped = append(tapped, "right") }),
	})
	two.Show()
	pressKey(w.Canvas(), fyne.KeyEscape)
	if len(tapped) != 0 || w.Canvas().Overlays().Top() == nil {
		t.Errorf("tapped %v", tapped)
	}
	two.Hide()

	// A disabled dismiss is not tapped.
	closed := false
	d := dialog.NewCustom("Busy", "Close", widget.NewLabel("…"), w)
	d.SetOnClosed(func() { closed = true })
	d.Show()
	for _, o := range test.LaidOutObjects(w.Canvas().Overlays().Top()) {
		if b, ok := o.(*widget.Button); ok && b.Text == "Close" {
			b.Disable()
		}
	}
	pressKey(w.Canvas(), fyne.KeyEscape)
	if closed {
		t.Error("a disabled Close was tapped")
	}
}

func TestEscapeCancelsFileDialog(t *testing.T) {
	w, _ := escapeWindow(t)
	calls := 0
	var got fyne.URIReadCloser
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) { calls++; got = r }, w)
	d.Show() // nothing chosen: Open is disabled, Cancel is not
	pressKey(w.Canvas(), fyne.KeyEscape)
	if calls != 1 || got != nil || w.Canvas().Overlays().Top() != nil {
		t.Errorf("callback %d times with %v, open %v", calls, got, w.Canvas().Overlays().Top() != nil)
	}
}

func TestEscapeInBanFormSendsNothing(t *testing.T) {
	src := banSource()
	sent := 0
	src.banIP = func(string, []string, core.Progress) (core.BatchResult, error) {
		sent++
		return core.BatchResult{}, nil
	}
	v := newTestBans(t, src)
	installEscape(v.w)
	c := v.w.Canvas()
	v.onBan()
	c.Focus(v.banForm.list)
	test.Type(v.banForm.list, "192.0.2.44")
	if v.banForm.submit.Disabled() {
		t.Fatal("a valid address cannot be sent")
	}
	pressKey(c, fyne.KeyEscape)
	if v.banForm != nil || c.Overlays().Top() != nil || sent != 0 {
		t.Errorf("form kept %v, open %v, sent %d", v.banForm != nil, c.Overlays().Top() != nil, sent)
	}
}
