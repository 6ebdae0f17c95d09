package fleet_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/f2b"
	"github.com/bangui/bangui/core/f2b/f2btest"
	"github.com/bangui/bangui/core/fleet"
)

// TestPollLiveDeadHung polls a live server, a stopped one (its socket is
// gone) and one that accepts and never answers, with room for two checks
// at a time. The live one is reported before the hung one's timeout ends,
// although it comes last in the list; the others are offline with errors
// that say why.
func TestPollLiveDeadHung(t *testing.T) {
	live := f2btest.Start(t, f2btest.Options{})
	dead := f2btest.Start(t, f2btest.Options{})
	dead.Stop(t)
	live.Client(t, "set", "app1", "banip", "192.0.2.1", "192.0.2.2")
	live.Client(t, "set", "app2", "banip", "198.51.100.1")

	servers := []core.Server{
		{ID: 1, Name: "hung", Socket: hungSocket(t)},
		{ID: 2, Name: "dead", Socket: dead.Socket},
		{ID: 3, Name: "live", Socket: live.Socket},
	}
	clients := map[int64]*f2b.Client{}
	for _, s := range servers {
		clients[s.ID] = newClient(t, f2b.UnixDialer{Path: s.Socket})
	}
	p := &fleet.Poller{
		Client:  func(s core.Server) fleet.Prober { return clients[s.ID] },
		Limit:   2,
		Timeout: 5 * time.Second, // the hung server's; the live one answers long before
	}
	var order []string
	got, err := p.Poll(ctxT(t), servers, func(st core.ServerStatus) { order = append(order, st.Server.Name) })
	if err != nil {
		t.Fatal(err)
	}
	if len(order) != 3 || order[2] != "hung" {
		t.Errorf("reported in the order %v; want the hung server last", order)
	}
	for i, st := range got {
		if st.Server.ID != servers[i].ID {
			t.Fatalf("result %d is server %q; want the order of the input", i, st.Server.Name)
		}
		if st.CheckedAt.IsZero() || st.Took <= 0 {
			t.Errorf("%s: CheckedAt %v, Took %v", st.Server.Name, st.CheckedAt, st.Took)
		}
	}

	hung, deadSt, liveSt := got[0], got[1], got[2]
	if !liveSt.Online || liveSt.Err != nil || liveSt.Version.Raw == "" || liveSt.Jails != 2 || liveSt.Banned != 3 ||
		!liveSt.OfflineSince.IsZero() || liveSt.BackOnline {
		t.Errorf("live: %+v", liveSt)
	}
	for _, st := range []core.ServerStatus{hung, deadSt} {
		if st.Online || st.Jails != 0 || st.OfflineSince != st.CheckedAt || st.BackOnline {
			t.Errorf("%s: %+v; want offline since this check", st.Server.Name, st)
		}
		code(t, st.Server.Name, st.Err, core.EUNAVAILABLE)
	}
	if msg := core.ErrorMessage(hung.Err); !strings.Contains(msg, "no answer within 5s") {
		t.Errorf("hung: %q; want it to say it did not answer in time", msg)
	}
	if msg := core.ErrorMessage(deadSt.Err); !strings.Contains(msg, dead.Socket) {
		t.Errorf("dead: %q; want it to name the socket", msg)
	}
	t.Logf("hung: %v\ndead: %v", core.ErrorMessage(hung.Err), core.ErrorMessage(deadSt.Err))
}

