package activity_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/activity"
	"github.com/bangui/bangui/core/store"
	"github.com/bangui/bangui/core/store/storetest"
)

// fakeJails is an activity.Jails made of functions, for the cases a real
// server cannot produce cheaply. Only BanIP is needed so far.
type fakeJails struct {
	activity.Jails // nil: any other method panics
	BanIPFn        func(ctx context.Context, jail string, ips []string, progress core.Progress) (core.BatchResult, error)
}

func (f *fakeJails) BanIP(ctx context.Context, jail string, ips []string, progress core.Progress) (core.BatchResult, error) {
	return f.BanIPFn(ctx, jail, ips, progress)
}

// TestServiceBigBan checks that a 10,000-address ban is logged with its
// arguments cut to store.MaxActivityArgs and the full count in the result.
func TestServiceBigBan(t *testing.T) {
	db := storetest.Open(t)
	svc := &activity.Service{Rec: &activity.Recorder{Log: db}}
	ips := make([]string, 10_000)
	for i := range ips {
		ips[i] = fmt.Sprintf("10.0.%d.%d", i/256, i%256)
	}
	j := &fakeJails{BanIPFn: func(_ context.Context, _ string, ips []string, _ core.Progress) (core.BatchResult, error) {
		return core.BatchResult{Requested: len(ips), Changed: len(ips) - 10, Batches: 40}, nil
	}}
	if _, err := svc.Ban(context.Background(), core.Server{Name: "big"}, j, "sshd", ips, nil); err != nil {
		t.Fatal(err)
	}
	a := only(t, db)
	if a.Status != core.StatusOK || a.Result != "banned 9990, already banned 10" {
		t.Errorf("%s %q", a.Status, a.Result)
	}
	if len(a.Args) != store.MaxActivityArgs+1 || a.Args[0] != "10.0.0.0" || a.Args[len(a.Args)-1] != "…(+9000 more)" {
		t.Errorf("%d args, last %q", len(a.Args), a.Args[len(a.Args)-1])
	}
}

// TestServiceBanInterrupted checks the wording of a batch job that stopped
// half-way: the result says what was done, the status why it stopped.
func TestServiceBanInterrupted(t *testing.T) {
	for _, tc := range []struct {
		name, status string
		err          error
	}{
		{"cancelled", core.StatusCancelled, core.Wrap(context.Canceled, core.ECANCELED,
			`"set sshd banip" was cancelled. 500 of 1000 addresses were confirmed; fail2ban may still be applying the next 250`)},
		{"lost", core.StatusFailed, core.Wrap(nil, core.EUNAVAILABLE,
			"lost the connection to fail2ban. 500 of 1000 addresses were confirmed")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := storetest.Open(t)
			svc := &activity.Service{Rec: &activity.Recorder{Log: db, Now: time.Now}}
			j := &fakeJails{BanIPFn: func(context.Context, string, []string, core.Progress) (core.BatchResult, error) {
				return core.BatchResult{Requested: 1000, Changed: 480, Batches: 2}, tc.err
			}}
			res, err := svc.Ban(context.Background(), core.Server{ID: 1, Name: "x"}, j, "sshd", []string{"192.0.2.1"}, nil)
			if err != tc.err || res.Changed != 480 {
				t.Errorf("Ban: %+v, %v", res, err)
			}
			a := only(t, db)
			if a.Status != tc.status || a.Result != "banned 480 before the error" || !strings.Contains(a.Error, "500 of 1000") {
				t.Errorf("%+v", a)
			}
		})
	}
}
