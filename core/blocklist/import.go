package blocklist

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/bangui/bangui/core"
)

// Target is the fail2ban client of one server, as the importer uses it.
// The app passes *activity.Client (which embeds *f2b.Client), so that the
// bans and unbans of an import are recorded in the activity log like every
// other action; tests may pass a plain *f2b.Client.
type Target interface {
	Jails(ctx context.Context) ([]string, error)
	// JailConfig gives the jail's actions, for the warnings.
	JailConfig(ctx context.Context, jail string) (core.JailConfig, error)
	// JailStatus gives the jail's current bans (BannedIPs): before the
	// import, and after a ban call that failed half-way.
	JailStatus(ctx context.Context, jail string) (core.JailStatus, error)
	BanIP(ctx context.Context, jail string, ips []string, p core.Progress) (core.BatchResult, error)
	UnbanIP(ctx context.Context, jail string, ips []string, p core.Progress) (core.BatchResult, error)
}

// Progress is how far an import is. Server is "" while downloading and
// parsing; Done and Total count addresses while banning and unbanning.
type Progress struct {
	Server string
	Stage  string // StageDownloading, StageParsing, StageBanning or StageUnbanning
	Done   int
	Total  int
}

// Stages of Progress.
const (
	StageDownloading = "downloading"
	StageParsing     = "parsing"
	StageBanning     = "banning"
	StageUnbanning   = "unbanning"
)

// Summary is what Run did: the runs it recorded (also when recording them
// failed) and warnings for the user.
type Summary struct {
	Download core.BlocklistRun   // the download and parse (ServerID 0)
	Servers  []core.BlocklistRun // one per target server, in order
	// Unchanged is set when the list site said the list did not change:
	// nothing else was done.
	Unchanged bool
	NewBans   int // over all servers
	Already   int
	Unbanned  int
	Warnings  []string
}

// Importer imports blocklists: it downloads a list once, parses it once,
// and bans its addresses in the source's jail on each target server,
// remembering in Store what it banned so that it can later unban exactly
// that. Its zero fields take defaults; Store, Fetcher and Clients are
// required. Servers are imported one after the other, never in parallel:
// each server's own work is already batched, a fleet import stays gentle
// on the machine running BanGUI, and a cancel stops at one clear point.
type Importer struct {
	Store   core.BlocklistStore
	Fetcher *Fetcher
	// Clients returns the fail2ban client of a server; an error (or a
	// failing first call) marks that server down for this import.
	Clients func(core.Server) (Target, error)
	// Prewarm, if set, is given the addresses an import banned, to look
	// them up in the geo store ahead of the views.
	Prewarm func(ips []string)
	// Now is the clock; default time.Now.
	Now func() time.Time
	// ParseOptions are the parser's options; MaxEntries is taken from the
	// source. CIDR stays off in the app: see the note on CIDR below.
	ParseOptions ParseOptions
}

// A note on CIDR, from fail2ban-server 1.0.2 (core/f2b/f2btest): `set JAIL
// banip 203.0.113.0/24` is accepted and answers 1; the network is stored
// as ONE ban, listed verbatim as "203.0.113.0/24" by `get JAIL banip` and
// `status JAIL`, and handed verbatim to the ban action as <ip>. fail2ban
// does not treat it as a network: `banned 203.0.113.5` says not banned,
// `set JAIL banip 203.0.113.5` bans the host a second time, and `unbanip
// 203.0.113.0/24` lifts only the network entry, not the hosts inside it.
// Whether traffic is blocked then depends on the action: iptables -s NET
// blocks the network, an ipset of type hash:ip adds every host of it, and
// fail2ban's nftables actions create sets without the interval flag, which
// refuse a prefix (the action fails, yet fail2ban counts the ban). Since a
// network ban can silently block nothing, the importer leaves
// ParseOptions.CIDR off: networks in a list are refused as bad lines.

