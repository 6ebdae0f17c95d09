// Package notify turns what BanGUI sees (servers going down or coming back,
// a high ban rate, failed blocklist imports) into desktop notifications,
// following the user's core.NotifyRules.
//
// A flood makes one notification, not hundreds: each kind of notification
// is sent at most once per NotifyRules.MinInterval. What happens in between
// is held back and summed up in the next notification of that kind ("3 more
// servers went down since the last notice"), which is sent by the first
// event or Flush after the interval. Servers that go down in one poll make
// one notification naming them (ServerStatuses).
//
// The Notifier starts no goroutine and sends nothing on its own: every
// method may send what is due, and a caller that wants held summaries on
// time calls Flush now and then (each poll does it through ServerStatuses).
package notify

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bangui/bangui/core"
)

// Kinds of notification.
const (
	KindServerDown   = "server-down"
	KindServerUp     = "server-up"
	KindBanRate      = "ban-rate"
	KindImportFailed = "import-failed"
)

// kinds lists the kinds in the order Flush sends them.
var kinds = []string{KindServerDown, KindServerUp, KindBanRate, KindImportFailed}

// maxNames is how many server or source names a notification lists
// before it says "and N more".
const maxNames = 5

// Notification is one desktop notification.
type Notification struct {
	Kind  string // KindServerDown, KindServerUp, KindBanRate or KindImportFailed
	Title string
	Body  string
}

// Notifier decides which notifications to send. Its methods are safe for
// concurrent use; send is called outside the Notifier's lock, possibly
// from several goroutines at once.
type Notifier struct {
	send func(Notification)
	now  func() time.Time

	mu      sync.Mutex
	rules   core.NotifyRules
	servers map[serverKey]seen
	backlog map[string]*backlog
}

// serverKey identifies a server across polls: its ID, or its name while it
// has none.
type serverKey struct {
	id   int64
	name string
}

func keyOf(s core.Server) serverKey {
	if s.ID != 0 {
		return serverKey{id: s.ID}
	}
	return serverKey{name: s.Name}
}

// seen is the last state a poll found a server in.
type seen struct {
	online       bool
	offlineSince time.Time // when it went offline; zero while online
}

// backlog is one kind's events since its last notification.
type backlog struct {
	sent   time.Time // when the last notification of this kind went out; zero: never
	events int       // events not yet notified
	// held is true when some of those events were held back by
	// MinInterval: the next notification sums them up.
	held   bool
	names  []string    // distinct servers or sources, first seen first
	keys   []serverKey // the servers of names (server kinds)
	named  map[string]bool
	detail string        // the latest event's error message (server down, import)
	peak   int           // ban rate: the highest count
	downed time.Duration // server up: how long the first server was offline (0: unknown)
}

// New returns a Notifier that hands its notifications to send. now is the
// clock (nil: time.Now). All rules are off until SetRules.
func New(send func(Notification), now func() time.Time) *Notifier {
	if send == nil {
		send = func(Notification) {}
	}
	if now == nil {
		now = time.Now
	}
	return &Notifier{
		send:    send,
		now:     now,
		servers: make(map[serverKey]seen),
		backlog: make(map[string]*backlog),
	}
}

// SetRules replaces the rules. Held events of a kind that is now off are
// dropped; a new MinInterval applies from the next event or Flush.
func (n *Notifier) SetRules(r core.NotifyRules) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.rules = r
	for kind, b := range n.backlog {
		if !n.on(kind) {
			b.reset()
		}
	}
}

// Rules returns the rules in force.
func (n *Notifier) Rules() core.NotifyRules {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.rules
}

// ServerStatus takes one server's poll result: see ServerStatuses.
func (n *Notifier) ServerStatus(st core.ServerStatus) {
	n.ServerStatuses([]core.ServerStatus{st})
}

