package ui

import (
	"context"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/fleet"
)

// BanSource is what the bans view needs from a server: f2b.Client, or the
// activity-recording wrapper around it.
type BanSource interface {
	Jails(ctx context.Context) ([]string, error)
	AllBans(ctx context.Context) ([]core.Ban, error)
	JailsOf(ctx context.Context, ips ...string) (map[string][]string, error)
	BanIP(ctx context.Context, jail string, ips []string, p core.Progress) (core.BatchResult, error)
	UnbanIP(ctx context.Context, jail string, ips []string, p core.Progress) (core.BatchResult, error)
	Unban(ctx context.Context, ips ...string) (int, error)
	UnbanAll(ctx context.Context) (int, error)
}

// FailureSource tells how many failures led to each current ban, keyed by
// jail+"|"+IP. It reads fail2ban's own database, which fail2ban keeps
// root-only; it may be absent.
type FailureSource interface {
	Failures(ctx context.Context) (map[string]int, error)
}

// bansView lists every current ban of a server across its jails, with
// filter, sort, multi-select, unban, and a manual ban.
type bansView struct {
	w        fyne.Window
	now      func() time.Time
	interval time.Duration // 0: no refresh loop (tests)
	// every is the refresh period the loop reads on each tick, so the
	// settings can change it while the loop runs.
	every    atomic.Int64
	spawn    func(func())
	ownAddrs func() []netip.Addr // this workstation's addresses, for ban warnings

	filter  *widget.Entry
	jailSel *widget.Select
	// countrySel filters on the countries of the current bans; countries
	// holds each banned address's country (from locator, offline).
	countrySel *widget.Select
	countries  map[string]string
	// countryCodes[i] is the code of countrySel.Options[i+1].
	countryCodes []string
	locator      core.Locator
	count        *widget.Label
	table        *dataTable[core.Ban]
	banB         *widget.Button
	unbanB       *widget.Button
	everyB       *widget.Button
	allB         *widget.Button
	fleetB       *widget.Button // many servers; hidden without onFleet
	scopeSel     *widget.Select // the selected server, a group or all
	status       *widget.Label
	progress     *widget.ProgressBar
	cancelB      *widget.Button
	whereIn      *widget.Entry
	whereOut     *widget.Label
	state        *statePanel     // loading, nothing banned, or why the bans cannot be read
	body         *fyne.Container // holds state or the table
	root         fyne.CanvasObject

	// UI goroutine only.
	server   core.Server
	src      BanSource
	fails    FailureSource  // nil when fail2ban's database is out of reach
	failures map[string]int // jail|ip -> failures, from the last fetch
	all      []core.Ban     // last fetch, in server order
	jails    []string       // the server's jails, for the ban form
	sortKey  string
	sortDesc bool
	marked   map[string]bool // jail+"|"+ip
	gen      int
	parent   context.Context // the app's; cancelling it stops everything
	ctx      context.Context
	cancel   context.CancelFunc
	jobStop  context.CancelFunc // cancels the running ban/unban job
	work     sync.WaitGroup

	// loadStatus is true while the status line says something about
	// loading (which the next fetch replaces), not an action's result.
	loadStatus bool
	// phase is what the body shows: the state panel while loading or
	// after an error, the table (or why it is empty) once bans are read.
	phase bansPhase

	// scope lists the servers shown: the selected one, or several
	// (multi) when scopeSel picks a group or all. servers and sources
	// make the scope from scopeSel's choice.
	scope   []banScope
	multi   bool
	servers []core.Server
	sources func(core.Server) (BanSource, FailureSource)

	// onFleet opens the many-servers dialog with the selected addresses
	// and this server's jails.
	onFleet func(ips, jails []string)

	// The last question asked and the open ban form, kept for tests.
	confirm *dialog.ConfirmDialog
	phrase  *widget.Entry // the "type UNBAN ALL" entry of the last question
	banForm *banForm
}

// bansPhase is where the bans view is: loading, failed or showing bans.
type bansPhase int

const (
	bansLoading bansPhase = iota
	bansFailed
	bansShown
)

func banKey(b core.Ban) string { return b.Server + "|" + b.Jail + "|" + b.IP }

