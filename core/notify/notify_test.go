package notify_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/notify"
)

// clock is a fake clock that moves only when told.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 27, 14, 0, 0, 0, time.UTC)} }

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// outbox collects what a Notifier sends.
type outbox struct {
	mu   sync.Mutex
	list []notify.Notification
}

func (o *outbox) send(n notify.Notification) {
	o.mu.Lock()
	o.list = append(o.list, n)
	o.mu.Unlock()
}

// take returns what was sent since the last take.
func (o *outbox) take() []notify.Notification {
	o.mu.Lock()
	defer o.mu.Unlock()
	list := o.list
	o.list = nil
	return list
}

// every rule on, with the default window and interval.
var every = core.NotifyRules{
	ServerDown: true, ServerUp: true, ImportFailed: true,
	BanRate: 100, BanWindow: 10 * time.Minute, MinInterval: 5 * time.Minute,
}

func newNotifier(t *testing.T, rules core.NotifyRules) (*notify.Notifier, *outbox, *clock) {
	t.Helper()
	var out outbox
	c := newClock()
	n := notify.New(out.send, c.now)
	n.SetRules(rules)
	if got := n.Rules(); got != rules {
		t.Fatalf("Rules() = %+v, want %+v", got, rules)
	}
	return n, &out, c
}

func server(id int64, name string) core.Server { return core.Server{ID: id, Name: name} }

func up(c *clock, s core.Server) core.ServerStatus {
	return core.ServerStatus{Server: s, Online: true, CheckedAt: c.now()}
}

func down(c *clock, s core.Server) core.ServerStatus {
	return core.ServerStatus{Server: s, CheckedAt: c.now(),
		Err: core.Errorf(core.EUNAVAILABLE, "the connection was refused: check that sshd runs")}
}

// expect checks that exactly want was sent since the last take.
func expect(t *testing.T, out *outbox, want ...notify.Notification) {
	t.Helper()
	got := out.take()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("sent:\n%s\nwant:\n%s", show(got), show(want))
	}
}

func show(list []notify.Notification) string {
	if len(list) == 0 {
		return "  nothing"
	}
	var b strings.Builder
	for _, n := range list {
		fmt.Fprintf(&b, "  %s | %s | %s\n", n.Kind, n.Title, n.Body)
	}
	return b.String()
}

func TestServerTransitions(t *testing.T) {
	n, out, c := newNotifier(t, every)
	db1 := server(1, "db1")

	n.ServerStatus(up(c, db1))
	expect(t, out) // first state seen: silence

	c.advance(30 * time.Second)
	n.ServerStatus(up(c, db1))
	expect(t, out)

	c.advance(30 * time.Second)
	n.ServerStatus(down(c, db1))
	expect(t, out, notify.Notification{Kind: notify.KindServerDown, Title: "db1 is down",
		Body: "db1 stopped answering: the connection was refused: check that sshd runs"})

	c.advance(30 * time.Second)
	n.ServerStatus(down(c, db1)) // still down: no news
	expect(t, out)

	c.advance(11*time.Minute + 30*time.Second)
	n.ServerStatus(up(c, db1))
	expect(t, out, notify.Notification{Kind: notify.KindServerUp, Title: "db1 is back",
		Body: "db1 answers again after 12m offline."})
}

// TestFirstSeenOffline: a server found offline at the first look says
// nothing; when it answers, that is news.
func TestFirstSeenOffline(t *testing.T) {
	n, out, c := newNotifier(t, every)
	web := server(2, "web")
	n.ServerStatus(down(c, web))
	c.advance(time.Minute)
	n.ServerStatus(down(c, web))
	expect(t, out)

	c.advance(time.Minute)
	n.ServerStatus(up(c, web))
	expect(t, out, notify.Notification{Kind: notify.KindServerUp, Title: "web is back",
		Body: "web answers again after 2m offline."})
}

// TestCancelledPollIgnored: a cancelled check says nothing about the
// server, so it neither notifies nor changes what the next poll compares
// with.
func TestCancelledPollIgnored(t *testing.T) {
	n, out, c := newNotifier(t, every)
	db1 := server(1, "db1")
	n.ServerStatus(up(c, db1))
	n.ServerStatus(core.ServerStatus{Server: db1, Err: core.Errorf(core.ECANCELED, "the check was cancelled")})
	n.ServerStatus(up(c, db1))
	expect(t, out)
}

