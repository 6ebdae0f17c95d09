package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/fleet"
)

// dashboardRefresh is how often the dashboard reloads while shown.
const dashboardRefresh = 30 * time.Second

// serverProbe is what the dashboard learned from one server just now.
type serverProbe struct {
	server  core.Server
	version core.Version
	jails   int
	banned  int
	err     error
}

// dashboardView shows, per server, whether it answers and how fresh its
// cached history is, then charts of the cached history over a time range:
// the trend, bans by jail, the top addresses and where bans came from. The
// charts read only the cache, so they work with every server offline.
type dashboardView struct {
	w      fyne.Window
	r      core.History
	source func(core.Server) ServerClient
	tasks  *tasksPanel
	root   fyne.CanvasObject
	now    func() time.Time
	viewWork

	servers   []core.Server
	rng       *rangePicker
	serverSel *widget.Select
	syncB     *widget.Button
	syncBar   *widget.ProgressBarInfinite // while a sync runs
	statusBox *fyne.Container
	offline   *widget.Label
	trendT    *widget.Label
	trend     *trendChart
	byJail    *barList
	topIPs    *barList
	origins   *barList
	state     *statePanel
	body      *fyne.Container
	charts    fyne.CanvasObject

	gen     int
	poller  *fleet.Poller
	polling bool
	// pollSpawn runs the poll off the UI goroutine (tests: in place).
	pollSpawn func(func())
	// onStatus hears every server's poll result (the server list).
	onStatus func(core.ServerStatus)
	// onPoll hears a whole poll once it has ended (notifications, tray).
	onPoll  func([]core.ServerStatus)
	probes  map[int64]serverProbe
	syncs   map[int64]core.SyncStatus
	ticker  *time.Ticker
	visible bool
	// onIP opens an address's timeline (in the history view).
	onIP func(ip string)
}

func newDashboardView(w fyne.Window, r core.History, tasks core.Tasks) *dashboardView {
	v := &dashboardView{w: w, r: r, now: time.Now, probes: map[int64]serverProbe{}}
	v.initWork()
	v.rng = newRangePicker(w, []string{range24h, range7d, range30d, range365d, rangeCustom}, range7d)
	v.rng.onChanged = v.refresh
	v.serverSel = widget.NewSelect([]string{allServers}, nil)
	v.serverSel.SetSelected(allServers)
	v.serverSel.OnChanged = func(string) { v.refresh() }
	v.syncB = widget.NewButtonWithIcon("Sync now", theme.ViewRefreshIcon(), v.syncNow)
	v.syncBar = widget.NewProgressBarInfinite()
	v.syncBar.Stop()
	v.syncBar.Hide()
	v.statusBox = container.NewVBox()
	v.offline = widget.NewLabel("")
	v.offline.Wrapping = fyne.TextWrapWord
	v.offline.Importance = widget.WarningImportance
	v.offline.Hide()
	v.trendT = widget.NewLabel("Bans")
	v.trendT.TextStyle = fyne.TextStyle{Bold: true}
	v.trend = newTrendChart()
	v.byJail = newBarList("No bans in this range")
	v.topIPs = newBarList("No bans in this range")
	v.topIPs.OnTapped = func(ip string) {
		if v.onIP != nil {
			v.onIP(ip)
		}
	}
	v.origins = newBarList("No bans in this range")
	v.tasks = newTasksPanel(tasks)
	v.state = newStatePanel()

	card := func(title string, o fyne.CanvasObject) fyne.CanvasObject {
		t := widget.NewLabel(title)
		t.TextStyle = fyne.TextStyle{Bold: true}
		return widget.NewCard("", "", container.NewBorder(t, nil, nil, nil, o))
	}
	trendCard := widget.NewCard("", "", container.NewBorder(v.trendT, nil, nil, nil, v.trend))
	lists := container.NewGridWithColumns(3,
		card("Bans by jail", v.byJail),
		card("Top addresses (tap for the timeline)", v.topIPs),
		card("Origin", v.origins))
	// In a scroll: a short window scrolls instead of growing past the
	// screen; a tall one gives the trend the spare height.
	v.charts = container.NewVScroll(container.NewBorder(nil, lists, nil, nil, trendCard))
	v.body = container.NewStack(v.state)

	v.tasks.onWaiting = v.syncing
	bar := container.NewBorder(nil, nil, container.NewHBox(v.rng.sel, v.serverSel),
		container.NewHBox(container.NewGridWrap(fyne.NewSize(120, v.syncB.MinSize().Height), v.syncBar), v.syncB))
	top := container.NewVBox(bar, v.statusBox, v.offline, widget.NewSeparator())
	v.root = container.NewBorder(top, v.tasks.root, nil, nil, v.body)
	v.state.loading("Reading the ban history…")
	return v
}

// setServers fills the server filter and the status lines.
func (v *dashboardView) setServers(list []core.Server) {
	v.servers = list
	v.serverSel.Options = scopeOptions(list)
	v.serverSel.Refresh()
	v.renderStatus()
}

