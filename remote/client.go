package remote

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/bangui/bangui/core"
)

// Defaults for DialOptions' zero values.
const (
	DefaultConnectTimeout = 15 * time.Second
	DefaultKeepAlive      = 30 * time.Second
	DefaultKeepAliveMax   = 3
)

// DialOptions tunes Dial. The zero value works with ssh-agent and
// ~/.ssh keys, but refuses unknown hosts (no AskHostKey).
type DialOptions struct {
	// AskHostKey is asked about a host whose key is not in known_hosts.
	// nil refuses unknown hosts. A changed key is always refused.
	AskHostKey AskHostKeyFunc
	// AskPassphrase is asked for the passphrase of an encrypted key, at
	// most 3 times per key and dial.
	AskPassphrase AskPassphraseFunc
	// AskPassword, when set, allows password and keyboard-interactive
	// logins (after the keys, if any): it is asked for the password, at
	// most 3 times per dial. nil = keys only.
	AskPassword AskPasswordFunc
	// Passphrases keeps typed passphrases (and passwords) in memory across
	// reconnects; nil = a fresh cache per Dial.
	Passphrases *Passphrases
	// AgentSocket is the ssh-agent socket; "" = $SSH_AUTH_SOCK, "none" =
	// no agent.
	AgentSocket string
	// HomeDir is where default keys (~/.ssh/id_*) are looked for; "" =
	// the user's home.
	HomeDir string
	// Signers are tried before the agent's and the files' keys.
	Signers []ssh.Signer
	// ConnectTimeout bounds the TCP connect and SSH handshake of each hop;
	// 0 = the config's ConnectTimeout, else DefaultConnectTimeout.
	ConnectTimeout time.Duration
	// KeepAlive is the interval of keepalive@openssh.com requests; 0 = the
	// config's ServerAliveInterval, else DefaultKeepAlive; < 0 = none.
	// After KeepAliveMax unanswered intervals the client counts as dead.
	KeepAlive    time.Duration
	KeepAliveMax int
}

// Client is a live SSH connection to a target, possibly through jump
// hosts. It is safe for concurrent use.
type Client struct {
	ssh      *ssh.Client
	hops     []*ssh.Client // jump hosts, first to last; closed with the client
	target   Target
	warnings []string
	dialTime time.Duration

	dead    chan struct{}
	once    sync.Once
	deadErr error
}

// SSH returns the underlying x/crypto client.
func (c *Client) SSH() *ssh.Client { return c.ssh }

// Target returns what the client is connected to.
func (c *Client) Target() Target { return c.target }

// Warnings lists what was ignored while connecting (config options, key
// files).
func (c *Client) Warnings() []string { return append([]string(nil), c.warnings...) }

// DialTime is how long Dial took.
func (c *Client) DialTime() time.Duration { return c.dialTime }

// Done is closed when the connection is dead or closed.
func (c *Client) Done() <-chan struct{} { return c.dead }

// Alive reports whether the connection still works as far as we know.
func (c *Client) Alive() bool {
	select {
	case <-c.dead:
		return false
	default:
		return true
	}
}

// Err is why the client died, nil while alive.
func (c *Client) Err() error {
	select {
	case <-c.dead:
		return c.deadErr
	default:
		return nil
	}
}

func (c *Client) markDead(err error) {
	c.once.Do(func() {
		c.deadErr = err
		close(c.dead)
		_ = c.ssh.Close()
		for i := len(c.hops) - 1; i >= 0; i-- {
			_ = c.hops[i].Close()
		}
	})
}

// Close closes the connection and its jump hosts.
func (c *Client) Close() error {
	c.markDead(core.Errorf(core.EUNAVAILABLE, "the SSH connection to %s was closed", c.target.Addr()))
	return nil
}

// SSHClient returns c while it is alive, else the error it died of. It
// makes *Client a ClientSource that never reconnects.
func (c *Client) SSHClient(ctx context.Context) (*Client, error) {
	if err := c.Err(); err != nil {
		return nil, err
	}
	return c, nil
}

