package ui

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/jailconf"
)

// The jail detail panel's handlers: each validates its input with core,
// then runs one call through run.

// reloadMode says when run reads the jail again after its call.
type reloadMode int

const (
	reloadOnSuccess reloadMode = iota
	reloadAlways               // the call may have changed the jail even when it failed
	reloadNever                // the jail is gone after the call
)

// run does one change off the UI goroutine: call gets a context bounded by
// timeout, then done gets its error on the UI goroutine. Depending on mode
// the jail is read again, and onChanged is called when something changed.
func (v *jailDetail) run(timeout time.Duration, mode reloadMode, call func(ctx context.Context) error, done func(err error)) {
	if v.ctx == nil {
		return
	}
	v.busy = true
	v.syncInputs()
	ctx, gen, r, p, jail := v.ctx, v.gen, v.r, v.p, v.jail
	callCtx, cancel := context.WithTimeout(ctx, timeout)
	if timeout >= permanentTimeout {
		// Config checks and reloads may take minutes: they can be
		// cancelled (jailconf rolls a half-done edit back regardless).
		v.stopRun = cancel
		v.cancelB.Enable()
		v.cancelB.Show()
	}
	v.spawn(func() {
		err := call(callCtx)
		if err != nil && callCtx.Err() == context.Canceled && ctx.Err() == nil {
			err = core.Wrap(err, core.ECANCELED, "cancelled: fail2ban's files are as they were before, or rolled back")
		}
		cancel()
		reload := mode == reloadAlways || (mode == reloadOnSuccess && err == nil)
		var d jailLoad
		if reload {
			d = loadJail(ctx, r, p, jail)
		}
		do(ctx, func() {
			if gen != v.gen {
				return
			}
			v.busy = false
			v.stopRun = nil
			v.cancelB.Hide()
			done(err)
			if reload {
				v.apply(gen, d)
			}
			v.syncInputs()
			if (err == nil || mode == reloadAlways) && v.onChanged != nil {
				v.onChanged()
			}
		})
	})
}

// failed reports whether err is an error; it shows a jail fail2ban no
// longer knows as gone, and any other error through show.
func (v *jailDetail) failed(err error, show func(error)) bool {
	if err == nil {
		return false
	}
	if core.ErrorCode(err) == core.ENOTFOUND {
		v.vanish(v.goneText())
	} else {
		show(err)
	}
	return true
}

// ask shows a question; the dialog is kept for tests.
func (v *jailDetail) ask(title, question, yes string, imp widget.Importance, then func()) {
	v.confirm = dialog.NewConfirm(title, question, func(ok bool) {
		if ok {
			then()
		}
	}, v.w)
	v.confirm.SetConfirmText(yes)
	v.confirm.SetConfirmImportance(imp)
	v.confirm.Show()
}

func (v *jailDetail) onBanTime() { v.applyTime(v.banTime, "bantime", true, v.e.SetBanTime) }

func (v *jailDetail) onFindTime() { v.applyTime(v.findTime, "findtime", false, v.e.SetFindTime) }

func (v *jailDetail) applyTime(f *detailField, key string, forever bool, set func(context.Context, string, string) (time.Duration, error)) {
	value := strings.TrimSpace(f.entry.Text)
	if _, err := core.ParseTimeValue(value, forever); err != nil {
		f.fail(err)
		return
	}
	tell(f.msg, "", widget.MediumImportance)
	jail := v.jail
	var got time.Duration
	v.run(detailTimeout, reloadOnSuccess, func(ctx context.Context) (err error) {
		got, err = set(ctx, jail, value)
		return err
	}, func(err error) {
		if v.failed(err, f.fail) {
			return
		}
		v.changed[key] = secondsText(got)
		f.entry.SetText(secondsText(got))
		tell(f.msg, "Set to "+formatTimeValue(got), widget.SuccessImportance)
	})
}

// parseMaxRetry checks a maxretry value as fail2ban and jailconf take it.
func parseMaxRetry(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 1 || n > 1000 {
		return 0, core.Errorf(core.EINVALID, "maxretry %q is not allowed: use a whole number from 1 to 1000", s)
	}
	return n, nil
}

func (v *jailDetail) onMaxRetry() {
	f := v.maxRetry
	n, err := parseMaxRetry(f.entry.Text)
	if err != nil {
		f.fail(err)
		return
	}
	tell(f.msg, "", widget.MediumImportance)
	e, jail := v.e, v.jail
	var got int
	v.run(detailTimeout, reloadOnSuccess, func(ctx context.Context) (err error) {
		got, err = e.SetMaxRetry(ctx, jail, n)
		return err
	}, func(err error) {
		if v.failed(err, f.fail) {
			return
		}
		v.changed["maxretry"] = strconv.Itoa(got)
		f.entry.SetText(strconv.Itoa(got))
		tell(f.msg, "Set to "+strconv.Itoa(got), widget.SuccessImportance)
	})
}

func (v *jailDetail) onIgnoreAdd() {
	entry, err := core.NormalizeIgnoreEntry(v.ignoreIn.Text)
	if err != nil {
		tellErr(v.ignoreMsg, err)
		return
	}
	v.changeIgnore(entry, "Added ", v.e.AddIgnoreIP)
}

func (v *jailDetail) onIgnoreRemove(entry string) {
	v.changeIgnore(entry, "Removed ", v.e.DelIgnoreIP)
}

