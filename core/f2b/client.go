package f2b

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/bangui/bangui/core"
)

// Defaults for Config's zero values.
const (
	DefaultTimeout   = 10 * time.Second
	DefaultMaxReply  = 16 << 20 // 16 MiB: 65k bans with times are about 4 MB
	DefaultBatchSize = 250
	// DefaultPerIP is the extra time a batched ban or unban gets per
	// address. The server runs the ban action for each address before it
	// answers: about 3.5 ms with a cheap Python action, 25-110 ms when the
	// action forks a shell (measured with our tests' file action at load 1
	// to 7 on 2 cores; docs/PERFORMANCE.md). A slow answer is not a dead
	// server, hence the margin: a batch of 250 may take 60 s before it
	// counts as lost. The user can cancel sooner through the context.
	DefaultPerIP = 200 * time.Millisecond
)

// Config tunes a Client. The zero value is usable.
type Config struct {
	// Timeout bounds a simple call when the context has no earlier deadline.
	Timeout time.Duration
	// MaxReply caps the size of one reply in bytes.
	MaxReply int64
	// BatchSize is the most IPs sent in one banip/unbanip command.
	BatchSize int
	// PerIP is added to Timeout for each IP of a batch.
	PerIP time.Duration
	// Location is the time zone of the server's clock, used to read the
	// local-time strings of `banip --with-time`. Default time.Local, right
	// for a local server.
	Location *time.Location
}

func (c Config) withDefaults() Config {
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxReply <= 0 {
		c.MaxReply = DefaultMaxReply
	}
	if c.BatchSize <= 0 {
		c.BatchSize = DefaultBatchSize
	}
	if c.PerIP <= 0 {
		c.PerIP = DefaultPerIP
	}
	if c.Location == nil {
		c.Location = time.Local
	}
	return c
}

// Client talks to one fail2ban server. It is safe for concurrent use; calls
// are serialised on one connection, because the server answers in order and
// runs commands one at a time anyway.
type Client struct {
	dialer core.Dialer
	cfg    Config

	mu      sync.Mutex // held for a whole request/reply exchange
	conn    net.Conn
	br      *bufio.Reader
	cr      *capReader
	version *core.Version   // cached per connection
	idle    map[string]bool // jails this client set idle; reset on re-dial
	closed  bool
}

// New returns a client that dials with d. No connection is made until the
// first call.
func New(d core.Dialer, cfg Config) *Client {
	return &Client{dialer: d, cfg: cfg.withDefaults()}
}

// Close closes the connection, telling the server first. Calls after Close
// fail.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	if c.conn == nil {
		return nil
	}
	_ = c.conn.SetWriteDeadline(time.Now().Add(time.Second))
	_, _ = c.conn.Write([]byte(closeMarker + endMarker))
	err := c.conn.Close()
	c.dropLocked()
	return err
}

func (c *Client) dropLocked() {
	if c.conn != nil {
		_ = c.conn.Close()
	}
	c.conn, c.br, c.cr, c.version = nil, nil, nil, nil
}

func (c *Client) idleOf(jail string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.idle[jail]
}

var errClosed = core.Errorf(core.EINTERNAL, "the fail2ban client was closed")

// call sends args and returns the payload of a successful reply. extra is
// added to the configured timeout (for batches).
func (c *Client) call(ctx context.Context, extra time.Duration, args ...string) (any, error) {
	req, err := encodeRequest(args)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	v, err := c.exchangeLocked(ctx, extra, req)
	if err != nil {
		return nil, userError(args, err)
	}
	res, err := decodeResult(v)
	if err != nil {
		var pe *ProtocolError
		if errors.As(err, &pe) {
			// A bare "ERROR: ..." means the server could not read our
			// request; its stream may be out of step, so start afresh.
			c.dropLocked()
		}
		return nil, userError(args, err)
	}
	return res, nil
}

// exchangeLocked writes req and reads one reply, dialling first when there
// is no connection. A reused connection that turns out to be dead before
// any reply byte arrives (the server restarted) is re-dialled once.
func (c *Client) exchangeLocked(ctx context.Context, extra time.Duration, req []byte) (any, error) {
	if c.closed {
		return nil, errClosed
	}
	for attempt := 0; ; attempt++ {
		fresh := false
		if c.conn == nil {
			if err := c.dialLocked(ctx); err != nil {
				return nil, &notSentError{err}
			}
			fresh = true
		}
		v, sent, err := c.roundTripLocked(ctx, extra, req)
		if err == nil {
			return v, nil
		}
		c.dropLocked()
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		if fresh || attempt > 0 || sent || !isBrokenConn(err) {
			return nil, err
		}
	}
}

func (c *Client) dialLocked(ctx context.Context) error {
	dctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	conn, err := c.dialer.DialF2B(dctx)
	if err != nil {
		return err
	}
	c.conn = conn
	c.idle = nil // a new connection may be a restarted server: idle is off there
	c.cr = &capReader{r: conn}
	c.br = bufio.NewReaderSize(c.cr, 64<<10)
	return nil
}

// notSentError marks a failure before the request left: the dial failed,
// so the server cannot be running the command.
type notSentError struct{ err error }

func (e *notSentError) Error() string { return e.err.Error() }
func (e *notSentError) Unwrap() error { return e.err }

// roundTripLocked does one exchange. sent reports whether any reply byte
// came back, after which retrying could run the command twice.
func (c *Client) roundTripLocked(ctx context.Context, extra time.Duration, req []byte) (v any, sent bool, err error) {
	deadline := time.Now().Add(c.cfg.Timeout + extra)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := c.conn.SetDeadline(deadline); err != nil {
		return nil, false, err
	}
	// Cancelling ctx interrupts a blocked read or write at once. The
	// callback may still run after this call returned, so it holds its own
	// copy of the connection (a closed one ignores it).
	conn := c.conn
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	if _, err := c.conn.Write(req); err != nil {
		return nil, false, err
	}
	c.cr.budget = c.cfg.MaxReply
	if _, err := c.br.Peek(1); err != nil {
		return nil, false, err
	}
	v, err = readReply(c.br)
	if err != nil {
		var ne net.Error
		if !errors.As(err, &ne) && !errors.Is(err, errReplyTooLarge) && !errors.Is(err, io.ErrUnexpectedEOF) {
			err = &ProtocolError{Msg: err.Error()}
		}
		return nil, true, err
	}
	return v, true, nil
}

// isBrokenConn reports errors of a connection the peer has closed.
func isBrokenConn(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, net.ErrClosed)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) ||
		(errors.As(err, &ne) && ne.Timeout())
}

// Raw sends any command and returns the payload as text, for diagnostics
// and tests. The arguments are checked for markers like every other call.
func (c *Client) Raw(ctx context.Context, args ...string) (string, error) {
	v, err := c.call(ctx, 0, args...)
	if err != nil {
		return "", err
	}
	return fmt.Sprint(v), nil
}