// Output runs cmd in a session and returns its standard output and error.
// A non-zero exit is returned as *ssh.ExitError. ctx ends the session.
func (c *Client) Output(ctx context.Context, cmd string) (stdout, stderr []byte, err error) {
	sess, err := c.newSession(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer sess.Close()
	var o, e bytes.Buffer
	sess.Stdout, sess.Stderr = &o, &e
	if err := sess.Start(cmd); err != nil {
		return nil, nil, core.Wrap(err, core.EUNAVAILABLE, fmt.Sprintf("cannot start a command on %s", c.target.Addr()))
	}
	done := make(chan error, 1)
	go func() { done <- sess.Wait() }()
	select {
	case err = <-done:
		return o.Bytes(), e.Bytes(), err
	case <-ctx.Done():
		// Closing the session does not end a remote command that ignores
		// it; do not wait for one (Wait returns when it ends).
		_ = sess.Signal(ssh.SIGTERM)
		sess.Close()
		return nil, nil, core.Wrap(ctx.Err(), core.ECANCELED, "the remote command was cancelled")
	}
}

// piped is a started remote command with its standard streams.
type piped struct {
	sess   *ssh.Session
	stdin  io.WriteCloser
	stdout io.Reader
	stderr *capBuffer // its first 4 KiB
}

// startPiped starts cmd in a new session with pipes on its input and
// output; what names it in errors ("the socat relay").
func (c *Client) startPiped(ctx context.Context, cmd, what string) (*piped, error) {
	sess, err := c.newSession(ctx)
	if err != nil {
		return nil, err
	}
	p := &piped{sess: sess, stderr: &capBuffer{max: 4096}}
	if p.stdin, err = sess.StdinPipe(); err == nil {
		p.stdout, err = sess.StdoutPipe()
	}
	if err != nil {
		sess.Close()
		return nil, core.Wrap(err, core.EINTERNAL, "cannot set up the session of "+what)
	}
	sess.Stderr = p.stderr
	if err := sess.Start(cmd); err != nil {
		sess.Close()
		return nil, core.Wrap(err, core.EUNAVAILABLE, fmt.Sprintf("cannot start %s on %s", what, c.target.Addr()))
	}
	return p, nil
}

func (c *Client) newSession(ctx context.Context) (*ssh.Session, error) {
	if err := c.Err(); err != nil {
		return nil, err
	}
	type res struct {
		s   *ssh.Session
		err error
	}
	ch := make(chan res, 1)
	go func() {
		s, err := c.ssh.NewSession()
		ch <- res{s, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			return nil, core.Wrap(r.err, core.EUNAVAILABLE, fmt.Sprintf("cannot open a session on %s", c.target.Addr()))
		}
		return r.s, nil
	case <-ctx.Done():
		go func() {
			if r := <-ch; r.s != nil {
				r.s.Close()
			}
		}()
		return nil, core.Wrap(ctx.Err(), core.ECANCELED, "opening an SSH session was cancelled")
	}
}

// Dial connects to t, through its ProxyJump hosts, checks host keys and
// authenticates. ctx cancels the whole dial.
func Dial(ctx context.Context, t Target, opts DialOptions) (*Client, error) {
	start := time.Now()
	if opts.Passphrases == nil {
		opts.Passphrases = &Passphrases{}
	}
	c := &Client{target: t, dead: make(chan struct{}), warnings: append([]string(nil), t.Warnings...)}
	hops, err := flattenHops(t)
	if err != nil {
		return nil, err
	}
	var prev *ssh.Client
	closeAll := func() {
		for i := len(c.hops) - 1; i >= 0; i-- {
			c.hops[i].Close()
		}
	}
	for i, h := range hops {
		cl, warns, err := dialHop(ctx, h, prev, &opts)
		c.warnings = append(c.warnings, warns...)
		if err != nil {
			closeAll()
			if i < len(hops)-1 {
				return nil, addContext(err, fmt.Sprintf("jump host %s", h.Addr()))
			}
			return nil, err
		}
		if i < len(hops)-1 {
			c.hops = append(c.hops, cl)
		} else {
			c.ssh = cl
		}
		prev = cl
	}
	c.dialTime = time.Since(start)
	go func() {
		err := c.ssh.Wait()
		c.markDead(core.Wrap(errOrEOF(err), core.EUNAVAILABLE, fmt.Sprintf("the SSH connection to %s was lost", t.Addr())))
	}()
	ka := opts.KeepAlive
	if ka == 0 {
		ka = t.ServerAliveInterval
	}
	if ka == 0 {
		ka = DefaultKeepAlive
	}
	if ka > 0 {
		max := opts.KeepAliveMax
		if max <= 0 {
			max = DefaultKeepAliveMax
		}
		go c.keepAlive(ka, max)
	}
	return c, nil
}

func errOrEOF(err error) error {
	if err == nil {
		return io.EOF
	}
	return err
}

func addContext(err error, where string) error {
	var ce *core.Error
	if errors.As(err, &ce) {
		return &core.Error{Code: ce.Code, Message: where + ": " + ce.Message, Err: ce.Err}
	}
	return core.Wrap(err, core.EUNAVAILABLE, where)
}

// flattenHops lists the hosts to connect to in order. A first hop with its
// own ProxyJump goes through those first (as ssh -J does); later hops'
// own ProxyJump settings are not used.
func flattenHops(t Target) ([]Target, error) {
	var out []Target
	if len(t.ProxyJump) > 0 {
		first, err := flattenHops(t.ProxyJump[0])
		if err != nil {
			return nil, err
		}
		out = append(out, first...)
		out = append(out, t.ProxyJump[1:]...)
	}
	if len(out) > 10 {
		return nil, core.Errorf(core.EINVALID, "too many ProxyJump hops to reach %s", t.Alias)
	}
	return append(out, t), nil
}

// dialHop connects to h directly (prev == nil) or through prev.
func dialHop(ctx context.Context, h Target, prev *ssh.Client, o *DialOptions) (*ssh.Client, []string, error) {
	timeout := o.ConnectTimeout
	if timeout == 0 {
		timeout = h.ConnectTimeout
	}
	if timeout == 0 {
		timeout = DefaultConnectTimeout
	}
	addr := h.Addr()
	hk, err := loadHostKeys(h, addr)
	if err != nil {
		return nil, nil, err
	}
	auth, err := setupAuth(ctx, h, o)
	if err != nil {
		return nil, nil, err
	}
	defer auth.Close()

	dctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var conn net.Conn
	if prev == nil {
		conn, err = (&net.Dialer{}).DialContext(dctx, "tcp", addr)
	} else {
		conn, err = prev.DialContext(dctx, "tcp", addr)
	}
	if err != nil {
		return nil, auth.warnings, connectError(ctx, addr, timeout, err)
	}
	// The handshake deadline is lifted while the user is asked something.
	deadline := func() { _ = conn.SetDeadline(time.Now().Add(timeout)) }
	deadline()
	ask := o.AskHostKey
	if ask != nil {
		ask = func(ctx context.Context, host string, key ssh.PublicKey, fp string) (bool, error) {
			_ = conn.SetDeadline(time.Time{})
			defer deadline()
			return o.AskHostKey(ctx, host, key, fp)
		}
	}
	if o.AskPassphrase != nil {
		ho := *o
		ho.AskPassphrase = func(ctx context.Context, path string) (string, error) {
			_ = conn.SetDeadline(time.Time{})
			defer deadline()
			return o.AskPassphrase(ctx, path)
		}
		for _, s := range auth.signers {
			if ls, ok := s.(*lazySigner); ok {
				ls.o = &ho
			}
		}
	}
	var methods []ssh.AuthMethod
	if len(auth.signers) > 0 {
		methods = append(methods, ssh.PublicKeys(auth.signers...))
	}
	methods = append(methods, passwordAuth(ctx, h, o, auth, func() { _ = conn.SetDeadline(time.Time{}) }, deadline)...)
	cfg := &ssh.ClientConfig{
		User:              h.User,
		Auth:              methods,
		HostKeyCallback:   hk.callback(ctx, ask),
		HostKeyAlgorithms: hk.algos,
		Timeout:           timeout,
	}
	// The handshake has no context: closing the connection ends it. (x/crypto
	// also closes it itself after a failed write, so net.ErrClosed with a
	// live ctx counts as a reset.)
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	hsStart := time.Now()
	cc, chans, reqs, err := ssh.NewClientConn(conn, addr, cfg)
	if err != nil {
		conn.Close()
		return nil, auth.warnings, handshakeError(ctx, h, hk, auth, time.Since(hsStart), err)
	}
	_ = conn.SetDeadline(time.Time{})
	return ssh.NewClient(cc, chans, reqs), auth.warnings, nil
}

func connectError(ctx context.Context, addr string, timeout time.Duration, err error) error {
	var dnsErr *net.DNSError
	switch {
	case ctx.Err() != nil:
		return core.Wrap(ctx.Err(), core.ECANCELED, fmt.Sprintf("connecting to %s was cancelled", addr))
	case errors.Is(err, context.DeadlineExceeded) || os.IsTimeout(err):
		return core.Wrap(err, core.EUNAVAILABLE, fmt.Sprintf("no answer from %s within %s: is the host up and the port right? A firewall may drop the packets", addr, timeout))
	case errors.Is(err, syscall.ECONNREFUSED):
		return core.Wrap(err, core.EUNAVAILABLE, fmt.Sprintf("nothing listens on %s: is sshd running, and is the port right?", addr))
	case errors.As(err, &dnsErr):
		return core.Wrap(err, core.EUNAVAILABLE, fmt.Sprintf("cannot find the host %s: check the name (or the HostName in ~/.ssh/config)", addr))
	case errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH):
		return core.Wrap(err, core.EUNAVAILABLE, fmt.Sprintf("no route to %s: check the network", addr))
	}
	return core.Wrap(err, core.EUNAVAILABLE, fmt.Sprintf("cannot connect to %s", addr))
}

