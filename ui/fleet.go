package ui

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/bangui/bangui/core"
)

// FleetActions bans and unbans addresses on many servers at once, a
// bounded number in parallel, with a result per server; one server down
// does not stop the others (cmd wires core/fleet). onResult runs from
// the actions' goroutines as each server finishes.
type FleetActions interface {
	Ban(ctx context.Context, servers []core.Server, jail string, ips []string, onResult func(core.FleetResult)) ([]core.FleetResult, error)
	Unban(ctx context.Context, servers []core.Server, ips []string, onResult func(core.FleetResult)) ([]core.FleetResult, error)
}

// Fleet dialog modes.
const (
	fleetBan   = "Ban in a jail"
	fleetUnban = "Unban everywhere"
)

// fleetForm is the "on many servers" dialog: addresses, ban (in a jail)
// or unban (in every jail), the servers (all, a group, or picked one by
// one), then a line per server as each finishes.
type fleetForm struct {
	w       fyne.Window
	act     FleetActions
	parent  context.Context
	spawn   func(func())
	servers []core.Server

	mode     *widget.RadioGroup
	list     *dialogEntry
	jail     *dialogSelectEntry
	jailRow  *fyne.Container
	scope    *widget.Select
	picks    *widget.CheckGroup
	check    *widget.Label
	results  *widget.Label
	progress *widget.ProgressBar
	jobRow   *fyne.Container // the progress beside the buttons
	runB     *widget.Button
	cancelB  *widget.Button
	d        dialog.Dialog

	parsed  core.BanList
	lines   map[int64]string // server ID -> result line
	stopJob context.CancelFunc
	// confirm is the last question asked (tests answer it).
	confirm *dialog.ConfirmDialog
}

// newFleetForm builds the dialog; jails are suggestions for the jail
// field, ips a list to start with.
func newFleetForm(w fyne.Window, act FleetActions, parent context.Context, spawn func(func()), servers []core.Server, jails []string, ips []string) *fleetForm {
	f := &fleetForm{w: w, act: act, parent: parent, spawn: spawn, servers: servers, lines: map[int64]string{}}
	f.list = newDialogMultiLineEntry()
	f.list.SetPlaceHolder("One IP or network per line, for example\n203.0.113.7\n198.51.100.0/24")
	f.list.SetMinRowsVisible(4)
	f.list.SetText(strings.Join(ips, "\n"))
	f.jail = newDialogSelectEntry(jails)
	f.jail.SetPlaceHolder("sshd")
	if len(jails) > 0 {
		f.jail.SetText(jails[0])
	}
	f.jailRow = container.NewBorder(nil, nil, widget.NewLabel("Jail"), nil, f.jail)
	f.mode = widget.NewRadioGroup([]string{fleetBan, fleetUnban}, func(m string) {
		if m == fleetUnban {
			f.jailRow.Hide()
		} else {
			f.jailRow.Show()
		}
		f.validate()
	})
	f.mode.Horizontal = true
	f.mode.Required = true
	names := make([]string, len(servers))
	for i, s := range servers {
		names[i] = s.Name
	}
	f.picks = widget.NewCheckGroup(names, func([]string) { f.validate() })
	f.scope = widget.NewSelect(scopeOptions(servers), func(choice string) {
		ids := scopeIDs(servers, choice)
		var on []string
		for _, s := range servers {
			if ids == nil || slices.Contains(ids, s.ID) {
				on = append(on, s.Name)
			}
		}
		f.picks.SetSelected(on)
	})
	f.check = widget.NewLabel("")
	f.check.Wrapping = fyne.TextWrapWord
	f.results = widget.NewLabel("")
	f.results.Wrapping = fyne.TextWrapWord
	f.progress = widget.NewProgressBar()
	f.progress.Hide()
	f.runB = widget.NewButtonWithIcon("Run", theme.MediaPlayIcon(), f.ask)
	f.runB.Importance = widget.HighImportance
	f.cancelB = widget.NewButton("Cancel", func() {
		if f.stopJob != nil {
			f.stopJob()
		}
	})
	f.cancelB.Hide()
	f.list.OnChanged = func(string) { f.validate() }
	f.jail.OnChanged = func(string) { f.validate() }
	closeB := newEscapeButton("Close", nil, func() { f.d.Hide() })

	top := container.NewVBox(f.mode, widget.NewLabel("Addresses"))
	picks := container.NewVScroll(f.picks) // a hundred servers scroll
	picks.SetMinSize(fyne.NewSize(0, 110))
	f.jobRow = container.NewBorder(nil, nil, nil, container.NewHBox(closeB, f.cancelB, f.runB), f.progress)
	results := container.NewVScroll(f.results)
	results.SetMinSize(fyne.NewSize(0, 120))
	bottom := container.NewVBox(
		f.jailRow,
		container.NewBorder(nil, nil, widget.NewLabel("Servers"), nil, f.scope),
		picks,
		f.check,
		f.jobRow,
		results,
	)
	body := container.NewBorder(top, bottom, nil, nil, f.list)
	f.d = dialog.NewCustomWithoutButtons("Ban or unban on many servers", body, w)
	f.d.SetOnClosed(func() {
		if f.stopJob != nil {
			f.stopJob()
		}
	})
	f.d.Resize(fyne.NewSize(720, 640))
	f.mode.SetSelected(fleetBan)
	f.scope.SetSelected(allServers)
	return f
}

// chosen returns the servers ticked, in list order.
func (f *fleetForm) chosen() []core.Server {
	var out []core.Server
	for _, s := range f.servers {
		if slices.Contains(f.picks.Selected, s.Name) {
			out = append(out, s)
		}
	}
	return out
}

