package blocklist_test

// Tests of the importer with real components: a private fail2ban-server
// (f2btest), a real cache file (storetest) and a loopback HTTP server
// standing in for the list site. Bans target documentation addresses only.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/activity"
	"github.com/bangui/bangui/core/blocklist"
	"github.com/bangui/bangui/core/f2b"
	"github.com/bangui/bangui/core/f2b/f2btest"
	"github.com/bangui/bangui/core/store"
	"github.com/bangui/bangui/core/store/storetest"
)

// The app passes activity clients, so that imports show in the activity log.
var _ blocklist.Target = (*activity.Client)(nil)

// listSite stands in for the site that publishes a blocklist: it serves
// one list with an ETag and answers 304 to a matching If-None-Match.
type listSite struct {
	*httptest.Server
	mu       sync.Mutex
	body     string
	etag     string
	requests int
}

func newListSite(t testing.TB) *listSite {
	s := &listSite{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.requests++
		if s.etag != "" && r.Header.Get("If-None-Match") == s.etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		if s.etag != "" {
			w.Header().Set("ETag", s.etag)
		}
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprint(w, s.body)
	}))
	t.Cleanup(s.Close)
	return s
}

// publish makes the site serve ips (plus comments and refused lines)
// under etag.
func (s *listSite) publish(etag string, ips []string) {
	var b strings.Builder
	b.WriteString("# test blocklist\n; generated for a test\n\n")
	for _, ip := range ips {
		b.WriteString(ip + "\n")
	}
	b.WriteString("198.51.100.0/24\nnot-an-address\n10.0.0.1\n")
	s.mu.Lock()
	s.body, s.etag = b.String(), etag
	s.mu.Unlock()
}

// refusedLines are the entry lines publish adds that are not imported:
// a network (CIDR is off), garbage and a private address.
const refusedLines = 3

// env is a cache, a list site and an importer; servers are added with
// addServer.
type env struct {
	t    *testing.T
	ctx  context.Context
	db   *store.DB
	site *listSite
	im   *blocklist.Importer
	src  core.BlocklistSource

	mu       sync.Mutex
	prewarm  []string
	progress []blocklist.Progress
}

func newEnv(t *testing.T, jail string, unbanDropped bool) *env {
	e := &env{t: t, ctx: context.Background(), db: storetest.Open(t), site: newListSite(t)}
	clients := map[string]*f2b.Client{}
	var cmu sync.Mutex
	t.Cleanup(func() {
		for _, c := range clients {
			c.Close()
		}
	})
	e.im = &blocklist.Importer{
		Store:   e.db,
		Fetcher: &blocklist.Fetcher{Retries: -1},
		Clients: func(s core.Server) (blocklist.Target, error) {
			cmu.Lock()
			defer cmu.Unlock()
			c := clients[s.Socket]
			if c == nil {
				// Small batches, so that a cancel lands between two.
				c = f2b.New(f2b.UnixDialer{Path: s.Socket}, f2b.Config{BatchSize: 5, PerIP: time.Second})
				clients[s.Socket] = c
			}
			return c, nil
		},
		Prewarm: func(ips []string) {
			e.mu.Lock()
			e.prewarm = append(e.prewarm, ips...)
			e.mu.Unlock()
		},
		ParseOptions: blocklist.ParseOptions{AllowDocumentation: true},
	}
	src, err := e.db.AddBlocklist(e.ctx, core.BlocklistSource{
		Name: "test list", URL: e.site.URL + "/list.txt", Jail: jail, UnbanDropped: unbanDropped, Enabled: true,
	})
	if err != nil {
		t.Fatalf("AddBlocklist: %v", err)
	}
	e.src = src
	return e
}

// addServer records a server whose socket is sock in the cache.
func (e *env) addServer(name, sock string) core.Server {
	e.t.Helper()
	s, err := e.db.AddServer(e.ctx, core.Server{Name: name, Kind: core.ServerLocal, Socket: sock})
	if err != nil {
		e.t.Fatalf("AddServer(%s): %v", name, err)
	}
	return s
}