func handshakeError(ctx context.Context, h Target, hk *hostKeys, auth *authSetup, took time.Duration, err error) error {
	addr := h.Addr()
	if ctx.Err() != nil {
		return core.Wrap(ctx.Err(), core.ECANCELED, fmt.Sprintf("connecting to %s was cancelled", addr))
	}
	var ce *core.Error
	if hk.err != nil && errors.As(hk.err, &ce) {
		return hk.err
	}
	if aerr := auth.firstErr(); aerr != nil {
		return aerr
	}
	if errors.As(err, &ce) {
		return err
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "unable to authenticate") && auth.passwords > 0:
		return core.Wrap(err, core.EPERMISSION, fmt.Sprintf("%s@%s refused the password (%d tried): check it, and the user name", h.User, addr, auth.passwords))
	case strings.Contains(msg, "unable to authenticate") && len(auth.signers) == 0:
		return core.Wrap(err, core.EPERMISSION, fmt.Sprintf("%s@%s refused the login: check the password and the user name (the server may also not allow passwords: PasswordAuthentication in its sshd_config)", h.User, addr))
	case strings.Contains(msg, "unable to authenticate"):
		var keys []string
		for _, s := range auth.signers {
			keys = append(keys, s.PublicKey().Type()+" "+ssh.FingerprintSHA256(s.PublicKey()))
		}
		return core.Wrap(err, core.EPERMISSION, fmt.Sprintf("%s@%s refused our keys (%s): add your public key to ~%s/.ssh/authorized_keys there (ssh-copy-id), or check the user name",
			h.User, addr, strings.Join(keys, ", "), h.User))
	case strings.Contains(msg, "no common algorithm for host key"):
		return core.Wrap(err, core.EPERMISSION, fmt.Sprintf("WARNING: %s no longer offers the host key types known_hosts holds for it (%s). Its keys changed: this can mean that someone intercepts the connection. If the server was reinstalled, check the new key with its administrator and remove its old lines from %s",
			hk.hostName, strings.Join(hk.algos, ", "), strings.Join(hk.files, ", ")))
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(msg, "connection reset"):
		return core.Wrap(err, core.EUNAVAILABLE, fmt.Sprintf("the connection to %s was reset during the SSH handshake: the server may block your address (fail2ban itself, a firewall), refuse this user (AllowUsers), or be limiting new connections (MaxStartups). Wait and try again, or check its auth log", addr))
	case os.IsTimeout(err) || errors.Is(err, os.ErrDeadlineExceeded):
		return core.Wrap(err, core.EUNAVAILABLE, fmt.Sprintf("%s accepted the connection but the SSH handshake did not finish in %s: is it an SSH server?", addr, took.Round(time.Second)))
	}
	return core.Wrap(err, core.EUNAVAILABLE, fmt.Sprintf("the SSH handshake with %s failed", addr))
}

// keepAlive sends keepalive@openssh.com every interval; when no reply came
// for max intervals, the client is marked dead and closed.
func (c *Client) keepAlive(interval time.Duration, max int) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-c.dead:
			return
		case <-tick.C:
		}
		reply := make(chan error, 1)
		go func() {
			_, _, err := c.ssh.SendRequest("keepalive@openssh.com", true, nil)
			reply <- err
		}()
		select {
		case <-c.dead:
			return
		case err := <-reply:
			if err != nil {
				c.markDead(core.Wrap(err, core.EUNAVAILABLE, fmt.Sprintf("the SSH connection to %s stopped answering", c.target.Addr())))
				return
			}
		case <-time.After(time.Duration(max) * interval):
			c.markDead(core.Errorf(core.EUNAVAILABLE, "the SSH connection to %s stopped answering (no keep-alive reply for %s)", c.target.Addr(), time.Duration(max)*interval))
			return
		}
	}
}
