package ui

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/bangui/bangui/core"
)

func banSource() *fakeSource {
	t0 := testNow.Add(-time.Minute)
	bans := []core.Ban{
		{Jail: "sshd", IP: "192.0.2.10", Start: t0, BanTime: time.Hour, End: t0.Add(time.Hour)},
		{Jail: "sshd", IP: "192.0.2.9", Start: t0, BanTime: 2 * time.Hour, End: t0.Add(2 * time.Hour)},
		{Jail: "nginx", IP: "198.51.100.7", Start: t0, Permanent: true},
		{Jail: "nginx", IP: "192.0.2.10", Start: t0, BanTime: time.Minute * 30, End: t0.Add(30 * time.Minute)},
	}
	return &fakeSource{
		jails:   func() ([]string, error) { return []string{"nginx", "sshd", "postfix"}, nil },
		allBans: func() ([]core.Ban, error) { return bans, nil },
	}
}

func newTestBans(t *testing.T, src *fakeSource) *bansView {
	t.Helper()
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	v := newBansView(w, 0)
	w.SetContent(v.root)
	w.Resize(fyne.NewSize(1100, 700))
	v.spawn = func(f func()) { f() }
	v.now = func() time.Time { return testNow }
	v.ownAddrs = func() []netip.Addr { return []netip.Addr{netip.MustParseAddr("203.0.113.50")} }
	v.setServer(core.Server{ID: 1, Name: "web1"}, src, failuresFunc(func() (map[string]int, error) {
		return map[string]int{"sshd|192.0.2.10": 5}, nil
	}))
	t.Cleanup(v.stop)
	return v
}

type failuresFunc func() (map[string]int, error)

func (f failuresFunc) Failures(context.Context) (map[string]int, error) { return f() }

func shownIPs(v *bansView) string {
	var s []string
	for i := range v.table.rows {
		s = append(s, v.table.cellText(i, 2)+" "+v.table.cellText(i, 1))
	}
	return strings.Join(s, ", ")
}

func TestBansViewListFilterSort(t *testing.T) {
	v := newTestBans(t, banSource())
	// Default order: by ban end, permanent last.
	if got := shownIPs(v); got != "nginx 192.0.2.10, sshd 192.0.2.10, sshd 192.0.2.9, nginx 198.51.100.7" {
		t.Fatalf("rows: %s", got)
	}
	if v.count.Text != "4 of 4 · 0 selected" {
		t.Fatalf("count %q", v.count.Text)
	}
	if !slices.Equal(v.jailSel.Options, []string{"All jails", "nginx", "sshd"}) {
		t.Fatalf("jail options %v", v.jailSel.Options)
	}
	v.onSort(1) // IP ascending
	if got := shownIPs(v); got != "nginx 192.0.2.9, nginx 192.0.2.10, sshd 192.0.2.10, nginx 198.51.100.7" &&
		got != "sshd 192.0.2.9, nginx 192.0.2.10, sshd 192.0.2.10, nginx 198.51.100.7" {
		t.Fatalf("by IP: %s", got)
	}
	v.onSort(1) // descending
	if !strings.HasPrefix(shownIPs(v), "nginx 198.51.100.7") {
		t.Fatalf("by IP desc: %s", shownIPs(v))
	}
	test.Type(v.filter, "192.0.2.0/24")
	if len(v.table.rows) != 3 {
		t.Fatalf("CIDR filter: %s", shownIPs(v))
	}
	v.jailSel.SetSelected("sshd")
	if len(v.table.rows) != 2 || v.count.Text != "2 of 4 · 0 selected" {
		t.Fatalf("jail filter: %s / %q", shownIPs(v), v.count.Text)
	}
	if v.table.cellText(0, 5) == "" {
		t.Fatal("time left column empty")
	}
	v.jailSel.SetSelected("All jails")
	v.filter.SetText("")
	for i := range v.table.rows {
		b, _ := v.table.row(i)
		want := "–" // unknown: not in fail2ban's database
		if b.Jail == "sshd" && b.IP == "192.0.2.10" {
			want = "5"
		}
		if got := v.table.cellText(i, 6); got != want {
			t.Fatalf("failures of %s %s: %q, want %q", b.Jail, b.IP, got, want)
		}
	}
}

