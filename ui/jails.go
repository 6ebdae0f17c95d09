package ui

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/bangui/bangui/core"
)

// JailSource is what the jails view needs from a fail2ban server; f2b.Client
// provides it for local and remote servers alike.
type JailSource interface {
	Version(ctx context.Context) (core.Version, error)
	Overview(ctx context.Context) ([]core.JailStatus, error)
	Bans(ctx context.Context, jail string) ([]core.Ban, error)
}

// serverState is what one refresh learned about a server, passed to the
// server list so it can show the server as online or not.
type serverState struct {
	Online  bool
	Version core.Version
	Jails   int
	Banned  int
	Err     error
	At      time.Time // when this was learned
	// Since is when the server was first seen offline (zero online).
	Since time.Time
	// LastSync is when its history was last copied (zero: unknown).
	LastSync time.Time
}

// jailsView lists a server's jails with their counters and, for the
// selected jail, its current bans.
type jailsView struct {
	now      func() time.Time
	interval time.Duration // 0: no automatic refresh loop at all (tests)
	// every is the refresh period the user picked; the loop reads it on
	// each round, so a change applies without a restart. 0 pauses.
	every    atomic.Int64
	everySel *widget.Select
	// customLabel offers customEvery, a period set in the settings that
	// the picker's list lacks.
	customLabel string
	customEvery time.Duration
	// spawn runs blocking work off the UI goroutine. Tests replace it to
	// run the work in place, since the test driver runs fyne.Do inline.
	spawn   func(func())
	onState func(core.Server, serverState)

	title    *widget.Label
	subtitle *widget.Label
	refreshB *widget.Button
	state    *statePanel
	jails    *dataTable[core.JailStatus]
	bans     *dataTable[core.Ban]
	bansHead *widget.Label
	body     *fyne.Container // holds state or the tables
	tables   fyne.CanvasObject
	root     fyne.CanvasObject

	// Touched on the UI goroutine only.
	server   core.Server
	src      JailSource
	ctl      JailControl // reads and changes one jail's settings
	perm     Permanent   // nil when the server's config files are out of reach
	detail   *jailDetail
	infoMu   sync.Mutex
	infoSrc  JailInfoSource      // nil when the config files are out of reach
	info     map[string]JailInfo // from the config files, by jail
	lower    *container.AppTabs  // the selected jail's bans and settings
	selected string
	gen      int                // bumps on server change; stale results are dropped
	parent   context.Context    // the app's; cancelling it stops everything
	ctx      context.Context    // lives as long as the current server is shown
	cancel   context.CancelFunc // ends ctx: the refresh loop and running fetches

	// The scope: the selected server, or a group or all servers side by
	// side (fleet shows them); onSingle goes back to the selected server.
	scopeSel *widget.Select
	fleet    *fleetJails
	multi    bool
	servers  []core.Server
	source   func(core.Server) JailSource
	onSingle func()

	// selectedNow mirrors selected for the refresh goroutine.
	selectedNow atomic.Value // string
	work        sync.WaitGroup
}

// JailInfo is what a jail's configuration files say about it: the socket
// does not tell its filter or backend.
type JailInfo struct {
	Filter, Backend string
}

// JailInfoSource reads the filter and backend of every jail of a server
// from its configuration files.
type JailInfoSource interface {
	JailInfo(ctx context.Context) (map[string]JailInfo, error)
}

// JailControl reads and changes one jail's settings at runtime.
type JailControl interface {
	JailReader
	JailEditor
}

