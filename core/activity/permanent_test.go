package activity_test

import (
	"context"
	"strings"
	"testing"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/activity"
	"github.com/bangui/bangui/core/f2b/f2btest"
	"github.com/bangui/bangui/core/jailconf"
	"github.com/bangui/bangui/core/local"
	"github.com/bangui/bangui/core/store/storetest"
)

// Permanent edits and reloads against a real server are recorded, ok and
// failed alike.
func TestPermanentRecorded(t *testing.T) {
	srv := f2btest.Start(t, f2btest.Options{})
	db := storetest.Open(t)
	ctx := context.Background()
	ed := &jailconf.Editor{Host: local.Host{}, ConfigDir: srv.ConfDir, Socket: srv.Socket}
	p := activity.WrapPermanent(ed, &activity.Recorder{Log: db}, core.Server{Name: "local"})

	if _, err := p.Apply(ctx, "app1", []jailconf.Change{{Key: "bantime", Value: "1h"}}); err != nil {
		t.Fatal(err)
	}
	if got := srv.Client(t, "get", "app1", "bantime"); !strings.Contains(got, "3600") {
		t.Fatalf("bantime after the permanent edit: %q", got)
	}
	if _, err := p.ReloadJail(ctx, "app1"); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Apply(ctx, "app1", []jailconf.Change{{Key: "bantime", Value: "abc"}}); core.ErrorCode(err) != core.EINVALID {
		t.Fatalf("bad value: %v", err)
	}
	list, err := db.Activities(ctx, core.ActivityFilter{})
	if err != nil || len(list) != 3 {
		t.Fatalf("%d rows, %v", len(list), err)
	}
	// Newest first.
	if a := list[0]; a.Action != core.ActionPermanentEdit || a.Status != core.StatusFailed || !strings.Contains(a.Error, `"abc" is not a time`) {
		t.Fatalf("failed edit row %+v", a)
	}
	if a := list[1]; a.Action != core.ActionReloadJail || a.Status != core.StatusOK || a.Jail != "app1" {
		t.Fatalf("reload row %+v", a)
	}
	if a := list[2]; a.Action != core.ActionPermanentEdit || a.Status != core.StatusOK || strings.Join(a.Args, " ") != "bantime=1h" || !strings.Contains(a.Result, "bangui.local") {
		t.Fatalf("edit row %+v", a)
	}
}
