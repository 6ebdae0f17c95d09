package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/blocklist"
	"github.com/bangui/bangui/core/sched"
	"github.com/bangui/bangui/core/store"
	"github.com/bangui/bangui/ui"
)

// previewLines is how many lines of a list the preview shows as served.
const previewLines = 12

// blocklists is ui.BlocklistService: the cache's sources, the importer
// over the app's clients (so every ban is in the activity log), and one
// scheduled task per source with a schedule. A source's imports never
// overlap in this copy of BanGUI (running); scheduled ones run only in the
// copy that holds the lock row.
type blocklists struct {
	db    *store.DB
	c     *clients
	sched *sched.Scheduler // nil: no schedules (tests)
	im    *blocklist.Importer

	mu      sync.Mutex
	running map[int64]bool
	// onFailed hears a scheduled import that failed. May be nil.
	onFailed func(source string, err error)
}

var _ ui.BlocklistService = (*blocklists)(nil)

func newBlocklists(db *store.DB, c *clients, s *sched.Scheduler, prewarm func([]string)) *blocklists {
	b := &blocklists{db: db, c: c, sched: s, running: map[int64]bool{}}
	b.im = &blocklist.Importer{
		Store:   db,
		Fetcher: &blocklist.Fetcher{},
		Clients: func(s core.Server) (blocklist.Target, error) { return c.client(s), nil },
		Prewarm: prewarm,
	}
	return b
}

func (b *blocklists) Sources(ctx context.Context) ([]core.BlocklistSource, error) {
	return b.db.Blocklists(ctx)
}

// Save adds or updates s and (re)schedules it.
func (b *blocklists) Save(ctx context.Context, s core.BlocklistSource) (core.BlocklistSource, error) {
	var out core.BlocklistSource
	var err error
	if s.ID == 0 {
		out, err = b.db.AddBlocklist(ctx, s)
	} else {
		out, err = b.db.UpdateBlocklist(ctx, s)
	}
	if err != nil {
		return out, err
	}
	return out, b.schedule(out)
}

// Delete removes a source and its task.
func (b *blocklists) Delete(ctx context.Context, id int64) error {
	if err := b.db.DeleteBlocklist(ctx, id); err != nil {
		return err
	}
	b.unschedule(id)
	return nil
}

func taskName(id int64) string { return "blocklist:" + strconv.FormatInt(id, 10) }

// schedule gives s its task: an interval or a cron expression when it is
// enabled and has a schedule; none otherwise.
func (b *blocklists) schedule(s core.BlocklistSource) error {
	if b.sched == nil {
		return nil
	}
	b.unschedule(s.ID)
	every, cron, err := core.ParseSchedule(s.Schedule)
	if err != nil || !s.Enabled || (every == 0 && cron == "") {
		return err
	}
	id := s.ID
	err = b.sched.Add(sched.Task{
		Name:     taskName(id),
		Title:    "Import the blocklist " + s.Name,
		Interval: every,
		Cron:     cron,
		Run: func(ctx context.Context) (string, error) {
			line, err := b.ImportNow(ctx, id, nil)
			if err != nil && core.ErrorCode(err) != core.ECANCELED && b.onFailed != nil {
				b.onFailed(s.Name, err) // a desktop notification, when asked for
			}
			return line, err
		},
	})
	if err != nil {
		return core.Wrap(err, core.ErrorCode(err), "the blocklist was saved but its schedule was not set: "+core.ErrorMessage(err))
	}
	return nil
}

func (b *blocklists) unschedule(id int64) {
	if b.sched == nil {
		return
	}
	if err := b.sched.Remove(taskName(id)); err != nil && !errors.Is(err, core.ErrNotFound) {
		slog.Warn("blocklist schedule", "id", id, "err", err)
	}
}

// scheduleAll schedules every saved source (at start).
func (b *blocklists) scheduleAll(ctx context.Context) {
	list, err := b.db.Blocklists(ctx)
	if err != nil {
		slog.Warn("blocklists: cannot read the sources", "err", err)
		return
	}
	for _, s := range list {
		if err := b.schedule(s); err != nil {
			slog.Warn("blocklists: cannot schedule", "source", s.Name, "err", err)
		}
	}
}

// targets returns the servers s imports into.
func (b *blocklists) targets(ctx context.Context, s core.BlocklistSource) ([]core.Server, error) {
	all, err := b.db.Servers(ctx)
	if err != nil {
		return nil, err
	}
	list := core.TargetServers(s.Target, all)
	if len(list) == 0 {
		return nil, core.Errorf(core.ENOTFOUND, "no server matches the target of %s (%s): edit the blocklist and pick servers", s.Name, s.Target)
	}
	return list, nil
}

