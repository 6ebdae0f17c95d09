package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/store"
)

// stepClock returns a clock that starts at t0 and moves on by step at
// every call.
func stepClock(t0 time.Time, step time.Duration) func() time.Time {
	next := t0
	return func() time.Time {
		t := next
		next = next.Add(step)
		return t
	}
}

func mustBegin(t *testing.T, db *store.DB, a core.Activity) int64 {
	t.Helper()
	id, err := db.Begin(context.Background(), a)
	if err != nil {
		t.Fatalf("Begin(%+v): %v", a, err)
	}
	return id
}

func mustActivities(t *testing.T, db *store.DB, f core.ActivityFilter) []core.Activity {
	t.Helper()
	list, err := db.Activities(context.Background(), f)
	if err != nil {
		t.Fatalf("Activities(%+v): %v", f, err)
	}
	return list
}

func TestActivityBeginFinish(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	t0 := time.UnixMilli(1_700_000_000_123)
	db.Now = func() time.Time { return t0.Add(1500 * time.Millisecond) }
	srv, err := db.AddServer(ctx, core.Server{Name: "web-1", Kind: core.ServerLocal})
	if err != nil {
		t.Fatal(err)
	}

	id := mustBegin(t, db, core.Activity{
		ID: 99, Status: core.StatusOK, // ignored
		Started: t0, ServerID: srv.ID, ServerName: srv.Name, Jail: "sshd",
		Action: core.ActionBan, Args: []string{"192.0.2.1", "<&>", "ü"},
	})
	list := mustActivities(t, db, core.ActivityFilter{})
	if len(list) != 1 {
		t.Fatalf("%d activities, want 1", len(list))
	}
	a := list[0]
	if a.ID != id || !a.Started.Equal(t0) || !a.Finished.IsZero() || a.ServerID != srv.ID || a.ServerName != "web-1" ||
		a.Jail != "sshd" || a.Action != core.ActionBan || a.Status != core.StatusRunning ||
		!slices.Equal(a.Args, []string{"192.0.2.1", "<&>", "ü"}) || a.Result != "" || a.Error != "" {
		t.Fatalf("running: %+v", a)
	}
	var raw string
	if err := db.Read.QueryRow(`SELECT args FROM activity WHERE id = ?`, id).Scan(&raw); err != nil || raw != `["192.0.2.1","<&>","ü"]` {
		t.Errorf("stored args %s, %v; want plain JSON without HTML escapes", raw, err)
	}

	if err := db.Finish(ctx, id, core.StatusOK, "banned 2, already banned 1", ""); err != nil {
		t.Fatal(err)
	}
	a = mustActivities(t, db, core.ActivityFilter{})[0]
	if a.Status != core.StatusOK || a.Result != "banned 2, already banned 1" || !a.Finished.Equal(t0.Add(1500*time.Millisecond)) {
		t.Fatalf("finished: %+v", a)
	}

	// Finishing twice is refused and changes nothing.
	err = db.Finish(ctx, id, core.StatusFailed, "", "x")
	if core.ErrorCode(err) != core.ECONFLICT {
		t.Errorf("second Finish: %v; want ECONFLICT", err)
	}
	if a := mustActivities(t, db, core.ActivityFilter{})[0]; a.Status != core.StatusOK || a.Error != "" {
		t.Errorf("second Finish changed the row: %+v", a)
	}
	if err := db.Finish(ctx, 12345, core.StatusOK, "", ""); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("Finish of an unknown id: %v; want ErrNotFound", err)
	}
	id2 := mustBegin(t, db, core.Activity{ServerName: "web-1", Action: core.ActionUnbanAll})
	for _, st := range []string{core.StatusRunning, "", "done"} {
		if err := db.Finish(ctx, id2, st, "", ""); core.ErrorCode(err) != core.EINVALID {
			t.Errorf("Finish with status %q: %v; want EINVALID", st, err)
		}
	}
	// A zero start means now; nil args are an empty list.
	a = mustActivities(t, db, core.ActivityFilter{Action: core.ActionUnbanAll})[0]
	if !a.Started.Equal(t0.Add(1500*time.Millisecond)) || a.Args == nil || len(a.Args) != 0 || a.ServerID != 0 {
		t.Errorf("defaults: %+v", a)
	}

	for _, bad := range []core.Activity{{ServerName: "x"}, {ServerName: " ", Action: core.ActionBan}, {Action: core.ActionBan}} {
		if _, err := db.Begin(ctx, bad); core.ErrorCode(err) != core.EINVALID {
			t.Errorf("Begin(%+v): %v; want EINVALID", bad, err)
		}
	}
}