// banScope is one server the bans view lists: its name, its client and
// where its failure counts come from.
type banScope struct {
	server core.Server
	src    BanSource
	fails  FailureSource
}

// Choices of the bans view's server scope, before the groups.
const scopeSelected = "Selected server"

// banServerCol is the Server column of the bans table.
const banServerCol = 8

var banSortKeys = []string{"", core.SortIP, core.SortJail, core.SortStart, core.SortEnd, "", "", "", ""}

func newBansView(w fyne.Window, interval time.Duration) *bansView {
	v := &bansView{w: w, now: time.Now, interval: interval, marked: map[string]bool{}, sortKey: core.SortEnd, parent: context.Background()}
	v.every.Store(int64(interval))
	v.spawn = func(f func()) {
		v.work.Add(1)
		go func() { defer v.work.Done(); f() }()
	}
	v.ownAddrs = localAddrs
	v.filter = widget.NewEntry()
	v.filter.SetPlaceHolder("Filter: IP prefix, CIDR (198.51.100.0/24) or jail")
	v.jailSel = widget.NewSelect([]string{"All jails"}, nil)
	v.jailSel.SetSelected("All jails")
	v.countrySel = widget.NewSelect([]string{allCountries}, nil)
	v.countrySel.SetSelected(allCountries)
	v.count = widget.NewLabel("")

	v.table = newDataTable([]column[core.Ban]{
		{title: "", width: 28, fixed: true, text: func(b core.Ban) string {
			if v.marked[banKey(b)] {
				return "✓"
			}
			return ""
		}},
		{title: "IP address", width: 210, text: func(b core.Ban) string { return b.IP }},
		{title: "Jail", width: 120, text: func(b core.Ban) string { return b.Jail }},
		{title: "Ban start", width: 165, fixed: true, text: func(b core.Ban) string { return formatClock(b.Start) }},
		{title: "Ban end", width: 165, fixed: true, text: func(b core.Ban) string {
			if b.Permanent {
				return "never"
			}
			return formatClock(b.End)
		}},
		{title: "Time left", width: 90, fixed: true, align: fyne.TextAlignTrailing, text: func(b core.Ban) string { return formatLeft(b.Remaining(v.now())) }},
		// Failures come from fail2ban's database when it can be read; the
		// country from the geo store (offline).
		{title: "Failures", width: 80, fixed: true, align: fyne.TextAlignTrailing, text: func(b core.Ban) string {
			if n, ok := v.failures[banKey(b)]; ok {
				return formatCount(n)
			}
			return "–"
		}},
		{title: "Country", width: 75, fixed: true, text: func(b core.Ban) string { return countryCell(v.countries[b.IP]) }},
		// Shown for a group or all servers only.
		{title: "Server", width: 100, hidden: true, text: func(b core.Ban) string { return b.Server }},
	})
	v.filter.OnChanged = func(string) { v.show() }
	v.jailSel.OnChanged = func(string) { v.show() }
	v.countrySel.OnChanged = func(string) { v.show() }
	v.table.marked = func(b core.Ban) bool { return v.marked[banKey(b)] }
	v.table.onSelected = v.onRowTapped
	v.table.onHeader = v.onSort
	v.table.sortCol, v.table.sortDesc = 4, false

	v.banB = widget.NewButtonWithIcon("Ban…", theme.ContentAddIcon(), v.onBan)
	v.banB.Importance = widget.HighImportance
	v.unbanB = widget.NewButtonWithIcon("Unban selected", theme.ContentRemoveIcon(), v.onUnbanSelected)
	v.everyB = widget.NewButton("Unban everywhere", v.onUnbanEverywhere)
	v.allB = widget.NewButtonWithIcon("Unban all…", theme.DeleteIcon(), v.onUnbanAll)
	v.allB.Importance = widget.DangerImportance
	v.fleetB = widget.NewButtonWithIcon("Many servers…", theme.ComputerIcon(), func() {
		if v.onFleet != nil {
			v.onFleet(v.markedIPs(), v.jails)
		}
	})
	v.fleetB.Hide()
	selectAll := widget.NewButton("Select shown", v.onSelectShown)
	clear := widget.NewButton("Clear", func() { v.marked = map[string]bool{}; v.show() })

	v.status = widget.NewLabel("")
	v.status.Wrapping = fyne.TextWrapWord
	v.progress = widget.NewProgressBar()
	v.progress.Hide()
	v.cancelB = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), func() {
		if v.jobStop != nil {
			v.jobStop()
		}
	})
	v.cancelB.Hide()

	v.whereIn = widget.NewEntry()
	v.whereIn.SetPlaceHolder("Where is this IP? 192.0.2.10")
	v.whereIn.OnSubmitted = func(string) { v.onWhere() }
	v.whereOut = widget.NewLabel("")
	v.whereOut.Wrapping = fyne.TextWrapWord

	v.scopeSel = widget.NewSelect([]string{scopeSelected}, func(string) { v.rescope() })
	v.scopeSel.SetSelected(scopeSelected)
	v.scopeSel.Hide() // shown once there are several servers
	top := container.NewBorder(nil, nil, v.scopeSel, container.NewHBox(v.jailSel, v.countrySel, v.count), v.filter)
	actions := container.NewHBox(v.banB, v.unbanB, v.everyB, v.allB, widget.NewSeparator(), selectAll, clear, widget.NewSeparator(), v.fleetB)
	where := container.NewBorder(nil, nil, nil, widget.NewButtonWithIcon("Find", theme.SearchIcon(), v.onWhere), v.whereIn)
	job := container.NewBorder(nil, nil, nil, v.cancelB, v.progress)
	bottom := container.NewVBox(widget.NewSeparator(), job, v.status, container.NewGridWithColumns(2, where, v.whereOut))
	v.state = newStatePanel()
	v.state.loading("Looking for fail2ban servers…")
	v.body = container.NewStack(v.state)
	v.root = container.NewBorder(container.NewVBox(top, actions), bottom, nil, nil, v.body)
	v.setEnabled(false)
	return v
}

