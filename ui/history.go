package ui

import (
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/bangui/bangui/core"
)

// Labels of the history filters' "no filter" choices.
const (
	allServers = "All servers"
	allJails   = "All jails"
	allOrigins = "All origins"
)

// originWords are the words the views show for ban origins.
var originWords = map[string]string{
	core.OriginAuto:      "detected",
	core.OriginManual:    "manual",
	core.OriginBlocklist: "blocklist",
}

func originText(o string) string {
	if w, ok := originWords[o]; ok {
		return w
	}
	return o
}

// historyView is the cached ban history of every server: filters, a
// virtual table over any number of rows, an IP's timeline beside it, and
// exports. It reads only the local cache, so it works offline.
type historyView struct {
	w    fyne.Window
	r    core.History
	root fyne.CanvasObject
	now  func() time.Time
	viewWork

	*filterBar
	ipEntry  *widget.Entry
	refreshB *widget.Button
	csvB     *widget.Button
	jsonB    *widget.Button
	count    *widget.Label
	status   *widget.Label
	table    *dataTable[core.HistoryBan]
	pages    *historyPages
	body     *fyne.Container
	state    *statePanel
	timeline *timelinePanel
	split    *container.Split // table above, timeline below

	gen        int                // bumps with every new filter; stale reads are dropped
	loadedOnce bool               // a reload has run: onSynced may update
	filter     core.HistoryFilter // the filter the table shows
	export     *exportJob

	// onSync, when set, runs the history sync now (the dashboard's Sync
	// now); the empty history offers it.
	onSync func()
}

func newHistoryView(w fyne.Window, r core.History) *historyView {
	v := &historyView{w: w, r: r, now: time.Now}
	v.initWork()
	v.filterBar = newFilterBar(w, []string{range24h, range7d, range30d, range365d, rangeAll, rangeCustom}, rangeAll)
	v.ipEntry = widget.NewEntry()
	v.ipEntry.SetPlaceHolder("IP address or CIDR block")
	v.refreshB = widget.NewButtonWithIcon("Refresh", theme.ViewRefreshIcon(), v.reload)
	v.csvB = widget.NewButtonWithIcon("Export CSV…", theme.DocumentSaveIcon(), func() { v.onExport("csv") })
	v.jsonB = widget.NewButtonWithIcon("Export JSON…", theme.DocumentSaveIcon(), func() { v.onExport("json") })
	v.count = widget.NewLabel("")
	v.status = widget.NewLabel("")
	v.status.Wrapping = fyne.TextWrapWord
	v.state = newStatePanel()

	v.pages = newHistoryPages()
	v.pages.fetch = v.fetchPage
	v.table = newDataTable([]column[core.HistoryBan]{
		{title: "Time", width: 150, fixed: true, text: func(b core.HistoryBan) string { return formatClock(b.TimeOfBan) }},
		{title: "Server", width: 80, text: func(b core.HistoryBan) string { return b.Server }},
		{title: "Jail", width: 80, text: func(b core.HistoryBan) string { return b.Jail }},
		{title: "IP", width: 140, text: func(b core.HistoryBan) string { return b.IP }},
		{title: "Country", width: 70, fixed: true, text: func(b core.HistoryBan) string { return countryCell(b.Country) }},
		{title: "Ban time", width: 75, fixed: true, align: fyne.TextAlignTrailing, text: func(b core.HistoryBan) string { return banLength(b.BanTime) }},
		{title: "Bans", width: 50, fixed: true, align: fyne.TextAlignTrailing, text: func(b core.HistoryBan) string { return fmt.Sprint(b.BanCount) }},
		{title: "Failures", width: 70, fixed: true, align: fyne.TextAlignTrailing, text: func(b core.HistoryBan) string { return fmt.Sprint(b.Failures) }},
		{title: "Origin", width: 80, fixed: true, text: func(b core.HistoryBan) string { return originText(b.Origin) }},
	})
	v.table.source = v.pages
	v.table.onSelected = func(i int) {
		if b, ok := v.table.row(i); ok {
			v.showTimeline(b.IP)
		}
	}
	v.timeline = newTimelinePanel(v.closeTimeline)

	v.filterBar.onChanged = v.reload
	v.ipEntry.OnSubmitted = func(string) { v.reload() }
	v.ipEntry.OnChanged = func(s string) {
		if strings.TrimSpace(s) == "" && v.filter.IP != "" {
			v.reload()
		}
	}

	filters := container.NewBorder(nil, nil, container.NewHBox(v.filterBar.objects()...), nil, v.ipEntry)
	buttons := container.NewBorder(nil, nil, v.count, container.NewHBox(v.refreshB, v.csvB, v.jsonB))
	v.body = container.NewStack(v.state)
	// The timeline opens below the table: both keep the full width, which
	// log lines need.
	v.split = container.NewVSplit(v.body, v.timeline.root)
	v.split.Offset = 1
	v.timeline.root.Hide()
	v.root = container.NewBorder(container.NewVBox(filters, buttons, widget.NewSeparator()), v.status, nil, nil, v.split)
	v.state.loading("Reading the ban history…")
	v.setExportable(false)
	return v
}

// banLength renders a ban's length: "10m", "permanent", "unknown".
func banLength(d time.Duration) string {
	switch {
	case d == -time.Second:
		return "permanent"
	case d < 0:
		return "unknown"
	}
	return core.FormatDuration(d)
}

// showIP filters the history on one address and opens its timeline (the
// dashboard's top IPs lead here).
func (v *historyView) showIP(ip string) {
	v.selectCountry("") // a country chosen here must not hide the address
	v.ipEntry.SetText(ip)
	v.reload()
	v.showTimeline(ip)
}

func (v *historyView) stop() { v.stopWork() }