func newJailsView(w fyne.Window, interval time.Duration, onState func(core.Server, serverState)) *jailsView {
	v := &jailsView{now: time.Now, interval: interval, onState: onState, parent: context.Background()}
	v.every.Store(int64(interval))
	v.everySel = widget.NewSelect(refreshChoices, v.onEvery)
	if l, ok := refreshLabel(interval); ok {
		v.everySel.SetSelected(l)
	} else if interval > 0 {
		// A period given on the command line that is not in the list.
		l = fmt.Sprintf("Every %s", interval)
		v.everySel.Options = append([]string{l}, refreshChoices...)
		v.everySel.SetSelected(l)
	}
	v.spawn = func(f func()) {
		v.work.Add(1)
		go func() { defer v.work.Done(); f() }()
	}
	v.selectedNow.Store("")
	v.title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.title.SizeName = theme.SizeNameSubHeadingText
	v.subtitle = widget.NewLabel("")
	v.subtitle.Truncation = fyne.TextTruncateEllipsis
	v.refreshB = widget.NewButtonWithIcon("Refresh", theme.ViewRefreshIcon(), v.onRefresh)
	v.state = newStatePanel()

	v.jails = newDataTable([]column[core.JailStatus]{
		{title: "Jail", width: 200, text: func(s core.JailStatus) string { return s.Name }},
		{title: "State", width: 90, text: jailState},
		{title: "Filter", width: 120, text: func(s core.JailStatus) string { return dashIfEmpty(v.info[s.Name].Filter) }},
		{title: "Backend", width: 90, text: func(s core.JailStatus) string {
			if b := v.info[s.Name].Backend; b != "" {
				return b
			}
			return dashIfEmpty(s.Backend) // "files" or "systemd", from the status
		}},
		{title: "Failed now", width: 110, align: fyne.TextAlignTrailing, text: func(s core.JailStatus) string { return formatCount(s.CurrentlyFailed) }},
		{title: "Banned now", width: 115, align: fyne.TextAlignTrailing, text: func(s core.JailStatus) string { return formatCount(s.CurrentlyBanned) }},
		{title: "Total failed", width: 115, align: fyne.TextAlignTrailing, text: func(s core.JailStatus) string { return formatCount(s.TotalFailed) }},
		{title: "Total banned", width: 120, align: fyne.TextAlignTrailing, text: func(s core.JailStatus) string { return formatCount(s.TotalBanned) }},
	})
	v.jails.onSelected = v.onJailSelected

	v.bans = newDataTable([]column[core.Ban]{
		{title: "IP address", width: 260, text: func(b core.Ban) string { return b.IP }},
		{title: "Ban start", width: 180, text: func(b core.Ban) string { return formatClock(b.Start) }},
		{title: "Ban end", width: 180, text: func(b core.Ban) string {
			if b.Permanent {
				return "never"
			}
			return formatClock(b.End)
		}},
		{title: "Time left", width: 110, align: fyne.TextAlignTrailing, text: func(b core.Ban) string { return formatLeft(b.Remaining(v.now())) }},
	})
	v.bansHead = widget.NewLabelWithStyle("Select a jail to see its bans", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})

	v.detail = newJailDetail(w)
	v.detail.onChanged = v.onRefresh
	v.lower = container.NewAppTabs(
		container.NewTabItemWithIcon("Bans", theme.VisibilityOffIcon(), container.NewBorder(v.bansHead, nil, nil, nil, v.bans)),
		container.NewTabItemWithIcon("Settings", theme.SettingsIcon(), v.detail.root),
	)
	split := container.NewVSplit(v.jails, v.lower)
	split.Offset = 0.36
	v.tables = split
	v.body = container.NewStack(v.state)
	v.fleet = newFleetJails()
	v.scopeSel = widget.NewSelect([]string{scopeSelected}, func(string) { v.rescope() })
	v.scopeSel.SetSelected(scopeSelected)
	v.scopeSel.Hide() // shown once there are several servers
	header := container.NewBorder(nil, nil, nil, container.NewCenter(container.NewHBox(v.scopeSel, v.everySel, v.refreshB)), container.NewVBox(v.title, v.subtitle))
	v.root = container.NewBorder(container.NewVBox(header, widget.NewSeparator()), nil, nil, nil, v.body)
	v.showEmpty(nil)
	return v
}

func jailState(s core.JailStatus) string {
	if s.Idle {
		return "idle"
	}
	return "running"
}

// showEmpty says there is no server yet; retry, when given, looks again.
func (v *jailsView) showEmpty(retry func()) {
	v.title.SetText("No server yet")
	v.subtitle.SetText("")
	v.refreshB.Disable()
	v.state.emptyWith(noServerTitle, noServerMessage+" If fail2ban uses another socket, run BanGUI with -socket PATH.",
		"Look again", theme.SearchIcon(), retry)
	v.body.Objects = []fyne.CanvasObject{v.state}
	v.body.Refresh()
}

// setServers offers every server and group in the scope select (shown
// with two servers or more); source gives a server's client.
func (v *jailsView) setServers(list []core.Server, source func(core.Server) JailSource) {
	v.servers, v.source = list, source
	v.scopeSel.Options = append([]string{scopeSelected}, scopeOptions(list)...)
	v.scopeSel.Refresh()
	if len(list) > 1 {
		v.scopeSel.Show()
	}
	if v.multi {
		v.rescope()
	}
}

// rescope follows the scope select: the selected server's jails, or the
// jails of a group or of all servers.
func (v *jailsView) rescope() {
	choice := v.scopeSel.Selected
	if choice == scopeSelected || choice == "" || v.source == nil {
		if v.multi {
			v.multi = false
			v.fleet.stop()
			if v.onSingle != nil {
				v.onSingle()
			}
		}
		return
	}
	ids := scopeIDs(v.servers, choice)
	var list []core.Server
	for _, s := range v.servers {
		if ids == nil || slices.Contains(ids, s.ID) {
			list = append(list, s)
		}
	}
	v.stop()
	v.gen++
	v.multi = true
	v.title.SetText(choice)
	v.subtitle.SetText(plural(len(list), "server", "servers"))
	v.body.Objects = []fyne.CanvasObject{v.fleet.root}
	v.body.Refresh()
	v.fleet.start(v.parent, list, v.source, func() time.Duration { return time.Duration(v.every.Load()) })
}