// TestPollTracksOffline follows one server through polls while it stops and
// starts again: offline since the first failed poll, back online at the
// first poll after, and a cancelled poll changes nothing.
func TestPollTracksOffline(t *testing.T) {
	srv := f2btest.Start(t, f2btest.Options{})
	c := newClient(t, f2b.UnixDialer{Path: srv.Socket})
	base := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	var tick atomic.Int64
	p := &fleet.Poller{
		Client: func(core.Server) fleet.Prober { return c },
		Now:    func() time.Time { return base.Add(time.Duration(tick.Add(1)) * time.Minute) },
	}
	servers := []core.Server{{ID: 7, Name: "one", Socket: srv.Socket}}
	poll := func(ctx context.Context) core.ServerStatus {
		t.Helper()
		got, err := p.Poll(ctx, servers, nil)
		if err != nil && ctx.Err() == nil {
			t.Fatal(err)
		}
		return got[0]
	}
	ctx := ctxT(t)
	at := func(min int) time.Time { return base.Add(time.Duration(min) * time.Minute) }

	if st := poll(ctx); !st.Online || st.BackOnline || !st.OfflineSince.IsZero() {
		t.Fatalf("first poll: %+v", st)
	}
	srv.Stop(t)
	if st := poll(ctx); st.Online || !st.OfflineSince.Equal(at(2)) {
		t.Fatalf("after stop: %+v; want offline since minute 2", st)
	}
	if st := poll(ctx); st.Online || !st.OfflineSince.Equal(at(2)) || !st.CheckedAt.Equal(at(3)) {
		t.Fatalf("still stopped: %+v; want offline since minute 2", st)
	}
	srv.Restart(t)
	if st := poll(ctx); !st.Online || !st.BackOnline || !st.OfflineSince.IsZero() {
		t.Fatalf("after restart: %+v; want back online", st)
	}

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	got, err := p.Poll(cancelled, servers, nil)
	code(t, "cancelled poll", err, core.ECANCELED)
	code(t, "cancelled poll's status", got[0].Err, core.ECANCELED)

	if st := poll(ctx); !st.Online || st.BackOnline || !st.OfflineSince.IsZero() {
		t.Fatalf("next poll: %+v; want online, not back online again", st)
	}

	// Forgotten, a server starts afresh: offline since its next check.
	srv.Stop(t)
	st := poll(ctx)
	p.Forget(7)
	if st2 := poll(ctx); st2.Online || !st2.OfflineSince.Equal(st2.CheckedAt) || st2.OfflineSince.Equal(st.OfflineSince) {
		t.Fatalf("after Forget: %+v (before: %+v)", st2, st)
	}
}

// fakeProber answers at once, counting the checks that run at the same
// time. Sleep lets the checks overlap.
type fakeProber struct {
	inflight, peak *atomic.Int32
	down           bool
}

func (f fakeProber) Ping(ctx context.Context) error {
	n := f.inflight.Add(1)
	defer f.inflight.Add(-1)
	for {
		p := f.peak.Load()
		if n <= p || f.peak.CompareAndSwap(p, n) {
			break
		}
	}
	time.Sleep(5 * time.Millisecond)
	if f.down {
		return core.Errorf(core.EUNAVAILABLE, "down")
	}
	return nil
}

func (f fakeProber) Version(context.Context) (core.Version, error) {
	return core.ParseVersion("1.0.2")
}

func (f fakeProber) Overview(context.Context) ([]core.JailStatus, error) {
	return []core.JailStatus{{Name: "sshd", CurrentlyBanned: 2}, {Name: "web", CurrentlyBanned: 1}}, nil
}

// TestPollLimit checks the bound on checks at a time, and that the
// callback is never called twice at once.
func TestPollLimit(t *testing.T) {
	var inflight, peak atomic.Int32
	var servers []core.Server
	for i := range 20 {
		servers = append(servers, core.Server{ID: int64(i + 1), Name: fmt.Sprintf("s%d", i)})
	}
	p := &fleet.Poller{
		Client: func(s core.Server) fleet.Prober {
			return fakeProber{inflight: &inflight, peak: &peak, down: s.ID%5 == 0}
		},
		Limit: 3,
	}
	var mu sync.Mutex
	var busy bool
	calls := 0
	got, err := p.Poll(ctxT(t), servers, func(core.ServerStatus) {
		mu.Lock()
		if busy {
			t.Error("callback called while another call runs")
		}
		busy = true
		mu.Unlock()
		time.Sleep(time.Millisecond)
		mu.Lock()
		busy = false
		calls++
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := peak.Load(); n > 3 || n < 1 {
		t.Errorf("%d checks at once; want at most 3", n)
	}
	if calls != 20 {
		t.Errorf("%d callbacks; want 20", calls)
	}
	for _, st := range got {
		down := st.Server.ID%5 == 0
		if st.Online == down || (!down && (st.Banned != 3 || st.Jails != 2 || st.Version.Raw != "1.0.2")) {
			t.Errorf("%s: %+v", st.Server.Name, st)
		}
	}
}
