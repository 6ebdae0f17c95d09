package store_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/store"
)

func mustAddBlocklist(t *testing.T, db *store.DB, s core.BlocklistSource) core.BlocklistSource {
	t.Helper()
	got, err := db.AddBlocklist(context.Background(), s)
	if err != nil {
		t.Fatalf("AddBlocklist(%+v): %v", s, err)
	}
	return got
}

func mustAddServer(t *testing.T, db *store.DB, name string) core.Server {
	t.Helper()
	s, err := db.AddServer(context.Background(), core.Server{Name: name, Kind: core.ServerLocal})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// testNetIPs returns n distinct addresses derived from the TEST-NET
// ranges: 192.0.2.x, then 198.51.100.x, 203.0.113.x, and generated
// documentation IPv6 addresses for the rest.
func testNetIPs(n int) []string {
	ips := make([]string, 0, n)
	for _, p := range []string{"192.0.2.", "198.51.100.", "203.0.113."} {
		for i := 0; i < 256 && len(ips) < n; i++ {
			ips = append(ips, fmt.Sprintf("%s%d", p, i))
		}
	}
	for i := 0; len(ips) < n; i++ {
		ips = append(ips, fmt.Sprintf("2001:db8::%x:%x", i>>16, i&0xffff))
	}
	return ips
}

func TestBlocklistCRUD(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()

	ssh := mustAddBlocklist(t, db, core.BlocklistSource{
		ID: 42, Name: "  blocklist.de   ssh ", URL: " https://lists.blocklist.de/lists/ssh.txt ",
		Jail: "sshd", Target: "group:eu", Schedule: "6h", UnbanDropped: true, Enabled: true,
		ETag: `"ignored"`, LastModified: "ignored",
	})
	if ssh.ID == 0 || ssh.ID == 42 || ssh.Name != "blocklist.de ssh" || ssh.URL != "https://lists.blocklist.de/lists/ssh.txt" {
		t.Errorf("AddBlocklist returned %+v; want a new ID and normalised text", ssh)
	}
	if ssh.MaxEntries != core.DefaultMaxEntries || ssh.ETag != "" || ssh.LastModified != "" {
		t.Errorf("AddBlocklist: max %d, validators %q %q; want the default and none", ssh.MaxEntries, ssh.ETag, ssh.LastModified)
	}
	if want := time.Unix(1_700_000_000, 0); !ssh.CreatedAt.Equal(want) || !ssh.UpdatedAt.Equal(want) {
		t.Errorf("times = %v, %v; want the injected clock %v", ssh.CreatedAt, ssh.UpdatedAt, want)
	}
	abuse := mustAddBlocklist(t, db, core.BlocklistSource{
		Name: "Abuse", URL: "http://example.org/list.txt", Jail: "recidive", Target: "server:3",
		Schedule: "0 */6 * * *", MaxEntries: 500,
	})

	got, err := db.Blocklist(ctx, ssh.ID)
	if err != nil || got != ssh {
		t.Errorf("Blocklist = %+v, %v\nwant        %+v", got, err, ssh)
	}
	list, err := db.Blocklists(ctx)
	if err != nil || len(list) != 2 || list[0] != abuse || list[1] != ssh {
		t.Errorf("Blocklists = %+v, %v; want Abuse, blocklist.de ssh", list, err)
	}

	// The validators are the download's: set apart, kept by edits that
	// keep the URL, cleared by a new URL.
	if err := db.SetBlocklistValidators(ctx, ssh.ID, `"v1"`, "Mon, 02 Jan 2006 15:04:05 GMT"); err != nil {
		t.Fatal(err)
	}
	db.Now = func() time.Time { return time.Unix(1_700_000_100, 500) }
	edit := ssh
	edit.Name, edit.Schedule, edit.Enabled, edit.UnbanDropped, edit.MaxEntries = "ssh list", "", false, false, 65_536
	edit.ETag, edit.LastModified = "", ""
	upd, err := db.UpdateBlocklist(ctx, edit)
	if err != nil {
		t.Fatal(err)
	}
	want := edit
	want.ETag, want.LastModified = `"v1"`, "Mon, 02 Jan 2006 15:04:05 GMT"
	want.UpdatedAt = time.Unix(1_700_000_100, 0)
	if upd != want {
		t.Errorf("UpdateBlocklist = %+v\nwant              %+v", upd, want)
	}
	if got, err := db.Blocklist(ctx, ssh.ID); err != nil || got != upd {
		t.Errorf("Blocklist after update = %+v, %v; want %+v", got, err, upd)
	}
	edit.URL = "https://lists.blocklist.de/lists/all.txt"
	upd, err = db.UpdateBlocklist(ctx, edit)
	if err != nil || upd.ETag != "" || upd.LastModified != "" || upd.URL != edit.URL {
		t.Errorf("UpdateBlocklist with a new URL = %+v, %v; want the validators cleared", upd, err)
	}

	if err := db.DeleteBlocklist(ctx, abuse.ID); err != nil {
		t.Fatal(err)
	}
	if list, err := db.Blocklists(ctx); err != nil || len(list) != 1 || list[0].ID != ssh.ID {
		t.Errorf("after delete: %+v, %v; want the ssh list only", list, err)
	}
}

func TestBlocklistNotFound(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	check := func(op string, err error) {
		t.Helper()
		if !errors.Is(err, core.ErrNotFound) || core.ErrorCode(err) != core.ENOTFOUND {
			t.Errorf("%s: %v (code %q); want core.ErrNotFound", op, err, core.ErrorCode(err))
		}
		if err != nil && !strings.Contains(err.Error(), "store: ") {
			t.Errorf("%s: %q does not name the operation", op, err)
		}
	}
	_, err := db.Blocklist(ctx, 7)
	check("Blocklist", err)
	_, err = db.UpdateBlocklist(ctx, core.BlocklistSource{ID: 7, Name: "x", URL: "https://example.org/x", Jail: "sshd"})
	check("UpdateBlocklist", err)
	check("DeleteBlocklist", db.DeleteBlocklist(ctx, 7))
	check("SetBlocklistValidators", db.SetBlocklistValidators(ctx, 7, "e", ""))
}

func TestBlocklistBadInput(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	ok := core.BlocklistSource{Name: "list", URL: "https://example.org/list.txt", Jail: "sshd"}
	for name, edit := range map[string]func(*core.BlocklistSource){
		"empty name":    func(s *core.BlocklistSource) { s.Name = "  " },
		"long name":     func(s *core.BlocklistSource) { s.Name = strings.Repeat("é", core.MaxBlocklistNameLen+1) },
		"control":       func(s *core.BlocklistSource) { s.Name = "a\x7fb" },
		"no URL":        func(s *core.BlocklistSource) { s.URL = "" },
		"not a URL":     func(s *core.BlocklistSource) { s.URL = "http://[::1" },
		"ftp":           func(s *core.BlocklistSource) { s.URL = "ftp://example.org/list.txt" },
		"no host":       func(s *core.BlocklistSource) { s.URL = "https:///list.txt" },
		"credentials":   func(s *core.BlocklistSource) { s.URL = "https://me:pw@example.org/list.txt" },
		"bad jail":      func(s *core.BlocklistSource) { s.Jail = "ssh d" },
		"no jail":       func(s *core.BlocklistSource) { s.Jail = "" },
		"bad target":    func(s *core.BlocklistSource) { s.Target = "everyone" },
		"empty group":   func(s *core.BlocklistSource) { s.Target = "group: " },
		"bad server":    func(s *core.BlocklistSource) { s.Target = "server:0" },
		"too often":     func(s *core.BlocklistSource) { s.Schedule = "1m" },
		"bad schedule":  func(s *core.BlocklistSource) { s.Schedule = "every day" },
		"cron fields":   func(s *core.BlocklistSource) { s.Schedule = "0 * * * * *" },
		"max < 0":       func(s *core.BlocklistSource) { s.MaxEntries = -1 },
		"max too large": func(s *core.BlocklistSource) { s.MaxEntries = core.MaxMaxEntries + 1 },
	} {
		s := ok
		edit(&s)
		if _, err := db.AddBlocklist(ctx, s); core.ErrorCode(err) != core.EINVALID {
			t.Errorf("%s: AddBlocklist: %v; want EINVALID", name, err)
		}
		s.ID = 1
		if _, err := db.UpdateBlocklist(ctx, s); core.ErrorCode(err) != core.EINVALID {
			t.Errorf("%s: UpdateBlocklist: %v; want EINVALID", name, err)
		}
	}
	if list, err := db.Blocklists(ctx); err != nil || len(list) != 0 {
		t.Errorf("%d sources stored (%v); want none", len(list), err)
	}

	// A duplicate name, on add and on update.
	a := mustAddBlocklist(t, db, ok)
	other := ok
	other.Name = "other"
	b := mustAddBlocklist(t, db, other)
	dup := ok
	dup.URL = "https://example.net/x"
	_, err := db.AddBlocklist(ctx, dup)
	if core.ErrorCode(err) != core.EINVALID || !strings.Contains(core.ErrorMessage(err), "taken") {
		t.Errorf("AddBlocklist duplicate: %v; want EINVALID saying the name is taken", err)
	}
	if err != nil && !strings.Contains(err.Error(), `store: add blocklist "list"`) {
		t.Errorf("error %q does not name the operation", err)
	}
	b.Name = a.Name
	if _, err := db.UpdateBlocklist(ctx, b); core.ErrorCode(err) != core.EINVALID || !strings.Contains(core.ErrorMessage(err), "taken") {
		t.Errorf("UpdateBlocklist to a taken name: %v; want EINVALID", err)
	}
	if _, err := db.UpdateBlocklist(ctx, a); err != nil {
		t.Errorf("UpdateBlocklist with its own name: %v", err)
	}
}

func TestBlocklistEntries(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	srv := mustAddServer(t, db, "web-1")
	src := mustAddBlocklist(t, db, core.BlocklistSource{Name: "big", URL: "https://example.org/big.txt", Jail: "sshd"})

	const n = 100_000
	ips := testNetIPs(n)
	at := time.Unix(1_700_000_000, 0)
	start := time.Now()
	if err := db.AddBlocklistEntries(ctx, src.ID, srv.ID, "sshd", ips, at); err != nil {
		t.Fatal(err)
	}
	t.Logf("added %d entries in %v", n, time.Since(start))
	// Again, with a few new ones: the old ones are ignored.
	more := append(slices.Clone(ips[:1000]), "2001:db8:ffff::1", "2001:db8:ffff::2")
	if err := db.AddBlocklistEntries(ctx, src.ID, srv.ID, "sshd", more, at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	got, err := db.BlocklistEntries(ctx, src.ID, srv.ID, "sshd")
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Sorted(slices.Values(append(slices.Clone(ips), more[1000:]...)))
	if !slices.Equal(got, want) {
		t.Fatalf("BlocklistEntries: %d addresses, want %d", len(got), len(want))
	}
	// Other jails and servers are apart.
	if got, err := db.BlocklistEntries(ctx, src.ID, srv.ID, "recidive"); err != nil || len(got) != 0 {
		t.Errorf("entries of another jail = %d, %v", len(got), err)
	}

	start = time.Now()
	if err := db.DeleteBlocklistEntries(ctx, src.ID, srv.ID, "sshd", ips[:n-10]); err != nil {
		t.Fatal(err)
	}
	t.Logf("deleted %d entries in %v", n-10, time.Since(start))
	got, err = db.BlocklistEntries(ctx, src.ID, srv.ID, "sshd")
	if err != nil {
		t.Fatal(err)
	}
	want = slices.Sorted(slices.Values(append(slices.Clone(ips[n-10:]), more[1000:]...)))
	if !slices.Equal(got, want) {
		t.Errorf("after delete: %v\nwant %v", got, want)
	}
	// Nothing to do is no error.
	if err := db.AddBlocklistEntries(ctx, src.ID, srv.ID, "sshd", nil, at); err != nil {
		t.Error(err)
	}
	if err := db.DeleteBlocklistEntries(ctx, src.ID, srv.ID, "sshd", []string{"192.0.2.1"}); err != nil {
		t.Error(err)
	}

	// A source or server deleted during an import: ENOTFOUND.
	for name, ids := range map[string][2]int64{"source": {src.ID + 100, srv.ID}, "server": {src.ID, srv.ID + 100}} {
		err := db.AddBlocklistEntries(ctx, ids[0], ids[1], "sshd", []string{"203.0.113.200"}, at)
		if core.ErrorCode(err) != core.ENOTFOUND {
			t.Errorf("entries of a missing %s: %v; want ENOTFOUND", name, err)
		}
	}
}

func TestBlocklistCascades(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	web, mail := mustAddServer(t, db, "web"), mustAddServer(t, db, "mail")
	a := mustAddBlocklist(t, db, core.BlocklistSource{Name: "a", URL: "https://example.org/a", Jail: "sshd"})
	b := mustAddBlocklist(t, db, core.BlocklistSource{Name: "b", URL: "https://example.org/b", Jail: "sshd"})
	at := time.Unix(1_700_000_000, 0)
	ips := testNetIPs(300)
	for _, src := range []int64{a.ID, b.ID} {
		for _, srv := range []int64{web.ID, mail.ID} {
			if err := db.AddBlocklistEntries(ctx, src, srv, "sshd", ips, at); err != nil {
				t.Fatal(err)
			}
			if _, err := db.AddBlocklistRun(ctx, core.BlocklistRun{SourceID: src, Source: "x", ServerID: srv, Server: "y", Started: at, Status: core.RunOK}); err != nil {
				t.Fatal(err)
			}
		}
	}
	count := func(src, srv int64) int {
		t.Helper()
		got, err := db.BlocklistEntries(ctx, src, srv, "sshd")
		if err != nil {
			t.Fatal(err)
		}
		return len(got)
	}

	if err := db.DeleteBlocklist(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if count(a.ID, web.ID) != 0 || count(a.ID, mail.ID) != 0 || count(b.ID, web.ID) != 300 || count(b.ID, mail.ID) != 300 {
		t.Error("deleting source a did not delete exactly its entries")
	}
	runs, err := db.BlocklistRuns(ctx, core.BlocklistRunFilter{})
	if err != nil || len(runs) != 4 {
		t.Fatalf("runs after deleting a source: %d, %v; want all 4 kept", len(runs), err)
	}
	orphans := 0
	for _, r := range runs {
		if r.SourceID == 0 {
			orphans++
			if r.Source != "x" {
				t.Errorf("orphan run lost its source name: %+v", r)
			}
		}
	}
	if orphans != 2 {
		t.Errorf("%d runs without a source; want the 2 of the deleted one", orphans)
	}

	if err := db.DeleteServer(ctx, web.ID); err != nil {
		t.Fatal(err)
	}
	if count(b.ID, web.ID) != 0 || count(b.ID, mail.ID) != 300 {
		t.Error("deleting server web did not delete exactly its entries")
	}
	runs, err = db.BlocklistRuns(ctx, core.BlocklistRunFilter{})
	if err != nil || len(runs) != 4 {
		t.Fatalf("runs after deleting a server: %d, %v; want all 4 kept", len(runs), err)
	}
	for _, r := range runs {
		if r.ServerID != mail.ID && (r.ServerID != 0 || r.Server != "y") {
			t.Errorf("run after deleting its server: %+v; want server 0 and the name kept", r)
		}
	}
	// A run of a source and server deleted meanwhile is still logged.
	if _, err := db.AddBlocklistRun(ctx, core.BlocklistRun{SourceID: a.ID, Source: "a", ServerID: web.ID, Server: "web", Started: at, Status: core.RunCancelled}); err != nil {
		t.Errorf("run of deleted source and server: %v", err)
	}
}

func TestBlocklistRuns(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	web, mail := mustAddServer(t, db, "web"), mustAddServer(t, db, "mail")
	a := mustAddBlocklist(t, db, core.BlocklistSource{Name: "a", URL: "https://example.org/a", Jail: "sshd"})
	b := mustAddBlocklist(t, db, core.BlocklistSource{Name: "b", URL: "https://example.org/b", Jail: "sshd"})
	t0 := time.UnixMilli(1_700_000_000_250)

	full := core.BlocklistRun{
		ID: 99, SourceID: a.ID, Source: "a", ServerID: web.ID, Server: "web",
		Started: t0, Duration: 1500 * time.Millisecond, Bytes: 123456, Entries: 1000, Valid: 990, Invalid: 10,
		NewBans: 900, Already: 90, Unbanned: 5, Status: core.RunFailed, Error: "connection reset",
		BadLines: []string{`line 3: "999.1.1.1" is not an address`, "line 9: ü <&>"},
	}
	id, err := db.AddBlocklistRun(ctx, full)
	if err != nil {
		t.Fatal(err)
	}
	full.ID = id
	runs, err := db.BlocklistRuns(ctx, core.BlocklistRunFilter{})
	if err != nil || len(runs) != 1 {
		t.Fatalf("BlocklistRuns = %+v, %v", runs, err)
	}
	if got := runs[0]; !got.Started.Equal(full.Started) || !reflect.DeepEqual(got, full) {
		t.Errorf("run = %+v\nwant  %+v", got, full)
	}

	// Many more: the download of each source then its servers, a minute
	// apart; some failed.
	step := 0
	for i := range 30 {
		src := []core.BlocklistSource{a, b}[i%2]
		for _, srv := range []core.Server{{}, web, mail} {
			step++
			status := core.RunOK
			if step%7 == 0 {
				status = core.RunFailed
			}
			_, err := db.AddBlocklistRun(ctx, core.BlocklistRun{
				SourceID: src.ID, Source: src.Name, ServerID: srv.ID, Server: srv.Name,
				Started: t0.Add(time.Duration(step) * time.Minute), Status: status,
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := db.AddBlocklistRun(ctx, core.BlocklistRun{SourceID: a.ID, Status: "done"}); core.ErrorCode(err) != core.EINVALID {
		t.Errorf("unknown status: %v; want EINVALID", err)
	}

	for name, tc := range map[string]struct {
		f    core.BlocklistRunFilter
		want func(core.BlocklistRun) bool
		n    int
	}{
		"all":      {core.BlocklistRunFilter{}, func(core.BlocklistRun) bool { return true }, 91},
		"source b": {core.BlocklistRunFilter{SourceID: b.ID}, func(r core.BlocklistRun) bool { return r.SourceID == b.ID }, 45},
		"mail":     {core.BlocklistRunFilter{ServerID: mail.ID}, func(r core.BlocklistRun) bool { return r.ServerID == mail.ID }, 30},
		"failed":   {core.BlocklistRunFilter{Status: core.RunFailed}, func(r core.BlocklistRun) bool { return r.Status == core.RunFailed }, 13},
		"since": {core.BlocklistRunFilter{Since: t0.Add(80 * time.Minute)},
			func(r core.BlocklistRun) bool { return !r.Started.Before(t0.Add(80 * time.Minute)) }, 11},
		"a on web, limit": {core.BlocklistRunFilter{SourceID: a.ID, ServerID: web.ID, Limit: 4},
			func(r core.BlocklistRun) bool { return r.SourceID == a.ID && r.ServerID == web.ID }, 4},
	} {
		runs, err := db.BlocklistRuns(ctx, tc.f)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(runs) != tc.n {
			t.Errorf("%s: %d runs, want %d", name, len(runs), tc.n)
		}
		for i, r := range runs {
			if !tc.want(r) {
				t.Errorf("%s: run %+v does not match the filter", name, r)
			}
			if i > 0 && r.Started.After(runs[i-1].Started) {
				t.Errorf("%s: run %d (%v) is newer than run %d (%v): want newest first", name, i, r.Started, i-1, runs[i-1].Started)
			}
		}
	}
	runs, err = db.BlocklistRuns(ctx, core.BlocklistRunFilter{SourceID: a.ID, ServerID: web.ID, Limit: 1})
	if err != nil || len(runs) != 1 || !runs[0].Started.Equal(t0.Add(86*time.Minute)) {
		t.Errorf("newest run of a on web = %+v, %v; want the one at +86m", runs, err)
	}
}

func TestBlocklistRunsDefaultLimit(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	a := mustAddBlocklist(t, db, core.BlocklistSource{Name: "a", URL: "https://example.org/a", Jail: "sshd"})
	t0 := time.Unix(1_700_000_000, 0)
	for i := range 520 {
		if _, err := db.AddBlocklistRun(ctx, core.BlocklistRun{SourceID: a.ID, Source: "a", Started: t0.Add(time.Duration(i) * time.Second), Status: core.RunUnchanged}); err != nil {
			t.Fatal(err)
		}
	}
	runs, err := db.BlocklistRuns(ctx, core.BlocklistRunFilter{})
	if err != nil || len(runs) != 500 {
		t.Fatalf("BlocklistRuns with no limit: %d, %v; want 500", len(runs), err)
	}
	if !runs[0].Started.Equal(t0.Add(519*time.Second)) || runs[0].BadLines != nil {
		t.Errorf("first run = %+v; want the newest, without bad lines", runs[0])
	}
}

func TestBlocklistOrigins(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	web, mail := mustAddServer(t, db, "web"), mustAddServer(t, db, "mail")
	first := mustAddBlocklist(t, db, core.BlocklistSource{Name: "first", URL: "https://example.org/1", Jail: "sshd"})
	second := mustAddBlocklist(t, db, core.BlocklistSource{Name: "second", URL: "https://example.org/2", Jail: "sshd"})
	t0 := time.Unix(1_700_000_000, 0)
	add := func(src, srv int64, jail string, at time.Time, ips ...string) {
		t.Helper()
		if err := db.AddBlocklistEntries(ctx, src, srv, jail, ips, at); err != nil {
			t.Fatal(err)
		}
	}
	add(second.ID, web.ID, "sshd", t0.Add(time.Hour), "192.0.2.1", "192.0.2.2")
	add(first.ID, web.ID, "sshd", t0, "192.0.2.2", "192.0.2.3")
	add(first.ID, web.ID, "recidive", t0, "192.0.2.4")
	add(first.ID, mail.ID, "sshd", t0, "192.0.2.5")

	got, err := db.BlocklistOrigins(ctx, web.ID, "sshd",
		[]string{"192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4", "192.0.2.5", "198.51.100.1", "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"192.0.2.1": "second", "192.0.2.2": "first", "192.0.2.3": "first"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("BlocklistOrigins = %v; want %v (other jails and servers left out; the first source wins)", got, want)
	}
	if got, err := db.BlocklistOrigins(ctx, web.ID, "sshd", nil); err != nil || len(got) != 0 {
		t.Errorf("BlocklistOrigins of nothing = %v, %v", got, err)
	}
	// A renamed source is named as it is now.
	second.Name = "renamed"
	if _, err := db.UpdateBlocklist(ctx, second); err != nil {
		t.Fatal(err)
	}
	if got, err := db.BlocklistOrigins(ctx, web.ID, "sshd", []string{"192.0.2.1"}); err != nil || got["192.0.2.1"] != "renamed" {
		t.Errorf("after rename: %v, %v", got, err)
	}
}