// ImportNow imports source id now, unless an import of it is running in
// this copy already. A disabled source imports by hand but not on its
// schedule (progress is nil for scheduled runs).
func (b *blocklists) ImportNow(ctx context.Context, id int64, progress func(ui.BlocklistProgress)) (string, error) {
	src, err := b.db.Blocklist(ctx, id)
	if err != nil {
		return "", err
	}
	if progress == nil && !src.Enabled {
		return src.Name + " is disabled: not imported", nil
	}
	b.mu.Lock()
	if b.running[id] {
		b.mu.Unlock()
		return "", core.Errorf(core.ECONFLICT, "%s is being imported already: wait for that import to end", src.Name)
	}
	b.running[id] = true
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		delete(b.running, id)
		b.mu.Unlock()
	}()
	servers, err := b.targets(ctx, src)
	if err != nil {
		return "", err
	}
	report := func(blocklist.Progress) {}
	if progress != nil {
		report = func(p blocklist.Progress) {
			progress(ui.BlocklistProgress{Server: p.Server, Stage: p.Stage, Done: p.Done, Total: p.Total})
		}
	}
	sum, err := b.im.Run(ctx, src, servers, report)
	line := summaryLine(sum, len(servers))
	return line, err
}

// summaryLine says what an import did.
func summaryLine(sum blocklist.Summary, servers int) string {
	if sum.Unchanged {
		return "the list did not change since the last import"
	}
	failed := 0
	for _, r := range sum.Servers {
		if r.Status != core.RunOK {
			failed++
		}
	}
	line := fmt.Sprintf("%d valid entries; %d new bans, %d already banned, %d unbanned on %d of %d servers",
		sum.Download.Valid, sum.NewBans, sum.Already, sum.Unbanned, len(sum.Servers)-failed, servers)
	if sum.Download.Invalid > 0 {
		line += fmt.Sprintf("; %d lines refused (see the import log)", sum.Download.Invalid)
	}
	for _, w := range sum.Warnings {
		line += ". ⚠ " + w
	}
	return line
}

// Preview downloads and parses s's list without banning, and counts what
// the target servers hold already.
func (b *blocklists) Preview(ctx context.Context, s core.BlocklistSource) (ui.BlocklistPreview, error) {
	var p ui.BlocklistPreview
	dl, err := b.im.Fetcher.Fetch(ctx, s.URL, blocklist.Validators{})
	if err != nil {
		return p, err
	}
	defer dl.Body.Close()
	body, err := io.ReadAll(dl.Body) // capped by the fetcher
	if err != nil {
		return p, err
	}
	p.Bytes = int64(len(body))
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 4096), 64<<10)
	for len(p.Lines) < previewLines && sc.Scan() {
		line := sc.Text()
		if len(line) > 100 {
			line = line[:100] + "…"
		}
		p.Lines = append(p.Lines, line)
	}
	opt := b.im.ParseOptions
	opt.MaxEntries = s.MaxEntries
	parsed, err := blocklist.Parse(bytes.NewReader(body), opt)
	if err != nil {
		return p, err
	}
	p.Valid, p.Invalid, p.Reserved, p.Duplicates = parsed.Valid, parsed.Invalid, parsed.Reserved, parsed.Duplicates
	for _, bl := range parsed.Bad {
		p.Bad = append(p.Bad, fmt.Sprintf("line %d %q: %s", bl.Line, bl.Text, bl.Reason))
	}
	if parsed.Skipped > 0 {
		p.Warnings = append(p.Warnings, fmt.Sprintf("%d entries over the maximum of %d are left out", parsed.Skipped, s.MaxEntries))
	}
	if len(parsed.Entries) > core.IPSetLimit {
		p.Warnings = append(p.Warnings, fmt.Sprintf("%d entries: more than an ipset holds by default (%d); fail2ban's ipset actions will fail past it", len(parsed.Entries), core.IPSetLimit))
	}
	servers, err := b.targets(ctx, s)
	if err != nil {
		p.Warnings = append(p.Warnings, core.ErrorMessage(err))
		return p, nil
	}
	inList := make(map[string]bool, len(parsed.Entries))
	for _, e := range parsed.Entries {
		inList[e] = true
	}
	for _, srv := range servers {
		cl := b.c.client(srv)
		st, err := cl.JailStatus(ctx, s.Jail)
		if err != nil {
			p.Warnings = append(p.Warnings, srv.Name+": "+core.ErrorMessage(err))
			continue
		}
		if cfg, err := cl.JailConfig(ctx, s.Jail); err == nil && len(parsed.Entries) >= blocklist.PerRuleWarnAt {
			if per := blocklist.PerRuleActions(cfg.Actions); len(per) > 0 {
				p.Warnings = append(p.Warnings, fmt.Sprintf("%s bans with %s: one firewall rule per address, %d rules slow every packet; use an ipset or nftables ban action", srv.Name, strings.Join(per, ", "), len(parsed.Entries)))
			}
		}
		for _, ip := range st.BannedIPs {
			if inList[ip] {
				p.Already++
			}
		}
	}
	return p, nil
}

func (b *blocklists) Runs(ctx context.Context, f core.BlocklistRunFilter) ([]core.BlocklistRun, error) {
	return b.db.BlocklistRuns(ctx, f)
}