// shown starts the periodic refresh; hidden stops it.
func (v *dashboardView) shown() {
	v.visible = true
	v.refresh()
	if v.ticker != nil {
		return
	}
	v.ticker = time.NewTicker(dashboardRefresh)
	t, ctx := v.ticker, v.viewCtx()
	v.spawn(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				do(ctx, func() {
					if v.visible {
						v.refresh()
					}
				})
			}
		}
	})
}

func (v *dashboardView) hidden() { v.visible = false }

func (v *dashboardView) stop() {
	if v.ticker != nil {
		v.ticker.Stop()
		v.ticker = nil
	}
	v.stopWork()
}

func (v *dashboardView) filter() core.HistoryFilter {
	var f core.HistoryFilter
	f.From, f.To = v.rng.bounds()
	f.ServerIDs = scopeIDs(v.servers, v.serverSel.Selected)
	return f
}

// refresh reloads the charts from the cache and probes the servers, both
// in the background.
func (v *dashboardView) refresh() {
	v.gen++
	gen, f, ctx := v.gen, v.filter(), v.viewCtx()
	v.spawn(func() {
		d, err := v.r.Dashboard(ctx, f)
		states, serr := v.r.SyncStates(ctx)
		var newest time.Time
		if err == nil && d.Total == 0 {
			newest, _ = v.r.Newest(ctx) // is the cache empty, or only this range?
		}
		do(ctx, func() {
			if serr == nil {
				v.syncs = map[int64]core.SyncStatus{}
				for _, s := range states {
					v.syncs[s.ServerID] = s
				}
			}
			v.applyDashboard(gen, d, newest, err)
		})
	})
	v.probeServers(ctx)
	v.tasks.refresh(ctx, v.spawn)
}

// probeServers checks every server through the fleet poller (a bounded
// number at once, each with its own timeout, so a dead server holds up
// nobody); each answer updates its status line, and onStatus, as it
// comes. A poll still running is not started again.
func (v *dashboardView) probeServers(ctx context.Context) {
	if len(v.servers) == 0 && v.onPoll != nil {
		v.onPoll(nil) // no server: the tray says so
	}
	if v.source == nil || v.polling || len(v.servers) == 0 {
		return
	}
	if v.poller == nil {
		v.poller = &fleet.Poller{Client: func(s core.Server) fleet.Prober { return prober{v.source(s)} }}
	}
	v.polling = true
	list, p := v.servers, v.poller
	spawn := v.pollSpawn
	if spawn == nil {
		spawn = v.spawn
	}
	spawn(func() {
		all, _ := p.Poll(ctx, list, func(st core.ServerStatus) {
			do(ctx, func() {
				if core.ErrorCode(st.Err) == core.ECANCELED {
					return
				}
				v.probes[st.Server.ID] = serverProbe{server: st.Server, version: st.Version, jails: st.Jails, banned: st.Banned, err: st.Err}
				v.renderStatus()
				if v.onStatus != nil {
					v.onStatus(st)
				}
			})
		})
		fyne.Do(func() { v.polling = false }) // also when ctx ended
		if ctx.Err() == nil && v.onPoll != nil {
			do(ctx, func() { v.onPoll(all) })
		}
	})
}

// prober makes a window client a fleet.Prober: it pings when it can,
// and asks for the version otherwise.
type prober struct{ ServerClient }

func (p prober) Ping(ctx context.Context) error {
	if pc, ok := p.ServerClient.(interface{ Ping(context.Context) error }); ok {
		return pc.Ping(ctx)
	}
	_, err := p.Version(ctx)
	return err
}

func (v *dashboardView) applyDashboard(gen int, d core.Dashboard, newest time.Time, err error) {
	if gen != v.gen {
		return
	}
	if err != nil {
		title := "Could not read the ban history"
		if core.ErrorCode(err) == core.EINVALID {
			title = "Check the time range"
		}
		v.state.failed(title, err, v.refresh)
		v.showBody(v.state)
		return
	}
	v.trendT.SetText(fmt.Sprintf("%s · %s, %s", trendTitle(d.Step), v.rng.describe(), plural(d.Total, "ban", "bans")))
	v.trend.SetData(d.Trend, d.Step)
	v.byJail.SetData(d.ByJail)
	v.topIPs.Total = d.Total
	v.topIPs.SetData(d.TopIPs)
	var origins []core.NamedCount
	for _, o := range d.Origins {
		origins = append(origins, core.NamedCount{Name: originText(o.Name), Count: o.Count})
	}
	v.origins.SetData(origins)
	v.renderStatus()
	if d.Total == 0 {
		v.showEmpty(newest)
		return
	}
	v.showBody(v.charts)
}