// ServerStatuses takes the results of one poll (call it with every poll,
// whatever the rules). A server found offline after it was online makes a
// KindServerDown notification (rule ServerDown), one found online after it
// was offline a KindServerUp one (rule ServerUp); the first state seen of a
// server makes none. The servers of one call that went down make a single
// notification, and so do those that came back. Results of a cancelled
// poll (error code core.ECANCELED) say nothing about the server and are
// ignored. It also sends the held summaries that are due, as Flush does.
func (n *Notifier) ServerStatuses(list []core.ServerStatus) {
	n.mu.Lock()
	now := n.now()
	for _, st := range list {
		if st.Err != nil && core.ErrorCode(st.Err) == core.ECANCELED {
			continue
		}
		k := keyOf(st.Server)
		prev, known := n.servers[k]
		next := seen{online: st.Online}
		if !st.Online {
			switch {
			case known && !prev.online:
				next.offlineSince = prev.offlineSince
			case !st.OfflineSince.IsZero():
				next.offlineSince = st.OfflineSince
			case !st.CheckedAt.IsZero():
				next.offlineSince = st.CheckedAt
			default:
				next.offlineSince = now
			}
		}
		n.servers[k] = next
		if !known || prev.online == st.Online {
			continue
		}
		name := serverName(st.Server)
		if st.Online {
			if n.rules.ServerUp {
				end := st.CheckedAt
				if end.IsZero() {
					end = now
				}
				b := n.kind(KindServerUp)
				if b.events == 0 {
					b.downed = end.Sub(prev.offlineSince)
				}
				b.add(name, k, "")
			}
		} else if n.rules.ServerDown {
			n.kind(KindServerDown).add(name, k, core.ErrorMessage(st.Err))
		}
	}
	out := n.due(now)
	n.mu.Unlock()
	n.deliver(out)
}

// Bans takes the number of new bans across all servers within the last
// NotifyRules.BanWindow (the caller counts them). When it reaches
// NotifyRules.BanRate (if above 0), it makes a KindBanRate notification. It
// also sends the held summaries that are due, as Flush does.
func (n *Notifier) Bans(count int) {
	n.mu.Lock()
	if n.rules.BanRate > 0 && count >= n.rules.BanRate {
		b := n.kind(KindBanRate)
		b.events++
		b.peak = max(b.peak, count)
	}
	out := n.due(n.now())
	n.mu.Unlock()
	n.deliver(out)
}

// ImportFailed makes a KindImportFailed notification (rule ImportFailed)
// that says the blocklist import of source failed and why, in
// core.ErrorMessage(err). It also sends the held summaries that are due, as
// Flush does.
func (n *Notifier) ImportFailed(source string, err error) {
	n.mu.Lock()
	if n.rules.ImportFailed {
		if source == "" {
			source = "a blocklist"
		}
		msg := core.ErrorMessage(err)
		if msg == "" {
			msg = "The import failed."
		}
		n.kind(KindImportFailed).add(source, serverKey{}, msg)
	}
	out := n.due(n.now())
	n.mu.Unlock()
	n.deliver(out)
}

// Flush sends the summaries of held events whose kind's MinInterval has
// passed since its last notification. The other methods do it too; call it
// when none of them may be called for a while.
func (n *Notifier) Flush() {
	n.mu.Lock()
	out := n.due(n.now())
	n.mu.Unlock()
	n.deliver(out)
}

func (n *Notifier) deliver(out []Notification) {
	for _, x := range out {
		n.send(x)
	}
}

// on reports whether the rules turn kind on. n.mu is held.
func (n *Notifier) on(kind string) bool {
	switch kind {
	case KindServerDown:
		return n.rules.ServerDown
	case KindServerUp:
		return n.rules.ServerUp
	case KindBanRate:
		return n.rules.BanRate > 0
	case KindImportFailed:
		return n.rules.ImportFailed
	}
	return false
}

// kind returns kind's backlog, made on first use. n.mu is held.
func (n *Notifier) kind(kind string) *backlog {
	b := n.backlog[kind]
	if b == nil {
		b = &backlog{}
		n.backlog[kind] = b
	}
	return b
}

// due returns the notifications of the kinds whose events may be sent at
// now, and marks the others' events as held. n.mu is held.
func (n *Notifier) due(now time.Time) []Notification {
	var out []Notification
	for _, kind := range kinds {
		b := n.backlog[kind]
		if b == nil || b.events == 0 {
			continue
		}
		if !b.sent.IsZero() && now.Sub(b.sent) < n.rules.MinInterval {
			b.held = true
			continue
		}
		x := n.message(kind, b)
		x.Kind = kind
		out = append(out, x)
		b.reset()
		b.sent = now
	}
	return out
}

func (b *backlog) add(name string, k serverKey, detail string) {
	b.events++
	b.detail = detail
	if b.named == nil {
		b.named = make(map[string]bool)
	}
	if !b.named[name] {
		b.named[name] = true
		b.names = append(b.names, name)
		b.keys = append(b.keys, k)
	}
}

// reset forgets the events, but not when the last notification was sent.
func (b *backlog) reset() {
	*b = backlog{sent: b.sent}
}