// markedIPs returns the selected addresses, each once, sorted.
func (v *bansView) markedIPs() []string {
	seen := map[string]bool{}
	var out []string
	for _, b := range v.all {
		if v.marked[banKey(b)] && !seen[b.IP] {
			seen[b.IP] = true
			out = append(out, b.IP)
		}
	}
	sort.Strings(out)
	return out
}

// setLoadStatus shows a loading message or error in the status line.
func (v *bansView) setLoadStatus(text string) {
	v.status.SetText(text)
	v.loadStatus = text != ""
}

func (v *bansView) setEnabled(on bool) {
	for _, b := range []*widget.Button{v.banB, v.unbanB, v.everyB, v.allB} {
		// Several servers: unban what is selected; bans go through the
		// many-servers dialog, and "unban all" stays a one-server act.
		if on && !(v.multi && (b == v.banB || b == v.allB)) {
			b.Enable()
		} else {
			b.Disable()
		}
	}
}

// setServer switches to s and keeps the list fresh on the interval.
func (v *bansView) setServer(s core.Server, src BanSource, fails FailureSource) {
	v.server, v.src, v.fails = s, src, fails
	if v.multi {
		return // the view shows a group or every server: it stays
	}
	v.start([]banScope{{server: s, src: src, fails: fails}}, false)
}

// setServers offers every server and group in the scope select; sources
// gives a server's client and failure source.
func (v *bansView) setServers(list []core.Server, sources func(core.Server) (BanSource, FailureSource)) {
	v.servers, v.sources = list, sources
	if len(list) == 0 {
		v.stop()
		v.gen++
		v.scope, v.all, v.marked = nil, nil, map[string]bool{}
		v.phase = bansFailed // nothing to read: the panel stays
		v.setEnabled(false)
		v.table.set(nil)
		v.state.noServer()
		showIn(v.body, v.state)
	}
	opts := scopeOptions(list)
	v.scopeSel.Options = append([]string{scopeSelected}, opts...)
	v.scopeSel.Refresh()
	if len(list) > 1 {
		v.scopeSel.Show()
	} else {
		v.scopeSel.Hide()
	}
	if v.multi {
		v.rescope() // the group's members may have changed
	}
}

