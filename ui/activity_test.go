package ui

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/store/storetest"
)

// fakeActivities is an ActivityReader with a func field.
type fakeActivities struct {
	activities func(f core.ActivityFilter) ([]core.Activity, error)
}

var _ ActivityReader = (*fakeActivities)(nil)

func (r *fakeActivities) Activities(ctx context.Context, f core.ActivityFilter) ([]core.Activity, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return r.activities(f)
}

var activityT0 = time.Date(2026, 11, 27, 14, 30, 0, 0, time.Local)

func sampleActivities() []core.Activity {
	return []core.Activity{
		{ID: 3, Started: activityT0.Add(2 * time.Minute), ServerID: 1, ServerName: "web1", Jail: "sshd",
			Action: core.ActionUnbanEverywhere, Args: []string{"192.0.2.10"}, Status: core.StatusRunning},
		{ID: 2, Started: activityT0.Add(time.Minute), Finished: activityT0.Add(time.Minute + 1500*time.Millisecond),
			ServerID: 1, ServerName: "web1", Jail: "nginx", Action: core.ActionSetBanTime, Args: []string{"3600"},
			Status: core.StatusFailed, Error: "fail2ban refused the value"},
		{ID: 1, Started: activityT0, Finished: activityT0.Add(250 * time.Millisecond), ServerID: 1, ServerName: "web1",
			Jail: "sshd", Action: core.ActionBan, Args: []string{"192.0.2.10", "198.51.100.7"},
			Status: core.StatusOK, Result: "banned 2"},
	}
}

func newTestActivity(t *testing.T, r ActivityReader) *activityView {
	t.Helper()
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	v := newActivityView(w, r)
	w.SetContent(v.root)
	w.Resize(fyne.NewSize(1100, 700))
	v.spawn = func(f func()) { f() }
	v.now = func() time.Time { return activityT0 }
	t.Cleanup(v.stop)
	return v
}

func activityRow(v *activityView, row int) string {
	var cells []string
	for c := range v.table.cols {
		cells = append(cells, v.table.cellText(row, c))
	}
	return strings.Join(cells, " | ")
}

func TestActivityViewRows(t *testing.T) {
	list := sampleActivities()
	v := newTestActivity(t, &fakeActivities{activities: func(core.ActivityFilter) ([]core.Activity, error) { return list, nil }})
	v.setServer(core.Server{ID: 1, Name: "web1"})

	want := []string{
		"2026-11-27 14:32:00 | web1 | sshd | unban everywhere | 192.0.2.10 | running |  | running",
		"2026-11-27 14:31:00 | web1 | nginx | set bantime | 3600 | failed | fail2ban refused the value | 1.5 s",
		"2026-11-27 14:30:00 | web1 | sshd | ban | 192.0.2.10 198.51.100.7 | ok | banned 2 | 250 ms",
	}
	if len(v.table.rows) != len(want) {
		t.Fatalf("%d rows", len(v.table.rows))
	}
	for i, w := range want {
		if got := activityRow(v, i); got != w {
			t.Errorf("row %d:\n got %s\nwant %s", i, got, w)
		}
	}
	if v.count.Text != "3 entries" {
		t.Errorf("count %q", v.count.Text)
	}
	if v.body.Objects[0] != v.table {
		t.Error("table not shown")
	}
	if v.csvB.Disabled() || v.jsonB.Disabled() {
		t.Error("export buttons disabled with rows listed")
	}
}

func TestActivityViewFormatting(t *testing.T) {
	for _, c := range []struct {
		a    core.Activity
		dur  string
		text string
	}{
		{core.Activity{Status: core.StatusInterrupted, Error: "BanGUI stopped"}, "–", "BanGUI stopped"},
		{core.Activity{Started: activityT0, Finished: activityT0.Add(2*time.Minute + 5*time.Second), Status: core.StatusCancelled,
			Result: "banned 3 of 10", Error: "cancelled"}, "2m 05s", "banned 3 of 10; cancelled"},
		{core.Activity{Started: activityT0, Finished: activityT0, Status: core.StatusOK}, "0 ms", ""},
	} {
		if got := activityDuration(c.a); got != c.dur {
			t.Errorf("duration %q, want %q", got, c.dur)
		}
		if got := activityOutcome(c.a); got != c.text {
			t.Errorf("outcome %q, want %q", got, c.text)
		}
	}
	for _, a := range activityActions {
		if a.words == "" || strings.Contains(a.words, "_") {
			t.Errorf("action %s has words %q", a.action, a.words)
		}
	}
	if got := activityWords("future_thing"); got != "future thing" {
		t.Errorf("unknown action shown as %q", got)
	}
	if got := activityExportName("csv", activityT0); got != "bangui-activity-2026-11-27.csv" {
		t.Errorf("export name %q", got)
	}
}