// message writes kind's notification for the events in b. n.mu is held.
func (n *Notifier) message(kind string, b *backlog) Notification {
	names, count, last := joinNames(b.names), len(b.names), b.detail
	again := ""
	if b.events > count {
		again = fmt.Sprintf(" (%d times in all)", b.events)
	}
	switch {
	case kind == KindServerDown && !b.held && count == 1:
		body := names + " stopped answering."
		if last != "" {
			body = names + " stopped answering: " + last
		}
		return Notification{Title: names + " is down", Body: body}
	case kind == KindServerDown && !b.held:
		return Notification{Title: fmt.Sprintf("%d servers are down", count), Body: names + " stopped answering."}
	case kind == KindServerDown:
		return Notification{
			Title: fmt.Sprintf("%d more %s down", count, plural(count, "server went", "servers went")),
			Body:  names + " stopped answering since the last notice" + again + "." + n.changedSince(b, true, "back up"),
		}
	case kind == KindServerUp && !b.held && count == 1:
		body := names + " answers again."
		if d := b.downed; d > 0 {
			body = fmt.Sprintf("%s answers again after %s offline.", names, span(d))
		}
		return Notification{Title: names + " is back", Body: body}
	case kind == KindServerUp && !b.held:
		return Notification{Title: fmt.Sprintf("%d servers are back", count), Body: names + " answer again."}
	case kind == KindServerUp:
		return Notification{
			Title: fmt.Sprintf("%d more %s back", count, plural(count, "server came", "servers came")),
			Body:  names + " answered again since the last notice" + again + "." + n.changedSince(b, false, "down again"),
		}
	case kind == KindBanRate && !b.held:
		return Notification{
			Title: fmt.Sprintf("%d new bans%s", b.peak, n.window(" in ")),
			Body: fmt.Sprintf("Your servers made %d new bans%s, at or above your alert level of %d.",
				b.peak, n.window(" in the last "), n.rules.BanRate),
		}
	case kind == KindBanRate:
		return Notification{
			Title: "The ban rate is still high",
			Body: fmt.Sprintf("Since the last notice, your servers kept making %d or more new bans%s, up to %d.",
				n.rules.BanRate, n.window(" per "), b.peak),
		}
	case kind == KindImportFailed && !b.held:
		return Notification{Title: "Blocklist import failed: " + names, Body: last}
	default: // KindImportFailed, held
		return Notification{
			Title: fmt.Sprintf("%d more blocklist %s", b.events, plural(b.events, "import failed", "imports failed")),
			Body:  fmt.Sprintf("%s failed since the last notice. The last error: %s", names, last),
		}
	}
}

// window writes the ban window after prefix (" in 10m"); empty when the
// rules have none. n.mu is held.
func (n *Notifier) window(prefix string) string {
	if n.rules.BanWindow <= 0 {
		return ""
	}
	return prefix + span(n.rules.BanWindow)
}

// changedSince says how many of b's servers the latest polls found
// online (or not) again, in the words of now: " 2 of them are back up
// now." Empty when none. n.mu is held.
func (n *Notifier) changedSince(b *backlog, online bool, now string) string {
	changed := 0
	for _, k := range b.keys {
		if s, ok := n.servers[k]; ok && s.online == online {
			changed++
		}
	}
	switch {
	case changed == 0:
		return ""
	case len(b.keys) == 1:
		return " It is " + now + " now."
	case changed == len(b.keys):
		return " All are " + now + " now."
	}
	return fmt.Sprintf(" %d of them %s %s now.", changed, plural(changed, "is", "are"), now)
}

// joinNames lists names as people do, at most maxNames of them: "a",
// "a and b", "a, b and c", "a, b, c, d, e and 3 more".
func joinNames(names []string) string {
	switch {
	case len(names) == 0:
		return ""
	case len(names) == 1:
		return names[0]
	case len(names) > maxNames:
		return strings.Join(names[:maxNames], ", ") + " and " + strconv.Itoa(len(names)-maxNames) + " more"
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

func serverName(s core.Server) string {
	if s.Name != "" {
		return s.Name
	}
	return fmt.Sprintf("server %d", s.ID)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// span writes a duration the way people read it: "45s", "12m", "2h", "2h5m".
func span(d time.Duration) string {
	switch {
	case d < time.Minute:
		return d.Round(time.Second).String()
	case d < time.Hour:
		return strconv.Itoa(int(d.Round(time.Minute)/time.Minute)) + "m"
	}
	d = d.Round(time.Minute)
	h, m := d/time.Hour, d%time.Hour/time.Minute
	if m == 0 {
		return strconv.Itoa(int(h)) + "h"
	}
	return fmt.Sprintf("%dh%dm", h, m)
}
