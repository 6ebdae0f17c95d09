package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/bangui/bangui/core"
)

// BlocklistService keeps the blocklist sources, previews and imports them
// and reads the import log (cmd wires core/blocklist, the cache and the
// scheduler). Every method is called off the UI goroutine.
type BlocklistService interface {
	Sources(ctx context.Context) ([]core.BlocklistSource, error)
	// Save adds (ID 0) or updates a source, validated, and schedules it.
	Save(ctx context.Context, s core.BlocklistSource) (core.BlocklistSource, error)
	// Delete removes a source and its schedule; the bans it made stay.
	Delete(ctx context.Context, id int64) error
	// Preview downloads and checks the list of s without banning anything.
	Preview(ctx context.Context, s core.BlocklistSource) (BlocklistPreview, error)
	// ImportNow imports source id now, in this copy of BanGUI, reporting
	// progress (from the import's goroutine); it returns a summary line.
	ImportNow(ctx context.Context, id int64, progress func(BlocklistProgress)) (string, error)
	Runs(ctx context.Context, f core.BlocklistRunFilter) ([]core.BlocklistRun, error)
}

// BlocklistPreview is what a list holds, before anything is banned.
type BlocklistPreview struct {
	Lines      []string // the first lines, as served
	Bytes      int64
	Valid      int
	Invalid    int
	Reserved   int // private or reserved addresses, refused
	Duplicates int
	Already    int      // banned already in the jail of the target servers
	Bad        []string // the first refused lines, with why
	Warnings   []string
}

// BlocklistProgress is how far an import got.
type BlocklistProgress struct {
	Server, Stage string
	Done, Total   int
}

// blocklistsView lists the sources above the import log.
type blocklistsView struct {
	w       fyne.Window
	svc     BlocklistService
	servers func() []core.Server // for the target choices
	jails   func() []string      // suggestions for the jail field
	viewWork

	sources  *dataTable[core.BlocklistSource]
	lastRuns map[int64]core.BlocklistRun // newest run per source
	addB     *widget.Button
	editB    *widget.Button
	removeB  *widget.Button
	toggleB  *widget.Button
	importB  *widget.Button
	cancelB  *widget.Button
	progress *widget.ProgressBar
	status   *widget.Label
	state    *statePanel     // loading, or why the blocklists cannot be read
	body     *fyne.Container // holds state or content
	content  fyne.CanvasObject
	list     fyne.CanvasObject
	srcState *statePanel     // no source yet, in place of the sources table
	srcBox   *fyne.Container // holds srcState or the sources table
	loaded   bool            // the sources have been read once

	runs      *dataTable[core.BlocklistRun]
	runSource *widget.Select
	runStatus *widget.Select
	runCount  *widget.Label
	all       []core.BlocklistSource
	selected  int64
	stopJob   context.CancelFunc

	// form is the open add/edit dialog (tests drive it).
	form    *blocklistForm
	confirm *dialog.ConfirmDialog
}

// Labels of the import log filters' "no filter" choices.
const (
	allSources   = "All sources"
	allRunStates = "All results"
)