const (
	// banChunk is how many addresses go to one BanIP or UnbanIP call (the
	// client splits it into its own batches): each confirmed chunk is
	// recorded in the store before the next starts, so a failed or
	// cancelled import knows what it banned.
	banChunk = 1000
	// PerRuleWarnAt is the list size from which a one-rule-per-address ban
	// action gets a warning.
	PerRuleWarnAt = 1000
	// recordTimeout bounds each write to the store, also after a cancel.
	recordTimeout = 10 * time.Second
	// maxBadLines is how many refused lines a run keeps.
	maxBadLines = 20
)

func (im *Importer) now() time.Time {
	if im.Now != nil {
		return im.Now()
	}
	return time.Now()
}

// server is one target server during an import.
type server struct {
	core.Server
	t    Target
	down error // why it cannot be imported into
	// ignore holds the jail's ignoreip addresses and networks: fail2ban
	// bans an address that `banip` names even when ignoreip covers it, so
	// the importer leaves them out itself (the admin's own networks).
	ignore []netip.Prefix
}

// Run imports src into src.Jail on servers (already narrowed to the
// source's target): it downloads the list (conditionally, with the stored
// validators), parses it, checks that the jail exists on every server
// that answers, then per server bans what is not banned yet and, with
// src.UnbanDropped, unbans what this source banned earlier and the list
// no longer holds. Every step is recorded as a core.BlocklistRun. A server
// that does not answer gets a failed run and the others go on; a missing
// jail stops the whole import before anything is banned (ENOTFOUND). The
// error is nil only when every server was imported.
func (im *Importer) Run(ctx context.Context, src core.BlocklistSource, servers []core.Server, progress func(Progress)) (Summary, error) {
	report := func(p Progress) {
		if progress != nil {
			progress(p)
		}
	}
	var sum Summary
	sum.Download = core.BlocklistRun{SourceID: src.ID, Source: src.Name, Started: im.now()}
	dl := &sum.Download

	// Download.
	report(Progress{Stage: StageDownloading})
	f := im.Fetcher
	if f == nil {
		f = &Fetcher{}
	}
	prev := Validators{ETag: src.ETag, LastModified: src.LastModified}
	if prev != (Validators{}) && im.newTarget(ctx, src, servers) {
		// A server that joined the target since the list last changed
		// would never get it from an "unchanged" answer.
		prev = Validators{}
	}
	d, err := f.Fetch(ctx, src.URL, prev)
	if err != nil {
		err = fmt.Errorf("blocklist: import %s: %w", src.Name, err)
		im.record(ctx, &sum, dl, err)
		return sum, err
	}
	if d.Unchanged {
		d.Body.Close()
		sum.Unchanged = true
		im.record(ctx, &sum, dl, errUnchanged)
		return sum, nil
	}

	// Parse.
	report(Progress{Stage: StageParsing})
	opts := im.ParseOptions
	opts.MaxEntries = src.MaxEntries
	parsed, err := Parse(d.Body, opts)
	d.Body.Close()
	dl.Bytes = d.Bytes()
	fillParsed(dl, parsed)
	if err == nil && len(parsed.Entries) == 0 {
		// An empty list is more likely an error page than a real list;
		// with UnbanDropped it would unban everything.
		err = core.Errorf(core.EINVALID, "the list at %s holds no addresses (%d bad lines): nothing was changed", src.URL, parsed.Invalid)
	}
	if err != nil {
		err = fmt.Errorf("blocklist: import %s: %w", src.Name, err)
		im.record(ctx, &sum, dl, err)
		return sum, err
	}
	im.record(ctx, &sum, dl, nil)
	// The list's validators are stored once every server has it: after a
	// failure they are cleared, so that the next import downloads the
	// list in full instead of hearing "unchanged" and skipping the server
	// that missed it.
	complete := false
	defer func() {
		v := d.Validators
		if !complete {
			v = Validators{}
		}
		if err := im.store(ctx, func(ctx context.Context) error {
			return im.Store.SetBlocklistValidators(ctx, src.ID, v.ETag, v.LastModified)
		}); err != nil {
			sum.Warnings = append(sum.Warnings, "The list's version could not be saved, so the next import downloads it in full: "+core.ErrorMessage(err))
		}
	}()
	entries := parsed.Entries
	if len(entries) > core.IPSetLimit {
		sum.Warnings = append(sum.Warnings, fmt.Sprintf(
			"The list has %d addresses, more than the %d an ipset holds by default (maxelem): fail2ban's ipset ban actions fail beyond that. Lower the maximum entries, or raise maxelem in the action.",
			len(entries), core.IPSetLimit))
	}

	// Check every server before banning anything anywhere.
	targets, err := im.preflight(ctx, src, servers, len(entries), &sum)
	if err != nil {
		err = fmt.Errorf("blocklist: import %s: %w", src.Name, err)
		for _, s := range targets {
			r := im.serverRun(src, s)
			why := err
			if s.down != nil {
				why = s.down
			}
			im.record(ctx, &sum, &r, why)
		}
		return sum, err
	}

	// Import, server by server.
	list := make(map[string]bool, len(entries))
	for _, ip := range entries {
		list[ip] = true
	}
	var banned []string
	var errs []error
	var msgs []string
	failed := 0
	for _, s := range targets {
		r := im.serverRun(src, s)
		var err error
		switch {
		case ctx.Err() != nil:
			err = cancelled(ctx, "before this server")
		case s.down != nil:
			err = s.down
		default:
			var added []string
			added, err = im.importTo(ctx, src, s, entries, list, &r, &sum, report)
			banned = append(banned, added...)
		}
		im.record(ctx, &sum, &r, err)
		if err != nil {
			failed++
			if len(errs) == 0 || ctx.Err() == nil {
				errs = append(errs, fmt.Errorf("%s: %w", s.Name, err))
				msgs = append(msgs, s.Name+": "+core.ErrorMessage(err))
			}
		}
	}
	if im.Prewarm != nil && len(banned) > 0 {
		slices.Sort(banned)
		im.Prewarm(slices.Compact(banned))
	}
	if len(errs) == 0 {
		complete = true
		return sum, nil
	}
	code := core.ErrorCode(errs[0])
	if ctx.Err() != nil {
		code = core.ECANCELED
	}
	return sum, fmt.Errorf("blocklist: import %s: %w", src.Name, core.Wrap(errors.Join(errs...), code, fmt.Sprintf(
		"%s was imported on %d of %d servers. %s", src.Name, len(targets)-failed, len(targets), strings.Join(msgs, "; "))))
}