func TestRulesOff(t *testing.T) {
	c := newClock()
	var out outbox
	n := notify.New(out.send, c.now) // no SetRules: every rule is off
	if got := n.Rules(); got.Any() {
		t.Fatalf("a new Notifier's rules = %+v, want all off", got)
	}
	db1 := server(1, "db1")
	n.ServerStatus(up(c, db1))
	n.ServerStatus(down(c, db1))
	n.ServerStatus(up(c, db1))
	n.Bans(1_000_000)
	n.ImportFailed("spamhaus", errors.New("boom"))
	c.advance(time.Hour)
	n.Flush()
	expect(t, &out)

	// One rule on: only its kind is sent.
	n.SetRules(core.NotifyRules{ServerUp: true, MinInterval: time.Minute})
	n.ServerStatus(down(c, db1))
	n.ServerStatus(up(c, db1))
	n.Bans(1_000_000)
	n.ImportFailed("spamhaus", errors.New("boom"))
	expect(t, &out, notify.Notification{Kind: notify.KindServerUp, Title: "db1 is back", Body: "db1 answers again."})
}

// TestRuleOffDropsHeld: events held back by the interval are dropped when
// their rule is turned off, and not summed up later.
func TestRuleOffDropsHeld(t *testing.T) {
	n, out, c := newNotifier(t, every)
	n.ImportFailed("a", errors.New("boom"))
	n.ImportFailed("b", errors.New("boom"))
	if got := out.take(); len(got) != 1 {
		t.Fatalf("sent %d notifications, want 1:\n%s", len(got), show(got))
	}
	off := every
	off.ImportFailed = false
	n.SetRules(off)
	c.advance(time.Hour)
	n.Flush()
	n.SetRules(every)
	n.Flush()
	expect(t, out)
}

// TestOnePollOneNotification: servers going down in one poll make one
// notification that names them.
func TestOnePollOneNotification(t *testing.T) {
	n, out, c := newNotifier(t, every)
	a, b, d, e := server(1, "a"), server(2, "b"), server(3, "c"), server(4, "d")
	n.ServerStatuses([]core.ServerStatus{up(c, a), up(c, b), up(c, d), up(c, e)})
	expect(t, out)

	c.advance(30 * time.Second)
	n.ServerStatuses([]core.ServerStatus{down(c, a), down(c, b), up(c, d), down(c, e)})
	expect(t, out, notify.Notification{Kind: notify.KindServerDown, Title: "3 servers are down",
		Body: "a, b and d stopped answering."})

	c.advance(30 * time.Second)
	n.ServerStatuses([]core.ServerStatus{up(c, a), up(c, b), up(c, d), down(c, e)})
	expect(t, out, notify.Notification{Kind: notify.KindServerUp, Title: "2 servers are back",
		Body: "a and b answer again."})
}

// TestFlood: 500 servers going down one by one make one notification, and
// one summary once the interval has passed.
func TestFlood(t *testing.T) {
	rules := every
	rules.ServerUp = false
	n, out, c := newNotifier(t, rules)
	servers := make([]core.Server, 500)
	var all []core.ServerStatus
	for i := range servers {
		servers[i] = server(int64(i+1), fmt.Sprintf("s%03d", i))
		all = append(all, up(c, servers[i]))
	}
	n.ServerStatuses(all)
	for _, s := range servers {
		c.advance(100 * time.Millisecond)
		n.ServerStatus(down(c, s))
	}
	expect(t, out, notify.Notification{Kind: notify.KindServerDown, Title: "s000 is down",
		Body: "s000 stopped answering: the connection was refused: check that sshd runs"})

	n.ServerStatus(up(c, servers[1])) // back before the summary: the summary says so
	c.advance(5*time.Minute - 499*100*time.Millisecond - time.Nanosecond)
	n.Flush()
	expect(t, out) // one nanosecond early

	c.advance(time.Nanosecond)
	n.Flush()
	expect(t, out, notify.Notification{Kind: notify.KindServerDown, Title: "499 more servers went down",
		Body: "s001, s002, s003, s004, s005 and 494 more stopped answering since the last notice. 1 of them is back up now."})

	c.advance(time.Hour)
	n.Flush()
	expect(t, out) // nothing left
}

