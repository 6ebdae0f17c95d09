package activity_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/activity"
	"github.com/bangui/bangui/core/store"
	"github.com/bangui/bangui/core/store/storetest"
)

// only returns the single activity in the log.
func only(t *testing.T, db *store.DB) core.Activity {
	t.Helper()
	list, err := db.Activities(context.Background(), core.ActivityFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 {
		t.Fatalf("%d activities, want 1: %+v", len(list), list)
	}
	return list[0]
}

func count(t *testing.T, db *store.DB) int {
	t.Helper()
	list, err := db.Activities(context.Background(), core.ActivityFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return len(list)
}

var web1 = core.Activity{ServerName: "web-1", Jail: "sshd", Action: core.ActionBan, Args: []string{"192.0.2.1"}}

func TestRecorderOK(t *testing.T) {
	db := storetest.Open(t)
	t0 := time.UnixMilli(1_700_000_000_250)
	rec := &activity.Recorder{Log: db, Now: func() time.Time { return t0 }}
	var during core.Activity
	err := rec.Do(context.Background(), web1, func(context.Context) (string, error) {
		during = only(t, db) // written before the action runs
		return "banned 1", nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if during.Status != core.StatusRunning || !during.Finished.IsZero() {
		t.Errorf("during the action: %+v", during)
	}
	a := only(t, db)
	if a.Status != core.StatusOK || a.Result != "banned 1" || a.Error != "" || !a.Started.Equal(t0) ||
		a.Finished.IsZero() || a.ServerName != "web-1" || a.Jail != "sshd" || a.Action != core.ActionBan ||
		len(a.Args) != 1 || a.Args[0] != "192.0.2.1" {
		t.Errorf("after: %+v", a)
	}
}

func TestRecorderFailed(t *testing.T) {
	for _, tc := range []struct {
		name    string
		err     error
		result  string
		wantMsg string
	}{
		{"core error", fmt.Errorf("f2b: set sshd banip: %w",
			core.Wrap(errors.New("broken pipe"), core.EUNAVAILABLE, "lost the connection to fail2ban: is the server still running?")),
			"banned 250 before the error", "lost the connection to fail2ban: is the server still running?"},
		{"plain error", errors.New("boom"), "", "Unexpected error: boom"},
		{"timeout", core.Wrap(context.DeadlineExceeded, core.EUNAVAILABLE, "fail2ban did not answer in time"), "", "fail2ban did not answer in time"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := storetest.Open(t)
			rec := &activity.Recorder{Log: db}
			err := rec.Do(context.Background(), web1, func(context.Context) (string, error) { return tc.result, tc.err })
			if err != tc.err {
				t.Errorf("Do returned %v, want the action's error unchanged", err)
			}
			a := only(t, db)
			if a.Status != core.StatusFailed || a.Error != tc.wantMsg || a.Result != tc.result || a.Finished.IsZero() {
				t.Errorf("%+v", a)
			}
		})
	}
}

func TestRecorderCancelled(t *testing.T) {
	for _, tc := range []struct {
		name string
		run  func(ctx context.Context, cancel context.CancelFunc) error
	}{
		{"context.Canceled", func(ctx context.Context, cancel context.CancelFunc) error {
			cancel()
			return fmt.Errorf("wait: %w", ctx.Err())
		}},
		{"ECANCELED", func(ctx context.Context, cancel context.CancelFunc) error {
			cancel()
			return core.Wrap(ctx.Err(), core.ECANCELED, `"set sshd banip" was cancelled`)
		}},
		{"ECANCELED, context alive", func(context.Context, context.CancelFunc) error {
			return core.Errorf(core.ECANCELED, "stopped by the user")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := storetest.Open(t)
			rec := &activity.Recorder{Log: db}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var runErr error
			err := rec.Do(ctx, web1, func(ctx context.Context) (string, error) {
				runErr = tc.run(ctx, cancel)
				return "", runErr
			})
			if err != runErr {
				t.Errorf("Do returned %v, want %v", err, runErr)
			}
			// The outcome is written although ctx is done.
			a := only(t, db)
			if a.Status != core.StatusCancelled || a.Error != core.ErrorMessage(runErr) || a.Finished.IsZero() {
				t.Errorf("%+v", a)
			}
		})
	}
}

// TestRecorderBeginFails checks the rule that nothing runs unlogged.
func TestRecorderBeginFails(t *testing.T) {
	ran := false
	run := func(context.Context) (string, error) { ran = true; return "", nil }

	db := storetest.Open(t)
	rec := &activity.Recorder{Log: db}
	noServer := web1
	noServer.ServerName = ""
	err := rec.Do(context.Background(), noServer, run)
	if err == nil || ran || count(t, db) != 0 {
		t.Fatalf("invalid activity: err %v, ran %v", err, ran)
	}
	if msg := core.ErrorMessage(err); msg == "" || core.ErrorCode(err) != core.EINTERNAL {
		t.Errorf("error %q (%s)", msg, core.ErrorCode(err))
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = rec.Do(ctx, web1, run)
	if ran || core.ErrorCode(err) != core.ECANCELED || count(t, db) != 0 {
		t.Fatalf("cancelled before the start: err %v, ran %v", err, ran)
	}

	closed := storetest.Open(t)
	closed.Close()
	rec = &activity.Recorder{Log: closed}
	err = rec.Do(context.Background(), web1, run)
	if err == nil || ran {
		t.Fatalf("closed log: err %v, ran %v", err, ran)
	}
	if !strings.HasPrefix(core.ErrorMessage(err), "nothing was done") {
		t.Errorf("message %q", core.ErrorMessage(err))
	}
}

// fakeLog is a core.ActivityLog made of functions.
type fakeLog struct {
	BeginFn      func(ctx context.Context, a core.Activity) (int64, error)
	FinishFn     func(ctx context.Context, id int64, status, result, errText string) error
	ActivitiesFn func(ctx context.Context, f core.ActivityFilter) ([]core.Activity, error)
}

var _ core.ActivityLog = (*fakeLog)(nil)

func (f *fakeLog) Begin(ctx context.Context, a core.Activity) (int64, error) {
	return f.BeginFn(ctx, a)
}
func (f *fakeLog) Finish(ctx context.Context, id int64, status, result, errText string) error {
	return f.FinishFn(ctx, id, status, result, errText)
}
func (f *fakeLog) Activities(ctx context.Context, fl core.ActivityFilter) ([]core.Activity, error) {
	return f.ActivitiesFn(ctx, fl)
}

func TestRecorderFinishFails(t *testing.T) {
	diskFull := errors.New("disk full")
	var got struct {
		id                      int64
		status, result, errText string
	}
	log := &fakeLog{
		BeginFn: func(context.Context, core.Activity) (int64, error) { return 7, nil },
		FinishFn: func(_ context.Context, id int64, status, result, errText string) error {
			got.id, got.status, got.result, got.errText = id, status, result, errText
			return diskFull
		},
	}
	rec := &activity.Recorder{Log: log}

	// The action succeeded: the caller still learns the log is wrong.
	err := rec.Do(context.Background(), web1, func(context.Context) (string, error) { return "banned 1", nil })
	if !errors.Is(err, diskFull) || core.ErrorCode(err) != core.EINTERNAL {
		t.Errorf("ok action, failed Finish: %v", err)
	}
	if got.id != 7 || got.status != core.StatusOK || got.result != "banned 1" {
		t.Errorf("Finish got %+v", got)
	}

	// The action failed too: both errors, the action's message first.
	actionErr := core.Errorf(core.ENOTFOUND, "fail2ban has no jail \"sshd\"")
	err = rec.Do(context.Background(), web1, func(context.Context) (string, error) { return "", actionErr })
	if !errors.Is(err, diskFull) || !errors.Is(err, actionErr) {
		t.Errorf("failed action, failed Finish: %v", err)
	}
	if core.ErrorMessage(err) != actionErr.Message || got.status != core.StatusFailed || got.errText != actionErr.Message {
		t.Errorf("message %q, Finish got %+v", core.ErrorMessage(err), got)
	}
}

// TestRecorderConcurrent runs actions from many goroutines on one store.
func TestRecorderConcurrent(t *testing.T) {
	db := storetest.Open(t)
	rec := &activity.Recorder{Log: db}
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range cap(errs) {
		wg.Go(func() {
			a := web1
			a.Args = []string{fmt.Sprintf("192.0.2.%d", i)}
			errs <- rec.Do(context.Background(), a, func(context.Context) (string, error) { return "banned 1", nil })
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	list, err := db.Activities(context.Background(), core.ActivityFilter{Status: core.StatusOK})
	if err != nil || len(list) != cap(errs) {
		t.Errorf("%d ok activities, %v; want %d", len(list), err, cap(errs))
	}
}