// preflight connects to each server, checks that src.Jail exists on those
// that answer and reads its actions for the warnings. It returns every
// server, with down set on those that did not answer, and an ENOTFOUND
// error when the jail is missing on one that did (or ECANCELED).
func (im *Importer) preflight(ctx context.Context, src core.BlocklistSource, servers []core.Server, n int, sum *Summary) ([]server, error) {
	out := make([]server, len(servers))
	for i, cs := range servers {
		out[i].Server = cs
	}
	var missing []string
	for i, cs := range servers {
		if err := ctx.Err(); err != nil {
			return out, cancelled(ctx, "while checking the servers")
		}
		t, err := im.Clients(cs)
		if err != nil {
			out[i].down = unavailable(err)
			continue
		}
		out[i].t = t
		jails, err := t.Jails(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return out, cancelled(ctx, "while checking the servers")
			}
			out[i].down = unavailable(err)
			continue
		}
		if !slices.Contains(jails, src.Jail) {
			missing = append(missing, cs.Name)
			continue
		}
		cfg, err := t.JailConfig(ctx, src.Jail)
		if err != nil {
			// Without the jail's ignoreip, an import could ban what the
			// admin protects: do not import there.
			if ctx.Err() != nil {
				return out, cancelled(ctx, "while checking the servers")
			}
			out[i].down = core.Wrap(err, core.ErrorCode(err), fmt.Sprintf("cannot read the ignoreip of jail %s on %s, so nothing is banned there: %s", src.Jail, cs.Name, core.ErrorMessage(err)))
			continue
		}
		out[i].ignore = ignorePrefixes(cfg.IgnoreIP)
		if per := PerRuleActions(cfg.Actions); len(per) > 0 && n >= PerRuleWarnAt {
			sum.Warnings = append(sum.Warnings, fmt.Sprintf(
				"Jail %s on %s bans with %s, which adds one firewall rule per address: %d rules slow down every packet. Use an ipset or nftables ban action (such as banaction = iptables-ipset or nftables) for big lists.",
				src.Jail, cs.Name, strings.Join(per, ", "), n))
		}
	}
	if len(missing) > 0 {
		return out, core.Errorf(core.ENOTFOUND,
			"jail %q does not exist on %s: nothing was banned anywhere. Start the jail there, or change the blocklist's jail or servers",
			src.Jail, strings.Join(missing, ", "))
	}
	return out, nil
}