func TestActivityViewFiltersReachReader(t *testing.T) {
	var got []core.ActivityFilter
	v := newTestActivity(t, &fakeActivities{activities: func(f core.ActivityFilter) ([]core.Activity, error) {
		got = append(got, f)
		return nil, nil
	}})
	last := func() core.ActivityFilter {
		t.Helper()
		if len(got) == 0 {
			t.Fatal("no query")
		}
		return got[len(got)-1]
	}
	v.setServer(core.Server{ID: 7, Name: "mail"})
	if f := last(); f != (core.ActivityFilter{ServerID: 7, Limit: activityLimit}) {
		t.Fatalf("default filter %+v", f)
	}
	test.Type(v.text, "192.0.2")
	if f := last(); f.Text != "192.0.2" || f.ServerID != 7 {
		t.Fatalf("text filter %+v", f)
	}
	v.actionSel.SetSelected("unban everywhere")
	if f := last(); f.Action != core.ActionUnbanEverywhere {
		t.Fatalf("action filter %+v", f)
	}
	v.statusSel.SetSelected("failed")
	if f := last(); f.Status != core.StatusFailed || f.Action != core.ActionUnbanEverywhere || f.Text != "192.0.2" {
		t.Fatalf("status filter %+v", f)
	}
	v.allServers.SetChecked(true)
	if f := last(); f.ServerID != 0 || f.Status != core.StatusFailed {
		t.Fatalf("all servers %+v", f)
	}
	v.allServers.SetChecked(false)
	v.actionSel.SetSelected(allActions)
	v.statusSel.SetSelected(allStatuses)
	v.text.SetText("")
	if f := last(); f != (core.ActivityFilter{ServerID: 7, Limit: activityLimit}) {
		t.Fatalf("cleared filter %+v", f)
	}
	n := len(got)
	test.Tap(v.refreshB)
	if len(got) != n+1 {
		t.Fatal("Refresh did not query")
	}
}

func TestActivityViewEmpty(t *testing.T) {
	v := newTestActivity(t, &fakeActivities{activities: func(core.ActivityFilter) ([]core.Activity, error) { return nil, nil }})
	v.setServer(core.Server{ID: 1, Name: "web1"})
	if v.body.Objects[0] != v.state || v.state.title.Text != "No actions yet" ||
		v.state.message.Text != "Nothing recorded on web1 yet: bans, unbans and jail changes made in BanGUI appear here. Tick All servers to see the others." {
		t.Fatalf("empty state: %q / %q", v.state.title.Text, v.state.message.Text)
	}
	if v.count.Text != "0 entries" || !v.csvB.Disabled() || !v.jsonB.Disabled() {
		t.Fatalf("count %q, export enabled with nothing listed", v.count.Text)
	}
	v.statusSel.SetSelected(core.StatusFailed)
	if v.state.title.Text != "No matching actions" {
		t.Fatalf("filtered empty state: %q", v.state.title.Text)
	}
}

func TestActivityViewError(t *testing.T) {
	fail := true
	list := sampleActivities()
	v := newTestActivity(t, &fakeActivities{activities: func(core.ActivityFilter) ([]core.Activity, error) {
		if fail {
			return nil, core.Errorf(core.EUNAVAILABLE, "the cache is locked by another program")
		}
		return list, nil
	}})
	v.update(context.Background())
	if v.body.Objects[0] != v.state || v.state.title.Text != "Could not read the activity log" ||
		v.state.message.Text != "the cache is locked by another program" || !v.state.action.Visible() {
		t.Fatalf("error state: %q / %q", v.state.title.Text, v.state.message.Text)
	}
	if !v.csvB.Disabled() || v.count.Text != "" {
		t.Fatal("export enabled or count shown after an error")
	}
	fail = false
	test.Tap(v.state.action) // Retry
	if v.body.Objects[0] != v.table || len(v.table.rows) != 3 {
		t.Fatal("retry did not show the rows")
	}
}

