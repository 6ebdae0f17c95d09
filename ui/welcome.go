package ui

import (
	"context"
	"errors"
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/bangui/bangui/core"
)

// WelcomeInfo is what the welcome found on this computer.
type WelcomeInfo struct {
	LocalFound bool
	Socket     string // the socket that answered
	Version    string // fail2ban's version
	Err        error  // why none answered (when !LocalFound)
}

// welcomeProbeTimeout bounds the look for a local fail2ban.
const welcomeProbeTimeout = 15 * time.Second

// welcome is the first-start dialog.
type welcome struct {
	d       *dialog.CustomDialog
	body    *fyne.Container
	width   float32
	spinner *widget.Activity
	status  *widget.Label
	hint    *widget.Label
	addB    *dialogButton
	startB  *dialogButton
}

// showWelcome shows the first-start welcome: what BanGUI is in two lines,
// whether a local fail2ban answered (and that it is now in the server
// list), and the next steps. probe runs in a goroutine with a timeout and
// is cancelled when the welcome closes first. "Add a server over SSH…"
// closes it and calls addSSH; "Start using BanGUI" (and Escape) close it.
// done runs once, however it closes.
func showWelcome(w fyne.Window, parent context.Context, probe func(ctx context.Context) WelcomeInfo, addSSH func(), done func()) {
	newWelcome(w, parent, probe, addSSH, done, func(f func()) { go f() }).d.Show()
}

// newWelcome builds the welcome and starts the probe through spawn (the
// tests run it when they choose).
func newWelcome(w fyne.Window, parent context.Context, probe func(ctx context.Context) WelcomeInfo, addSSH func(), done func(), spawn func(func())) *welcome {
	v := &welcome{}
	openCtx, closeOpen := context.WithCancel(parent) // ends when the welcome closes
	about := widget.NewLabel("BanGUI shows the jails and bans of fail2ban and lets you ban, unban and tune them.\n" +
		"It works with fail2ban on this computer and on any number of servers over SSH.")
	about.Wrapping = fyne.TextWrapWord
	v.spinner = widget.NewActivity()
	v.spinner.Start()
	v.status = widget.NewLabel("Looking for fail2ban on this computer…")
	v.status.Wrapping = fyne.TextWrapWord
	v.hint = widget.NewLabel("")
	v.hint.Wrapping = fyne.TextWrapWord
	v.hint.Hide()
	steps := widget.NewLabel("• Add your servers over SSH: the button below, or Add… under the server list.\n" +
		"• Pick a server in the list to see its jails and bans; the Dashboard shows them all.")
	steps.Wrapping = fyne.TextWrapWord
	v.body = container.NewVBox(
		about,
		container.NewBorder(nil, nil, v.spinner, nil, v.status),
		v.hint,
		widget.NewSeparator(),
		widget.NewLabelWithStyle("Next steps", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		steps,
	)

	closed := false
	v.d = dialog.NewCustomWithoutButtons("Welcome to BanGUI", v.body, w)
	v.d.SetOnClosed(func() {
		if closed {
			return
		}
		closed = true
		closeOpen()
		v.spinner.Stop()
		if done != nil {
			done()
		}
	})
	v.addB = newDialogButton("Add a server over SSH…", theme.ContentAddIcon(), func() {
		v.d.Hide()
		if addSSH != nil {
			addSSH()
		}
	})
	v.startB = newEscapeButton("Start using BanGUI", theme.ConfirmIcon(), v.d.Hide)
	v.startB.Importance = widget.HighImportance
	v.d.SetButtons([]fyne.CanvasObject{v.addB, v.startB})
	v.width = 600
	v.d.Resize(fyne.NewSize(v.width, 0))

	spawn(func() {
		ctx, stop := context.WithTimeout(openCtx, welcomeProbeTimeout)
		info := probe(ctx)
		stop()
		do(openCtx, func() { v.show(info) })
	})
	return v
}

// show puts the probe's answer in the dialog.
func (v *welcome) show(info WelcomeInfo) {
	v.spinner.Stop()
	v.spinner.Hide()
	if info.LocalFound {
		version := info.Version
		if version == "" {
			version = "(version unknown)"
		}
		v.status.SetText(fmt.Sprintf("Found fail2ban %s on this computer (socket %s). It is in your server list.", version, info.Socket))
		v.status.Importance = widget.SuccessImportance
		v.status.Refresh()
		v.relayout()
		return
	}
	reason := "it did not say why"
	if info.Err != nil {
		reason = core.ErrorMessage(info.Err)
	}
	v.status.SetText("No fail2ban answered on this computer: " + reason + ".")
	if h := welcomeHint(info.Err); h != "" {
		v.hint.SetText(h)
		v.hint.Show()
	}
	v.relayout()
}

// relayout fits the dialog to the new text.
func (v *welcome) relayout() {
	v.body.Refresh()
	v.d.Resize(fyne.NewSize(v.width, 0))
}

// welcomeHint says what to do about err, from its kind only.
func welcomeHint(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, context.DeadlineExceeded):
		return "The look was stopped after " + welcomeProbeTimeout.String() + ". You can still add servers over SSH."
	}
	switch core.ErrorCode(err) {
	case core.EPERMISSION:
		return "fail2ban's socket is open to root only: run BanGUI as root, or give your user the sudoers rule " +
			"BanGUI shows for its relay (see the README). Or manage your servers over SSH."
	case core.EUNAVAILABLE, core.ENOTFOUND:
		return "If fail2ban is not installed here, install it (apt install fail2ban) and start it " +
			"(systemctl start fail2ban). Or manage your servers over SSH."
	}
	return "You can still add servers over SSH."
}
