package ui

import (
	"context"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/bangui/bangui/core"
)

// Prompts ask the user from background work (an SSH dial) and wait for
// the answer: the dialog opens on the UI goroutine, the caller blocks
// until it is answered or ctx ends (the dialog then closes). Safe to call
// from any goroutine but the UI's.
type Prompts struct {
	w fyne.Window
}

// NewPrompts returns prompts shown over w.
func NewPrompts(w fyne.Window) *Prompts { return &Prompts{w: w} }

// ask shows the dialog make builds and waits for its answer.
func ask[T any](ctx context.Context, build func(answer func(T, bool)) dialog.Dialog) (T, error) {
	type reply struct {
		v  T
		ok bool
	}
	ch := make(chan reply, 1)
	var d dialog.Dialog
	fyne.Do(func() {
		d = build(func(v T, ok bool) {
			select {
			case ch <- reply{v, ok}:
			default:
			}
		})
		d.Show()
	})
	select {
	case r := <-ch:
		var zero T
		if !r.ok {
			return zero, core.Errorf(core.ECANCELED, "cancelled")
		}
		return r.v, nil
	case <-ctx.Done():
		fyne.Do(func() { d.Hide() })
		var zero T
		return zero, ctx.Err()
	}
}

// ConfirmHostKey asks whether to trust the host key of host, shown by
// its SHA256 fingerprint, for a host known_hosts does not list yet.
func (p *Prompts) ConfirmHostKey(ctx context.Context, host, fingerprint string) (bool, error) {
	ok, err := ask(ctx, func(answer func(bool, bool)) dialog.Dialog {
		msg := widget.NewLabel(fmt.Sprintf("BanGUI has not connected to %s before. It presents this host key:\n\n"+
			"    %s\n\n"+
			"Compare it with the key on the server (run ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub there).\n"+
			"If they match, trust it: BanGUI adds it to your known_hosts and checks it on every connection.", host, fingerprint))
		msg.Wrapping = fyne.TextWrapWord
		d := dialog.NewCustomConfirm("Unknown host key", "Trust and connect", "Don't connect", msg,
			func(yes bool) { answer(yes, true) }, p.w)
		d.Resize(fyne.NewSize(620, 300))
		return d
	})
	if err != nil && core.ErrorCode(err) != core.ECANCELED {
		return false, err
	}
	return ok, nil
}

// AskPassphrase asks for the passphrase of the key file keyPath. It is
// kept in memory only.
func (p *Prompts) AskPassphrase(ctx context.Context, keyPath string) (string, error) {
	return p.secret(ctx, "Passphrase for "+keyPath, "Passphrase", "Unlock")
}

// AskPassword asks for the SSH password of user at host. It is kept in
// memory only, never in the cache or the logs.
func (p *Prompts) AskPassword(ctx context.Context, user, host string) (string, error) {
	return p.secret(ctx, "Password for "+user+"@"+host, "Password", "Log in")
}

// secret asks for a hidden text in a dialog.
func (p *Prompts) secret(ctx context.Context, title, label, confirm string) (string, error) {
	return ask(ctx, func(answer func(string, bool)) dialog.Dialog {
		entry := newDialogPasswordEntry()
		items := []*widget.FormItem{widget.NewFormItem(label, entry)}
		d := dialog.NewForm(title, confirm, "Cancel", items, func(ok bool) {
			answer(entry.Text, ok)
		}, p.w)
		d.Resize(fyne.NewSize(520, 180))
		return d
	})
}
