package fleet

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/bangui/bangui/core"
)

// DefaultTimeout bounds one server's check when Poller.Timeout is 0.
const DefaultTimeout = 10 * time.Second

// Prober is what a poll asks of a server's fail2ban client; *f2b.Client
// implements it (and so does *activity.Client, which embeds it).
type Prober interface {
	Ping(ctx context.Context) error
	Version(ctx context.Context) (core.Version, error)
	Overview(ctx context.Context) ([]core.JailStatus, error)
}

// Poller checks the health of many servers concurrently and remembers,
// from one poll to the next, since when each one is offline (by server
// ID, so servers need their cache IDs). Set Client;
// the other fields may stay zero. Do not change the fields while a Poll
// runs.
type Poller struct {
	// Client returns the client of a server. It is called from the
	// poller's goroutines, once per server and poll, and must not block:
	// a client dials on its first call, inside the server's timeout.
	Client func(core.Server) Prober
	// Limit is how many servers are checked at once (default
	// DefaultLimit): each check holds one connection.
	Limit int
	// Timeout bounds each server's check, dial included (default
	// DefaultTimeout). A server that has not answered by then is offline
	// for this poll; the others are not held up.
	Timeout time.Duration
	// Now stamps CheckedAt; nil means time.Now.
	Now func() time.Time

	mu    sync.Mutex
	track map[int64]track // by server id
}

// track is what the poller remembers of a server between polls.
type track struct {
	online       bool
	offlineSince time.Time
}

// Poll checks servers, at most Limit at a time, each within Timeout. A
// server is online when it answers a ping; its version, jail count and
// banned total are read then. onStatus (may be nil) is called with each
// server's status as soon as it is known, one call at a time, from the
// poller's goroutines; it must return quickly (a UI hands the value to its
// own goroutine). Poll returns once every server is done, with the
// statuses in the order of servers.
//
// Cancelling ctx ends the poll early: the servers not checked yet get a
// status with an ECANCELED error, and their offline tracking is left as it
// was. Poll then also returns that error; otherwise the error is nil, and
// each server's failure is in its status.
func (p *Poller) Poll(ctx context.Context, servers []core.Server, onStatus func(core.ServerStatus)) ([]core.ServerStatus, error) {
	out := make([]core.ServerStatus, len(servers))
	rep := &reporter[core.ServerStatus]{fn: onStatus}
	Each(len(servers), p.Limit, func(i int) {
		st := p.check(ctx, servers[i])
		out[i] = st
		rep.report(st)
	})
	if err := ctx.Err(); err != nil {
		return out, core.Wrap(err, core.ECANCELED, "the check of the servers was cancelled")
	}
	return out, nil
}

// Forget drops what the poller remembers of server id (removed from the
// list): its next check starts afresh.
func (p *Poller) Forget(id int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.track, id)
}

// check polls one server and updates its tracking.
func (p *Poller) check(ctx context.Context, s core.Server) core.ServerStatus {
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	st := core.ServerStatus{Server: s, CheckedAt: now()}
	if err := ctx.Err(); err != nil {
		st.Err = core.Wrap(err, core.ECANCELED, "the check was cancelled")
		return st
	}
	timeout := p.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	start := time.Now()
	sctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err := p.probe(sctx, s, &st)
	st.Took = time.Since(start)
	if err != nil {
		switch {
		case ctx.Err() != nil:
			st.Err = core.Wrap(err, core.ECANCELED, "the check was cancelled")
			return st // says nothing about the server: tracking unchanged
		case errors.Is(sctx.Err(), context.DeadlineExceeded):
			st.Err = core.Wrap(err, core.EUNAVAILABLE,
				fmt.Sprintf("no answer within %s: the server may be down, unreachable or busy", timeout))
		case errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded):
			// The client's own timeout, a moment before ours.
			st.Err = core.Wrap(err, core.EUNAVAILABLE,
				fmt.Sprintf("no answer within %s: the server may be down, unreachable or busy", st.Took.Round(time.Second)))
		default:
			st.Err = userError(err)
		}
	}
	p.follow(&st)
	return st
}

// probe fills st from the server: online once it answers a ping (the
// version alone may be remembered from an earlier connection), then its
// version and jails.
func (p *Poller) probe(ctx context.Context, s core.Server, st *core.ServerStatus) error {
	c := p.Client(s)
	if err := c.Ping(ctx); err != nil {
		return err
	}
	st.Online = true
	v, err := c.Version(ctx)
	if err != nil {
		return err
	}
	st.Version = v
	jails, err := c.Overview(ctx)
	if err != nil {
		return err
	}
	st.Jails = len(jails)
	for _, j := range jails {
		st.Banned += j.CurrentlyBanned
	}
	return nil
}

// follow sets OfflineSince and BackOnline from what the last poll of the
// same server found, and remembers this one.
func (p *Poller) follow(st *core.ServerStatus) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.track == nil {
		p.track = map[int64]track{}
	}
	prev, seen := p.track[st.Server.ID]
	next := track{online: st.Online}
	switch {
	case st.Online:
		st.BackOnline = seen && !prev.online
	case seen && !prev.online:
		next.offlineSince = prev.offlineSince
	default:
		next.offlineSince = st.CheckedAt
	}
	st.OfflineSince = next.offlineSince
	p.track[st.Server.ID] = next
}

// userError makes sure err carries a user message.
func userError(err error) error {
	var ce *core.Error
	if errors.As(err, &ce) {
		return err
	}
	return core.Wrap(err, core.EUNAVAILABLE, "the server could not be checked")
}
