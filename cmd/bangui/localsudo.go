package main

import (
	"context"
	"net"
	"os"
	"sync/atomic"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/f2b"
	"github.com/bangui/bangui/remote"
)

// localDialer reaches this machine's fail2ban at socket: directly, or,
// when BanGUI does not run as root and the socket is root-only, through
// the sudo relay (remote.LocalSudoRelay), whose refusal says which sudoers
// line would allow it.
func localDialer(socket string) core.Dialer {
	if socket == "" {
		socket = f2b.DefaultSocket
	}
	return &sudoFallback{direct: f2b.UnixDialer{Path: socket}, relay: remote.LocalSudoRelay{Socket: socket}, root: os.Geteuid() == 0}
}

// sudoFallback dials directly, and through the relay after a direct dial
// was refused for want of rights (remembered: later dials go straight to
// the relay).
type sudoFallback struct {
	direct, relay core.Dialer
	root          bool
	useRelay      atomic.Bool
}

func (d *sudoFallback) DialF2B(ctx context.Context) (net.Conn, error) {
	if d.useRelay.Load() {
		return d.relay.DialF2B(ctx)
	}
	conn, err := d.direct.DialF2B(ctx)
	if err == nil || d.root || core.ErrorCode(err) != core.EPERMISSION {
		return conn, err
	}
	d.useRelay.Store(true)
	return d.relay.DialF2B(ctx)
}
