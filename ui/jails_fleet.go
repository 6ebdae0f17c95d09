package ui

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/fleet"
)

// fleetJail is one row of the jails of several servers: a server's jail,
// or a server that could not be read (err set, jail empty).
type fleetJail struct {
	server core.Server
	jail   core.JailStatus
	err    error
}

// fleetJails lists the jails of a group of servers, or of all, side by
// side with their counters; a server that cannot be read gets a row that
// says why. Tapping a row opens that server in the jails view.
type fleetJails struct {
	table  *dataTable[fleetJail]
	status *widget.Label
	root   fyne.CanvasObject
	spawn  func(func())
	// onOpen shows one server's jails (the server list selects it).
	onOpen func(core.Server)

	// UI goroutine only.
	rows   []fleetJail
	gen    int
	cancel context.CancelFunc
	work   sync.WaitGroup
}

func newFleetJails() *fleetJails {
	f := &fleetJails{status: widget.NewLabel("")}
	f.status.Wrapping = fyne.TextWrapWord
	f.spawn = func(fn func()) {
		f.work.Add(1)
		go func() { defer f.work.Done(); fn() }()
	}
	count := func(get func(core.JailStatus) int) func(fleetJail) string {
		return func(r fleetJail) string {
			if r.err != nil {
				return ""
			}
			return formatCount(get(r.jail))
		}
	}
	f.table = newDataTable([]column[fleetJail]{
		{title: "Server", width: 120, text: func(r fleetJail) string { return r.server.Name }},
		{title: "Jail", width: 160, text: func(r fleetJail) string {
			if r.err != nil {
				return "—"
			}
			return r.jail.Name
		}},
		{title: "State", width: 110, fixed: true, text: func(r fleetJail) string {
			if r.err != nil {
				return "unreachable"
			}
			return jailState(r.jail)
		}},
		{title: "Failed now", width: 100, fixed: true, align: fyne.TextAlignTrailing, text: count(func(j core.JailStatus) int { return j.CurrentlyFailed })},
		{title: "Banned now", width: 105, fixed: true, align: fyne.TextAlignTrailing, text: count(func(j core.JailStatus) int { return j.CurrentlyBanned })},
		{title: "Total failed", width: 105, fixed: true, align: fyne.TextAlignTrailing, text: count(func(j core.JailStatus) int { return j.TotalFailed })},
		{title: "Total banned", width: 110, fixed: true, align: fyne.TextAlignTrailing, text: count(func(j core.JailStatus) int { return j.TotalBanned })},
	})
	f.table.onSelected = func(i int) {
		r, ok := f.table.row(i)
		f.table.unselect()
		if ok && f.onOpen != nil {
			f.onOpen(r.server)
		}
	}
	f.root = container.NewBorder(f.status, nil, nil, nil, f.table)
	return f
}

// start shows the jails of servers and refreshes them every period
// (0: only now) until stop.
func (f *fleetJails) start(parent context.Context, servers []core.Server, source func(core.Server) JailSource, every func() time.Duration) {
	f.stop()
	f.gen++
	f.rows = nil
	f.table.set(nil)
	f.status.SetText(fmt.Sprintf("Reading the jails of %s…", plural(len(servers), "server", "servers")))
	ctx, cancel := context.WithCancel(parent)
	f.cancel = cancel
	gen := f.gen
	sources := make([]JailSource, len(servers))
	for i, s := range servers {
		sources[i] = source(s)
	}
	f.spawn(func() {
		last := time.Time{}
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			if d := every(); last.IsZero() || (d > 0 && time.Since(last) >= d) {
				last = time.Now()
				rows := loadFleetJails(ctx, servers, sources)
				do(ctx, func() { f.apply(gen, len(servers), rows) })
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	})
}

// stop ends the refresh and waits for it.
func (f *fleetJails) stop() {
	if f.cancel != nil {
		f.cancel()
		f.cancel = nil
	}
	f.work.Wait()
}

// loadFleetJails reads every server's jails, scopeParallel at once, each
// within its own timeout: a dead server holds up nobody.
func loadFleetJails(ctx context.Context, servers []core.Server, sources []JailSource) []fleetJail {
	parts := make([][]fleetJail, len(servers))
	fleet.Each(len(servers), scopeParallel, func(i int) {
		s := servers[i]
		cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		jails, err := sources[i].Overview(cctx)
		if err != nil {
			parts[i] = []fleetJail{{server: s, err: err}}
			return
		}
		for _, j := range jails {
			parts[i] = append(parts[i], fleetJail{server: s, jail: j})
		}
	})
	return slices.Concat(parts...)
}

// apply shows a fetch: servers that could not be read first, then by
// server and jail.
func (f *fleetJails) apply(gen, servers int, rows []fleetJail) {
	if gen != f.gen {
		return
	}
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if (a.err != nil) != (b.err != nil) {
			return a.err != nil
		}
		if a.server.Name != b.server.Name {
			return strings.ToLower(a.server.Name) < strings.ToLower(b.server.Name)
		}
		return a.jail.Name < b.jail.Name
	})
	f.rows = rows
	f.table.set(rows)
	down, jails, banned := 0, 0, 0
	var why []string
	for _, r := range rows {
		if r.err != nil {
			down++
			why = append(why, r.server.Name+": "+core.ErrorMessage(r.err))
			continue
		}
		jails++
		banned += r.jail.CurrentlyBanned
	}
	line := fmt.Sprintf("%s on %s · %s banned now", plural(jails, "jail", "jails"), plural(servers-down, "server", "servers"), formatCount(banned))
	line += ". Click a row to open that server."
	switch {
	case servers == 0:
		line = noServerTitle + ". " + noServerMessage
	case down == servers:
		line = "No server answers: check that they are up and fail2ban runs, then Refresh."
	case jails == 0:
		line = fmt.Sprintf("No jail is enabled on %s. Enable one in jail.local (for example [sshd] enabled = true) and reload fail2ban.", plural(servers-down, "server", "servers"))
	}
	if down > 0 {
		line += fmt.Sprintf("\n%d could not be read: %s", down, strings.Join(why, "; "))
	}
	f.status.SetText(line)
}