// run imports the source (re-read from the cache, as the app does, for
// its validators) into servers.
func (e *env) run(ctx context.Context, servers ...core.Server) (blocklist.Summary, error) {
	e.t.Helper()
	src, err := e.db.Blocklist(e.ctx, e.src.ID)
	if err != nil {
		e.t.Fatalf("Blocklist: %v", err)
	}
	e.mu.Lock()
	e.progress = nil
	e.mu.Unlock()
	return e.im.Run(ctx, src, servers, func(p blocklist.Progress) {
		e.mu.Lock()
		e.progress = append(e.progress, p)
		e.mu.Unlock()
	})
}

// mustRun is run, failing the test on an error.
func (e *env) mustRun(servers ...core.Server) blocklist.Summary {
	e.t.Helper()
	sum, err := e.run(e.ctx, servers...)
	if err != nil {
		e.t.Fatalf("Run: %v\nsummary: %+v", err, sum)
	}
	return sum
}

// entries is what the cache says the source banned on s.
func (e *env) entries(s core.Server) []string {
	e.t.Helper()
	list, err := e.db.BlocklistEntries(e.ctx, e.src.ID, s.ID, e.src.Jail)
	if err != nil {
		e.t.Fatalf("BlocklistEntries: %v", err)
	}
	slices.Sort(list)
	return list
}

// lastRuns returns the source's runs on serverID (0: the downloads),
// newest first.
func (e *env) lastRuns(serverID int64) []core.BlocklistRun {
	e.t.Helper()
	runs, err := e.db.BlocklistRuns(e.ctx, core.BlocklistRunFilter{SourceID: e.src.ID})
	if err != nil {
		e.t.Fatalf("BlocklistRuns: %v", err)
	}
	var out []core.BlocklistRun
	for _, r := range runs {
		if r.ServerID == serverID {
			out = append(out, r)
		}
	}
	return out
}

// bannedIn returns the addresses jail bans on srv, sorted, as fail2ban
// lists them (`get JAIL banip`).
func bannedIn(t *testing.T, srv *f2btest.Server, jail string) []string {
	t.Helper()
	list := strings.Fields(srv.Client(t, "get", jail, "banip"))
	slices.Sort(list)
	return list
}

// addrs returns n addresses of 203.0.113.0/24 from .first.
func addrs(first, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("203.0.113.%d", first+i)
	}
	return out
}

func sorted(list []string) []string {
	list = slices.Clone(list)
	slices.Sort(list)
	return list
}