// setServer switches the view to another server and starts refreshing it
// on the view's interval until the next switch or stop. While the view
// shows a group, the server is only remembered.
func (v *jailsView) setServer(s core.Server, src JailSource, ctl JailControl, perm Permanent, info JailInfoSource) {
	if v.multi {
		v.server, v.src, v.ctl, v.perm = s, src, ctl, perm
		return
	}
	v.show(s, src)
	v.ctl, v.perm = ctl, perm
	v.infoMu.Lock()
	v.infoSrc = info
	v.infoMu.Unlock()
	ctx, gen := v.ctx, v.gen
	v.spawn(func() { v.fetchInfo(ctx, gen); v.fetch(ctx, gen, s, src, "") })
	if v.interval > 0 {
		v.work.Add(1)
		go func() { defer v.work.Done(); v.loop(ctx, gen, s, src) }()
	}
}

// show switches the view to s without starting the refresh loop (tests
// drive it with update).
func (v *jailsView) show(s core.Server, src JailSource) {
	v.stop()
	v.gen++
	v.server, v.src, v.info = s, src, nil
	v.setSelected("")
	v.jails.unselect()
	v.jails.set(nil)
	v.bans.set(nil)
	v.bansHead.SetText("Select a jail to see its bans")
	v.title.SetText(s.Name)
	v.subtitle.SetText(serverKind(s))
	v.refreshB.Enable()
	v.state.loading("Connecting to fail2ban…")
	v.body.Objects = []fyne.CanvasObject{v.state}
	v.body.Refresh()
	v.ctx, v.cancel = context.WithCancel(v.parent)
}

func (v *jailsView) setSelected(jail string) {
	v.selected = jail
	v.selectedNow.Store(jail)
}

// update loads and shows the current server's state, blocking; for tests.
func (v *jailsView) update(ctx context.Context) {
	v.apply(v.gen, v.server, load(ctx, v.src, v.selected, v.now()))
}

func serverKind(s core.Server) string {
	if s.Kind == core.ServerLocal {
		return "this machine"
	}
	return s.Host
}

// stop ends the refresh loop and any fetch still running, and waits for
// them, so nothing touches widgets after the window is gone. It runs on the
// UI goroutine; the background work never waits for it (fyne.Do is
// asynchronous), so waiting cannot deadlock.
func (v *jailsView) stop() {
	if v.cancel != nil {
		v.cancel()
		v.cancel = nil
	}
	v.work.Wait()
	v.detail.stop()
	v.fleet.stop()
}

// showDetail loads the settings panel for the selected jail.
func (v *jailsView) showDetail(jail string, idle bool) {
	if v.ctl == nil || jail == "" {
		return
	}
	v.detail.show(v.server, jail, v.ctl, v.ctl, v.perm)
	v.detail.showIdle(idle)
}

// loop refreshes on the period the user picked and redraws the "time
// left" column every second. It runs in its own goroutine until ctx ends.
func (v *jailsView) loop(ctx context.Context, gen int, s core.Server, src JailSource) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			do(ctx, func() {
				if len(v.bans.rows) > 0 {
					v.bans.table.Refresh()
				}
			})
			if every := time.Duration(v.every.Load()); every > 0 && now.Sub(last) >= every {
				last = now
				v.fetch(ctx, gen, s, src, v.selectedNow.Load().(string))
			}
		}
	}
}

// snapshot is one refresh's result.
type snapshot struct {
	version core.Version
	jails   []core.JailStatus
	jail    string
	bans    []core.Ban
	bansErr error
	err     error
	at      time.Time
}

// load asks the server for everything the view shows. It blocks; call it
// off the UI goroutine.
func load(ctx context.Context, src JailSource, jail string, now time.Time) snapshot {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	snap := snapshot{jail: jail, at: now}
	if snap.version, snap.err = src.Version(ctx); snap.err != nil {
		return snap
	}
	if snap.jails, snap.err = src.Overview(ctx); snap.err != nil {
		return snap
	}
	if jail == "" && len(snap.jails) > 0 {
		// Nothing selected yet: show the first jail's bans right away.
		jail = snap.jails[0].Name
		snap.jail = jail
	}
	if jail != "" {
		snap.bans, snap.bansErr = src.Bans(ctx, jail)
	}
	return snap
}