func TestActivityViewDropsStaleResults(t *testing.T) {
	v := newTestActivity(t, &fakeActivities{activities: func(f core.ActivityFilter) ([]core.Activity, error) {
		return []core.Activity{{ID: 1, ServerName: "web1", Action: core.ActionBan, Args: []string{f.Text}, Status: core.StatusOK}}, nil
	}})
	var queued []func()
	v.spawn = func(f func()) { queued = append(queued, f) }
	v.text.SetText("old")
	v.text.SetText("new")
	if len(queued) != 2 {
		t.Fatalf("%d loads", len(queued))
	}
	queued[1]()
	queued[0]() // the older load finishes last; it was cancelled and is dropped
	if got := v.table.cellText(0, 4); got != "new" {
		t.Fatalf("shown %q, want the newer query's rows", got)
	}
}

func TestActivityViewStopCancelsLoad(t *testing.T) {
	test.NewTempApp(t)
	started := make(chan struct{})
	v := newActivityView(test.NewTempWindow(t, nil), readerFunc(func(ctx context.Context, _ core.ActivityFilter) ([]core.Activity, error) {
		close(started)
		<-ctx.Done()
		return nil, ctx.Err()
	}))
	v.refresh() // the real spawn: a goroutine
	<-started
	v.stop() // hangs unless stop cancels the load
	if v.loaded {
		t.Fatal("a cancelled load was applied")
	}
}

type readerFunc func(ctx context.Context, f core.ActivityFilter) ([]core.Activity, error)

func (r readerFunc) Activities(ctx context.Context, f core.ActivityFilter) ([]core.Activity, error) {
	return r(ctx, f)
}

// fileWriter is what the save dialog hands over: a writer on the chosen
// URI (the dialog has created the file).
type fileWriter struct {
	bytes.Buffer
	uri fyne.URI
}

func (w *fileWriter) URI() fyne.URI { return w.uri }
func (w *fileWriter) Close() error  { return nil }

func TestActivityViewExport(t *testing.T) {
	list := sampleActivities()
	v := newTestActivity(t, &fakeActivities{activities: func(core.ActivityFilter) ([]core.Activity, error) { return list, nil }})
	v.update(context.Background())
	dir := t.TempDir()

	csvPath := filepath.Join(dir, "out.csv")
	if err := os.WriteFile(csvPath, []byte("old content"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := v.exportTo(csvPath, "csv"); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 4 || recs[0][0] != "id" || recs[1][0] != "3" || recs[3][7] != "192.0.2.10 198.51.100.7" || recs[2][10] != "fail2ban refused the value" {
		t.Fatalf("CSV: %q", recs)
	}
	if runtime.GOOS != "windows" {
		if fi, err := os.Stat(csvPath); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("CSV file mode: %v %v", fi.Mode(), err)
		}
	}

	// Through the save dialog's callback, off the UI goroutine (inline here).
	jsonPath := filepath.Join(dir, "out.json")
	if err := os.WriteFile(jsonPath, nil, 0o644); err != nil { // the dialog creates the file
		t.Fatal(err)
	}
	v.onExportChosen("json", &fileWriter{uri: storage.NewFileURI(jsonPath)}, nil)
	if want := "Exported 3 entries to " + jsonPath; v.status.Text != want {
		t.Fatalf("status %q, want %q", v.status.Text, want)
	}
	data, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var got []struct {
		ID         int64    `json:"id"`
		FinishedAt *string  `json:"finished_at"`
		Action     string   `json:"action"`
		Args       []string `json:"args"`
		Status     string   `json:"status"`
		Result     string   `json:"result"`
	}
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatalf("JSON: %v\n%s", err, data)
	}
	if len(got) != 3 || got[0].ID != 3 || got[0].FinishedAt != nil || got[2].Action != core.ActionBan ||
		!slices.Equal(got[2].Args, []string{"192.0.2.10", "198.51.100.7"}) || got[2].Result != "banned 2" {
		t.Fatalf("JSON: %+v", got)
	}

	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		t.Fatalf("left behind: %v", entries)
	}
	if err := v.exportTo(filepath.Join(dir, "x.xml"), "xml"); core.ErrorCode(err) != core.EINVALID {
		t.Fatalf("unknown format: %v", err)
	}
}

