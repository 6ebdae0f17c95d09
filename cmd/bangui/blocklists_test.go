package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/f2b"
	"github.com/bangui/bangui/core/f2b/f2btest"
	"github.com/bangui/bangui/core/sched"
	"github.com/bangui/bangui/core/store/storetest"
	"github.com/bangui/bangui/ui"
)

// TestBlocklistsServiceWithARealJail drives the Blocklists view's service
// as the window does: save a source, preview it, import it into a real
// fail2ban's jail through the app's clients, schedule it, remove it. A
// loopback HTTP server stands in for the list site (the internet is out
// of reach); the list holds TEST-NET addresses only.
func TestBlocklistsServiceWithARealJail(t *testing.T) {
	f2bSrv := f2btest.Start(t, f2btest.Options{})
	list := atomic.Value{}
	list.Store("# stand-in for a list site\n192.0.2.60\n198.51.100.61\n2001:db8::62\n10.0.0.1\nnot-an-address\n")
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, list.Load().(string))
	}))
	defer site.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	db := storetest.Open(t)
	if _, err := db.AddServer(ctx, core.Server{Name: "local", Kind: core.ServerLocal, Socket: f2bSrv.Socket}); err != nil {
		t.Fatal(err)
	}
	c := newClients(db, "")
	defer c.Close()
	s, err := sched.New(db, sched.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop(context.Background())
	var prewarmed atomic.Int32
	b := newBlocklists(db, c, s, func(ips []string) { prewarmed.Add(int32(len(ips))) })
	b.im.ParseOptions.AllowDocumentation = true // TEST-NET targets only

	jail := f2bSrv.Jails[0]
	// Bad input: refused by the cache's validation, nothing saved.
	if _, err := b.Save(ctx, core.BlocklistSource{Name: "x", URL: "file:///etc/hosts", Jail: jail}); core.ErrorCode(err) != core.EINVALID {
		t.Errorf("file: URL saved: %v", err)
	}
	src, err := b.Save(ctx, core.BlocklistSource{Name: "stand-in ssh", URL: site.URL + "/ssh.txt", Jail: jail, Schedule: "6h", Enabled: true, UnbanDropped: true})
	if err != nil {
		t.Fatal(err)
	}
	tasks, err := s.Tasks(ctx)
	if err != nil || !hasTask(tasks, taskName(src.ID)) {
		t.Errorf("no scheduled task for the source: %v %v", tasks, err)
	}

	p, err := b.Preview(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	if p.Valid != 3 || p.Reserved != 1 || p.Invalid != 1 || p.Already != 0 || len(p.Lines) != 6 {
		t.Errorf("preview %+v", p)
	}

	var stages []string
	line, err := b.ImportNow(ctx, src.ID, func(pr ui.BlocklistProgress) { stages = append(stages, pr.Stage) })
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	if !strings.Contains(line, "3 new bans") || len(stages) == 0 || prewarmed.Load() != 3 {
		t.Errorf("import said %q, stages %v, prewarmed %d", line, stages, prewarmed.Load())
	}
	direct := f2b.New(f2b.UnixDialer{Path: f2bSrv.Socket}, f2b.Config{})
	defer direct.Close()
	where, err := direct.JailsOf(ctx, "192.0.2.60", "198.51.100.61", "2001:db8::62")
	if err != nil || len(where) != 3 {
		t.Errorf("banned in %v %v", where, err)
	}
	acts, err := db.Activities(ctx, core.ActivityFilter{Action: core.ActionBan})
	if err != nil || len(acts) == 0 {
		t.Errorf("the import's bans are not in the activity log: %v", err)
	}

	// Again: nothing new. Preview now counts them as banned.
	if line, err = b.ImportNow(ctx, src.ID, nil); err != nil || !strings.Contains(line, "0 new bans, 3 already banned") {
		t.Errorf("second import: %q %v", line, err)
	}
	if p, _ = b.Preview(ctx, src); p.Already != 3 {
		t.Errorf("preview after the import: %d already", p.Already)
	}
	runs, err := b.Runs(ctx, core.BlocklistRunFilter{SourceID: src.ID})
	if err != nil || len(runs) != 4 {
		t.Fatalf("runs %d %v", len(runs), err)
	}

	// The list shrinks: its dropped address is unbanned.
	list.Store("192.0.2.60\n198.51.100.61\n")
	if line, err = b.ImportNow(ctx, src.ID, nil); err != nil || !strings.Contains(line, "1 unbanned") {
		t.Errorf("shrunk list: %q %v", line, err)
	}

	// Disabled: scheduled runs skip it, by hand still works; removed: the task goes.
	src.Enabled = false
	if src, err = b.Save(ctx, src); err != nil {
		t.Fatal(err)
	}
	if line, _ := b.ImportNow(ctx, src.ID, nil); !strings.Contains(line, "disabled") {
		t.Errorf("a disabled source ran on schedule: %q", line)
	}
	if err := b.Delete(ctx, src.ID); err != nil {
		t.Fatal(err)
	}
	if tasks, _ = s.Tasks(ctx); hasTask(tasks, taskName(src.ID)) {
		t.Error("the removed source is still scheduled")
	}
}

func hasTask(list []core.TaskInfo, name string) bool {
	for _, t := range list {
		if t.Name == name {
			return true
		}
	}
	return false
}
