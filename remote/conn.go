package remote

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"time"
)

// sshAddr is the address of a remote stream, for net.Conn.
type sshAddr string

func (a sshAddr) Network() string { return "ssh" }
func (a sshAddr) String() string  { return string(a) }

// streamConn turns a reader and a writer (an SSH channel, or a session's
// stdout and stdin) into a net.Conn with working deadlines: SSH channels
// have none. A goroutine reads ahead one chunk at a time.
type streamConn struct {
	w       io.Writer
	closeFn func() error
	addr    net.Addr
	check   func(first []byte) error // first chunk test (nil = none)
	onEOF   func() error             // turns EOF into a better error (nil = EOF)

	chunks chan chunk
	closed chan struct{}
	once   sync.Once
	rd, wd deadline

	readMu  sync.Mutex
	pending []byte
	rerr    error
	checked bool

	writeMu sync.Mutex
}

type chunk struct {
	b   []byte
	err error
}

func newStreamConn(r io.Reader, w io.Writer, closeFn func() error, addr net.Addr, check func([]byte) error, onEOF func() error) *streamConn {
	c := &streamConn{
		w: w, closeFn: closeFn, addr: addr, check: check, onEOF: onEOF,
		chunks: make(chan chunk),
		closed: make(chan struct{}),
		rd:     makeDeadline(),
		wd:     makeDeadline(),
	}
	go c.readLoop(r)
	return c
}

func (c *streamConn) readLoop(r io.Reader) {
	for {
		buf := make([]byte, 32<<10)
		n, err := r.Read(buf)
		if n > 0 || err != nil {
			select {
			case c.chunks <- chunk{buf[:n], err}:
			case <-c.closed:
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (c *streamConn) Read(p []byte) (int, error) {
	c.readMu.Lock()
	defer c.readMu.Unlock()
	if len(c.pending) > 0 {
		n := copy(p, c.pending)
		c.pending = c.pending[n:]
		return n, nil
	}
	if c.rerr != nil {
		return 0, c.rerr
	}
	select {
	case <-c.closed:
		return 0, net.ErrClosed
	default:
	}
	select {
	case ch := <-c.chunks:
		if len(ch.b) > 0 && !c.checked {
			c.checked = true
			if c.check != nil {
				if err := c.check(ch.b); err != nil {
					c.rerr = err
					return 0, err
				}
			}
		}
		n := copy(p, ch.b)
		c.pending = ch.b[n:]
		if ch.err != nil {
			err := ch.err
			if errors.Is(err, io.EOF) && c.onEOF != nil {
				err = c.onEOF()
			}
			c.rerr = err
			if n == 0 {
				return 0, err
			}
		}
		return n, nil
	case <-c.rd.wait():
		return 0, os.ErrDeadlineExceeded
	case <-c.closed:
		return 0, net.ErrClosed
	}
}

func (c *streamConn) Write(p []byte) (int, error) {
	select {
	case <-c.closed:
		return 0, net.ErrClosed
	case <-c.wd.wait():
		return 0, os.ErrDeadlineExceeded
	default:
	}
	type res struct {
		n   int
		err error
	}
	done := make(chan res, 1)
	go func() {
		c.writeMu.Lock()
		defer c.writeMu.Unlock()
		n, err := c.w.Write(p)
		done <- res{n, err}
	}()
	select {
	case r := <-done:
		return r.n, r.err
	case <-c.wd.wait():
		return 0, os.ErrDeadlineExceeded
	case <-c.closed:
		return 0, net.ErrClosed
	}
}

func (c *streamConn) Close() error {
	err := net.ErrClosed
	c.once.Do(func() {
		close(c.closed)
		err = c.closeFn()
	})
	return err
}

func (c *streamConn) LocalAddr() net.Addr  { return sshAddr("local") }
func (c *streamConn) RemoteAddr() net.Addr { return c.addr }

func (c *streamConn) SetDeadline(t time.Time) error {
	c.rd.set(t)
	c.wd.set(t)
	return nil
}
func (c *streamConn) SetReadDeadline(t time.Time) error  { c.rd.set(t); return nil }
func (c *streamConn) SetWriteDeadline(t time.Time) error { c.wd.set(t); return nil }

// deadline is a channel closed when the time passes (as in net.Pipe).
type deadline struct {
	mu     *sync.Mutex
	timer  *time.Timer
	cancel chan struct{}
}

func makeDeadline() deadline { return deadline{mu: &sync.Mutex{}, cancel: make(chan struct{})} }

func (d *deadline) set(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.timer != nil && !d.timer.Stop() {
		<-d.cancel // the timer fired: wait until it closed cancel
	}
	d.timer = nil
	closed := isClosed(d.cancel)
	if t.IsZero() {
		if closed {
			d.cancel = make(chan struct{})
		}
		return
	}
	if dur := time.Until(t); dur > 0 {
		if closed {
			d.cancel = make(chan struct{})
		}
		cancel := d.cancel
		d.timer = time.AfterFunc(dur, func() { close(cancel) })
		return
	}
	if !closed {
		close(d.cancel)
	}
}

func (d *deadline) wait() chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cancel
}

func isClosed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