// TestActivityServerDeleted checks that the log outlives its servers: the
// id goes, the name stays, and a Begin for a server deleted meanwhile is
// still recorded.
func TestActivityServerDeleted(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	srv, err := db.AddServer(ctx, core.Server{Name: "gone", Kind: core.ServerLocal})
	if err != nil {
		t.Fatal(err)
	}
	mustBegin(t, db, core.Activity{ServerID: srv.ID, ServerName: srv.Name, Action: core.ActionStopJail, Jail: "sshd"})
	if err := db.DeleteServer(ctx, srv.ID); err != nil {
		t.Fatal(err)
	}
	mustBegin(t, db, core.Activity{ServerID: srv.ID, ServerName: srv.Name, Action: core.ActionReloadServer})
	list := mustActivities(t, db, core.ActivityFilter{})
	if len(list) != 2 {
		t.Fatalf("%d activities, want 2", len(list))
	}
	for _, a := range list {
		if a.ServerID != 0 || a.ServerName != "gone" {
			t.Errorf("after delete: %+v", a)
		}
	}
}

func TestActivityFilters(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	a, err := db.AddServer(ctx, core.Server{Name: "a", Kind: core.ServerLocal})
	if err != nil {
		t.Fatal(err)
	}
	b, err := db.AddServer(ctx, core.Server{Name: "b", Kind: core.ServerSSH, Host: "b.example.org"})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Unix(1_700_000_000, 0)
	type row struct {
		srv                    core.Server
		jail, action           string
		args                   []string
		status, result, errMsg string
	}
	rows := []row{ // started t0, t0+1m, t0+2m...
		{a, "sshd", core.ActionBan, []string{"192.0.2.1", "192.0.2.2"}, core.StatusOK, "banned 2", ""},
		{a, "sshd", core.ActionUnban, []string{"192.0.2.1"}, core.StatusOK, "unbanned 1", ""},
		{b, "nginx", core.ActionBan, []string{"198.51.100.7"}, core.StatusFailed, "", "fail2ban has no jail \"nginx\""},
		{b, "", core.ActionUnbanAll, nil, core.StatusCancelled, "", "cancelled 100%_done"},
		{a, "sshd", core.ActionSetBanTime, []string{"1h"}, core.StatusOK, "bantime 3600 s", ""},
		{b, "post_fix", core.ActionAddIgnoreIP, []string{"VPN.example.org"}, core.StatusRunning, "", ""},
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = mustBegin(t, db, core.Activity{
			Started: t0.Add(time.Duration(i) * time.Minute), ServerID: r.srv.ID, ServerName: r.srv.Name,
			Jail: r.jail, Action: r.action, Args: r.args,
		})
		if r.status != core.StatusRunning {
			if err := db.Finish(ctx, ids[i], r.status, r.result, r.errMsg); err != nil {
				t.Fatal(err)
			}
		}
	}
	// want lists indexes into rows, newest first.
	for _, tc := range []struct {
		name string
		f    core.ActivityFilter
		want []int
	}{
		{"all", core.ActivityFilter{}, []int{5, 4, 3, 2, 1, 0}},
		{"server", core.ActivityFilter{ServerID: a.ID}, []int{4, 1, 0}},
		{"jail", core.ActivityFilter{Jail: "sshd"}, []int{4, 1, 0}},
		{"action", core.ActivityFilter{Action: core.ActionBan}, []int{2, 0}},
		{"status", core.ActivityFilter{Status: core.StatusOK}, []int{4, 1, 0}},
		{"running", core.ActivityFilter{Status: core.StatusRunning}, []int{5}},
		{"text in args", core.ActivityFilter{Text: "192.0.2.1"}, []int{1, 0}},
		{"text in one arg only", core.ActivityFilter{Text: "192.0.2.2"}, []int{0}},
		{"text case", core.ActivityFilter{Text: "vpn.EXAMPLE"}, []int{5}},
		{"text in result", core.ActivityFilter{Text: "3600"}, []int{4}},
		{"text in error", core.ActivityFilter{Text: "no jail"}, []int{2}},
		{"text in jail", core.ActivityFilter{Text: "ngin"}, []int{2}},
		{"text trimmed", core.ActivityFilter{Text: "  ngin "}, []int{2}},
		{"percent is literal", core.ActivityFilter{Text: "100%"}, []int{3}},
		{"percent alone", core.ActivityFilter{Text: "%"}, []int{3}},
		{"underscore is literal", core.ActivityFilter{Text: "t_f"}, []int{5}},
		{"underscore no wildcard", core.ActivityFilter{Text: "192_0"}, nil},
		{"backslash", core.ActivityFilter{Text: `\`}, nil},
		{"quote", core.ActivityFilter{Text: `"nginx"`}, []int{2}},
		{"since", core.ActivityFilter{Since: t0.Add(4 * time.Minute)}, []int{5, 4}},
		{"until", core.ActivityFilter{Until: t0.Add(time.Minute)}, []int{0}},
		{"since and until", core.ActivityFilter{Since: t0.Add(time.Minute), Until: t0.Add(3 * time.Minute)}, []int{2, 1}},
		{"limit", core.ActivityFilter{Limit: 2}, []int{5, 4}},
		{"combined", core.ActivityFilter{ServerID: b.ID, Action: core.ActionBan, Text: "198.51"}, []int{2}},
		{"nothing", core.ActivityFilter{Jail: "nope"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			list := mustActivities(t, db, tc.f)
			var got []int
			for _, x := range list {
				got = append(got, slices.Index(ids, x.ID))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got rows %v, want %v", got, tc.want)
			}
		})
	}
}

// TestActivityOrderSameTime checks that activities started in the same
// millisecond still come newest first.
func TestActivityOrderSameTime(t *testing.T) {
	db := mustOpen(t)
	t0 := time.Unix(1_700_000_000, 0)
	var ids []int64
	for range 3 {
		ids = append(ids, mustBegin(t, db, core.Activity{Started: t0, ServerName: "s", Action: core.ActionBan}))
	}
	list := mustActivities(t, db, core.ActivityFilter{})
	if len(list) != 3 || list[0].ID != ids[2] || list[2].ID != ids[0] {
		t.Errorf("order %v, want ids %v reversed", list, ids)
	}
}

func TestActivityLimits(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	t0 := time.Unix(1_700_000_000, 0)
	// Insert past the default limit in one statement; going through Begin
	// 1,000 times is slow under -race and tests nothing more.
	if _, err := db.Write.ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
		INSERT INTO activity (started_at, server_name, action, status) SELECT ? + i, 's', 'ban', 'ok' FROM n`,
		store.DefaultActivityLimit+5, t0.UnixMilli()); err != nil {
		t.Fatal(err)
	}
	if n := len(mustActivities(t, db, core.ActivityFilter{})); n != store.DefaultActivityLimit {
		t.Errorf("default limit: %d, want %d", n, store.DefaultActivityLimit)
	}
	if n := len(mustActivities(t, db, core.ActivityFilter{Limit: -1})); n != store.DefaultActivityLimit {
		t.Errorf("negative limit: %d, want %d", n, store.DefaultActivityLimit)
	}
	if n := len(mustActivities(t, db, core.ActivityFilter{Limit: 1 << 40})); n != store.DefaultActivityLimit+5 {
		t.Errorf("huge limit: %d, want all %d", n, store.DefaultActivityLimit+5)
	}
}

func TestActivityArgsTruncated(t *testing.T) {
	db := mustOpen(t)
	ips := make([]string, 10_000)
	for i := range ips {
		ips[i] = fmt.Sprintf("10.%d.%d.%d", i>>16, (i>>8)&255, i&255)
	}
	id := mustBegin(t, db, core.Activity{ServerName: "s", Jail: "sshd", Action: core.ActionBan, Args: ips})
	a := mustActivities(t, db, core.ActivityFilter{})[0]
	if a.ID != id || len(a.Args) != store.MaxActivityArgs+1 {
		t.Fatalf("%d args stored, want %d", len(a.Args), store.MaxActivityArgs+1)
	}
	if !slices.Equal(a.Args[:store.MaxActivityArgs], ips[:store.MaxActivityArgs]) {
		t.Error("the kept args are not the first ones")
	}
	if last := a.Args[store.MaxActivityArgs]; last != "…(+9000 more)" {
		t.Errorf("last entry %q, want …(+9000 more)", last)
	}
	var size int
	if err := db.Read.QueryRow(`SELECT length(args) FROM activity WHERE id = ?`, id).Scan(&size); err != nil || size > 20_000 {
		t.Errorf("stored args are %d characters, %v", size, err)
	}
	// Exactly the limit is kept whole.
	mustBegin(t, db, core.Activity{ServerName: "s", Action: core.ActionUnban, Args: ips[:store.MaxActivityArgs]})
	if a := mustActivities(t, db, core.ActivityFilter{Action: core.ActionUnban})[0]; !slices.Equal(a.Args, ips[:store.MaxActivityArgs]) {
		t.Errorf("%d args at the limit, want them whole", len(a.Args))
	}
	// The caller's slice is untouched.
	if len(ips) != 10_000 || ips[store.MaxActivityArgs] != "10.0.3.232" {
		t.Error("Begin changed the caller's args")
	}
}

func TestMarkInterrupted(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	db.Now = stepClock(time.Unix(1_700_000_000, 0), time.Second)
	done := mustBegin(t, db, core.Activity{ServerName: "s", Action: core.ActionBan})
	if err := db.Finish(ctx, done, core.StatusOK, "banned 1", ""); err != nil {
		t.Fatal(err)
	}
	r1 := mustBegin(t, db, core.Activity{ServerName: "s", Action: core.ActionUnbanAll})
	r2 := mustBegin(t, db, core.Activity{ServerName: "s", Action: core.ActionStopJail, Jail: "sshd"})

	n, err := db.MarkInterrupted(ctx)
	if err != nil || n != 2 {
		t.Fatalf("MarkInterrupted = %d, %v; want 2", n, err)
	}
	for _, a := range mustActivities(t, db, core.ActivityFilter{}) {
		switch a.ID {
		case done:
			if a.Status != core.StatusOK || a.Error != "" {
				t.Errorf("finished activity touched: %+v", a)
			}
		case r1, r2:
			if a.Status != core.StatusInterrupted || !a.Finished.IsZero() || !strings.Contains(a.Error, "may or may not") {
				t.Errorf("interrupted: %+v", a)
			}
		}
	}
	if n, err := db.MarkInterrupted(ctx); err != nil || n != 0 {
		t.Errorf("second MarkInterrupted = %d, %v; want 0", n, err)
	}
	// A late Finish of an interrupted activity is refused: the log keeps
	// what start-up decided.
	if err := db.Finish(ctx, r1, core.StatusOK, "", ""); core.ErrorCode(err) != core.ECONFLICT {
		t.Errorf("Finish after MarkInterrupted: %v; want ECONFLICT", err)
	}
}

func TestActivitySchema(t *testing.T) {
	db := mustOpen(t)
	var strict int
	if err := db.Read.QueryRow(`SELECT strict FROM pragma_table_list WHERE name = 'activity'`).Scan(&strict); err != nil || strict != 1 {
		t.Fatalf("activity STRICT = %d, %v", strict, err)
	}
	if _, err := db.Write.Exec(`INSERT INTO activity (started_at, server_name, action, status) VALUES (0, 's', 'ban', 'done')`); err == nil {
		t.Error("status 'done' accepted")
	}
	if _, err := db.Write.Exec(`INSERT INTO activity (started_at, server_name, action, status) VALUES ('x', 's', 'ban', 'ok')`); err == nil {
		t.Error("a text start time accepted (not STRICT?)")
	}
	var idx []string
	rows, err := db.Read.Query(`SELECT name FROM pragma_index_list('activity') ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		idx = append(idx, n)
	}
	if !slices.Equal(idx, []string{"activity_action", "activity_server_started", "activity_started"}) {
		t.Errorf("indexes %v", idx)
	}
	// The newest-first listing uses the start-time index, not a sort of
	// the whole table.
	var plan strings.Builder
	prows, err := db.Read.Query(`EXPLAIN QUERY PLAN SELECT id FROM activity ORDER BY started_at DESC, id DESC LIMIT 10`)
	if err != nil {
		t.Fatal(err)
	}
	defer prows.Close()
	for prows.Next() {
		var id, parent, notused int
		var detail string
		if err := prows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan.WriteString(detail + "\n")
	}
	if !strings.Contains(plan.String(), "activity_started") {
		t.Errorf("plan does not use activity_started:\n%s", plan.String())
	}
}