// importTo bans on s the entries not banned yet and, with UnbanDropped,
// unbans this source's dropped ones. r gets the counts as they happen, so
// that a failed or cancelled import records how far it got. It returns
// the addresses it banned.
func (im *Importer) importTo(ctx context.Context, src core.BlocklistSource, s server, entries []string, list map[string]bool, r *core.BlocklistRun, sum *Summary, report func(Progress)) ([]string, error) {
	// Read the jail's bans once (`status JAIL`, one command whatever the
	// size). Asking per chunk instead (`banned IP...`) costs fail2ban
	// 1.0.2 a copy and a linear search of its whole ban list per address:
	// importing 10,000 addresses into a jail without action took 47 s that
	// way, 1.3 s this way (BenchmarkImport10000NoAction). Bans fail2ban
	// makes on its own during the import are caught by the ban's count
	// below.
	current, err := bannedSet(ctx, s.t, src.Jail)
	if err != nil {
		return nil, err
	}
	var todo []string
	ignored := 0
	for _, ip := range entries {
		switch {
		case current[ip]:
		case ignoredBy(s.ignore, ip):
			ignored++
		default:
			todo = append(todo, ip)
		}
	}
	r.Already = len(entries) - len(todo) - ignored
	if ignored > 0 {
		sum.Warnings = append(sum.Warnings, fmt.Sprintf("On %s, %d of the list's addresses are in jail %s's ignoreip: not banned.", s.Name, ignored, src.Jail))
	}

	// Ban chunk by chunk, recording each confirmed chunk in the store
	// before the next one starts.
	var added []string
	report(Progress{Server: s.Name, Stage: StageBanning, Total: len(todo)})
	for start := 0; start < len(todo); start += banChunk {
		chunk := todo[start:min(start+banChunk, len(todo))]
		if err := ctx.Err(); err != nil {
			return added, cancelled(ctx, fmt.Sprintf("on %s after %d new bans", s.Name, r.NewBans))
		}
		res, err := s.t.BanIP(ctx, src.Jail, chunk, func(done, _ int) {
			report(Progress{Server: s.Name, Stage: StageBanning, Done: start + done, Total: len(todo)})
		})
		got := chunk
		switch {
		case err != nil:
			// The call stopped half-way: those of the chunk banned now
			// were not before, so they are this import's.
			got = im.confirm(ctx, s.t, src.Jail, chunk)
		case res.Changed < len(chunk):
			// fail2ban banned some of them itself during the import: which
			// ones cannot be told, so this chunk is not recorded rather
			// than claim a ban this source did not make.
			r.NewBans += res.Changed
			r.Already += len(chunk) - res.Changed
			got = nil
			sum.Warnings = append(sum.Warnings, fmt.Sprintf(
				"On %s, %d of %d addresses were banned by fail2ban during the import: its %d bans of that batch are not recorded as the list's, so they are not lifted if the list drops them (they end with the jail's bantime).",
				s.Name, len(chunk)-res.Changed, len(chunk), res.Changed))
		}
		if len(got) > 0 {
			if rerr := im.store(ctx, func(ctx context.Context) error {
				return im.Store.AddBlocklistEntries(ctx, src.ID, s.ID, src.Jail, got, im.now())
			}); rerr != nil {
				return added, errors.Join(err, rerr)
			}
			added = append(added, got...)
			r.NewBans += len(got)
		}
		if err != nil {
			if ctx.Err() != nil {
				err = cancelled(ctx, fmt.Sprintf("on %s after %d new bans", s.Name, r.NewBans))
			}
			return added, err
		}
	}

	if !src.UnbanDropped {
		return added, nil
	}
	mine, err := im.Store.BlocklistEntries(ctx, src.ID, s.ID, src.Jail)
	if err != nil {
		return added, err
	}
	var dropped []string
	for _, ip := range mine {
		if !list[ip] {
			dropped = append(dropped, ip)
		}
	}
	if len(dropped) == 0 {
		return added, nil
	}
	report(Progress{Server: s.Name, Stage: StageUnbanning, Total: len(dropped)})
	for start := 0; start < len(dropped); start += banChunk {
		chunk := dropped[start:min(start+banChunk, len(dropped))]
		res, err := s.t.UnbanIP(ctx, src.Jail, chunk, func(done, _ int) {
			report(Progress{Server: s.Name, Stage: StageUnbanning, Done: start + done, Total: len(dropped)})
		})
		if err != nil {
			// What the server lifted before the error stays recorded as
			// this source's: a later import unbans it (unbanning an
			// address that is not banned changes nothing).
			r.Unbanned += res.Changed
			if ctx.Err() != nil {
				err = cancelled(ctx, fmt.Sprintf("on %s after %d new bans and %d unbans", s.Name, r.NewBans, r.Unbanned))
			}
			return added, err
		}
		r.Unbanned += res.Changed // those that expired meanwhile count as unchanged
		if err := im.store(ctx, func(ctx context.Context) error {
			return im.Store.DeleteBlocklistEntries(ctx, src.ID, s.ID, src.Jail, chunk)
		}); err != nil {
			return added, err
		}
	}
	return added, nil
}

