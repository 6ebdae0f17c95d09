package core

import (
	"context"
	"net"
)

// Dialer opens a connection to a fail2ban server's command socket, local or
// remote. Implementations must honour ctx for the whole dial and must be safe
// for concurrent use. The returned error should say what the user can do
// about it (see DialError).
type Dialer interface {
	DialF2B(ctx context.Context) (net.Conn, error)
}

// DialerFunc adapts a function to Dialer.
type DialerFunc func(ctx context.Context) (net.Conn, error)

// DialF2B calls f(ctx).
func (f DialerFunc) DialF2B(ctx context.Context) (net.Conn, error) { return f(ctx) }
