package ui

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/bangui/bangui/core"
)

// ActivityReader is what the activity view needs from the activity log
// (store.DB implements it). Activities returns the activities matching f,
// newest first; it is called off the UI goroutine and must honour ctx.
type ActivityReader interface {
	Activities(ctx context.Context, f core.ActivityFilter) ([]core.Activity, error)
}

// activityLimit is how many activities the view asks for at once.
const activityLimit = 1000

// Labels of the filter selects' "no filter" choices.
const (
	allActions  = "All actions"
	allStatuses = "All statuses"
)

// activityActions lists the actions in the order the filter offers them,
// with the words the view shows for them.
var activityActions = []struct{ action, words string }{
	{core.ActionBan, "ban"},
	{core.ActionUnban, "unban"},
	{core.ActionUnbanEverywhere, "unban everywhere"},
	{core.ActionUnbanAll, "unban all"},
	{core.ActionSetBanTime, "set bantime"},
	{core.ActionSetFindTime, "set findtime"},
	{core.ActionSetMaxRetry, "set maxretry"},
	{core.ActionAddIgnoreIP, "add to ignoreip"},
	{core.ActionDelIgnoreIP, "remove from ignoreip"},
	{core.ActionIdle, "set idle"},
	{core.ActionStopJail, "stop jail"},
	{core.ActionReloadJail, "reload jail"},
	{core.ActionReloadServer, "reload server"},
	{core.ActionPermanentEdit, "edit configuration"},
}

var activityStatuses = []string{core.StatusOK, core.StatusFailed, core.StatusCancelled, core.StatusRunning, core.StatusInterrupted}

// activityWords returns the words shown for action; unknown actions (from
// a newer BanGUI) are shown with spaces for underscores.
func activityWords(action string) string {
	for _, a := range activityActions {
		if a.action == action {
			return a.words
		}
	}
	return strings.ReplaceAll(action, "_", " ")
}

// activityView lists the activity log, newest first, with filters and
// CSV/JSON export.
type activityView struct {
	w   fyne.Window
	r   ActivityReader
	now func() time.Time // for the suggested export file name
	viewWork

	text       *widget.Entry
	actionSel  *widget.Select
	statusSel  *widget.Select
	allServers *widget.Check
	refreshB   *widget.Button
	csvB       *widget.Button
	jsonB      *widget.Button
	count      *widget.Label
	status     *widget.Label // export results
	state      *statePanel
	table      *dataTable[core.Activity]
	body       *fyne.Container // holds state or table
	root       fyne.CanvasObject

	// UI goroutine only.
	server   core.Server
	loaded   bool               // a load has been applied since the view was made
	gen      int                // bumps on every load; stale results are dropped
	loadStop context.CancelFunc // cancels the load in flight
	save     *dialog.FileDialog // the last export dialog, for tests

	// listed mirrors the rows shown, for exports off the UI goroutine.
	listed atomic.Pointer[[]core.Activity]
}

// newActivityView builds the view. It loads nothing until refresh or
// setServer; set parent first.
func newActivityView(w fyne.Window, r ActivityReader) *activityView {
	v := &activityView{w: w, r: r, now: time.Now}
	v.initWork()
	v.text = widget.NewEntry()
	v.text.SetPlaceHolder("Filter: address, jail, result or error")
	actions := []string{allActions}
	for _, a := range activityActions {
		actions = append(actions, a.words)
	}
	v.actionSel = widget.NewSelect(actions, nil)
	v.actionSel.SetSelected(allActions)
	v.statusSel = widget.NewSelect(append([]string{allStatuses}, activityStatuses...), nil)
	v.statusSel.SetSelected(allStatuses)
	v.allServers = widget.NewCheck("All servers", nil)
	v.refreshB = widget.NewButtonWithIcon("Refresh", theme.ViewRefreshIcon(), v.refresh)
	v.csvB = widget.NewButtonWithIcon("Export CSV…", theme.DocumentSaveIcon(), func() { v.onExport("csv") })
	v.jsonB = widget.NewButtonWithIcon("Export JSON…", theme.DocumentSaveIcon(), func() { v.onExport("json") })
	v.count = widget.NewLabel("")
	v.status = widget.NewLabel("")
	v.status.Wrapping = fyne.TextWrapWord
	v.state = newStatePanel()

	v.table = newDataTable([]column[core.Activity]{
		{title: "Time", width: 160, fixed: true, text: func(a core.Activity) string { return formatClock(a.Started) }},
		{title: "Server", width: 100, text: func(a core.Activity) string { return a.ServerName }},
		{title: "Jail", width: 90, text: func(a core.Activity) string { return dashIfEmpty(a.Jail) }},
		{title: "Action", width: 130, text: func(a core.Activity) string { return activityWords(a.Action) }},
		{title: "Arguments", width: 180, text: func(a core.Activity) string { return strings.Join(a.Args, " ") }},
		{title: "Status", width: 90, fixed: true, text: func(a core.Activity) string { return a.Status }},
		{title: "Result or error", width: 220, text: activityOutcome},
		{title: "Duration", width: 80, fixed: true, align: fyne.TextAlignTrailing, text: activityDuration},
	})

	// Handlers go on after the initial selections, so building the view
	// does not query.
	v.text.OnChanged = func(string) { v.refresh() }
	v.actionSel.OnChanged = func(string) { v.refresh() }
	v.statusSel.OnChanged = func(string) { v.refresh() }
	v.allServers.OnChanged = func(bool) { v.refresh() }

	filters := container.NewBorder(nil, nil, nil, container.NewHBox(v.actionSel, v.statusSel, v.allServers), v.text)
	buttons := container.NewBorder(nil, nil, v.count, container.NewHBox(v.refreshB, v.csvB, v.jsonB))
	v.body = container.NewStack(v.state)
	v.root = container.NewBorder(container.NewVBox(filters, buttons, widget.NewSeparator()), v.status, nil, nil, v.body)
	v.state.loading("Reading the activity log…")
	v.setExportable(false)
	return v
}