// confirm returns those of ips that jail bans now, asked also after ctx
// ended (with a short timeout); nil when the server cannot say.
func (im *Importer) confirm(ctx context.Context, t Target, jail string, ips []string) []string {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	now, err := bannedSet(ctx, t, jail)
	if err != nil {
		return nil
	}
	var out []string
	for _, ip := range ips {
		if now[ip] {
			out = append(out, ip)
		}
	}
	return out
}

// bannedSet returns the addresses jail bans now, in canonical form.
func bannedSet(ctx context.Context, t Target, jail string) (map[string]bool, error) {
	st, err := t.JailStatus(ctx, jail)
	if err != nil {
		return nil, err
	}
	set := make(map[string]bool, len(st.BannedIPs))
	for _, ip := range st.BannedIPs {
		set[canonical(ip)] = true
	}
	return set, nil
}

func (im *Importer) serverRun(src core.BlocklistSource, s server) core.BlocklistRun {
	return core.BlocklistRun{SourceID: src.ID, Source: src.Name, ServerID: s.ID, Server: s.Name, Started: im.now()}
}

// errUnchanged marks the download's run as RunUnchanged for record.
var errUnchanged = errors.New("the list did not change")

// record finishes r with err's status and message (RunOK when nil), adds
// it to the store and, for a server's run, to sum. A failure to record
// becomes a warning.
func (im *Importer) record(ctx context.Context, sum *Summary, r *core.BlocklistRun, err error) {
	r.Duration = im.now().Sub(r.Started)
	switch {
	case err == nil:
		r.Status = core.RunOK
	case err == errUnchanged:
		r.Status = core.RunUnchanged
	case ctx.Err() != nil || errors.Is(err, context.Canceled) || core.ErrorCode(err) == core.ECANCELED:
		r.Status, r.Error = core.RunCancelled, core.ErrorMessage(err)
	default:
		r.Status, r.Error = core.RunFailed, core.ErrorMessage(err)
	}
	if r != &sum.Download {
		sum.NewBans += r.NewBans
		sum.Already += r.Already
		sum.Unbanned += r.Unbanned
		sum.Servers = append(sum.Servers, *r)
	}
	if err := im.store(ctx, func(ctx context.Context) error {
		_, err := im.Store.AddBlocklistRun(ctx, *r)
		return err
	}); err != nil {
		sum.Warnings = append(sum.Warnings, "The import log could not be written: "+core.ErrorMessage(err))
	}
}