// currentFilter reads the filter widgets.
func (v *historyView) currentFilter() core.HistoryFilter {
	var f core.HistoryFilter
	v.filterBar.read(&f)
	f.IP = strings.TrimSpace(v.ipEntry.Text)
	return f
}

// reload counts the rows of the current filter and restarts the table.
func (v *historyView) reload() {
	v.gen++
	gen, f := v.gen, v.currentFilter()
	v.filter = f
	ctx := v.viewCtx()
	v.spawn(func() {
		n, err := v.r.CountHistory(ctx, f)
		jails, jerr := v.r.HistoryJails(ctx)
		newest, _ := v.r.Newest(ctx)
		do(ctx, func() {
			if jerr == nil {
				v.setJails(jails)
			}
			v.applyCount(gen, f, n, newest, err)
		})
	})
}

func (v *historyView) applyCount(gen int, f core.HistoryFilter, n int, newest time.Time, err error) {
	if gen != v.gen {
		return
	}
	v.loadedOnce = true
	v.status.SetText("")
	v.pages.reset(0)
	v.table.unselect()
	if err != nil {
		v.count.SetText("")
		v.setExportable(false)
		title := "Could not read the ban history"
		if core.ErrorCode(err) == core.EINVALID {
			title = "Check the filter"
		}
		v.state.failed(title, err, v.reload)
		v.showBody(v.state)
		return
	}
	v.pages.reset(n)
	v.setExportable(n > 0)
	v.count.SetText(plural(n, "ban", "bans") + v.ageText(newest))
	if n == 0 {
		switch {
		case !f.From.IsZero() || !f.To.IsZero() || len(f.ServerIDs) > 0 || f.Jail != "" || f.IP != "" || f.Origin != "" || f.Country != "":
			v.state.empty("No matching bans", "No cached ban matches the filter: widen the time range or clear a filter.")
		case len(v.servers) == 0:
			v.state.noServer()
		case v.onSync != nil:
			v.state.emptyWith(noHistoryTitle, historySyncs+"; they appear here after the first sync. Sync now to copy them at once.",
				"Sync now", theme.ViewRefreshIcon(), v.onSync)
		default:
			v.state.emptyWith(noHistoryTitle, historySyncs+"; they appear here after the first sync.",
				"Refresh", theme.ViewRefreshIcon(), v.reload)
		}
		v.showBody(v.state)
		return
	}
	v.showBody(v.table)
	// Fyne 2.7 lays out a separator for every row when an unsized table
	// scrolls (a million rows: 375 MB, measured): scroll only a table that
	// has been laid out; a new one starts at the top anyway.
	if v.table.table.Size().Height > 0 {
		v.table.table.ScrollToTop()
	}
	v.table.table.Refresh()
}

// onSynced is called when a history sync ran: an empty list reloads; a
// list being read says that newer rows exist rather than jumping away
// from where the user scrolled.
func (v *historyView) onSynced() {
	if !v.loadedOnce {
		return
	}
	// Nothing to lose: an empty list, or one still showing its first
	// page with no timeline open, simply reloads.
	if v.pages.total == 0 || (v.pages.last == 0 && !v.timeline.root.Visible()) {
		v.reload()
		return
	}
	gen, f, have, ctx := v.gen, v.filter, v.pages.total, v.viewCtx()
	v.spawn(func() {
		n, err := v.r.CountHistory(ctx, f)
		do(ctx, func() {
			if err != nil || gen != v.gen || n == have {
				return
			}
			v.status.SetText(fmt.Sprintf("%s more since this list was read: press Refresh to see them", plural(n-have, "ban", "bans")))
		})
	})
}

// ageText says how recent the cache is: " · newest ban 5 min ago".
func (v *historyView) ageText(newest time.Time) string {
	if newest.IsZero() {
		return ""
	}
	return " · newest cached ban " + formatAge(v.now().Sub(newest)) + " ago"
}

// fetchPage is historyPages.fetch: read in the background, apply on the UI
// goroutine if the filter is still the same.
func (v *historyView) fetchPage(p int, from *core.HistoryKey, fromPage int) {
	gen, f, ctx := v.gen, v.filter, v.viewCtx()
	v.spawn(func() {
		rows, err := readHistoryPage(ctx, v.r, f, p, from, fromPage)
		do(ctx, func() {
			if gen != v.gen {
				return
			}
			if err != nil {
				v.pages.failed(p)
				v.status.SetText("Could not read part of the history: " + core.ErrorMessage(err))
				return
			}
			v.pages.loaded(p, rows)
			v.table.table.Refresh()
		})
	})
}

func (v *historyView) showBody(o fyne.CanvasObject) { showIn(v.body, o) }

func (v *historyView) setExportable(on bool) {
	for _, b := range []*widget.Button{v.csvB, v.jsonB} {
		if on && v.export == nil {
			b.Enable()
		} else {
			b.Disable()
		}
	}
}

// showTimeline opens the side panel with every cached ban of ip.
func (v *historyView) showTimeline(ip string) {
	v.timeline.loading(ip)
	v.timeline.root.Show()
	if v.split.Offset > 0.9 {
		v.split.SetOffset(0.55)
	}
	ctx := v.viewCtx()
	v.spawn(func() {
		bans, err := v.r.IPTimeline(ctx, ip)
		var seen []core.IPSighting
		if s, ok := v.r.(core.IPSightings); ok && err == nil {
			seen, _ = s.IPSeen(ctx, ip) // the timeline says the same, longer
		}
		do(ctx, func() { v.timeline.show(ip, bans, seen, err) })
	})
}

func (v *historyView) closeTimeline() {
	v.timeline.root.Hide()
	v.split.SetOffset(1)
	v.table.unselect()
}