func dashIfEmpty(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

// activityOutcome is the result, the error, or both (a cancelled job may
// have done part of its work).
func activityOutcome(a core.Activity) string {
	switch {
	case a.Error == "":
		return a.Result
	case a.Result == "":
		return a.Error
	}
	return a.Result + "; " + a.Error
}

// activityDuration is how long the action took: "running" while it runs,
// "–" when it never finished (interrupted).
func activityDuration(a core.Activity) string {
	if a.Finished.IsZero() {
		if a.Status == core.StatusRunning {
			return "running"
		}
		return "–"
	}
	d := max(a.Finished.Sub(a.Started), 0)
	switch {
	case d < time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
	return formatLeft(d)
}

// setServer makes s the server the list is limited to (unless "All
// servers" is ticked) and reloads.
func (v *activityView) setServer(s core.Server) {
	v.server = s
	v.refresh()
}

// filter reads the filter widgets.
func (v *activityView) filter() core.ActivityFilter {
	f := core.ActivityFilter{Text: strings.TrimSpace(v.text.Text), Limit: activityLimit}
	for _, a := range activityActions {
		if a.words == v.actionSel.Selected {
			f.Action = a.action
		}
	}
	if s := v.statusSel.Selected; s != allStatuses {
		f.Status = s
	}
	if !v.allServers.Checked {
		f.ServerID = v.server.ID
	}
	return f
}

// refresh loads the list with the current filter in the background. A
// newer refresh cancels and supersedes an older one.
func (v *activityView) refresh() {
	v.gen++
	if v.loadStop != nil {
		v.loadStop()
	}
	ctx := v.viewCtx()
	loadCtx, loadStop := context.WithTimeout(ctx, 30*time.Second)
	v.loadStop = loadStop
	if !v.loaded {
		v.state.loading("Reading the activity log…")
		v.showBody(v.state)
	}
	f, gen := v.filter(), v.gen
	v.spawn(func() {
		defer loadStop()
		list, err := v.r.Activities(loadCtx, f)
		do(ctx, func() { v.apply(gen, f, list, err) })
	})
}

// update loads and shows the list now, blocking; for tests.
func (v *activityView) update(ctx context.Context) {
	f := v.filter()
	list, err := v.r.Activities(ctx, f)
	v.apply(v.gen, f, list, err)
}

// stop cancels the work in flight and waits for it.
func (v *activityView) stop() { v.stopWork() }

func (v *activityView) apply(gen int, f core.ActivityFilter, list []core.Activity, err error) {
	if gen != v.gen {
		return
	}
	v.loaded = true
	if err != nil {
		v.table.set(nil)
		v.listed.Store(nil)
		v.count.SetText("")
		v.setExportable(false)
		v.state.failed("Could not read the activity log", err, v.refresh)
		v.showBody(v.state)
		return
	}
	v.table.set(list)
	v.listed.Store(&list)
	v.setExportable(len(list) > 0)
	switch n := len(list); {
	case n >= activityLimit:
		v.count.SetText(fmt.Sprintf("Newest %s entries: narrow the filter to see older ones", formatCount(n)))
	default:
		v.count.SetText(plural(n, "entry", "entries"))
	}
	if len(list) > 0 {
		v.showBody(v.table)
		return
	}
	const what = "bans, unbans and jail changes made in BanGUI appear here."
	switch {
	case f.Text != "" || f.Action != "" || f.Status != "":
		v.state.empty("No matching actions", "No recorded action matches the filter. Clear it, or tick All servers.")
	case f.ServerID != 0:
		v.state.empty("No actions yet", "Nothing recorded on "+v.server.Name+" yet: "+what+" Tick All servers to see the others.")
	default:
		v.state.empty("No actions yet", "Nothing recorded yet: "+what)
	}
	v.showBody(v.state)
}

func (v *activityView) showBody(o fyne.CanvasObject) { showIn(v.body, o) }