// rescope follows the scope select: the selected server, or the servers
// of a group or all of them.
func (v *bansView) rescope() {
	choice := v.scopeSel.Selected
	if choice == scopeSelected || choice == "" || v.sources == nil {
		if v.multi {
			v.multi = false
			v.start([]banScope{{server: v.server, src: v.src, fails: v.fails}}, false)
		}
		return
	}
	ids := scopeIDs(v.servers, choice)
	var scope []banScope
	for _, s := range v.servers {
		if ids == nil || slices.Contains(ids, s.ID) {
			src, fails := v.sources(s)
			scope = append(scope, banScope{server: s, src: src, fails: fails})
		}
	}
	v.start(scope, true)
}

// start shows the bans of scope and keeps them fresh on the interval.
func (v *bansView) start(scope []banScope, multi bool) {
	v.stop()
	v.gen++
	v.scope, v.multi, v.all, v.marked, v.failures = scope, multi, nil, map[string]bool{}, nil
	v.table.setHidden(banServerCol, !multi)
	names := make([]core.Server, len(scope))
	for i, sc := range scope {
		names[i] = sc.server
	}
	v.setLoadStatus("")
	v.whereOut.SetText("")
	v.phase = bansLoading
	v.state.loading("Reading the bans of " + serverNames(names) + "…")
	showIn(v.body, v.state)
	v.show()
	ok := len(scope) > 0 && scope[0].src != nil
	v.setEnabled(ok)
	v.ctx, v.cancel = context.WithCancel(v.parent)
	if !ok {
		v.phase = bansFailed
		v.state.noServer()
		return
	}
	ctx, gen := v.ctx, v.gen
	v.spawn(func() { v.fetch(ctx, gen) })
	if v.interval > 0 {
		v.work.Add(1)
		go func() { defer v.work.Done(); v.loop(ctx, gen) }()
	}
}

// onRetry reads the bans again now, from the state panel's Retry.
func (v *bansView) onRetry() {
	if v.ctx == nil || v.ctx.Err() != nil || len(v.scope) == 0 || v.scope[0].src == nil {
		return
	}
	v.phase = bansLoading
	v.state.loading("Reading the bans of " + v.scopeName() + "…")
	showIn(v.body, v.state)
	ctx, gen := v.ctx, v.gen
	v.spawn(func() { v.fetch(ctx, gen) })
}

func (v *bansView) stop() {
	if v.cancel != nil {
		v.cancel()
		v.cancel = nil
	}
	v.work.Wait()
}

func (v *bansView) loop(ctx context.Context, gen int) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			// Half a tick of slack: ticks are not exactly a second apart.
			if every := time.Duration(v.every.Load()); every > 0 && now.Sub(last) >= every-time.Second/2 {
				last = now
				v.fetch(ctx, gen)
			}
			do(ctx, func() { v.table.table.Refresh() })
		}
	}
}

func (v *bansView) fetch(ctx context.Context, gen int) {
	callCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	snap := loadScope(callCtx, v.scope, v.locator)
	do(ctx, func() { v.apply(gen, snap) })
}

// banSnapshot is one fetch of the bans view.
type banSnapshot struct {
	jails    []string
	bans     []core.Ban
	err      error
	failures map[string]int
	failErr  error
	// countries: each address's country code (nil without a locator)
	countries map[string]string
	// down names the servers of a group that could not be read, with why.
	down []string
}

// scopeParallel bounds the servers a group's bans are read from at once.
const scopeParallel = 8