func TestActivityViewExportError(t *testing.T) {
	v := newTestActivity(t, &fakeActivities{activities: func(core.ActivityFilter) ([]core.Activity, error) { return sampleActivities(), nil }})
	v.update(context.Background())
	missing := filepath.Join(t.TempDir(), "no-such-folder")
	path := filepath.Join(missing, "out.csv")
	if err := v.exportTo(path, "csv"); err == nil {
		t.Fatal("export into a missing folder succeeded")
	}
	v.onExportChosen("csv", &fileWriter{uri: storage.NewFileURI(path)}, nil)
	if want := "Export failed: the folder " + missing + " does not exist"; v.status.Text != want {
		t.Fatalf("status %q, want %q", v.status.Text, want)
	}
	v.onExportChosen("csv", nil, errors.New("portal gone"))
	if !strings.HasPrefix(v.status.Text, "Export failed: ") {
		t.Fatalf("dialog error status %q", v.status.Text)
	}
	v.status.SetText("")
	v.onExportChosen("csv", nil, nil) // cancelled
	if v.status.Text != "" {
		t.Fatalf("cancel changed the status: %q", v.status.Text)
	}
}

func TestActivityViewExportDialog(t *testing.T) {
	v := newTestActivity(t, &fakeActivities{activities: func(core.ActivityFilter) ([]core.Activity, error) { return sampleActivities(), nil }})
	v.update(context.Background())
	test.Tap(v.csvB)
	if v.save == nil {
		t.Fatal("no save dialog")
	}
	v.save.Hide()
}

func TestActivityViewRealStore(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	now := activityT0
	db.Now = func() time.Time { return now }
	web1, err := db.AddServer(ctx, core.Server{Name: "web1", Kind: core.ServerLocal})
	if err != nil {
		t.Fatal(err)
	}
	mail, err := db.AddServer(ctx, core.Server{Name: "mail", Kind: core.ServerLocal})
	if err != nil {
		t.Fatal(err)
	}
	record := func(s core.Server, jail, action string, args []string, status, result, errText string) {
		t.Helper()
		id, err := db.Begin(ctx, core.Activity{ServerID: s.ID, ServerName: s.Name, Jail: jail, Action: action, Args: args})
		if err != nil {
			t.Fatal(err)
		}
		now = now.Add(2 * time.Second)
		if err := db.Finish(ctx, id, status, result, errText); err != nil {
			t.Fatal(err)
		}
		now = now.Add(time.Minute)
	}
	record(web1, "sshd", core.ActionBan, []string{"192.0.2.10"}, core.StatusOK, "banned 1", "")
	record(mail, "postfix", core.ActionUnban, []string{"198.51.100.7"}, core.StatusOK, "unbanned 1", "")
	record(web1, "", core.ActionReloadServer, nil, core.StatusFailed, "", "fail2ban did not answer")

	v := newTestActivity(t, db)
	v.setServer(web1)
	if len(v.table.rows) != 2 || v.count.Text != "2 entries" {
		t.Fatalf("web1 rows: %d, %q", len(v.table.rows), v.count.Text)
	}
	if got, want := activityRow(v, 0), "2026-11-27 14:32:04 | web1 | – | reload server |  | failed | fail2ban did not answer | 2.0 s"; got != want {
		t.Errorf("row 0:\n got %s\nwant %s", got, want)
	}
	if got, want := activityRow(v, 1), "2026-11-27 14:30:00 | web1 | sshd | ban | 192.0.2.10 | ok | banned 1 | 2.0 s"; got != want {
		t.Errorf("row 1:\n got %s\nwant %s", got, want)
	}
	v.allServers.SetChecked(true)
	if len(v.table.rows) != 3 || v.table.cellText(1, 1) != "mail" {
		t.Fatalf("all servers: %d rows", len(v.table.rows))
	}
	test.Type(v.text, "198.51")
	if len(v.table.rows) != 1 || v.table.cellText(0, 3) != "unban" {
		t.Fatalf("text filter: %d rows", len(v.table.rows))
	}
	v.text.SetText("")
	v.statusSel.SetSelected(core.StatusFailed)
	if len(v.table.rows) != 1 || v.table.cellText(0, 3) != "reload server" {
		t.Fatalf("status filter: %d rows", len(v.table.rows))
	}
	v.statusSel.SetSelected(allStatuses)
	v.actionSel.SetSelected("ban")
	if len(v.table.rows) != 1 || v.table.cellText(0, 4) != "192.0.2.10" {
		t.Fatalf("action filter: %d rows", len(v.table.rows))
	}

	path := filepath.Join(t.TempDir(), "a.csv")
	if err := v.exportTo(path, "csv"); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil || len(recs) != 2 || recs[1][6] != core.ActionBan || recs[1][4] != "web1" {
		t.Fatalf("CSV %q: %v", recs, err)
	}
}