// TestHeldSummedUpByNextEvent: the first event after the interval brings
// the held ones along in one notification, counting a server that went
// down twice once by name.
func TestHeldSummedUpByNextEvent(t *testing.T) {
	n, out, c := newNotifier(t, every)
	a, b := server(1, "a"), server(2, "b")
	n.ServerStatuses([]core.ServerStatus{up(c, a), up(c, b)})
	n.ServerStatus(down(c, a))
	out.take()

	c.advance(time.Minute)
	n.ServerStatus(down(c, b))
	c.advance(time.Minute)
	n.ServerStatus(up(c, b))
	c.advance(time.Minute)
	n.ServerStatus(down(c, b))
	expect(t, out, notify.Notification{Kind: notify.KindServerUp, Title: "b is back", Body: "b answers again after 1m offline."})

	c.advance(5 * time.Minute)
	n.ServerStatus(up(c, a)) // the up notice has its own interval, and is due
	expect(t, out,
		notify.Notification{Kind: notify.KindServerDown, Title: "1 more server went down",
			Body: "b stopped answering since the last notice (2 times in all)."},
		notify.Notification{Kind: notify.KindServerUp, Title: "a is back", Body: "a answers again after 8m offline."},
	)
}

func TestBanRate(t *testing.T) {
	n, out, c := newNotifier(t, every)
	n.Bans(99)
	expect(t, out)

	n.Bans(100)
	expect(t, out, notify.Notification{Kind: notify.KindBanRate, Title: "100 new bans in 10m",
		Body: "Your servers made 100 new bans in the last 10m, at or above your alert level of 100."})

	for _, count := range []int{150, 400, 120, 10} {
		c.advance(time.Minute)
		n.Bans(count)
	}
	expect(t, out)
	c.advance(time.Minute)
	n.Flush()
	expect(t, out, notify.Notification{Kind: notify.KindBanRate, Title: "The ban rate is still high",
		Body: "Since the last notice, your servers kept making 100 or more new bans per 10m, up to 400."})

	off := every
	off.BanRate = 0
	n.SetRules(off)
	c.advance(time.Hour)
	n.Bans(1_000_000)
	expect(t, out)
}

func TestImportFailed(t *testing.T) {
	n, out, c := newNotifier(t, every)
	n.ImportFailed("spamhaus", fmt.Errorf("blocklist: import: %w",
		core.Errorf(core.EUNAVAILABLE, "the list could not be downloaded: check the address")))
	expect(t, out, notify.Notification{Kind: notify.KindImportFailed, Title: "Blocklist import failed: spamhaus",
		Body: "the list could not be downloaded: check the address"})

	c.advance(time.Minute)
	n.ImportFailed("firehol", errors.New("disk full"))
	c.advance(time.Minute)
	n.ImportFailed("firehol", errors.New("disk still full"))
	expect(t, out)
	c.advance(3 * time.Minute)
	n.Flush()
	expect(t, out, notify.Notification{Kind: notify.KindImportFailed, Title: "2 more blocklist imports failed",
		Body: "firehol failed since the last notice. The last error: Unexpected error: disk still full"})
}

// TestNoInterval: with no MinInterval, every event is sent.
func TestNoInterval(t *testing.T) {
	rules := every
	rules.MinInterval = 0
	n, out, _ := newNotifier(t, rules)
	for range 3 {
		n.Bans(100)
	}
	if got := out.take(); len(got) != 3 {
		t.Errorf("sent %d notifications, want 3:\n%s", len(got), show(got))
	}
}

// TestConcurrent feeds one Notifier from many goroutines (run it with
// -race): the clock stands still, so each kind is sent once, and the
// summary after the interval counts every other event.
func TestConcurrent(t *testing.T) {
	n, out, c := newNotifier(t, every)
	const workers, each = 8, 50
	var first []core.ServerStatus
	for i := range workers * each {
		first = append(first, up(c, server(int64(i+1), fmt.Sprint("s", i))))
	}
	n.ServerStatuses(first)

	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				id := int64(w*each + i + 1)
				n.ServerStatus(down(c, server(id, fmt.Sprint("s", id-1))))
				n.Bans(100 + i)
				n.ImportFailed(fmt.Sprint("list", w), errors.New("boom"))
				n.SetRules(n.Rules())
				n.Flush()
			}
		})
	}
	wg.Wait()
	kinds := map[string]int{}
	for _, x := range out.take() {
		kinds[x.Kind]++
	}
	if want := map[string]int{notify.KindServerDown: 1, notify.KindBanRate: 1, notify.KindImportFailed: 1}; !reflect.DeepEqual(kinds, want) {
		t.Errorf("notifications per kind = %v, want %v", kinds, want)
	}

	c.advance(5 * time.Minute)
	n.Flush()
	got := out.take()
	titles := make([]string, len(got))
	for i, x := range got {
		titles[i] = x.Title
	}
	want := []string{
		fmt.Sprintf("%d more servers went down", workers*each-1),
		"The ban rate is still high",
		fmt.Sprintf("%d more blocklist imports failed", workers*each-1),
	}
	if !reflect.DeepEqual(titles, want) {
		t.Errorf("summaries = %q, want %q", titles, want)
	}
}
