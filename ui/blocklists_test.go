package ui

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/bangui/bangui/core"
)

// fakeBlocklists keeps sources in memory and answers imports with a fixed
// summary; the real service (cmd + core/blocklist + the cache) has its own
// tests against a real fail2ban.
type fakeBlocklists struct {
	mu      sync.Mutex
	list    []core.BlocklistSource
	runs    []core.BlocklistRun
	nextID  int64
	deleted []int64
	imports []int64
}

func (f *fakeBlocklists) Sources(context.Context) ([]core.BlocklistSource, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]core.BlocklistSource(nil), f.list...), nil
}

func (f *fakeBlocklists) Save(_ context.Context, s core.BlocklistSource) (core.BlocklistSource, error) {
	s, err := core.ValidateBlocklist(s)
	if err != nil {
		return s, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if s.ID == 0 {
		f.nextID++
		s.ID = f.nextID
		f.list = append(f.list, s)
		return s, nil
	}
	for i := range f.list {
		if f.list[i].ID == s.ID {
			f.list[i] = s
		}
	}
	return s, nil
}

func (f *fakeBlocklists) Delete(_ context.Context, id int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deleted = append(f.deleted, id)
	for i := range f.list {
		if f.list[i].ID == id {
			f.list = append(f.list[:i], f.list[i+1:]...)
			break
		}
	}
	return nil
}

func (f *fakeBlocklists) Preview(_ context.Context, s core.BlocklistSource) (BlocklistPreview, error) {
	return BlocklistPreview{Lines: []string{"# blocklist", "192.0.2.1", "10.0.0.1", "junk"}, Bytes: 40, Valid: 1, Invalid: 1, Reserved: 1,
		Bad: []string{"line 4 \"junk\": not an address"}, Warnings: []string{"the jail bans one address per firewall rule"}}, nil
}

func (f *fakeBlocklists) ImportNow(_ context.Context, id int64, progress func(BlocklistProgress)) (string, error) {
	progress(BlocklistProgress{Server: "web-1", Stage: "banning", Done: 1, Total: 2})
	f.mu.Lock()
	defer f.mu.Unlock()
	f.imports = append(f.imports, id)
	f.runs = append([]core.BlocklistRun{{ID: int64(len(f.runs) + 1), SourceID: id, Source: "ssh", Started: testNow, Status: core.RunOK, Valid: 2, NewBans: 2,
		BadLines: []string{"line 3: junk"}}}, f.runs...)
	return "2 new bans on 1 server", nil
}

func (f *fakeBlocklists) Runs(_ context.Context, flt core.BlocklistRunFilter) ([]core.BlocklistRun, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []core.BlocklistRun
	for _, r := range f.runs {
		if (flt.SourceID == 0 || r.SourceID == flt.SourceID) && (flt.Status == "" || r.Status == flt.Status) {
			out = append(out, r)
		}
	}
	return out, nil
}

func newTestBlocklists(t *testing.T, svc BlocklistService) *blocklistsView {
	t.Helper()
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	w.Resize(fyne.NewSize(1100, 760))
	v := newBlocklistsView(w, svc)
	v.spawn = func(f func()) { f() }
	v.servers = func() []core.Server {
		return []core.Server{{ID: 1, Name: "web-1", Group: "web"}, {ID: 2, Name: "db-1"}}
	}
	v.jails = func() []string { return []string{"sshd"} }
	w.SetContent(v.root())
	t.Cleanup(v.stopWork)
	return v
}

func TestBlocklistsView(t *testing.T) {
	svc := &fakeBlocklists{}
	v := newTestBlocklists(t, svc)
	v.reload()
	if v.srcBox.Objects[0] != v.srcState || v.srcState.title.Text != "No blocklist yet" || !v.editB.Disabled() || !v.importB.Disabled() {
		t.Fatalf("empty state: %q", v.srcState.title.Text)
	}

	// Add: bad input is named, nothing saved.
	v.addB.OnTapped()
	f := v.form
	if f == nil || !f.enabled.Checked || !f.unbanDropped.Checked {
		t.Fatal("no form, or not enabled and unbanning by default")
	}
	for _, c := range []struct{ name, url, jail, sched, max, says string }{
		{"ssh", "file:///etc/hosts", "sshd", "", "", `not "file:"`},
		{"ssh", "ftp://x.org/l", "sshd", "", "", `not "ftp:"`},
		{"", "https://x.org/l", "sshd", "", "", "needs a name"},
		{"ssh", "https://x.org/l", "sshd", "every hour", "", "neither an interval"},
		{"ssh", "https://x.org/l", "sshd", "", "lots", "not a number"},
	} {
		f.name.SetText(c.name)
		f.url.SetText(c.url)
		f.jail.SetText(c.jail)
		f.schedule.SetText(c.sched)
		f.maxEntries.SetText(c.max)
		f.saveB.OnTapped()
		if !strings.Contains(f.status.Text, c.says) || len(svc.list) != 0 {
			t.Errorf("%+v: status %q, saved %d", c, f.status.Text, len(svc.list))
		}
	}
	f.name.SetText("ssh")
	f.url.SetText("https://lists.example.org/ssh.txt")
	f.schedule.SetText("6h")
	f.maxEntries.SetText("")
	f.target.SetSelected("Group: web")
	f.previewB.OnTapped()
	if !strings.Contains(f.status.Text, "1 valid, 1 invalid, 1 private or reserved") || !strings.Contains(f.status.Text, "⚠ the jail bans one address per firewall rule") ||
		!strings.Contains(f.preview.Text, "10.0.0.1") || !strings.Contains(f.preview.Text, "Refused:") {
		t.Errorf("preview: %q\n%q", f.status.Text, f.preview.Text)
	}
	f.saveB.OnTapped()
	if len(svc.list) != 1 || svc.list[0].Target != "group:web" || svc.list[0].Schedule != "6h" || v.form != nil {
		t.Fatalf("saved %+v, form open %v", svc.list, v.form != nil)
	}
	if got := v.sources.cellText(0, 3) + " | " + v.sources.cellText(0, 4) + " | " + v.sources.cellText(0, 5); got != "group web | every 6h | never" {
		t.Errorf("row %q", got)
	}

	// Import now: progress, then the summary, the log and the last run.
	v.sources.onSelected(0)
	v.importB.OnTapped()
	if !strings.Contains(v.status.Text, "ssh: 2 new bans on 1 server") || len(svc.imports) != 1 {
		t.Errorf("import: %q, %v", v.status.Text, svc.imports)
	}
	if len(v.runs.rows) != 1 || !strings.HasPrefix(v.sources.cellText(0, 5), "ok,") {
		t.Errorf("log %d rows, last run %q", len(v.runs.rows), v.sources.cellText(0, 5))
	}
	v.runStatus.SetSelected(core.RunFailed)
	if len(v.runs.rows) != 0 {
		t.Error("the failed filter shows an ok run")
	}

	// Disable, then remove (asked first).
	v.toggleB.OnTapped()
	if svc.list[0].Enabled || v.sources.cellText(0, 4) != "6h (off)" {
		t.Errorf("disabled: %+v %q", svc.list[0], v.sources.cellText(0, 4))
	}
	v.sources.onSelected(0)
	v.removeB.OnTapped()
	if len(svc.deleted) != 0 {
		t.Fatal("removed without asking")
	}
	v.confirm.Confirm()
	if len(svc.deleted) != 1 || len(svc.list) != 0 {
		t.Errorf("deleted %v", svc.deleted)
	}
	_ = time.Second
}