// TestImport imports a list into a real jail several times: the first
// import bans it, a republished list bans nothing new, an unchanged one
// is not downloaded, and a list that shrinks unbans only what it banned.
func TestImport(t *testing.T) {
	srv := f2btest.Start(t, f2btest.Options{BanTime: "1d"})
	e := newEnv(t, "app1", true)
	web := e.addServer("web1", srv.Socket)

	list := append(addrs(1, 20), "2001:db8::1")
	// 203.0.113.5 is in the list but banned by hand first; 192.0.2.50 is
	// banned by hand and never in the list.
	handInList, handOnly := "203.0.113.5", "192.0.2.50"
	srv.Client(t, "set", "app1", "banip", handInList, handOnly)
	e.site.publish(`"v1"`, list)

	// First import.
	sum := e.mustRun(web)
	if sum.Unchanged || sum.NewBans != len(list)-1 || sum.Already != 1 || sum.Unbanned != 0 {
		t.Errorf("first import: new %d, already %d, unbanned %d, unchanged %v; want %d, 1, 0, false",
			sum.NewBans, sum.Already, sum.Unbanned, sum.Unchanged, len(list)-1)
	}
	wantBanned := sorted(append(slices.Clone(list), handOnly))
	if got := bannedIn(t, srv, "app1"); !slices.Equal(got, wantBanned) {
		t.Errorf("banned after the first import:\n got %v\nwant %v", got, wantBanned)
	}
	mine := sorted(slices.DeleteFunc(slices.Clone(list), func(ip string) bool { return ip == handInList }))
	if got := e.entries(web); !slices.Equal(got, mine) {
		t.Errorf("the import log says it banned\n %v\nwant %v (not the address banned by hand)", got, mine)
	}
	// The log matches what the server holds: every recorded address is
	// banned in the jail.
	c := f2b.New(f2b.UnixDialer{Path: srv.Socket}, f2b.Config{})
	defer c.Close()
	jails, err := c.JailsOf(e.ctx, e.entries(web)...)
	if err != nil {
		t.Fatalf("JailsOf: %v", err)
	}
	for ip, js := range jails {
		if !slices.Contains(js, "app1") {
			t.Errorf("%s is recorded as banned by the list but app1 does not ban it (%v)", ip, js)
		}
	}
	dl := e.lastRuns(0)
	if len(dl) != 1 || dl[0].Status != core.RunOK || dl[0].Valid != len(list) ||
		dl[0].Invalid != refusedLines || dl[0].Entries != len(list)+refusedLines || dl[0].Bytes == 0 {
		t.Errorf("download runs = %+v, want one ok with %d valid, %d invalid", dl, len(list), refusedLines)
	} else if bad := strings.Join(dl[0].BadLines, "\n"); !strings.Contains(bad, "198.51.100.0/24") || !strings.Contains(bad, "not-an-address") {
		t.Errorf("bad lines %q, want the network and the garbage line", bad)
	}
	runs := e.lastRuns(web.ID)
	if len(runs) != 1 || runs[0].Status != core.RunOK || runs[0].NewBans != len(list)-1 || runs[0].Already != 1 || runs[0].Server != "web1" {
		t.Errorf("server runs = %+v", runs)
	}
	if src, _ := e.db.Blocklist(e.ctx, e.src.ID); src.ETag != `"v1"` {
		t.Errorf("stored ETag %q, want \"v1\"", src.ETag)
	}
	e.mu.Lock()
	if got := sorted(e.prewarm); !slices.Equal(got, mine) {
		t.Errorf("pre-warmed %v, want %v", got, mine)
	}
	e.prewarm = nil
	var stages []string
	for _, p := range e.progress {
		if len(stages) == 0 || stages[len(stages)-1] != p.Stage {
			stages = append(stages, p.Stage)
		}
	}
	if last := e.progress[len(e.progress)-1]; last.Stage != blocklist.StageBanning || last.Done != last.Total || last.Server != "web1" {
		t.Errorf("last progress %+v, want banning done on web1", last)
	}
	e.mu.Unlock()
	if got := strings.Join(stages, ","); got != "downloading,parsing,banning" {
		t.Errorf("stages %s", got)
	}

	// Republished with a new ETag but the same addresses: nothing new.
	e.site.publish(`"v1b"`, list)
	sum = e.mustRun(web)
	if sum.NewBans != 0 || sum.Already != len(list) || sum.Unbanned != 0 {
		t.Errorf("second import: new %d, already %d, unbanned %d; want 0, %d, 0", sum.NewBans, sum.Already, sum.Unbanned, len(list))
	}

	// Not changed since (same ETag): a 304, recorded as unchanged.
	sum = e.mustRun(web)
	if !sum.Unchanged || sum.Download.Status != core.RunUnchanged || len(sum.Servers) != 0 {
		t.Errorf("unchanged import: %+v", sum)
	}
	if dl := e.lastRuns(0); len(dl) != 3 || dl[0].Status != core.RunUnchanged {
		t.Errorf("download runs after the 304: %+v, want the newest unchanged", dl)
	}

	// The list drops 203.0.113.1-3 (banned by this list) and the address
	// that was banned by hand: the first three are unbanned, it stays.
	shrunk := slices.DeleteFunc(slices.Clone(list), func(ip string) bool {
		return ip == handInList || ip == "203.0.113.1" || ip == "203.0.113.2" || ip == "203.0.113.3"
	})
	e.site.publish(`"v2"`, shrunk)
	sum = e.mustRun(web)
	if sum.NewBans != 0 || sum.Already != len(shrunk) || sum.Unbanned != 3 {
		t.Errorf("shrunk import: new %d, already %d, unbanned %d; want 0, %d, 3", sum.NewBans, sum.Already, sum.Unbanned, len(shrunk))
	}
	wantBanned = sorted(append(slices.Clone(shrunk), handInList, handOnly))
	if got := bannedIn(t, srv, "app1"); !slices.Equal(got, wantBanned) {
		t.Errorf("banned after the shrink:\n got %v\nwant %v", got, wantBanned)
	}
	if got := e.entries(web); !slices.Equal(got, sorted(shrunk)) {
		t.Errorf("the import log after the shrink: %v, want %v", got, sorted(shrunk))
	}
}

