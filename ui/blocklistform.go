package ui

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/bangui/bangui/core"
)

// blocklistForm adds or edits a blocklist source, with a preview of the
// list before anything is saved or banned.
type blocklistForm struct {
	v    *blocklistsView
	orig core.BlocklistSource

	name, url, maxEntries *dialogEntry
	jail, schedule        *dialogSelectEntry
	target                *widget.Select
	unbanDropped, enabled *widget.Check
	status                *widget.Label
	preview               *widget.Label
	previewB, saveB       *widget.Button
	d                     dialog.Dialog
	targets               []string // target values, parallel to target.Options
	stopPreview           context.CancelFunc
}

// Schedules offered in the form (any interval or cron expression may be
// typed).
var scheduleChoices = []string{"", "1h", "6h", "24h", "0 */4 * * *", "30 3 * * *"}

func (v *blocklistsView) openForm(orig core.BlocklistSource) {
	f := &blocklistForm{v: v, orig: orig}
	f.name = newDialogEntry()
	f.name.SetPlaceHolder("blocklist.de ssh")
	f.url = newDialogEntry()
	f.url.SetPlaceHolder("https://lists.blocklist.de/lists/ssh.txt")
	f.jail = newDialogSelectEntry(v.jails())
	f.jail.SetPlaceHolder("sshd")
	f.schedule = newDialogSelectEntry(scheduleChoices)
	f.schedule.SetPlaceHolder("empty: by hand; 6h; or cron such as 0 */6 * * *")
	f.maxEntries = newDialogEntry()
	f.maxEntries.SetPlaceHolder(strconv.Itoa(core.DefaultMaxEntries))
	f.unbanDropped = widget.NewCheck("Unban addresses that leave the list (only those this list banned)", nil)
	f.enabled = widget.NewCheck("Import on the schedule", nil)
	servers := v.servers()
	labels := []string{"All servers"}
	f.targets = []string{core.TargetAll}
	for _, g := range serverGroups(servers) {
		labels = append(labels, groupPrefix+g)
		f.targets = append(f.targets, core.TargetGroupPrefix+g)
	}
	for _, s := range servers {
		labels = append(labels, s.Name)
		f.targets = append(f.targets, core.TargetServerPrefix+strconv.FormatInt(s.ID, 10))
	}
	f.target = widget.NewSelect(labels, nil)
	f.target.SetSelectedIndex(0)

	f.name.SetText(orig.Name)
	f.url.SetText(orig.URL)
	f.jail.SetText(orig.Jail)
	f.schedule.SetText(orig.Schedule)
	if orig.MaxEntries != 0 {
		f.maxEntries.SetText(strconv.Itoa(orig.MaxEntries))
	}
	f.unbanDropped.SetChecked(orig.UnbanDropped)
	f.enabled.SetChecked(orig.Enabled)
	for i, t := range f.targets {
		if t == orig.Target {
			f.target.SetSelectedIndex(i)
		}
	}

	f.status = widget.NewLabel("Preview downloads the list and checks every line; nothing is banned before you save and import.")
	f.status.Wrapping = fyne.TextWrapWord
	f.preview = widget.NewLabel("")
	f.preview.Wrapping = fyne.TextWrapWord
	f.preview.TextStyle = fyne.TextStyle{Monospace: true}
	f.previewB = widget.NewButtonWithIcon("Preview", theme.SearchIcon(), f.onPreview)
	f.saveB = widget.NewButtonWithIcon("Save", theme.DocumentSaveIcon(), f.onSave)
	f.saveB.Importance = widget.HighImportance
	cancel := newEscapeButton("Cancel", nil, func() { f.d.Hide() })
	form := widget.NewForm(
		widget.NewFormItem("Name", f.name),
		widget.NewFormItem("URL", f.url),
		widget.NewFormItem("Jail", f.jail),
		widget.NewFormItem("Servers", f.target),
		widget.NewFormItem("Schedule", f.schedule),
		widget.NewFormItem("Maximum entries", f.maxEntries),
		widget.NewFormItem("", f.unbanDropped),
		widget.NewFormItem("", f.enabled),
	)
	previewBox := container.NewVScroll(f.preview)
	previewBox.SetMinSize(fyne.NewSize(0, 160))
	body := container.NewBorder(form, container.NewHBox(layout.NewSpacer(), cancel, f.previewB, f.saveB), nil, nil,
		container.NewBorder(f.status, nil, nil, nil, previewBox))
	title := "Add a blocklist"
	if orig.ID != 0 {
		title = "Edit " + orig.Name
	}
	f.d = dialog.NewCustomWithoutButtons(title, body, v.w)
	f.d.SetOnClosed(func() {
		if f.stopPreview != nil {
			f.stopPreview()
		}
		v.form = nil
	})
	f.d.Resize(fyne.NewSize(720, 660))
	v.form = f
	f.d.Show()
}

