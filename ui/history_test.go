package ui

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/store"
	"github.com/bangui/bangui/core/store/storetest"
)

// historyCache is a real cache file with n bans on two servers, one per
// minute back from testNow, every third one of 203.0.113.9.
func historyCache(t *testing.T, n int) (*store.DB, []core.Server) {
	t.Helper()
	ctx := context.Background()
	db := storetest.Open(t)
	var servers []core.Server
	for _, name := range []string{"web1", "mail"} {
		s, err := db.AddServer(ctx, core.Server{Name: name, Kind: core.ServerSSH, Host: name})
		if err != nil {
			t.Fatal(err)
		}
		servers = append(servers, s)
	}
	rows := map[int64][]core.HistoryBan{}
	for i := range n {
		s := servers[i%2]
		ip := fmt.Sprintf("198.51.100.%d", i%200)
		if i%3 == 0 {
			ip = "203.0.113.9"
		}
		b := core.HistoryBan{Jail: []string{"sshd", "postfix"}[i%2], IP: ip, TimeOfBan: testNow.Add(-time.Duration(i) * time.Minute),
			BanTime: 10 * time.Minute, BanCount: 1, Failures: 4, Origin: core.OriginAuto,
			Matches: []string{"sshd[1]: Failed password for root from " + ip}}
		if i%10 == 0 {
			b.Origin, b.Failures, b.Matches = core.OriginManual, 0, nil
		}
		rows[s.ID] = append(rows[s.ID], b)
	}
	for id, r := range rows {
		if _, err := db.StoreBans(ctx, id, r, nil); err != nil {
			t.Fatal(err)
		}
	}
	return db, servers
}

func newTestHistory(t *testing.T, r core.History, servers []core.Server) (*historyView, fyne.Window) {
	t.Helper()
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	v := newHistoryView(w, r)
	v.spawn = func(f func()) { f() }
	v.now = func() time.Time { return testNow }
	w.SetContent(v.root)
	w.Resize(fyne.NewSize(1200, 700))
	v.setServers(servers)
	t.Cleanup(v.stop)
	return v, w
}

func TestHistoryViewPagesThroughTheCache(t *testing.T) {
	db, servers := historyCache(t, 1500)
	v, _ := newTestHistory(t, db, servers)
	v.reload()
	if v.pages.length() != 1500 || !strings.HasPrefix(v.count.Text, "1500 bans") {
		t.Fatalf("length %d, count %q", v.pages.length(), v.count.Text)
	}
	if !strings.Contains(v.count.Text, "newest cached ban") {
		t.Errorf("count %q does not say how old the cache is", v.count.Text)
	}
	// Pages load as the table shows them: only the first one so far.
	if n := len(v.pages.pages); n != 1 {
		t.Fatalf("%d pages loaded for one screen of rows", n)
	}
	b, ok := v.pages.at(0)
	if !ok || !b.TimeOfBan.Equal(testNow) || b.Server != "web1" {
		t.Fatalf("row 0 = %+v, %v", b, ok)
	}
	// A jump deep into the history (the scroll bar dragged down) seeks
	// there without loading the pages between.
	v.pages.at(1234)
	b, ok = v.pages.at(1234)
	if !ok || !b.TimeOfBan.Equal(testNow.Add(-1234*time.Minute)) {
		t.Fatalf("row 1234 = %+v, %v", b, ok)
	}
	if _, ok := v.pages.pages[3]; ok {
		t.Error("page 3 was read for a jump to page 6")
	}
	if got := v.table.cellText(1234, 3); got != b.IP {
		t.Errorf("cell shows %q, want %q", got, b.IP)
	}
}

func TestHistoryViewFilters(t *testing.T) {
	db, servers := historyCache(t, 600)
	v, _ := newTestHistory(t, db, servers)
	v.reload()
	v.originSel.SetSelected(originText(core.OriginManual))
	if v.pages.length() != 60 {
		t.Errorf("manual bans: %d, want 60", v.pages.length())
	}
	v.originSel.SetSelected(allOrigins)
	v.serverSel.SetSelected("mail")
	if v.pages.length() != 300 {
		t.Errorf("server mail: %d, want 300", v.pages.length())
	}
	v.serverSel.SetSelected(allServers)
	v.ipEntry.SetText("203.0.113.0/24")
	v.ipEntry.OnSubmitted(v.ipEntry.Text)
	if v.pages.length() != 200 {
		t.Errorf("CIDR filter: %d, want 200", v.pages.length())
	}
	if len(v.jailSel.Options) != 3 {
		t.Errorf("jail filter options %v, want all + 2 jails", v.jailSel.Options)
	}
	// Bad input: an address that is not one. The view says so and keeps
	// the filter text for fixing.
	for _, bad := range []string{"203.0.113.300", "203.0.113.0/40", "hello"} {
		v.ipEntry.SetText(bad)
		v.ipEntry.OnSubmitted(bad)
		if v.body.Objects[0] != v.state || !strings.Contains(v.state.title.Text, "Check the filter") ||
			!strings.Contains(v.state.message.Text, "neither an IP address nor a CIDR block") {
			t.Errorf("%q: state %q / %q", bad, v.state.title.Text, v.state.message.Text)
		}
		if v.ipEntry.Text != bad {
			t.Errorf("the filter text %q was lost", bad)
		}
	}
	v.ipEntry.SetText("192.0.2.1")
	v.ipEntry.OnSubmitted("192.0.2.1")
	if !strings.Contains(v.state.title.Text, "No matching bans") {
		t.Errorf("no match: state %q", v.state.title.Text)
	}
}

