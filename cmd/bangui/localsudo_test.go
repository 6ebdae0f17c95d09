package main

import (
	"context"
	"net"
	"testing"

	"github.com/bangui/bangui/core"
)

// countDialer counts dials and answers with err, or one end of a pipe.
type countDialer struct {
	n   int
	err error
}

func (c *countDialer) DialF2B(context.Context) (net.Conn, error) {
	c.n++
	if c.err != nil {
		return nil, c.err
	}
	a, b := net.Pipe()
	b.Close()
	return a, nil
}

func TestSudoFallback(t *testing.T) {
	ctx := context.Background()
	denied := core.Errorf(core.EPERMISSION, "permission denied")

	// Not root, socket root-only: the relay, and from then on only it.
	direct, relay := &countDialer{err: denied}, &countDialer{}
	d := &sudoFallback{direct: direct, relay: relay}
	for range 3 {
		c, err := d.DialF2B(ctx)
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
	}
	if direct.n != 1 || relay.n != 3 {
		t.Errorf("direct %d, relay %d dials; want 1, 3", direct.n, relay.n)
	}

	// Root: a refusal is reported, never worked around.
	direct, relay = &countDialer{err: denied}, &countDialer{}
	d = &sudoFallback{direct: direct, relay: relay, root: true}
	if _, err := d.DialF2B(ctx); core.ErrorCode(err) != core.EPERMISSION || relay.n != 0 {
		t.Errorf("root: %v, relay dials %d", err, relay.n)
	}

	// Other failures (fail2ban not running) are not a reason for sudo.
	down := core.Errorf(core.EUNAVAILABLE, "no socket")
	direct, relay = &countDialer{err: down}, &countDialer{}
	d = &sudoFallback{direct: direct, relay: relay}
	if _, err := d.DialF2B(ctx); core.ErrorCode(err) != core.EUNAVAILABLE || relay.n != 0 {
		t.Errorf("down: %v, relay dials %d", err, relay.n)
	}
}