// source reads the fields into a source, validated.
func (f *blocklistForm) source() (core.BlocklistSource, error) {
	s := f.orig
	s.Name, s.URL, s.Jail, s.Schedule = f.name.Text, f.url.Text, f.jail.Text, f.schedule.Text
	s.Target = f.targets[max(f.target.SelectedIndex(), 0)]
	s.UnbanDropped, s.Enabled = f.unbanDropped.Checked, f.enabled.Checked
	n, ok := optionalNumber(f.maxEntries.Text)
	if !ok {
		return s, core.Errorf(core.EINVALID, "maximum entries %q is not a number: use 1 to %d, or leave it empty for %d",
			strings.TrimSpace(f.maxEntries.Text), core.MaxMaxEntries, core.DefaultMaxEntries)
	}
	s.MaxEntries = n
	return core.ValidateBlocklist(s)
}

// onPreview downloads and checks the list; nothing is saved or banned.
func (f *blocklistForm) onPreview() {
	s, err := f.source()
	if err != nil {
		f.status.SetText(core.ErrorMessage(err))
		return
	}
	if f.stopPreview != nil {
		f.stopPreview()
	}
	ctx, cancel := context.WithTimeout(f.v.viewCtx(), 2*time.Minute)
	f.stopPreview = cancel
	f.previewB.Disable()
	f.status.SetText("Downloading " + s.URL + "…")
	f.preview.SetText("")
	f.v.spawn(func() {
		defer cancel()
		p, err := f.v.svc.Preview(ctx, s)
		do(f.v.viewCtx(), func() {
			f.previewB.Enable()
			if err != nil {
				f.status.SetText("The preview failed: " + core.ErrorMessage(err))
				return
			}
			f.status.SetText(previewSummary(p))
			f.preview.SetText(previewText(p))
		})
	})
}

// previewSummary counts what the list holds.
func previewSummary(p BlocklistPreview) string {
	line := fmt.Sprintf("%s: %s valid, %s invalid, %s private or reserved, %s duplicates, %s already banned.",
		formatBytes(p.Bytes), formatCount(p.Valid), formatCount(p.Invalid), formatCount(p.Reserved), formatCount(p.Duplicates), formatCount(p.Already))
	if p.Valid == 0 {
		line += " Nothing to ban: check the URL (a list of comments only, or the wrong file?)."
	}
	for _, w := range p.Warnings {
		line += "\n⚠ " + w
	}
	return line
}

// previewText shows the first lines and the refused ones.
func previewText(p BlocklistPreview) string {
	var b strings.Builder
	b.WriteString("First lines:\n")
	for _, l := range p.Lines {
		b.WriteString("  " + l + "\n")
	}
	if len(p.Bad) > 0 {
		b.WriteString("\nRefused:\n")
		for _, l := range p.Bad {
			b.WriteString("  " + l + "\n")
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// onSave saves the source (and its schedule) and closes the form.
func (f *blocklistForm) onSave() {
	s, err := f.source()
	if err != nil {
		f.status.SetText("Not saved: " + core.ErrorMessage(err))
		return
	}
	f.saveB.Disable()
	ctx := f.v.viewCtx()
	f.v.spawn(func() {
		out, err := f.v.svc.Save(ctx, s)
		do(ctx, func() {
			f.saveB.Enable()
			if err != nil {
				f.status.SetText("Not saved: " + core.ErrorMessage(err))
				return
			}
			f.d.Hide()
			f.v.selected = out.ID
			f.v.status.SetText(out.Name + " saved. Import now to apply it at once.")
			f.v.reload()
		})
	})
}