func newBlocklistsView(w fyne.Window, svc BlocklistService) *blocklistsView {
	v := &blocklistsView{w: w, svc: svc, lastRuns: map[int64]core.BlocklistRun{}}
	v.initWork()
	v.servers = func() []core.Server { return nil }
	v.jails = func() []string { return nil }
	v.sources = newDataTable([]column[core.BlocklistSource]{
		{title: "Name", width: 150, text: func(s core.BlocklistSource) string { return s.Name }},
		{title: "URL", width: 230, text: func(s core.BlocklistSource) string { return s.URL }},
		{title: "Jail", width: 90, text: func(s core.BlocklistSource) string { return s.Jail }},
		{title: "Servers", width: 100, text: func(s core.BlocklistSource) string { return targetText(s.Target, v.servers()) }},
		{title: "Schedule", width: 110, text: func(s core.BlocklistSource) string { return scheduleText(s) }},
		{title: "Last import", width: 200, text: func(s core.BlocklistSource) string { return lastRunText(v.lastRuns[s.ID]) }},
	})
	v.sources.onSelected = func(i int) {
		if s, ok := v.sources.row(i); ok {
			v.selected = s.ID
			v.updateButtons()
		}
	}
	v.addB = widget.NewButtonWithIcon("Add…", theme.ContentAddIcon(), v.onAdd)
	v.editB = widget.NewButtonWithIcon("Edit…", theme.DocumentCreateIcon(), func() {
		if s, ok := v.current(); ok {
			v.openForm(s)
		}
	})
	v.removeB = widget.NewButtonWithIcon("Remove…", theme.DeleteIcon(), v.onRemove)
	v.toggleB = widget.NewButton("Disable", v.onToggle)
	v.importB = widget.NewButtonWithIcon("Import now", theme.DownloadIcon(), v.onImport)
	v.importB.Importance = widget.HighImportance
	v.cancelB = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), func() {
		if v.stopJob != nil {
			v.stopJob()
		}
	})
	v.cancelB.Hide()
	v.progress = widget.NewProgressBar()
	v.progress.Hide()
	v.status = widget.NewLabel("")
	v.status.Wrapping = fyne.TextWrapWord

	count := func(get func(core.BlocklistRun) int, download bool) func(core.BlocklistRun) string {
		return func(r core.BlocklistRun) string {
			if (r.ServerID == 0) != download {
				return ""
			}
			return formatCount(get(r))
		}
	}
	v.runs = newDataTable([]column[core.BlocklistRun]{
		{title: "Started", width: 95, fixed: true, text: func(r core.BlocklistRun) string { return formatShortClock(r.Started, time.Now()) }},
		{title: "Source", width: 125, text: func(r core.BlocklistRun) string { return r.Source }},
		{title: "Server", width: 80, text: func(r core.BlocklistRun) string {
			if r.ServerID == 0 {
				return "(list)"
			}
			return r.Server
		}},
		{title: "Result", width: 80, fixed: true, text: func(r core.BlocklistRun) string { return r.Status }},
		{title: "Valid", width: 60, fixed: true, align: fyne.TextAlignTrailing, text: count(func(r core.BlocklistRun) int { return r.Valid }, true)},
		{title: "Bad", width: 50, fixed: true, align: fyne.TextAlignTrailing, text: count(func(r core.BlocklistRun) int { return r.Invalid }, true)},
		{title: "New", width: 55, fixed: true, align: fyne.TextAlignTrailing, text: count(func(r core.BlocklistRun) int { return r.NewBans }, false)},
		{title: "Had", width: 55, fixed: true, align: fyne.TextAlignTrailing, text: count(func(r core.BlocklistRun) int { return r.Already }, false)},
		{title: "Lifted", width: 60, fixed: true, align: fyne.TextAlignTrailing, text: count(func(r core.BlocklistRun) int { return r.Unbanned }, false)},
		{title: "Took", width: 60, fixed: true, align: fyne.TextAlignTrailing, text: func(r core.BlocklistRun) string { return formatTook(r.Duration) }},
		{title: "Error", width: 180, text: func(r core.BlocklistRun) string { return r.Error }},
	})
	v.runs.onSelected = func(i int) {
		if r, ok := v.runs.row(i); ok {
			v.showRun(r)
		}
		v.runs.unselect()
	}
	v.runSource = widget.NewSelect([]string{allSources}, nil)
	v.runSource.SetSelected(allSources)
	v.runStatus = widget.NewSelect([]string{allRunStates, core.RunOK, core.RunUnchanged, core.RunFailed, core.RunCancelled}, nil)
	v.runStatus.SetSelected(allRunStates)
	v.runSource.OnChanged = func(string) { v.loadRuns() }
	v.runStatus.OnChanged = func(string) { v.loadRuns() }
	v.runCount = widget.NewLabel("")

	buttons := container.NewHBox(v.addB, v.editB, v.removeB, v.toggleB, widget.NewSeparator(), v.importB, v.cancelB)
	top := container.NewVBox(buttons, container.NewBorder(nil, nil, nil, nil, v.progress), v.status)
	v.srcState = newStatePanel()
	v.srcBox = container.NewStack(v.sources)
	v.list = container.NewBorder(top, nil, nil, nil, v.srcBox)
	logHead := container.NewBorder(nil, nil, widget.NewLabelWithStyle("Import log", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		container.NewHBox(v.runSource, v.runStatus, v.runCount))
	logPane := container.NewBorder(logHead, nil, nil, nil, v.runs)
	split := container.NewVSplit(v.list, logPane)
	split.Offset = 0.45
	v.state = newStatePanel()
	v.content = split
	v.body = container.NewStack(split)
	v.updateButtons()
	return v
}

// onAdd opens the form for a new source.
func (v *blocklistsView) onAdd() {
	v.openForm(core.BlocklistSource{Enabled: true, UnbanDropped: true})
}

// root is the view's content.
func (v *blocklistsView) root() fyne.CanvasObject { return v.body }

// current returns the selected source.
func (v *blocklistsView) current() (core.BlocklistSource, bool) {
	for _, s := range v.all {
		if s.ID == v.selected && s.ID != 0 {
			return s, true
		}
	}
	return core.BlocklistSource{}, false
}