func (v *jailDetail) changeIgnore(entry, did string, change func(context.Context, string, string) ([]string, error)) {
	tell(v.ignoreMsg, "", widget.MediumImportance)
	jail := v.jail
	var list []string
	v.run(detailTimeout, reloadOnSuccess, func(ctx context.Context) (err error) {
		list, err = change(ctx, jail, entry)
		return err
	}, func(err error) {
		if v.failed(err, func(err error) { tellErr(v.ignoreMsg, err) }) {
			return
		}
		v.changed["ignoreip"] = strings.Join(list, " ")
		if did == "Added " {
			v.ignoreIn.SetText("")
		}
		tell(v.ignoreMsg, did+entry, widget.SuccessImportance)
	})
}

func (v *jailDetail) onIdle(on bool) {
	if v.quiet {
		return
	}
	e, jail := v.e, v.jail
	v.run(detailTimeout, reloadOnSuccess, func(ctx context.Context) error {
		return e.SetIdle(ctx, jail, on)
	}, func(err error) {
		if err != nil {
			v.showIdle(!on)
		}
		if v.failed(err, func(err error) { tellErr(v.jailMsg, err) }) {
			return
		}
		if on {
			tell(v.jailMsg, "Jail "+jail+" is idle: it bans nobody until you clear the check or fail2ban reloads.", widget.WarningImportance)
		} else {
			tell(v.jailMsg, "Jail "+jail+" acts on failures again.", widget.SuccessImportance)
		}
	})
}

func (v *jailDetail) onStop() {
	jail, server := v.jail, v.server.Name
	v.ask("Stop jail "+jail, fmt.Sprintf("Stop jail %s on %s?\n\nThe jail is removed from the server until fail2ban "+
		"next reloads, and its bans are lifted.", jail, server), "Stop jail", widget.DangerImportance, func() {
		e := v.e
		v.run(detailTimeout, reloadNever, func(ctx context.Context) error {
			return e.StopJail(ctx, jail)
		}, func(err error) {
			if v.failed(err, func(err error) { tellErr(v.jailMsg, err) }) {
				return
			}
			v.changed = map[string]string{}
			tell(v.jailMsg, "", widget.MediumImportance)
			v.vanish("Jail " + jail + " was stopped: it is removed from " + server +
				" until fail2ban reloads, and its bans were lifted.")
		})
	})
}

// pendingChanges returns the runtime values changed here, in jailconf.Keys
// order.
func (v *jailDetail) pendingChanges() []jailconf.Change {
	var out []jailconf.Change
	for _, k := range jailconf.Keys {
		if val, ok := v.changed[k]; ok {
			out = append(out, jailconf.Change{Key: k, Value: val})
		}
	}
	return out
}

func (v *jailDetail) onMakePermanent() {
	changes := v.pendingChanges()
	if v.p == nil || len(changes) == 0 {
		return
	}
	p, jail := v.p, v.jail
	tell(v.permMsg, "Writing the settings and reloading "+jail+"…", widget.LowImportance)
	var res jailconf.Result
	v.run(permanentTimeout, reloadAlways, func(ctx context.Context) (err error) {
		res, err = p.Apply(ctx, jail, changes)
		return err
	}, func(err error) {
		if err != nil {
			tellErr(v.permMsg, err)
			return
		}
		v.reloaded("Written to " + res.Path + " and reloaded")
	})
}

func (v *jailDetail) onReloadJail() {
	jail, server := v.jail, v.server.Name
	v.ask("Reload jail "+jail, fmt.Sprintf("Reload jail %s on %s from its configuration files?\n\n"+
		"Changes made here that were not made permanent are lost.", jail, server), "Reload jail", widget.HighImportance, func() {
		v.reload("Reloaded jail "+jail, func(ctx context.Context, p Permanent) (jailconf.Output, error) {
			return p.ReloadJail(ctx, jail)
		})
	})
}

func (v *jailDetail) onReloadServer() {
	server := v.server.Name
	v.ask("Reload server", fmt.Sprintf("Reload every jail of %s from the configuration files?\n\n"+
		"Runtime changes to any jail that were not made permanent are lost; jails removed from the files stop.", server),
		"Reload server", widget.HighImportance, func() {
			v.reload("Reloaded "+server, func(ctx context.Context, p Permanent) (jailconf.Output, error) {
				return p.ReloadServer(ctx)
			})
		})
}

func (v *jailDetail) reload(did string, call func(context.Context, Permanent) (jailconf.Output, error)) {
	p := v.p
	if p == nil {
		return
	}
	tell(v.permMsg, "Checking the configuration and reloading…", widget.LowImportance)
	var out jailconf.Output
	v.run(permanentTimeout, reloadAlways, func(ctx context.Context) (err error) {
		out, err = call(ctx, p)
		return err
	}, func(err error) {
		if err != nil {
			tellErr(v.permMsg, err)
			return
		}
		if s := strings.TrimSpace(out.Reload); s != "" && s != "OK" {
			did += ": " + s
		}
		v.reloaded(did)
	})
}

// reloaded notes a successful reload: runtime changes and idle mode are
// gone.
func (v *jailDetail) reloaded(text string) {
	v.changed = map[string]string{}
	v.showIdle(false)
	tell(v.permMsg, text, widget.SuccessImportance)
}