// store runs a write to the store that must happen also after ctx was
// cancelled (to record how far an import got), within recordTimeout.
func (im *Importer) store(ctx context.Context, write func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	return write(ctx)
}

// cancelled is the error of an import stopped by ctx, saying where.
func cancelled(ctx context.Context, where string) error {
	cause := context.Cause(ctx)
	return core.Wrap(cause, core.ECANCELED, "the import was cancelled "+where)
}

// unavailable is the error of a server that did not answer.
func unavailable(err error) error {
	return core.Wrap(err, core.EUNAVAILABLE, fmt.Sprintf("the server did not answer, so it got nothing: %s", core.ErrorMessage(err)))
}

// canonical returns the form Go prints an address (or network) in, which
// is also fail2ban's for the addresses a list holds; other text unchanged.
func canonical(s string) string {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.String()
	}
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.String()
	}
	return s
}

// ignorePrefixes reads a jail's ignoreip entries as networks; host names
// and other entries fail2ban resolves itself are left out.
func ignorePrefixes(entries []string) []netip.Prefix {
	var out []netip.Prefix
	for _, e := range entries {
		if p, err := netip.ParsePrefix(e); err == nil {
			out = append(out, p.Masked())
		} else if a, err := netip.ParseAddr(e); err == nil {
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
		}
	}
	return out
}

// ignoredBy reports whether address ip is in one of the networks.
func ignoredBy(nets []netip.Prefix, ip string) bool {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range nets {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// newTarget reports whether a server of servers has no successful import
// of src in the log (it joined the target group, or was added), so the
// list must be downloaded in full. A log that cannot be read counts as
// new: one full download is the safe side.
func (im *Importer) newTarget(ctx context.Context, src core.BlocklistSource, servers []core.Server) bool {
	for _, s := range servers {
		runs, err := im.Store.BlocklistRuns(ctx, core.BlocklistRunFilter{SourceID: src.ID, ServerID: s.ID, Status: core.RunOK, Limit: 1})
		if err != nil || len(runs) == 0 {
			return true
		}
	}
	return false
}

// PerRuleActions returns those of a jail's actions that add one firewall
// rule per banned address, judged by name, from what fail2ban ships in
// action.d: the iptables actions (iptables, -multiport, -allports, -new,
// -multiport-log: "-I f2b-<name> 1 -s <ip> -j <blocktype>"), the
// firewalld direct-rule and rich-rule ones (firewallcmd-multiport,
// -allports, -new, -rich-rules, -rich-logging), ufw ("ufw insert 1 deny
// from <ip>"), shorewall and route (one route per address). Those whose
// name holds "ipset" (iptables-ipset*, firewallcmd-ipset,
// shorewall-ipset-proto6) add to a set, which the kernel looks up in one
// step; so do nftables, nftables-multiport and -allports ("add element
// ... addr-set-<name>"), pf (a table) and iptables-xt_recent-echo (a
// recent list). Other actions (mail, abuseipdb, cloudflare, dummy...) do
// not filter packets. An action renamed in jail.local (action =
// x[actname=y]) is judged by its new name.
func PerRuleActions(actions []string) []string {
	var out []string
	for _, a := range actions {
		n := strings.ToLower(a)
		switch {
		case strings.Contains(n, "ipset"), strings.Contains(n, "xt_recent"):
		case strings.HasPrefix(n, "iptables"), strings.HasPrefix(n, "ip6tables"),
			strings.HasPrefix(n, "firewallcmd"), strings.HasPrefix(n, "ufw"),
			strings.HasPrefix(n, "shorewall"), n == "route":
			out = append(out, a)
		}
	}
	return out
}

// fillParsed copies the parse's counts and first bad lines into the
// download's run.
func fillParsed(r *core.BlocklistRun, p Parsed) {
	r.Entries = p.EntryLines
	r.Valid = p.Valid
	r.Invalid = p.Invalid + p.Reserved
	for _, b := range p.Bad {
		if len(r.BadLines) == maxBadLines {
			break
		}
		r.BadLines = append(r.BadLines, fmt.Sprintf("line %d: %s: %s", b.Line, b.Text, b.Reason))
	}
}
