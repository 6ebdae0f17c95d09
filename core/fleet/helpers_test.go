package fleet_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/activity"
	"github.com/bangui/bangui/core/f2b"
	"github.com/bangui/bangui/core/fleet"
)

// The plain fail2ban client is what the fleet drives.
var (
	_ fleet.Prober   = (*f2b.Client)(nil)
	_ activity.Jails = (*f2b.Client)(nil)
)

// ctxT bounds a stuck test; it is not a speed check.
func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// countingDialer counts dials, to prove that a refused job reaches no
// server.
type countingDialer struct {
	inner core.Dialer
	dials atomic.Int32
}

func (d *countingDialer) DialF2B(ctx context.Context) (net.Conn, error) {
	d.dials.Add(1)
	return d.inner.DialF2B(ctx)
}

// newClient returns a client on a socket, closed when the test ends.
func newClient(t testing.TB, d core.Dialer) *f2b.Client {
	c := f2b.New(d, f2b.Config{})
	t.Cleanup(func() { c.Close() })
	return c
}

// hungSocket listens on a unix socket that accepts connections and never
// answers, like a hung fail2ban. It returns the socket's path.
func hungSocket(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "hung")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "f2b.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		os.RemoveAll(dir)
	})
	return path
}

// code fails the test unless err has the given code and a user message.
func code(t *testing.T, what string, err error, want string) {
	t.Helper()
	if got := core.ErrorCode(err); err == nil || got != want {
		t.Errorf("%s: error %v (code %q); want code %s", what, err, core.ErrorCode(err), want)
		return
	}
	if core.ErrorMessage(err) == "" {
		t.Errorf("%s: error without a user message: %v", what, err)
	}
}