// fetchInfo reads the jails' filter and backend from the config files;
// they change only with a reload, so this runs on server selection and on
// an explicit refresh, not on every poll.
func (v *jailsView) fetchInfo(ctx context.Context, gen int) {
	src := v.infoSource()
	if src == nil {
		return
	}
	info, err := src.JailInfo(ctx)
	if err != nil {
		slog.Info("jail config not readable", "err", err)
		return
	}
	do(ctx, func() {
		if gen == v.gen {
			v.info = info
			v.jails.table.Refresh()
		}
	})
}

func (v *jailsView) infoSource() JailInfoSource {
	v.infoMu.Lock()
	defer v.infoMu.Unlock()
	return v.infoSrc
}

func (v *jailsView) fetch(ctx context.Context, gen int, s core.Server, src JailSource, jail string) {
	snap := load(ctx, src, jail, v.now())
	do(ctx, func() { v.apply(gen, s, snap) })
}

// apply shows a snapshot; it runs on the UI goroutine.
func (v *jailsView) apply(gen int, s core.Server, snap snapshot) {
	if gen != v.gen {
		return
	}
	st := serverState{Online: snap.err == nil, Version: snap.version, Err: snap.err, At: snap.at}
	if snap.err != nil {
		v.subtitle.SetText(serverKind(s) + " · unreachable at " + snap.at.Format("15:04:05"))
		v.state.failed("Cannot reach fail2ban on "+s.Name, snap.err, v.onRefresh)
		v.body.Objects = []fyne.CanvasObject{v.state}
		v.body.Refresh()
		if v.onState != nil {
			v.onState(s, st)
		}
		return
	}
	for _, j := range snap.jails {
		st.Jails++
		st.Banned += j.CurrentlyBanned
	}
	v.subtitle.SetText(fmt.Sprintf("%s · fail2ban %s · %s, %s banned · updated %s",
		serverKind(s), snap.version, plural(st.Jails, "jail", "jails"), formatCount(st.Banned), snap.at.Format("15:04:05")))
	if len(snap.jails) == 0 {
		v.state.empty("This server has no jails",
			"fail2ban is running but no jail is enabled. Enable one in jail.local (for example [sshd] enabled = true) and reload fail2ban.")
		v.body.Objects = []fyne.CanvasObject{v.state}
	} else {
		v.body.Objects = []fyne.CanvasObject{v.tables}
	}
	v.body.Refresh()
	if v.selected == "" && snap.jail != "" {
		v.setSelected(snap.jail)
		v.showDetail(snap.jail, len(snap.jails) > 0 && snap.jails[0].Idle)
	}
	v.jails.sel = -1
	for i, j := range snap.jails {
		if j.Name == v.selected {
			v.jails.sel = i
		}
	}
	v.jails.set(snap.jails)
	if snap.jail != "" && snap.jail == v.selected {
		v.applyBans(snap.jail, snap.bans, snap.bansErr)
	}
	if v.onState != nil {
		v.onState(s, st)
	}
}

func (v *jailsView) applyBans(jail string, bans []core.Ban, err error) {
	if err != nil {
		v.bansHead.SetText("Bans in " + jail + ": " + core.ErrorMessage(err))
		v.bans.set(nil)
		return
	}
	if len(bans) == 0 {
		v.bansHead.SetText("No address is banned in " + jail + " right now. Ban one in the Bans tab with Ban…")
	} else {
		v.bansHead.SetText(fmt.Sprintf("Bans in %s (%s)", jail, formatCount(len(bans))))
	}
	v.bans.set(bans)
}

func (v *jailsView) onJailSelected(i int) {
	row, ok := v.jails.row(i)
	if !ok || row.Name == v.selected {
		return
	}
	v.setSelected(row.Name)
	v.showDetail(row.Name, row.Idle)
	v.bansHead.SetText("Loading bans of " + row.Name + "…")
	v.bans.set(nil)
	ctx, gen, src, jail := v.ctx, v.gen, v.src, row.Name
	v.spawn(func() {
		callCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		bans, err := src.Bans(callCtx, jail)
		do(ctx, func() {
			if gen == v.gen && v.selected == jail {
				v.applyBans(jail, bans, err)
			}
		})
	})
}

func (v *jailsView) onRefresh() {
	if v.multi {
		v.rescope()
		return
	}
	if v.src == nil {
		return
	}
	v.refreshB.Disable()
	gen, s, src, jail, ctx := v.gen, v.server, v.src, v.selected, v.ctx
	v.spawn(func() {
		v.fetchInfo(ctx, gen)
		v.fetch(ctx, gen, s, src, jail)
		do(ctx, func() { v.refreshB.Enable() })
	})
}

// lines returns the jail rows as text, for tests.
func (v *jailsView) lines() string {
	var b strings.Builder
	for i := range v.jails.rows {
		for c := range v.jails.cols {
			if c > 0 {
				b.WriteString(" | ")
			}
			b.WriteString(v.jails.cellText(i, c))
		}
		b.WriteByte('\n')
	}
	return b.String()
}
