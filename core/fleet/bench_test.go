package fleet_test

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/f2b"
	"github.com/bangui/bangui/core/f2b/f2btest"
	"github.com/bangui/bangui/core/fleet"
)

// BenchmarkPoll10 polls ten real fail2ban servers once, end to end: fresh
// clients, so every check dials, pings, reads the version and every jail's
// status (5 requests). Target: under 1 s with the default limit.
// "sequential" (Limit 1) gives the ratio. On local sockets each request is
// a little CPU work in each Python server, so on a 2-core machine
// concurrency gains nothing; the rtt20ms variants add 20 ms before each
// request (a simulated remote server), where it does. Run once:
//
//	go test -tags migrated_fynedo -run XXX -bench . -benchtime 1x ./core/fleet/
func BenchmarkPoll10(b *testing.B) {
	var servers []core.Server
	for i := range 10 {
		s := f2btest.Start(b, f2btest.Options{})
		s.Client(b, "set", "app1", "banip", fmt.Sprintf("192.0.2.%d", i+1))
		servers = append(servers, core.Server{ID: int64(i + 1), Name: fmt.Sprintf("f2b%d", i), Socket: s.Socket})
	}
	// One poll first: a server's first status requests cost more than
	// the next ones (Python's lazy imports and caches).
	warm := &fleet.Poller{Client: func(s core.Server) fleet.Prober {
		c := f2b.New(f2b.UnixDialer{Path: s.Socket}, f2b.Config{})
		b.Cleanup(func() { c.Close() })
		return c
	}}
	if _, err := warm.Poll(context.Background(), servers, nil); err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name  string
		limit int
		rtt   time.Duration
	}{
		{"limit8", 0, 0}, // the default
		{"limit10", 10, 0},
		{"sequential", 1, 0},
		{"rtt20ms/limit8", 0, 20 * time.Millisecond},
		{"rtt20ms/sequential", 1, 20 * time.Millisecond},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			for range b.N {
				b.StopTimer()
				clients := map[int64]*f2b.Client{}
				for _, s := range servers {
					var d core.Dialer = f2b.UnixDialer{Path: s.Socket}
					if bc.rtt > 0 {
						d = slowDialer{inner: d, rtt: bc.rtt}
					}
					clients[s.ID] = f2b.New(d, f2b.Config{})
				}
				p := &fleet.Poller{Limit: bc.limit, Client: func(s core.Server) fleet.Prober { return clients[s.ID] }}
				b.StartTimer()
				got, err := p.Poll(ctx, servers, nil)
				b.StopTimer()
				if err != nil {
					b.Fatal(err)
				}
				for _, st := range got {
					if !st.Online || st.Err != nil || st.Banned != 1 || st.Jails != 2 {
						b.Fatalf("%s: %+v", st.Server.Name, st)
					}
				}
				for _, c := range clients {
					c.Close()
				}
				b.StartTimer()
			}
		})
	}
}

// slowDialer's connections wait rtt before each write, like a server far
// away.
type slowDialer struct {
	inner core.Dialer
	rtt   time.Duration
}

func (d slowDialer) DialF2B(ctx context.Context) (net.Conn, error) {
	c, err := d.inner.DialF2B(ctx)
	if err != nil {
		return nil, err
	}
	return slowConn{Conn: c, rtt: d.rtt}, nil
}

type slowConn struct {
	net.Conn
	rtt time.Duration
}

func (c slowConn) Write(p []byte) (int, error) {
	time.Sleep(c.rtt)
	return c.Conn.Write(p)
}