func (v *blocklistsView) updateButtons() {
	s, ok := v.current()
	busy := v.stopJob != nil
	for _, b := range []*widget.Button{v.editB, v.removeB, v.toggleB, v.importB} {
		if ok && !busy {
			b.Enable()
		} else {
			b.Disable()
		}
	}
	if ok && !s.Enabled {
		v.toggleB.SetText("Enable")
	} else {
		v.toggleB.SetText("Disable")
	}
}

// reload reads the sources and the log.
func (v *blocklistsView) reload() {
	ctx := v.viewCtx()
	if !v.loaded {
		v.state.loading("Reading the blocklists…")
		showIn(v.body, v.state)
	}
	v.spawn(func() {
		list, err := v.svc.Sources(ctx)
		runs, _ := v.svc.Runs(ctx, core.BlocklistRunFilter{Limit: 500})
		do(ctx, func() {
			if err != nil {
				v.loaded = false
				v.state.failed("Cannot read the blocklists", err, v.reload)
				showIn(v.body, v.state)
				return
			}
			v.loaded = true
			showIn(v.body, v.content)
			v.apply(list, runs)
		})
	})
	v.loadRuns()
}

// apply shows the sources with the newest run of each.
func (v *blocklistsView) apply(list []core.BlocklistSource, runs []core.BlocklistRun) {
	v.all = list
	v.lastRuns = map[int64]core.BlocklistRun{}
	for _, r := range runs { // newest first: keep the first per source
		if _, seen := v.lastRuns[r.SourceID]; !seen && r.ServerID == 0 {
			v.lastRuns[r.SourceID] = r
		}
	}
	v.sources.set(list)
	opts := []string{allSources}
	for _, s := range list {
		opts = append(opts, s.Name)
	}
	v.runSource.Options = opts
	v.runSource.Refresh()
	if len(list) == 0 {
		v.srcState.emptyWith("No blocklist yet",
			"A blocklist bans the addresses of a public list on a schedule, such as https://lists.blocklist.de/lists/ssh.txt into your sshd jail. Add one with Add…",
			"Add…", theme.ContentAddIcon(), v.onAdd)
		showIn(v.srcBox, v.srcState)
	} else {
		showIn(v.srcBox, v.sources)
	}
	v.updateButtons()
}

// loadRuns reads the import log with the filters.
func (v *blocklistsView) loadRuns() {
	if v.svc == nil {
		return
	}
	f := core.BlocklistRunFilter{Limit: 500}
	for _, s := range v.all {
		if s.Name == v.runSource.Selected {
			f.SourceID = s.ID
		}
	}
	if st := v.runStatus.Selected; st != allRunStates {
		f.Status = st
	}
	ctx := v.viewCtx()
	v.spawn(func() {
		runs, err := v.svc.Runs(ctx, f)
		do(ctx, func() {
			if err != nil {
				v.runCount.SetText("cannot read the log: " + core.ErrorMessage(err))
				return
			}
			v.runs.set(runs)
			if len(runs) == 0 && f.SourceID == 0 && f.Status == "" {
				v.runCount.SetText("no import yet")
				return
			}
			v.runCount.SetText(plural(len(runs), "run", "runs"))
		})
	})
}

// showRun shows one run in full: counts, error and the refused lines.
func (v *blocklistsView) showRun(r core.BlocklistRun) {
	var b strings.Builder
	server := r.Server
	if r.ServerID == 0 {
		server = "the download"
	}
	fmt.Fprintf(&b, "%s, %s: %s in %v\n", r.Source, server, r.Status, r.Duration.Round(time.Millisecond))
	fmt.Fprintf(&b, "Started %s; %s downloaded; %d entries: %d valid, %d invalid.\n", formatClock(r.Started), formatBytes(r.Bytes), r.Entries, r.Valid, r.Invalid)
	if r.ServerID != 0 {
		fmt.Fprintf(&b, "%d new bans, %d already banned, %d unbanned (dropped from the list).\n", r.NewBans, r.Already, r.Unbanned)
	}
	if r.Error != "" {
		fmt.Fprintf(&b, "\nError: %s\n", r.Error)
	}
	if len(r.BadLines) > 0 {
		b.WriteString("\nRefused lines:\n" + strings.Join(r.BadLines, "\n"))
	}
	text := widget.NewLabel(strings.TrimSpace(b.String()))
	text.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustom("Import of "+r.Source, "Close", container.NewVScroll(text), v.w)
	d.Resize(fyne.NewSize(620, 420))
	d.Show()
}

