package store_test

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/store"
)

func mustTaskStates(t *testing.T, db *store.DB) map[string]core.TaskInfo {
	t.Helper()
	states, err := db.TaskStates(context.Background())
	if err != nil {
		t.Fatalf("TaskStates: %v", err)
	}
	return states
}

func TestTaskStates(t *testing.T) {
	t0 := time.UnixMilli(1_700_000_000_250)
	clk := newClock(t0)
	db := mustOpen(t)
	clk.use(db)
	ctx := context.Background()

	if s := mustTaskStates(t, db); len(s) != 0 {
		t.Fatalf("states of a new cache = %v, want none", s)
	}
	if err := db.TaskStarted(ctx, "sync", "a"); err != nil {
		t.Fatal(err)
	}
	got := mustTaskStates(t, db)["sync"]
	want := core.TaskInfo{Name: "sync", LastStart: t0, Status: core.StatusRunning, RanBy: "a"}
	if !sameRun(got, want) {
		t.Errorf("after start: %+v, want %+v", got, want)
	}

	clk.add(1500 * time.Millisecond)
	if err := db.TaskFinished(ctx, "sync", "a", core.StatusOK, "copied 3 bans"); err != nil {
		t.Fatal(err)
	}
	want.LastEnd, want.Status, want.Result = clk.now(), core.StatusOK, "copied 3 bans"
	if got := mustTaskStates(t, db)["sync"]; !sameRun(got, want) {
		t.Errorf("after finish: %+v, want %+v", got, want)
	}

	// A new run keeps the last end until it finishes, and clears the result.
	clk.add(time.Minute)
	if err := db.TaskStarted(ctx, "sync", "b"); err != nil {
		t.Fatal(err)
	}
	want.LastStart, want.Status, want.Result, want.RanBy = clk.now(), core.StatusRunning, "", "b"
	if got := mustTaskStates(t, db)["sync"]; !sameRun(got, want) {
		t.Errorf("after second start: %+v, want %+v", got, want)
	}
	clk.add(time.Second)
	if err := db.TaskFinished(ctx, "sync", "b", core.StatusFailed, "server unreachable"); err != nil {
		t.Fatal(err)
	}
	want.LastEnd, want.Status, want.Result = clk.now(), core.StatusFailed, "server unreachable"
	if got := mustTaskStates(t, db)["sync"]; !sameRun(got, want) {
		t.Errorf("after failure: %+v, want %+v", got, want)
	}

	// Finishing a task whose start was not recorded still records it.
	if err := db.TaskFinished(ctx, "geo", "b", core.StatusCancelled, "shutdown"); err != nil {
		t.Fatal(err)
	}
	want = core.TaskInfo{Name: "geo", LastEnd: clk.now(), Status: core.StatusCancelled, Result: "shutdown", RanBy: "b"}
	states := mustTaskStates(t, db)
	if got := states["geo"]; !sameRun(got, want) {
		t.Errorf("finish without start: %+v, want %+v", got, want)
	}
	if len(states) != 2 {
		t.Errorf("%d states, want 2: %v", len(states), states)
	}
}

func sameRun(a, b core.TaskInfo) bool {
	return a.Name == b.Name && a.LastStart.Equal(b.LastStart) && a.LastEnd.Equal(b.LastEnd) &&
		a.Status == b.Status && a.Result == b.Result && a.RanBy == b.RanBy
}

func TestTaskStatesInvalid(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	if err := db.TaskStarted(ctx, " ", "a"); core.ErrorCode(err) != core.EINVALID {
		t.Errorf("TaskStarted with no name: %v, want %s", err, core.EINVALID)
	}
	for _, status := range []string{"", core.StatusRunning, core.StatusInterrupted, "done"} {
		if err := db.TaskFinished(ctx, "sync", "a", status, ""); core.ErrorCode(err) != core.EINVALID {
			t.Errorf("TaskFinished(status %q): %v, want %s", status, err, core.EINVALID)
		}
	}
	if s := mustTaskStates(t, db); len(s) != 0 {
		t.Errorf("states after refused calls = %v, want none", s)
	}
}

func TestTaskResultCut(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	long := strings.Repeat("é", store.MaxTaskResult) // 2 bytes each
	if err := db.TaskFinished(ctx, "sync", "a", core.StatusFailed, long); err != nil {
		t.Fatal(err)
	}
	got := mustTaskStates(t, db)["sync"].Result
	if len(got) > store.MaxTaskResult || !utf8.ValidString(got) || !strings.HasSuffix(got, "é…") {
		t.Errorf("cut result: %d bytes, valid %v, ends %q", len(got), utf8.ValidString(got), got[len(got)-8:])
	}
}