func TestBansViewUnbanSelected(t *testing.T) {
	src := banSource()
	var calls []string
	src.unbanIP = func(jail string, ips []string, p core.Progress) (core.BatchResult, error) {
		calls = append(calls, jail+":"+strings.Join(ips, ","))
		p(len(ips), len(ips))
		return core.BatchResult{Requested: len(ips), Changed: len(ips), Batches: 1}, nil
	}
	v := newTestBans(t, src)
	v.onUnbanSelected()
	if !strings.Contains(v.status.Text, "Select the bans") || v.confirm != nil {
		t.Fatalf("nothing selected: %q", v.status.Text)
	}
	v.onRowTapped(0) // nginx 192.0.2.10
	v.onRowTapped(2) // sshd 192.0.2.9
	if v.count.Text != "4 of 4 · 2 selected" || v.table.cellText(0, 0) != "✓" {
		t.Fatalf("selection %q", v.count.Text)
	}
	v.onUnbanSelected()
	v.confirm.Confirm()
	if !slices.Equal(calls, []string{"nginx:192.0.2.10", "sshd:192.0.2.9"}) {
		t.Fatalf("calls %v", calls)
	}
	if v.status.Text != "Unban: lifted 2, 0 were no longer banned" || len(v.marked) != 0 {
		t.Fatalf("status %q", v.status.Text)
	}
}

func TestBansViewUnbanEverywhereAndAll(t *testing.T) {
	src := banSource()
	var unbanned []string
	src.unban = func(ips ...string) (int, error) { unbanned = ips; return 2, nil }
	all := 0
	src.unbanAll = func() (int, error) { all++; return 4, nil }
	v := newTestBans(t, src)
	v.onRowTapped(0)
	v.onUnbanEverywhere()
	v.confirm.Confirm()
	if !slices.Equal(unbanned, []string{"192.0.2.10"}) || v.status.Text != "Unban everywhere: lifted 2 bans" {
		t.Fatalf("everywhere %v %q", unbanned, v.status.Text)
	}

	v.onUnbanAll()
	test.Type(v.phrase, "unban all")
	v.confirm.Confirm()
	if all != 0 || !strings.Contains(v.status.Text, "Nothing was unbanned") {
		t.Fatalf("wrong phrase: %d %q", all, v.status.Text)
	}
	v.onUnbanAll()
	test.Type(v.phrase, unbanAllPhrase)
	v.confirm.Confirm()
	if all != 1 || v.status.Text != "Unban all: lifted 4 bans" {
		t.Fatalf("unban all: %d %q", all, v.status.Text)
	}
}

func TestBanFormValidationAndSubmit(t *testing.T) {
	src := banSource()
	var sent []string
	var jail string
	src.banIP = func(j string, ips []string, p core.Progress) (core.BatchResult, error) {
		sent, jail = ips, j
		p(len(ips), len(ips))
		return core.BatchResult{Requested: len(ips), Changed: len(ips) - 1, Batches: 1}, nil
	}
	v := newTestBans(t, src)
	v.onBan()
	f := v.banForm
	if !f.submit.Disabled() || !strings.HasPrefix(f.check.Text, "0 addresses to ban") {
		t.Fatalf("empty form: %q", f.check.Text)
	}
	f.jail.SetSelected("postfix")
	test.Type(f.list, "192.0.2.44\nnot-an-ip!\n198.51.100.0/24\n0.0.0.0/0\n192.0.2.44\n")
	if !strings.Contains(f.check.Text, "2 addresses to ban, 1 duplicate skipped, 2 lines refused") ||
		!strings.Contains(f.check.Text, `line 2 "not-an-ip!"`) || !strings.Contains(f.check.Text, `line 4 "0.0.0.0/0": "0.0.0.0/0" would ban every address`) {
		t.Fatalf("check: %q", f.check.Text)
	}
	if f.submit.Disabled() || f.warnings.Visible() {
		t.Fatal("valid list with no warnings cannot be sent")
	}
	// A target that covers this workstation needs an explicit "anyway".
	test.Type(f.list, "203.0.113.0/24\n")
	if !f.warnings.Visible() || !strings.Contains(f.warnings.Text, "an address of this computer") || !f.submit.Disabled() {
		t.Fatalf("warning: %q", f.warnings.Text)
	}
	f.anyway.SetChecked(true)
	if f.submit.Disabled() {
		t.Fatal("confirmed warnings still block")
	}
	test.Tap(f.submit)
	if jail != "postfix" || !slices.Equal(sent, []string{"192.0.2.44", "198.51.100.0/24", "203.0.113.0/24"}) {
		t.Fatalf("sent %s %v", jail, sent)
	}
	if v.status.Text != "Ban in postfix: banned 2, already banned 1, refused 2" {
		t.Fatalf("status %q", v.status.Text)
	}
}