// onRemove asks, then removes the selected source.
func (v *blocklistsView) onRemove() {
	s, ok := v.current()
	if !ok {
		return
	}
	v.confirm = dialog.NewConfirm("Remove blocklist",
		fmt.Sprintf("Remove %s and its schedule?\n\nThe bans it made stay on the servers until they expire; its import log stays.", s.Name),
		func(yes bool) {
			if !yes {
				return
			}
			ctx := v.viewCtx()
			v.spawn(func() {
				err := v.svc.Delete(ctx, s.ID)
				do(ctx, func() {
					if err != nil {
						v.status.SetText(s.Name + " was not removed: " + core.ErrorMessage(err))
						return
					}
					v.selected = 0
					v.status.SetText(s.Name + " removed.")
					v.reload()
				})
			})
		}, v.w)
	v.confirm.Show()
}

// onToggle enables or disables the selected source's schedule.
func (v *blocklistsView) onToggle() {
	s, ok := v.current()
	if !ok {
		return
	}
	s.Enabled = !s.Enabled
	ctx := v.viewCtx()
	v.spawn(func() {
		_, err := v.svc.Save(ctx, s)
		do(ctx, func() {
			if err != nil {
				v.status.SetText("Not changed: " + core.ErrorMessage(err))
				return
			}
			v.reload()
		})
	})
}

// onImport imports the selected source now, with progress and Stop.
func (v *blocklistsView) onImport() {
	s, ok := v.current()
	if !ok || v.stopJob != nil {
		return
	}
	parent := v.viewCtx()
	ctx, cancel := context.WithCancel(parent)
	v.stopJob = cancel
	v.updateButtons()
	v.cancelB.Show()
	v.progress.SetValue(0)
	v.progress.Show()
	v.status.SetText("Importing " + s.Name + "…")
	v.spawn(func() {
		defer cancel()
		line, err := v.svc.ImportNow(ctx, s.ID, func(p BlocklistProgress) {
			do(parent, func() {
				if p.Total > 0 {
					v.progress.SetValue(float64(p.Done) / float64(p.Total))
				}
				where := ""
				if p.Server != "" {
					where = " on " + p.Server
				}
				v.status.SetText(fmt.Sprintf("Importing %s: %s%s (%s of %s)…", s.Name, p.Stage, where, formatCount(p.Done), formatCount(p.Total)))
			})
		})
		do(parent, func() {
			v.stopJob = nil
			v.cancelB.Hide()
			v.progress.Hide()
			switch {
			case err != nil && line != "":
				v.status.SetText(s.Name + ": " + line + ". Stopped: " + core.ErrorMessage(err))
			case err != nil:
				v.status.SetText(s.Name + " was not imported: " + core.ErrorMessage(err))
			default:
				v.status.SetText(s.Name + ": " + line)
			}
			v.reload()
		})
	})
}

// targetText describes a target: "all servers", "group web", a server.
func targetText(t string, servers []core.Server) string {
	switch {
	case t == core.TargetAll:
		return "all servers"
	case strings.HasPrefix(t, core.TargetGroupPrefix):
		return "group " + t[len(core.TargetGroupPrefix):]
	}
	if list := core.TargetServers(t, servers); len(list) == 1 {
		return list[0].Name
	}
	return "a removed server"
}

// scheduleText describes when a source is imported.
func scheduleText(s core.BlocklistSource) string {
	switch {
	case s.Schedule == "":
		return "by hand"
	case !s.Enabled:
		return s.Schedule + " (off)"
	}
	if d, _, err := core.ParseSchedule(s.Schedule); err == nil && d > 0 {
		return "every " + core.FormatDuration(d)
	}
	return "cron " + s.Schedule
}

// lastRunText says how the last import went.
func lastRunText(r core.BlocklistRun) string {
	if r.Started.IsZero() {
		return "never"
	}
	line := r.Status + ", " + formatClock(r.Started)
	if r.Status == core.RunOK {
		line += fmt.Sprintf(" · %s valid", formatCount(r.Valid))
	}
	return line
}

// formatShortClock writes a time of today as 15:04:05, else Jan 2 15:04.
func formatShortClock(t, now time.Time) string {
	if y1, m1, d1 := t.Date(); y1 == now.Year() && m1 == now.Month() && d1 == now.Day() {
		return t.Format("15:04:05")
	}
	return t.Format("Jan 2 15:04")
}

// formatTook writes a run's length: "0.3 s", "12 s", "4 min".
func formatTook(d time.Duration) string {
	switch {
	case d < 10*time.Second:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d < 2*time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	}
	return fmt.Sprintf("%d min", int(d.Minutes()))
}

// formatBytes writes a size in B, KiB or MiB.
func formatBytes(n int64) string {
	switch {
	case n < 1024:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/1024)
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}
