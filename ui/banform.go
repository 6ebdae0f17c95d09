package ui

import (
	"context"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"github.com/bangui/bangui/core"
)

// banForm is the manual-ban dialog: paste addresses, pick a jail, see
// every line checked before anything is sent.
type banForm struct {
	list     *dialogEntry
	jail     *widget.Select
	check    *widget.Label
	warnings *widget.Label
	anyway   *widget.Check
	submit   *widget.Button
	dialog   dialog.Dialog

	parsed core.BanList
	warns  []core.BanWarning
}

// maxNamedLines is how many bad lines or warnings the form spells out.
const maxNamedLines = 6

func (v *bansView) onBan() {
	f := &banForm{}
	f.list = newDialogMultiLineEntry()
	f.list.SetPlaceHolder("One IP or network per line, for example\n203.0.113.7\n198.51.100.0/24\n2001:db8::/48")
	f.list.SetMinRowsVisible(8)
	f.jail = widget.NewSelect(v.jails, nil)
	if len(v.jails) > 0 {
		f.jail.SetSelected(v.jails[0])
	}
	f.check = widget.NewLabel("")
	f.check.Wrapping = fyne.TextWrapWord
	f.warnings = widget.NewLabel("")
	f.warnings.Wrapping = fyne.TextWrapWord
	f.warnings.Importance = widget.WarningImportance
	f.anyway = widget.NewCheck("I checked the warnings: ban anyway", func(bool) { f.validate(v) })
	f.anyway.Hide()
	f.list.OnChanged = func(string) { f.validate(v) }
	f.jail.OnChanged = func(string) { f.validate(v) }

	cancel := newEscapeButton("Cancel", nil, func() { f.dialog.Hide(); v.banForm = nil })
	f.submit = widget.NewButton("Ban", func() { v.submitBan(f) })
	f.submit.Importance = widget.HighImportance
	form := container.NewBorder(
		container.NewVBox(widget.NewLabel("Addresses to ban on "+v.server.Name)),
		container.NewVBox(
			container.NewBorder(nil, nil, widget.NewLabel("Jail"), nil, f.jail),
			f.check, f.warnings, f.anyway,
			container.NewHBox(layout.NewSpacer(), cancel, f.submit),
		),
		nil, nil, f.list)
	f.dialog = dialog.NewCustomWithoutButtons("Ban addresses", form, v.w)
	f.dialog.Resize(fyne.NewSize(560, 520))
	f.validate(v)
	v.banForm = f
	f.dialog.Show()
}

// validate re-checks the pasted list and updates the form; nothing is sent.
func (f *banForm) validate(v *bansView) {
	f.parsed = core.ParseBanList(f.list.Text)
	var b strings.Builder
	fmt.Fprintf(&b, "%s to ban", plural(len(f.parsed.Targets), "address", "addresses"))
	if f.parsed.Duplicate > 0 {
		fmt.Fprintf(&b, ", %d duplicate skipped", f.parsed.Duplicate)
	}
	if n := len(f.parsed.Bad); n > 0 {
		fmt.Fprintf(&b, ", %s refused (the rest can still be banned):", plural(n, "line", "lines"))
		for i, e := range f.parsed.Bad {
			if i == maxNamedLines {
				fmt.Fprintf(&b, "\n… and %d more", n-maxNamedLines)
				break
			}
			b.WriteString("\n• " + e.Error())
		}
	}
	f.check.SetText(b.String())

	f.warns = core.BanWarnings(f.parsed.Targets, v.ownAddrs(), nil)
	if len(f.warns) == 0 {
		f.warnings.SetText("")
		f.warnings.Hide()
		f.anyway.Hide()
	} else {
		var w strings.Builder
		w.WriteString("Think twice:")
		for i, x := range f.warns {
			if i == maxNamedLines {
				fmt.Fprintf(&w, "\n… and %d more", len(f.warns)-maxNamedLines)
				break
			}
			w.WriteString("\n• " + x.Text)
		}
		f.warnings.SetText(w.String())
		f.warnings.Show()
		f.anyway.Show()
	}
	ok := len(f.parsed.Targets) > 0 && f.jail.Selected != "" && (len(f.warns) == 0 || f.anyway.Checked)
	if ok {
		f.submit.Enable()
	} else {
		f.submit.Disable()
	}
}

// submitBan closes the form and bans the valid targets with progress.
func (v *bansView) submitBan(f *banForm) {
	f.validate(v)
	if f.submit.Disabled() {
		return
	}
	f.dialog.Hide()
	v.banForm = nil
	targets, jail, refused := f.parsed.Targets, f.jail.Selected, len(f.parsed.Bad)
	src := v.src
	v.runJob("Ban in "+jail, func(ctx context.Context, p core.Progress) (string, error) {
		res, err := src.BanIP(ctx, jail, targets, p)
		line := fmt.Sprintf("banned %d, already banned %d, refused %d", res.Changed, res.Unchanged(), refused)
		if err != nil {
			line = fmt.Sprintf("banned %d before it stopped, refused %d", res.Changed, refused)
		}
		return line, err
	})
}