// TestImportServers imports into a server that works, one whose socket
// does not answer, and checks that a jail missing on one server stops
// the import before anything is banned anywhere.
func TestImportServers(t *testing.T) {
	withJail := f2btest.Start(t, f2btest.Options{ExtraJails: []string{"lists"}})
	without := f2btest.Start(t, f2btest.Options{})

	t.Run("one server down", func(t *testing.T) {
		e := newEnv(t, "app2", false)
		up := e.addServer("up", withJail.Socket)
		down := e.addServer("down", filepath.Join(t.TempDir(), "gone.sock"))
		list := addrs(30, 8)
		e.site.publish(`"a"`, list)
		sum, err := e.run(e.ctx, down, up)
		if core.ErrorCode(err) != core.EUNAVAILABLE || !strings.Contains(core.ErrorMessage(err), "1 of 2 servers") ||
			!strings.Contains(core.ErrorMessage(err), "down: ") {
			t.Errorf("Run = %v, want EUNAVAILABLE saying 1 of 2 servers and naming down", err)
		}
		t.Logf("message: %s", core.ErrorMessage(err))
		if src, _ := e.db.Blocklist(e.ctx, e.src.ID); src.ETag != "" {
			t.Errorf("ETag %q stored after a partial import, want none (the next import must download again)", src.ETag)
		}
		if got := bannedIn(t, withJail, "app2"); !slices.Equal(got, sorted(list)) {
			t.Errorf("banned on the working server: %v, want %v", got, list)
		}
		if len(sum.Servers) != 2 || sum.NewBans != len(list) {
			t.Fatalf("summary %+v", sum)
		}
		r := e.lastRuns(down.ID)
		if len(r) != 1 || r[0].Status != core.RunFailed || !strings.Contains(r[0].Error, "did not answer") {
			t.Errorf("run of the down server: %+v, want failed saying it did not answer", r)
		}
		if r := e.lastRuns(up.ID); len(r) != 1 || r[0].Status != core.RunOK || r[0].NewBans != len(list) {
			t.Errorf("run of the working server: %+v", r)
		}
	})

	t.Run("a server joins the target", func(t *testing.T) {
		e := newEnv(t, "app1", false)
		a := e.addServer("first", withJail.Socket)
		list := addrs(90, 6)
		e.site.publish(`"v1"`, list)
		if _, err := e.run(e.ctx, a); err != nil {
			t.Fatal(err)
		}
		// Same list, same ETag, one server more: the newcomer must get it,
		// not an "unchanged".
		b := e.addServer("newcomer", without.Socket)
		sum, err := e.run(e.ctx, a, b)
		if err != nil || sum.Unchanged {
			t.Fatalf("second import: unchanged %v, err %v", sum.Unchanged, err)
		}
		if got := bannedIn(t, without, "app1"); !slices.Equal(got, sorted(list)) {
			t.Errorf("banned on the newcomer: %v, want %v", got, list)
		}
		if sum.NewBans != len(list) || sum.Already != len(list) {
			t.Errorf("new %d, already %d; want %d each", sum.NewBans, sum.Already, len(list))
		}
		// Now both have it: the next import is a conditional one again.
		if sum, err = e.run(e.ctx, a, b); err != nil || !sum.Unchanged {
			t.Errorf("third import: unchanged %v, err %v", sum.Unchanged, err)
		}
	})

	t.Run("jail missing", func(t *testing.T) {
		e := newEnv(t, "lists", false)
		a := e.addServer("has-jail", withJail.Socket)
		b := e.addServer("no-jail", without.Socket)
		e.site.publish(`"a"`, addrs(60, 8))
		sum, err := e.run(e.ctx, a, b)
		if core.ErrorCode(err) != core.ENOTFOUND || !strings.Contains(core.ErrorMessage(err), `"lists"`) ||
			!strings.Contains(core.ErrorMessage(err), "no-jail") {
			t.Fatalf("Run = %v, want ENOTFOUND naming the jail and no-jail", err)
		}
		t.Logf("message: %s", core.ErrorMessage(err))
		if got := bannedIn(t, withJail, "lists"); len(got) != 0 {
			t.Errorf("banned on the server that has the jail: %v, want nothing", got)
		}
		if sum.NewBans != 0 || len(e.entries(a)) != 0 {
			t.Errorf("new bans %d, entries %v; want none", sum.NewBans, e.entries(a))
		}
		for _, s := range []core.Server{a, b} {
			if r := e.lastRuns(s.ID); len(r) != 1 || r[0].Status != core.RunFailed || !strings.Contains(r[0].Error, "no-jail") {
				t.Errorf("run of %s: %+v, want failed naming no-jail", s.Name, r)
			}
		}
	})
}