// loadScope reads the bans of every server of scope, scopeParallel at
// once, each with its name on its bans; failure counts are keyed by
// banKey. With several servers, one that cannot be read is named in
// down and the others are shown; the snapshot fails only when all do.
func loadScope(ctx context.Context, scope []banScope, loc core.Locator) (snap banSnapshot) {
	parts := make([]banSnapshot, len(scope))
	fleet.Each(len(scope), scopeParallel, func(i int) {
		parts[i] = loadBans(ctx, scope[i].src, scope[i].fails)
	})
	jails := map[string]bool{}
	snap.failures = map[string]int{}
	for i, p := range parts {
		name := scope[i].server.Name
		if p.err != nil {
			snap.err = p.err
			snap.down = append(snap.down, name+": "+core.ErrorMessage(p.err))
			continue
		}
		for _, j := range p.jails {
			if !jails[j] {
				jails[j] = true
				snap.jails = append(snap.jails, j)
			}
		}
		for _, b := range p.bans {
			b.Server = name
			snap.bans = append(snap.bans, b)
		}
		for k, n := range p.failures { // jail|ip
			snap.failures[name+"|"+k] = n
		}
		if p.failErr != nil && snap.failErr == nil {
			snap.failErr = p.failErr
		}
	}
	if len(snap.down) < len(scope) {
		snap.err = nil // some servers answered: show them
	}
	if len(scope) == 1 {
		snap.down = nil
	}
	sort.Strings(snap.jails)
	if loc != nil {
		ips := make([]string, len(snap.bans))
		for i, b := range snap.bans {
			ips[i] = b.IP
		}
		snap.countries = make(map[string]string, len(ips))
		for i, c := range loc.Countries(ips) {
			snap.countries[ips[i]] = c
		}
	}
	return snap
}

// loadBans reads one server's jails, bans and failure counts.
func loadBans(ctx context.Context, src BanSource, fails FailureSource) (snap banSnapshot) {
	if snap.jails, snap.err = src.Jails(ctx); snap.err != nil {
		return snap
	}
	if snap.bans, snap.err = src.AllBans(ctx); snap.err != nil {
		return snap
	}
	if fails != nil {
		snap.failures, snap.failErr = fails.Failures(ctx)
	}
	return snap
}

// update fetches and shows now, blocking; for tests.
func (v *bansView) update(ctx context.Context) {
	v.apply(v.gen, loadScope(ctx, v.scope, v.locator))
}

func (v *bansView) apply(gen int, snap banSnapshot) {
	if gen != v.gen {
		return
	}
	if snap.err != nil {
		if v.loadStatus {
			v.setLoadStatus("")
		}
		v.phase = bansFailed
		v.state.failed("Cannot read the bans of "+v.scopeName(), snap.err, v.onRetry)
		showIn(v.body, v.state)
		return
	}
	v.phase = bansShown
	// A fetch replaces what the last fetch said; the result line of an
	// action stays until the next action.
	if v.loadStatus {
		v.setLoadStatus("")
	}
	if len(snap.down) > 0 && (v.loadStatus || v.status.Text == "") {
		v.setLoadStatus(fmt.Sprintf("%s of %d could not be read: %s", plural(len(snap.down), "server", "servers"), len(v.scope), strings.Join(snap.down, "; ")))
	}
	if snap.failErr != nil && v.status.Text == "" {
		v.setLoadStatus("Failures unknown: " + core.ErrorMessage(snap.failErr))
	}
	bans, jailList := snap.bans, snap.jails
	v.all, v.jails, v.failures, v.countries = bans, jailList, snap.failures, snap.countries
	v.setCountryOptions()
	// Selection survives refreshes, minus bans that ended.
	live := make(map[string]bool, len(v.marked))
	jails := map[string]bool{}
	for _, b := range bans {
		jails[b.Jail] = true
		if v.marked[banKey(b)] {
			live[banKey(b)] = true
		}
	}
	v.marked = live
	opts := []string{"All jails"}
	for j := range jails {
		opts = append(opts, j)
	}
	sort.Strings(opts[1:])
	v.jailSel.Options = opts
	v.show()
}

// shown returns the bans that pass the filter, sorted.
func (v *bansView) shown() []core.Ban {
	f := core.BanFilter{Query: v.filter.Text}
	if j := v.jailSel.Selected; j != "" && j != "All jails" {
		f.Jail = j
	}
	rows := core.FilterBans(v.all, f) // a copy: v.all keeps the server's order
	if i := v.countrySel.SelectedIndex(); i > 0 {
		code := v.countryCodes[i-1]
		rows = slices.DeleteFunc(rows, func(b core.Ban) bool { return v.countries[b.IP] != code })
	}
	core.SortBans(rows, v.sortKey, v.sortDesc)
	return rows
}