// showEmpty says why there is nothing to chart (newest: the newest cached
// ban, zero when the cache has none) and what to do about it.
func (v *dashboardView) showEmpty(newest time.Time) {
	switch {
	case newest.IsZero() && len(v.servers) == 0:
		v.state.noServer()
	case newest.IsZero():
		v.state.emptyWith(noHistoryTitle, historySyncs+"; the charts fill after the first sync. Sync now to copy them at once.",
			"Sync now", theme.ViewRefreshIcon(), v.syncNow)
	default:
		next := "Widen the time range"
		if v.serverSel.Selected != allServers {
			next += " or pick " + allServers
		}
		v.state.empty("No bans in this range", "No ban is cached in this range ("+v.rng.describe()+"). "+next+".")
	}
	v.showBody(v.state)
}

func trendTitle(step time.Duration) string {
	switch step {
	case time.Hour:
		return "Bans per hour"
	case 24 * time.Hour:
		return "Bans per day (UTC)"
	}
	return "Bans per week (UTC)"
}

func (v *dashboardView) showBody(o fyne.CanvasObject) { showIn(v.body, o) }

// renderStatus rebuilds the status lines and the offline banner.
func (v *dashboardView) renderStatus() {
	lines := make([]fyne.CanvasObject, 0, len(v.servers))
	online, probed := 0, 0
	for _, s := range v.servers {
		p, ok := v.probes[s.ID]
		if ok {
			probed++
			if p.err == nil {
				online++
			}
		}
		lines = append(lines, v.statusLine(s, p, ok))
	}
	if len(v.servers) == 0 {
		none := widget.NewLabel(noServerTitle + ". " + noServerMessage)
		none.Wrapping = fyne.TextWrapWord
		lines = append(lines, none)
	}
	v.statusBox.Objects = lines
	v.statusBox.Refresh()
	if probed > 0 && probed == len(v.servers) && online == 0 {
		v.offline.SetText("Offline: no server answers. The charts and the history show the local cache" + v.cacheAge() + ".")
		v.offline.Show()
	} else {
		v.offline.Hide()
	}
}

// cacheAge says when the newest successful sync ran: ", last synced 3 h ago".
func (v *dashboardView) cacheAge() string {
	var last time.Time
	for _, s := range v.syncs {
		if s.SyncedAt.After(last) {
			last = s.SyncedAt
		}
	}
	if last.IsZero() {
		return " (never synced)"
	}
	return ", last synced " + formatAge(v.now().Sub(last)) + " ago"
}

// statusLine is one server's line: a state icon, then what is known.
func (v *dashboardView) statusLine(s core.Server, p serverProbe, probed bool) fyne.CanvasObject {
	icon := widget.NewIcon(theme.MediaRecordIcon())
	var parts []string
	switch {
	case !probed:
		parts = append(parts, "checking…")
	case p.err != nil:
		icon.SetResource(theme.NewErrorThemedResource(theme.MediaRecordIcon()))
		parts = append(parts, "unreachable: "+core.ErrorMessage(p.err))
	default:
		icon.SetResource(theme.NewSuccessThemedResource(theme.MediaRecordIcon()))
		parts = append(parts, "online", "fail2ban "+p.version.String(), plural(p.jails, "jail", "jails"), plural(p.banned, "ban", "bans")+" now")
	}
	st, ok := v.syncs[s.ID]
	switch {
	case !ok || st.AttemptedAt.IsZero():
		parts = append(parts, "history not synced yet")
	case st.Error != "" && st.SyncedAt.IsZero():
		parts = append(parts, "history sync failed: "+st.Error)
	case st.Error != "":
		parts = append(parts, "last sync "+formatAge(v.now().Sub(st.SyncedAt))+" ago; the latest failed: "+st.Error)
	default:
		parts = append(parts, "synced "+formatAge(v.now().Sub(st.SyncedAt))+" ago")
	}
	name := widget.NewLabel(s.Name)
	name.TextStyle = fyne.TextStyle{Bold: true}
	text := widget.NewLabel(strings.Join(parts, " · "))
	text.Truncation = fyne.TextTruncateEllipsis
	line := container.NewBorder(nil, nil, container.NewHBox(icon, name), nil, text)
	if ok && st.Warning != "" {
		warn := widget.NewLabel("⚠ " + st.Warning)
		warn.Wrapping = fyne.TextWrapWord
		warn.Importance = widget.WarningImportance
		return container.NewVBox(line, warn)
	}
	return line
}

// syncNow runs every history sync task at once, in whichever copy this is.
func (v *dashboardView) syncNow() {
	v.tasks.runMatching("sync", func() { v.refresh() })
}

// syncing turns Sync now into Cancel sync, with a moving bar, while the
// runs it started go on.
func (v *dashboardView) syncing(on bool) {
	if on {
		v.syncB.SetText("Cancel sync")
		v.syncB.SetIcon(theme.CancelIcon())
		v.syncB.OnTapped = v.tasks.cancel
		v.syncBar.Show()
		v.syncBar.Start()
		return
	}
	v.syncBar.Stop()
	v.syncBar.Hide()
	v.syncB.SetText("Sync now")
	v.syncB.SetIcon(theme.ViewRefreshIcon())
	v.syncB.OnTapped = v.syncNow
}