func TestBanJobErrorAndWhere(t *testing.T) {
	src := banSource()
	src.banIP = func(j string, ips []string, p core.Progress) (core.BatchResult, error) {
		return core.BatchResult{Requested: len(ips), Changed: 250, Batches: 1}, core.Errorf(core.EUNAVAILABLE, "fail2ban did not answer in time")
	}
	src.jailsOf = func(ips ...string) (map[string][]string, error) {
		return map[string][]string{ips[0]: {"nginx", "sshd"}}, nil
	}
	v := newTestBans(t, src)
	v.onBan()
	test.Type(v.banForm.list, "192.0.2.1")
	test.Tap(v.banForm.submit)
	if v.status.Text != "Ban in nginx: banned 250 before it stopped, refused 0. Stopped: fail2ban did not answer in time" {
		t.Fatalf("status %q", v.status.Text)
	}
	test.Type(v.whereIn, "192.0.2.300")
	v.onWhere()
	if !strings.Contains(v.whereOut.Text, "is not an IP address") {
		t.Fatalf("bad where: %q", v.whereOut.Text)
	}
	v.whereIn.SetText("192.0.2.10")
	v.onWhere()
	if v.whereOut.Text != "192.0.2.10 is banned now in: nginx, sshd" {
		t.Fatalf("where: %q", v.whereOut.Text)
	}
}

func TestBansViewFailuresUnreadable(t *testing.T) {
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	v := newBansView(w, 0)
	v.spawn = func(f func()) { f() }
	v.setServer(core.Server{ID: 1, Name: "web1"}, banSource(), failuresFunc(func() (map[string]int, error) {
		return nil, core.Errorf(core.EPERMISSION, "/var/lib/fail2ban/fail2ban.sqlite3 is root-only (0600): run BanGUI as root")
	}))
	t.Cleanup(v.stop)
	if !strings.HasPrefix(v.status.Text, "Failures unknown: /var/lib/fail2ban/fail2ban.sqlite3 is root-only") || len(v.table.rows) != 4 {
		t.Fatalf("status %q, %d rows", v.status.Text, len(v.table.rows))
	}
	if v.table.cellText(0, 6) != "–" {
		t.Fatal("a failure count without a database")
	}
}

// A fetch clears what the last fetch said, but not an action's result.
func TestBansViewStatusLine(t *testing.T) {
	src := banSource()
	good := src.allBans
	src.allBans = func() ([]core.Ban, error) { return nil, core.Errorf(core.EUNAVAILABLE, "fail2ban is not running") }
	src.unban = func(ips ...string) (int, error) { return 1, nil }
	v := newTestBans(t, src)
	if v.body.Objects[0] != v.state || v.state.title.Text != "Cannot read the bans of web1" ||
		v.state.message.Text != "fail2ban is not running" || v.status.Text != "" {
		t.Fatalf("load error: %q / %q, status %q", v.state.title.Text, v.state.message.Text, v.status.Text)
	}
	src.allBans = good
	v.update(context.Background())
	if v.body.Objects[0] != v.table || v.status.Text != "" {
		t.Fatalf("load error not cleared: %q", v.status.Text)
	}
	v.onRowTapped(0)
	v.onUnbanEverywhere()
	v.confirm.Confirm()
	v.update(context.Background())
	if v.status.Text != "Unban everywhere: lifted 1 ban" {
		t.Fatalf("action result lost on refresh: %q", v.status.Text)
	}
}