// validate checks the form and says what would be sent; nothing is sent.
func (f *fleetForm) validate() bool {
	f.parsed = core.ParseBanList(f.list.Text)
	var problems []string
	if len(f.parsed.Targets) == 0 {
		problems = append(problems, "enter at least one address")
	}
	for i, b := range f.parsed.Bad {
		if i == maxNamedLines {
			problems = append(problems, fmt.Sprintf("and %d more bad lines", len(f.parsed.Bad)-i))
			break
		}
		problems = append(problems, b.Error())
	}
	if f.mode.Selected == fleetBan {
		if err := core.ValidateJailName(strings.TrimSpace(f.jail.Text)); err != nil {
			problems = append(problems, core.ErrorMessage(err))
		}
	}
	n := len(f.chosen())
	if n == 0 {
		problems = append(problems, "tick at least one server")
	}
	what := fmt.Sprintf("%s on %s", plural(len(f.parsed.Targets), "address", "addresses"), plural(n, "server", "servers"))
	if len(problems) > 0 {
		f.check.SetText(what + ". Fix first: " + strings.Join(problems, "; "))
		f.check.Importance = widget.WarningImportance
		f.runB.Disable()
		return false
	}
	f.check.SetText(what + ".")
	f.check.Importance = widget.MediumImportance
	f.runB.Enable()
	return true
}

// ask confirms the job, naming what it will do, then runs it.
func (f *fleetForm) ask() {
	if !f.validate() {
		return
	}
	servers, ips := f.chosen(), f.parsed.Targets
	jail := strings.TrimSpace(f.jail.Text)
	msg := fmt.Sprintf("Ban %s in jail %s on %s: %s?", plural(len(ips), "address", "addresses"), jail,
		plural(len(servers), "server", "servers"), serverNames(servers))
	if f.mode.Selected == fleetUnban {
		msg = fmt.Sprintf("Lift every ban of %s, in every jail, on %s: %s?", plural(len(ips), "address", "addresses"),
			plural(len(servers), "server", "servers"), serverNames(servers))
	}
	f.confirm = dialog.NewConfirm(f.mode.Selected, msg, func(yes bool) {
		if yes {
			f.run(servers, jail, ips)
		}
	}, f.w)
	f.confirm.Show()
}

// serverNames lists servers by name, the first few.
func serverNames(list []core.Server) string {
	names := make([]string, 0, len(list))
	for i, s := range list {
		if i == 8 {
			names = append(names, fmt.Sprintf("and %d more", len(list)-i))
			break
		}
		names = append(names, s.Name)
	}
	return strings.Join(names, ", ")
}

// run sends the job and shows each server's result as it comes.
func (f *fleetForm) run(servers []core.Server, jail string, ips []string) {
	ctx, cancel := context.WithCancel(f.parent)
	f.stopJob = cancel
	f.lines = map[int64]string{}
	f.results.SetText("")
	f.runB.Disable()
	f.cancelB.Show()
	f.progress.Max = float64(len(servers))
	f.progress.SetValue(0)
	f.progress.Show()
	f.jobRow.Refresh() // lay the bar out now that it shows
	unban := f.mode.Selected == fleetUnban
	order := servers
	onResult := func(r core.FleetResult) {
		do(f.parent, func() {
			f.lines[r.Server.ID] = fleetLine(r, unban)
			f.progress.SetValue(float64(len(f.lines)))
			f.showResults(order)
		})
	}
	f.spawn(func() {
		defer cancel()
		var err error
		if unban {
			_, err = f.act.Unban(ctx, servers, ips, onResult)
		} else {
			_, err = f.act.Ban(ctx, servers, jail, ips, onResult)
		}
		do(f.parent, func() {
			f.cancelB.Hide()
			f.jobRow.Refresh()
			f.runB.Enable()
			f.stopJob = nil
			f.showResults(order)
			if err != nil {
				f.check.SetText("Stopped: " + core.ErrorMessage(err))
				f.check.Importance = widget.WarningImportance
				f.check.Refresh()
				return
			}
			failed := 0
			for _, l := range f.lines {
				if strings.HasPrefix(l, "✗") {
					failed++
				}
			}
			f.check.SetText(fmt.Sprintf("Done: %d of %s succeeded.", len(servers)-failed, plural(len(servers), "server", "servers")))
			f.check.Importance = widget.MediumImportance
			if failed > 0 {
				f.check.Importance = widget.WarningImportance
			}
			f.check.Refresh()
		})
	})
}

// showResults lists the results in the servers' order; servers not done
// yet say so.
func (f *fleetForm) showResults(order []core.Server) {
	lines := make([]string, 0, len(order))
	for _, s := range order {
		if l, ok := f.lines[s.ID]; ok {
			lines = append(lines, l)
		} else {
			lines = append(lines, "… "+s.Name+": waiting")
		}
	}
	f.results.SetText(strings.Join(lines, "\n"))
}

// fleetLine is one server's result.
func fleetLine(r core.FleetResult, unban bool) string {
	took := r.Took.Round(time.Millisecond)
	if r.Err != nil {
		line := fmt.Sprintf("✗ %s: %s", r.Server.Name, core.ErrorMessage(r.Err))
		if r.Changed > 0 {
			line += fmt.Sprintf(" (%d confirmed before)", r.Changed)
		}
		return line
	}
	if unban {
		return fmt.Sprintf("✓ %s: %s lifted (%v)", r.Server.Name, plural(r.Changed, "ban", "bans"), took)
	}
	line := fmt.Sprintf("✓ %s: %d banned", r.Server.Name, r.Changed)
	if r.Already > 0 {
		line += fmt.Sprintf(", %d already banned", r.Already)
	}
	return line + fmt.Sprintf(" (%v)", took)
}