func (v *bansView) show() {
	rows := v.shown()
	v.table.set(rows)
	v.count.SetText(fmt.Sprintf("%s of %s · %s selected", formatCount(len(rows)), formatCount(len(v.all)), formatCount(len(v.marked))))
	if v.phase != bansShown {
		return // the state panel says loading or why not
	}
	switch {
	case len(rows) > 0:
		showIn(v.body, v.table)
		return
	case len(v.all) > 0:
		v.state.emptyWith("No matching bans",
			"None of the "+plural(len(v.all), "ban", "bans")+" matches the filter. Clear it to see them all.",
			"Clear filter", theme.ContentClearIcon(), v.onClearFilter)
	case v.multi && v.onFleet != nil:
		v.state.emptyWith("No bans on "+v.scopeName(),
			"No address is banned on these servers right now. Ban one on several servers with Many servers…",
			"Many servers…", theme.ComputerIcon(), func() { v.onFleet(nil, v.jails) })
	case v.multi:
		v.state.empty("No bans on "+v.scopeName(), "No address is banned on these servers right now.")
	default:
		v.state.emptyWith("No bans on "+v.scopeName(),
			"No address is banned in any jail right now. Ban one with Ban…",
			"Ban…", theme.ContentAddIcon(), v.onBan)
	}
	showIn(v.body, v.state)
}

// onClearFilter shows every ban again: no text, all jails, all countries.
func (v *bansView) onClearFilter() {
	v.filter.SetText("")
	v.jailSel.SetSelected("All jails")
	v.countrySel.SetSelected(allCountries)
	v.show()
}

func (v *bansView) onSort(col int) {
	if col >= len(banSortKeys) || banSortKeys[col] == "" {
		return
	}
	if v.table.sortCol == col {
		v.sortDesc = !v.sortDesc
	} else {
		v.sortDesc = false
	}
	v.table.sortCol, v.table.sortDesc = col, v.sortDesc
	v.sortKey = banSortKeys[col]
	v.show()
}

func (v *bansView) onRowTapped(i int) {
	b, ok := v.table.row(i)
	if !ok {
		return
	}
	v.table.sel = -1
	k := banKey(b)
	if v.marked[k] {
		delete(v.marked, k)
	} else {
		v.marked[k] = true
	}
	v.show()
}

func (v *bansView) onSelectShown() {
	for _, b := range v.table.rows {
		v.marked[banKey(b)] = true
	}
	v.show()
}

// selectedByServer groups the selected bans' IPs by server (its place in
// scope) and jail.
func (v *bansView) selectedByServer() (map[int]map[string][]string, int) {
	out := map[int]map[string][]string{}
	n := 0
	for _, b := range v.all {
		if !v.marked[banKey(b)] {
			continue
		}
		i := v.scopeIndex(b.Server)
		if i < 0 {
			continue
		}
		if out[i] == nil {
			out[i] = map[string][]string{}
		}
		out[i][b.Jail] = append(out[i][b.Jail], b.IP)
		n++
	}
	return out, n
}

// scopeIndex is the place of the server named name in the scope, -1 when
// it is not there.
func (v *bansView) scopeIndex(name string) int {
	for i, sc := range v.scope {
		if sc.server.Name == name {
			return i
		}
	}
	return -1
}

// scopeName says which servers the view shows: one name, or "3 servers".
func (v *bansView) scopeName() string {
	if len(v.scope) == 1 {
		return v.scope[0].server.Name
	}
	return plural(len(v.scope), "server", "servers")
}

// setCountryOptions offers the countries of the current bans in the
// country filter, keeping the selection while it still has bans.
func (v *bansView) setCountryOptions() {
	seen := map[string]bool{}
	for _, c := range v.countries {
		seen[c] = true
	}
	codes := slices.Collect(maps.Keys(seen))
	sort.Slice(codes, func(i, j int) bool { return countryChoice(codes[i]) < countryChoice(codes[j]) })
	selected := ""
	if i := v.countrySel.SelectedIndex(); i > 0 && i-1 < len(v.countryCodes) {
		selected = v.countryCodes[i-1]
	}
	v.countryCodes = codes
	opts := []string{allCountries}
	for _, c := range codes {
		opts = append(opts, countryChoice(c))
	}
	v.countrySel.Options = opts
	if selected != "" && !seen[selected] {
		v.countrySel.Selected = allCountries
	}
	v.countrySel.Refresh()
}