func TestHistoryViewEmptyCache(t *testing.T) {
	db, servers := historyCache(t, 0)
	v, _ := newTestHistory(t, db, servers)
	v.reload()
	if !strings.Contains(v.state.title.Text, "No ban history yet") || v.csvB.Disabled() == false {
		t.Errorf("empty cache: %q, export enabled %v", v.state.title.Text, !v.csvB.Disabled())
	}
}

func TestHistoryTimeline(t *testing.T) {
	db, servers := historyCache(t, 90)
	v, _ := newTestHistory(t, db, servers)
	v.reload()
	v.showIP("203.0.113.9")
	if !v.timeline.root.Visible() || v.timeline.title.Text != "Timeline of 203.0.113.9" {
		t.Fatalf("timeline %q visible %v", v.timeline.title.Text, v.timeline.root.Visible())
	}
	if n := len(v.timeline.list.Objects); n != 30 {
		t.Errorf("timeline lists %d bans, want 30", n)
	}
	if !strings.HasPrefix(v.timeline.summary.Text, "30 bans in 2 jails") {
		t.Errorf("summary %q", v.timeline.summary.Text)
	}
	if v.pages.length() != 30 {
		t.Errorf("the table is not filtered on the address: %d rows", v.pages.length())
	}
	v.closeTimeline()
	if v.timeline.root.Visible() {
		t.Error("timeline still shown after close")
	}
}

func TestHistoryExport(t *testing.T) {
	db, servers := historyCache(t, 700)
	v, _ := newTestHistory(t, db, servers)
	v.reload()
	path := filepath.Join(t.TempDir(), "out.csv")
	v.startExport(path, "csv", v.filter)
	if !strings.HasPrefix(v.status.Text, "Exported 700 bans") {
		t.Fatalf("status %q", v.status.Text)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil || len(recs) != 701 {
		t.Fatalf("csv: %d records, %v", len(recs), err)
	}
	// Cancelled before it starts: nothing is written, the old file stays.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	v.parent, v.ctx = ctx, nil
	v.startExport(path, "json", v.filter)
	if got, _ := os.ReadFile(path); !strings.HasPrefix(string(got), "time_of_ban,") {
		t.Errorf("a cancelled export replaced the file: %.40q", got)
	}
}

func TestCustomRangeBadInput(t *testing.T) {
	for _, c := range []struct{ from, to, want string }{
		{"yesterday", "2026-11-27", "From: write a date as"},
		{"2026-11-27", "27/11/2026", "To: write a date as"},
		{"2026-11-27 10:00", "2026-11-27 09:00", "From must be before To"},
		{"2026-11-27", "2026-11-27", "From must be before To"},
		{"", "", "From: write a date as"},
	} {
		_, _, err := checkRange(c.from, c.to)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q..%q: %v, want %q", c.from, c.to, err, c.want)
		}
	}
	from, to, err := checkRange(" 2026-11-01 ", "2026-11-27 14:30")
	if err != nil || from.Day() != 1 || to.Hour() != 14 {
		t.Errorf("good range: %v %v %v", from, to, err)
	}
}

func TestCustomRangeDialog(t *testing.T) {
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	r := newRangePicker(w, []string{range24h, rangeCustom}, range24h)
	r.now = func() time.Time { return testNow }
	changed := 0
	r.onChanged = func() { changed++ }
	r.sel.SetSelected(rangeCustom)
	if r.dialog == nil {
		t.Fatal("no dialog for a custom range")
	}
	// Cancel puts the previous choice back without a reload.
	r.dialog.Hide() // the form's Cancel
	if r.sel.Selected != range24h || changed != 0 {
		t.Errorf("after cancel: %q, %d reloads", r.sel.Selected, changed)
	}
	from, to := r.bounds()
	if to.Sub(from) != 24*time.Hour {
		t.Errorf("24 h range spans %v", to.Sub(from))
	}
}

func TestHistoryOnSynced(t *testing.T) {
	db, servers := historyCache(t, 50)
	v, _ := newTestHistory(t, db, servers)
	v.onSynced() // before the first load: nothing happens
	if v.loadedOnce {
		t.Fatal("onSynced loaded a view nobody opened")
	}
	v.reload()
	add := func(ip string) {
		t.Helper()
		if _, err := db.StoreBans(context.Background(), servers[0].ID, []core.HistoryBan{{Jail: "sshd", IP: ip,
			TimeOfBan: testNow.Add(time.Minute), BanTime: time.Minute, Origin: core.OriginManual}}, nil); err != nil {
			t.Fatal(err)
		}
	}
	// On the first page with no timeline open: nothing to lose, reload.
	add("192.0.2.200")
	v.onSynced()
	if v.pages.total != 51 {
		t.Errorf("total %d after a sync, want 51", v.pages.total)
	}
	// Reading a timeline: the list stays, a hint says there is more.
	v.showTimeline("203.0.113.9")
	add("192.0.2.201")
	v.onSynced()
	if v.pages.total != 51 || !strings.Contains(v.status.Text, "1 ban more since this list was read") {
		t.Errorf("total %d, status %q", v.pages.total, v.status.Text)
	}
	v.refreshB.OnTapped()
	if v.pages.total != 52 || v.status.Text != "" {
		t.Errorf("after Refresh: total %d, status %q", v.pages.total, v.status.Text)
	}
}
