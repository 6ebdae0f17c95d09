package fleet

import (
	"context"
	"fmt"
	"time"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/activity"
)

// Target is one server an action runs on, with its plain fail2ban client
// (a *f2b.Client). A recorded *activity.Client is accepted too: its plain
// client is used, so the action is recorded once, by Actions.
type Target struct {
	Server core.Server
	Client activity.Jails
}

// Actions bans and unbans addresses on many servers at once. Every
// server's action goes through Activity, so it is recorded in the activity
// log (and does not run when it cannot be recorded).
type Actions struct {
	Activity *activity.Service
	// Limit is how many servers are worked on at once (default
	// DefaultLimit). There is no timeout of the fleet's own: the clients
	// give a batch time in proportion to its size (see f2b.Config.PerIP),
	// because a slow answer during a ban job is not a dead server.
	Limit int
}

// Ban bans ips in jail on every target, at most Limit servers at a time.
// The addresses (IPs and CIDR networks, checked like the ban form's list:
// core.NormalizeBanTarget) and the jail name are validated first: one bad
// entry refuses the whole job with an EINVALID error, and no server is
// touched.
//
// Otherwise each server runs on its own: one that is down, or has no such
// jail (its result then has an ENOTFOUND error naming the server and the
// jail), does not stop the others. onResult (may be nil) is called with
// each server's result as it finishes, one call at a time, from Ban's
// goroutines; it must return quickly. Ban returns the results in the order
// of targets; the error is non-nil only when the job was refused, or when
// ctx was cancelled (ECANCELED; the results say how far each server got).
func (a *Actions) Ban(ctx context.Context, targets []Target, jail string, ips []string, onResult func(core.FleetResult)) ([]core.FleetResult, error) {
	if err := core.ValidateJailName(jail); err != nil {
		return nil, err
	}
	list, err := a.prepare(targets, ips)
	if err != nil {
		return nil, err
	}
	return a.run(ctx, targets, onResult, func(ctx context.Context, t Target, r *core.FleetResult) error {
		res, err := a.Activity.Ban(ctx, t.Server, plain(t.Client), jail, list, nil)
		r.Requested, r.Changed = len(list), res.Changed
		if err == nil {
			r.Already = res.Unchanged()
		}
		if core.ErrorCode(err) == core.ENOTFOUND {
			err = core.Wrap(err, core.ENOTFOUND, fmt.Sprintf("%s has no jail %q: nothing was banned there", t.Server.Name, jail))
		}
		return err
	})
}

// Unban lifts the bans of ips in every jail of every target (fail2ban's
// `unban`), at most Limit servers at a time. Validation, results and
// errors are as for Ban; a result's Changed counts the bans lifted, and
// Already stays 0.
func (a *Actions) Unban(ctx context.Context, targets []Target, ips []string, onResult func(core.FleetResult)) ([]core.FleetResult, error) {
	list, err := a.prepare(targets, ips)
	if err != nil {
		return nil, err
	}
	return a.run(ctx, targets, onResult, func(ctx context.Context, t Target, r *core.FleetResult) error {
		r.Requested = len(list)
		n, err := a.Activity.UnbanEverywhere(ctx, t.Server, plain(t.Client), list)
		r.Changed = n
		return err
	})
}

// prepare checks what every action needs before any server is touched and
// returns the addresses in canonical form, without duplicates.
func (a *Actions) prepare(targets []Target, ips []string) ([]string, error) {
	if a.Activity == nil || a.Activity.Rec == nil {
		return nil, core.Errorf(core.EINTERNAL, "fleet: no activity log to record the action in: nothing was done")
	}
	for _, t := range targets {
		if t.Client == nil {
			return nil, core.Errorf(core.EINTERNAL, "fleet: server %q has no client: nothing was done", t.Server.Name)
		}
	}
	if len(targets) == 0 {
		return nil, core.Errorf(core.EINVALID, "no servers chosen: choose at least one server")
	}
	return normalizeTargets(ips)
}

// normalizeTargets validates a list of addresses and networks as the ban
// form does (core.NormalizeBanTarget: no /0), keeps the first of
// duplicates, and refuses the whole list at its first bad entry.
func normalizeTargets(ips []string) ([]string, error) {
	if len(ips) == 0 {
		return nil, core.Errorf(core.EINVALID, "no IP addresses given: enter at least one address")
	}
	seen := make(map[string]bool, len(ips))
	out := make([]string, 0, len(ips))
	for i, s := range ips {
		t, err := core.NormalizeBanTarget(s)
		if err != nil {
			if len(ips) > 1 {
				return nil, core.Wrap(err, core.EINVALID, fmt.Sprintf("entry %d: %s: nothing was sent to any server", i+1, core.ErrorMessage(err)))
			}
			return nil, core.Wrap(err, core.EINVALID, core.ErrorMessage(err)+": nothing was sent to any server")
		}
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out, nil
}

// run runs do on every target, at most Limit at a time, timing each one
// and reporting its result.
func (a *Actions) run(ctx context.Context, targets []Target, onResult func(core.FleetResult),
	do func(ctx context.Context, t Target, r *core.FleetResult) error) ([]core.FleetResult, error) {
	out := make([]core.FleetResult, len(targets))
	rep := &reporter[core.FleetResult]{fn: onResult}
	Each(len(targets), a.Limit, func(i int) {
		t := targets[i]
		r := core.FleetResult{Server: t.Server}
		if err := ctx.Err(); err != nil {
			// Not started: nothing to record, nothing was done.
			r.Err = core.Wrap(err, core.ECANCELED, "cancelled before this server was reached: nothing was done there")
		} else {
			start := time.Now()
			r.Err = do(ctx, t, &r)
			r.Took = time.Since(start)
		}
		out[i] = r
		rep.report(r)
	})
	if err := ctx.Err(); err != nil {
		return out, core.Wrap(err, core.ECANCELED, "the job was cancelled; each server's result says how far it got")
	}
	return out, nil
}

// plain returns the unrecorded client behind a recorded one, so that an
// action is recorded once.
func plain(j activity.Jails) activity.Jails {
	if c, ok := j.(*activity.Client); ok {
		return c.Client
	}
	return j
}
