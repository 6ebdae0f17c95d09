package activity

import (
	"context"
	"fmt"
	"strings"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/jailconf"
)

// Permanent wraps a server's jailconf.Editor so that every permanent edit
// and every reload is recorded like the runtime actions.
type Permanent struct {
	ed     *jailconf.Editor
	rec    *Recorder
	server core.Server
}

// WrapPermanent returns ed with its writes and reloads recorded by rec.
func WrapPermanent(ed *jailconf.Editor, rec *Recorder, s core.Server) *Permanent {
	return &Permanent{ed: ed, rec: rec, server: s}
}

// Apply writes changes for jail into BanGUI's file, checks and reloads
// (ActionPermanentEdit). The arguments are "key=value" pairs.
func (p *Permanent) Apply(ctx context.Context, jail string, changes []jailconf.Change) (jailconf.Result, error) {
	args := make([]string, len(changes))
	for i, c := range changes {
		args[i] = c.Key + "=" + c.Value
	}
	var res jailconf.Result
	err := p.rec.Do(ctx, activityOf(p.server, jail, core.ActionPermanentEdit, args...), func(ctx context.Context) (string, error) {
		var err error
		res, err = p.ed.Apply(ctx, jail, changes)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("written to %s and reloaded", res.Path), nil
	})
	return res, err
}

// Read returns what BanGUI's file holds for jail; reads are not recorded.
func (p *Permanent) Read(ctx context.Context, jail string) (map[string]string, error) {
	return p.ed.Read(ctx, jail)
}

// ReloadJail checks the configuration and reloads one jail
// (ActionReloadJail).
func (p *Permanent) ReloadJail(ctx context.Context, jail string) (jailconf.Output, error) {
	var out jailconf.Output
	err := p.rec.Do(ctx, activityOf(p.server, jail, core.ActionReloadJail), func(ctx context.Context) (string, error) {
		var err error
		out, err = p.ed.ReloadJail(ctx, jail)
		return firstLine(out.Reload), err
	})
	return out, err
}

// ReloadServer checks the configuration and reloads every jail
// (ActionReloadServer).
func (p *Permanent) ReloadServer(ctx context.Context) (jailconf.Output, error) {
	var out jailconf.Output
	err := p.rec.Do(ctx, activityOf(p.server, "", core.ActionReloadServer), func(ctx context.Context) (string, error) {
		var err error
		out, err = p.ed.ReloadServer(ctx)
		return firstLine(out.Reload), err
	})
	return out, err
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if s == "" {
		return "reloaded"
	}
	return s
}