// TestImportCancel cancels an import after its first batch of bans: the
// run is recorded as cancelled with what was banned, and the import log
// holds exactly the addresses the server bans.
func TestImportCancel(t *testing.T) {
	srv := f2btest.Start(t, f2btest.Options{})
	e := newEnv(t, "app1", false)
	web := e.addServer("web1", srv.Socket)
	list := addrs(100, 40)
	e.site.publish(`"a"`, list)

	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	src, _ := e.db.Blocklist(e.ctx, e.src.ID)
	sum, err := e.im.Run(ctx, src, []core.Server{web}, func(p blocklist.Progress) {
		if p.Stage == blocklist.StageBanning && p.Done > 0 {
			cancel() // after the first batch of 5 (Config.BatchSize)
		}
	})
	if !errors.Is(err, context.Canceled) && core.ErrorCode(err) != core.ECANCELED {
		t.Fatalf("Run = %v, want cancelled", err)
	}
	banned := bannedIn(t, srv, "app1")
	if len(banned) == 0 || len(banned) == len(list) {
		t.Fatalf("%d of %d banned after the cancel, want some", len(banned), len(list))
	}
	if got := e.entries(web); !slices.Equal(got, banned) {
		t.Errorf("import log %v, want what the server bans: %v", got, banned)
	}
	r := e.lastRuns(web.ID)
	if len(r) != 1 || r[0].Status != core.RunCancelled || r[0].NewBans != len(banned) || r[0].Error == "" {
		t.Errorf("run %+v, want cancelled with %d new bans", r, len(banned))
	}
	if len(sum.Servers) != 1 || sum.Servers[0].Status != core.RunCancelled {
		t.Errorf("summary %+v", sum)
	}
	t.Logf("cancelled after %d bans: %s", len(banned), r[0].Error)
}

// TestImportRespectsIgnoreIP: fail2ban bans an address that `banip` names
// even when the jail's ignoreip covers it, so the importer leaves those
// out (the admin's own networks must never be banned by a list).
func TestImportRespectsIgnoreIP(t *testing.T) {
	srv := f2btest.Start(t, f2btest.Options{})
	srv.Client(t, "set", "app1", "addignoreip", "203.0.113.128/28") // .128 - .143
	srv.Client(t, "set", "app1", "addignoreip", "203.0.113.150")
	e := newEnv(t, "app1", false)
	s := e.addServer("local", srv.Socket)
	list := addrs(125, 30) // .125 - .154
	e.site.publish(`"v1"`, list)
	sum, err := e.run(e.ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, ip := range list {
		if ip == "203.0.113.150" {
			continue
		}
		var last int
		fmt.Sscanf(ip, "203.0.113.%d", &last)
		if last >= 128 && last <= 143 {
			continue
		}
		want = append(want, ip)
	}
	if got := bannedIn(t, srv, "app1"); !slices.Equal(got, sorted(want)) {
		t.Errorf("banned %v\nwant   %v", got, sorted(want))
	}
	if sum.NewBans != len(want) || sum.Already != 0 {
		t.Errorf("new %d, already %d; want %d, 0", sum.NewBans, sum.Already, len(want))
	}
	found := false
	for _, w := range sum.Warnings {
		found = found || strings.Contains(w, "17 of the list's addresses are in jail app1's ignoreip")
	}
	if !found {
		t.Errorf("no warning about ignoreip: %v", sum.Warnings)
	}
	if got := e.entries(s); len(got) != len(want) {
		t.Errorf("recorded %d entries, want %d", len(got), len(want))
	}
}
