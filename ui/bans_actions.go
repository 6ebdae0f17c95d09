package ui

import (
	"context"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/bangui/bangui/core"
)

// unbanAllPhrase is what the user types to confirm "unban all".
const unbanAllPhrase = "UNBAN ALL"

// localAddrs lists this workstation's own addresses.
func localAddrs() []netip.Addr {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var out []netip.Addr
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil {
			out = append(out, p.Addr())
		}
	}
	return out
}

// runJob runs a long ban or unban job off the UI goroutine with a progress
// bar and a Cancel button, then shows its result line and refreshes.
func (v *bansView) runJob(title string, job func(ctx context.Context, p core.Progress) (string, error)) {
	ctx, cancel := context.WithCancel(v.ctx)
	v.jobStop = cancel
	v.setEnabled(false)
	v.progress.SetValue(0)
	v.progress.Show()
	v.cancelB.Show()
	v.status.SetText(title + "…")
	v.loadStatus = false
	parent, gen := v.ctx, v.gen
	progress := func(done, total int) {
		do(parent, func() { v.progress.SetValue(float64(done) / float64(max(total, 1))) })
	}
	v.spawn(func() {
		defer cancel()
		line, err := job(ctx, progress)
		do(parent, func() {
			v.progress.Hide()
			v.cancelB.Hide()
			v.jobStop = nil
			v.setEnabled(true)
			switch {
			case err != nil && line != "":
				v.status.SetText(title + ": " + line + ". Stopped: " + core.ErrorMessage(err))
			case err != nil:
				v.status.SetText(title + " failed: " + core.ErrorMessage(err))
			default:
				v.status.SetText(title + ": " + line)
			}
		})
		if gen == v.gen {
			v.fetch(parent, gen)
		}
	})
}

func (v *bansView) onUnbanSelected() {
	byServer, n := v.selectedByServer()
	if n == 0 {
		v.status.SetText("Select the bans to lift first: click rows, or \"Select shown\".")
		return
	}
	where := v.scopeName()
	if len(byServer) > 1 {
		where = plural(len(byServer), "server", "servers")
	}
	v.ask("Unban selected", fmt.Sprintf("Lift %s on %s?", plural(n, "ban", "bans"), where), func(ok bool) {
		if !ok {
			return
		}
		scope := v.scope
		v.runJob("Unban", func(ctx context.Context, p core.Progress) (string, error) {
			done, changed := 0, 0
			var failed []string
			for i := range scope {
				byJail := byServer[i]
				jails := slices.Sorted(maps.Keys(byJail))
				for _, j := range jails {
					ips := byJail[j]
					res, err := scope[i].src.UnbanIP(ctx, j, ips, func(d, _ int) { p(done+d, n) })
					changed += res.Changed
					done += len(ips)
					if err != nil && len(byServer) == 1 {
						return fmt.Sprintf("lifted %d of %d", changed, n), err
					}
					if err != nil {
						failed = append(failed, scope[i].server.Name+": "+core.ErrorMessage(err))
						break // the next server
					}
				}
			}
			line := fmt.Sprintf("lifted %d, %d were no longer banned", changed, n-changed)
			if len(failed) > 0 {
				return fmt.Sprintf("lifted %d of %d", changed, n), core.Errorf(core.EUNAVAILABLE, "%s", strings.Join(failed, "; "))
			}
			return line, nil
		})
		v.marked = map[string]bool{}
	})
}

// ask shows a yes/no question; the dialog is kept for tests.
func (v *bansView) ask(title, question string, then func(bool)) {
	v.confirm = dialog.NewConfirm(title, question, then, v.w)
	v.confirm.Show()
}

func (v *bansView) onUnbanEverywhere() {
	_, n := v.selectedByServer()
	if n == 0 {
		v.status.SetText("Select at least one ban: its IP is then lifted in every jail.")
		return
	}
	ips := v.markedIPs()
	v.ask("Unban everywhere", fmt.Sprintf("Lift every ban of %s in all jails of %s?", plural(len(ips), "address", "addresses"), v.scopeName()), func(ok bool) {
		if !ok {
			return
		}
		scope := v.scope
		v.runJob("Unban everywhere", func(ctx context.Context, p core.Progress) (string, error) {
			lifted := 0
			var failed []string
			for i, sc := range scope {
				n, err := sc.src.Unban(ctx, ips...)
				lifted += n
				p(i+1, len(scope))
				if err != nil && len(scope) == 1 {
					return fmt.Sprintf("lifted %s", plural(lifted, "ban", "bans")), err
				}
				if err != nil {
					failed = append(failed, sc.server.Name+": "+core.ErrorMessage(err))
				}
			}
			if len(failed) > 0 {
				return fmt.Sprintf("lifted %s", plural(lifted, "ban", "bans")), core.Errorf(core.EUNAVAILABLE, "%s", strings.Join(failed, "; "))
			}
			return fmt.Sprintf("lifted %s", plural(lifted, "ban", "bans")), nil
		})
		v.marked = map[string]bool{}
	})
}

// onUnbanAll asks the user to type a phrase before lifting every ban.
func (v *bansView) onUnbanAll() {
	entry := newDialogEntry()
	entry.SetPlaceHolder(unbanAllPhrase)
	msg := widget.NewLabel(fmt.Sprintf("This lifts all %s in every jail of %s and empties fail2ban's own ban database there. "+
		"Type %s to confirm.", plural(len(v.all), "ban", "bans"), v.server.Name, unbanAllPhrase))
	msg.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustomConfirm("Unban all", "Unban all", "Cancel", container.NewVBox(msg, entry), func(ok bool) {
		if !ok {
			return
		}
		if strings.TrimSpace(entry.Text) != unbanAllPhrase {
			v.status.SetText("Nothing was unbanned: type " + unbanAllPhrase + " exactly to confirm.")
			return
		}
		src := v.src
		v.runJob("Unban all", func(ctx context.Context, p core.Progress) (string, error) {
			n, err := src.UnbanAll(ctx)
			p(1, 1)
			return fmt.Sprintf("lifted %s", plural(n, "ban", "bans")), err
		})
	}, v.w)
	d.SetConfirmImportance(widget.DangerImportance)
	d.Resize(fyne.NewSize(480, 240))
	d.Show()
	v.confirm, v.phrase = d, &entry.Entry // the field for tests: its text
}

func (v *bansView) onWhere() {
	ip, err := core.NormalizeIP(v.whereIn.Text)
	if err != nil {
		v.whereOut.SetText(core.ErrorMessage(err))
		return
	}
	v.whereOut.SetText("Asking " + v.server.Name + "…")
	src, ctx := v.src, v.ctx
	v.spawn(func() {
		res, err := src.JailsOf(ctx, ip)
		do(ctx, func() {
			switch {
			case err != nil:
				v.whereOut.SetText(core.ErrorMessage(err))
			case len(res[ip]) == 0:
				v.whereOut.SetText(ip + " is not banned on " + v.server.Name + " now. (Past bans appear once the history cache exists.)")
			default:
				v.whereOut.SetText(ip + " is banned now in: " + strings.Join(res[ip], ", "))
			}
		})
	})
}
