package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/bangui/bangui/core"
)

// Transport methods, as reported by Auto.Method and accepted as overrides.
const (
	MethodStreamLocal = "streamlocal" // direct-streamlocal@openssh.com channel
	MethodSocat       = "socat"       // sudo -n /usr/bin/socat STDIO UNIX-CONNECT:SOCK
	MethodPython3     = "python3"     // sudo -n /usr/bin/python3 -I -c RELAY SOCK
)

// ClientSource hands out a live SSH client. *Client (never reconnects)
// and *Reconnector implement it.
type ClientSource interface {
	SSHClient(ctx context.Context) (*Client, error)
}

// Reconnector keeps one SSH connection to a target and dials again when the
// last one died. Failed dials of an unreachable host back off (1 s doubling
// to 1 min): a call during the back-off gets the last error at once instead
// of waiting. Concurrent callers wait for a dial in progress (which may
// include a host key or passphrase question).
type Reconnector struct {
	Target  Target
	Options DialOptions

	mu      sync.Mutex
	cur     *Client
	lastErr error
	next    time.Time
	backoff time.Duration
	closed  bool
}

// Back-off bounds of Reconnector.
const (
	MinBackoff = time.Second
	MaxBackoff = time.Minute
)

// NewReconnector returns a Reconnector; it does not dial yet. opts keeps
// its Passphrases across reconnects (one is made if nil).
func NewReconnector(t Target, opts DialOptions) *Reconnector {
	if opts.Passphrases == nil {
		opts.Passphrases = &Passphrases{}
	}
	return &Reconnector{Target: t, Options: opts}
}

// SSHClient returns the live client, dialling when there is none.
func (r *Reconnector) SSHClient(ctx context.Context) (*Client, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, core.Errorf(core.EUNAVAILABLE, "the connection to %s was closed", r.Target.Addr())
	}
	if r.cur != nil && r.cur.Alive() {
		return r.cur, nil
	}
	r.cur = nil
	if now := time.Now(); now.Before(r.next) && r.lastErr != nil {
		var ce *core.Error
		if errors.As(r.lastErr, &ce) {
			return nil, &core.Error{Code: ce.Code, Message: fmt.Sprintf("%s (next try in %s)", ce.Message, r.next.Sub(now).Round(time.Second)), Err: ce.Err}
		}
		return nil, r.lastErr
	}
	c, err := Dial(ctx, r.Target, r.Options)
	if err != nil {
		// Only an unreachable host backs off; a refused key or a
		// cancelled dial may be retried at once.
		if core.ErrorCode(err) == core.EUNAVAILABLE {
			r.backoff = min(max(r.backoff*2, MinBackoff), MaxBackoff)
			r.next = time.Now().Add(r.backoff)
			r.lastErr = err
		}
		return nil, err
	}
	r.cur, r.lastErr, r.backoff, r.next = c, nil, 0, time.Time{}
	return c, nil
}

// Close closes the current connection; later calls fail.
func (r *Reconnector) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	if r.cur != nil {
		return r.cur.Close()
	}
	return nil
}

// socketRE is what a socket path may look like: it goes into a shell line
// and a sudoers rule, so nothing that either would interpret.
var socketRE = regexp.MustCompile(`^/[A-Za-z0-9._/+@-]+$`)

// ValidateSocket refuses socket paths that are not absolute or hold
// whitespace, quotes or shell or sudoers metacharacters.
func ValidateSocket(path string) error {
	if !socketRE.MatchString(path) || strings.Contains(path, "/../") || strings.HasSuffix(path, "/..") || len(path) > 107 {
		return core.Errorf(core.EINVALID, "%q is not a usable socket path: it must be absolute and contain only letters, digits and . _ - + @ / (fail2ban's default is /var/run/fail2ban/fail2ban.sock)", path)
	}
	return nil
}

// StreamLocal opens the socket with a direct-streamlocal@openssh.com
// channel. sshd opens the socket as the login user, so this needs root
// (or a socket opened to the user's group).
type StreamLocal struct {
	SSH    ClientSource
	Socket string
}

var _ core.Dialer = StreamLocal{}

// DialF2B opens the channel.
func (d StreamLocal) DialF2B(ctx context.Context) (net.Conn, error) {
	if err := ValidateSocket(d.Socket); err != nil {
		return nil, err
	}
	c, err := d.SSH.SSHClient(ctx)
	if err != nil {
		return nil, err
	}
	ch, err := c.ssh.DialContext(ctx, "unix", d.Socket)
	if err != nil {
		return nil, streamLocalError(ctx, c.target, d.Socket, err)
	}
	addr := sshAddr("ssh-unix:" + c.target.Addr() + ":" + d.Socket)
	return newStreamConn(ch, ch, ch.Close, addr, nil, nil), nil
}

func streamLocalError(ctx context.Context, t Target, socket string, err error) error {
	var oce *ssh.OpenChannelError
	switch {
	case ctx.Err() != nil:
		return core.Wrap(ctx.Err(), core.ECANCELED, "connecting to fail2ban was cancelled")
	case errors.As(err, &oce) || strings.Contains(err.Error(), "open failed"):
		return core.Wrap(err, core.EPERMISSION, fmt.Sprintf(
			"%s cannot open the fail2ban socket %s on %s over SSH: sshd opens it as %s, and it is root-only "+
				"(or the socket does not exist, or the server has AllowStreamLocalForwarding no). "+
				"Connect as root, or use the sudo relay (socat or python3) with a sudoers rule such as: %s",
			t.User, socket, t.HostName, t.User, SudoersLine(t.User, socket, MethodSocat)))
	}
	return core.Wrap(err, core.EUNAVAILABLE, fmt.Sprintf("cannot open a channel to %s on %s", socket, t.Addr()))
}

// pythonRelay copies stdin to the socket (the last argument) and the socket to
// stdout, and exits when fail2ban closes. It is one line with no quotes,
// brackets or backslashes, so that it fits in a shell line between single
// quotes and in a sudoers rule.
const pythonRelay = `import os,sys,socket,threading;s=socket.socket(socket.AF_UNIX);s.connect(sys.argv.pop());o=sys.stdout.buffer;t=threading.Thread(target=lambda:(list(map(lambda b:(o.write(b),o.flush()),iter(lambda:s.recv(65536),bytes()))),os._exit(0)),daemon=True);t.start();list(map(s.sendall,iter(lambda:os.read(0,65536),bytes())));s.shutdown(socket.SHUT_WR);t.join()`

// RelayCommand is the fixed shell line run for relay and socket. The
// socket must have passed ValidateSocket.
func RelayCommand(relay, socket string) (string, error) {
	if err := ValidateSocket(socket); err != nil {
		return "", err
	}
	switch relay {
	case MethodSocat:
		return "sudo -n /usr/bin/socat STDIO UNIX-CONNECT:" + socket, nil
	case MethodPython3:
		return "sudo -n /usr/bin/python3 -I -c '" + pythonRelay + "' " + socket, nil
	}
	return "", core.Errorf(core.EINVALID, "unknown relay %q: use socat or python3", relay)
}

// sudoersEscape escapes what sudoers treats specially in command arguments.
func sudoersEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `,`, `\,`, `:`, `\:`, `=`, `\=`, `*`, `\*`, `?`, `\?`, `[`, `\[`, `]`, `\]`)
	return r.Replace(s)
}

// SudoersLine is the sudoers rule that lets user run the relay for socket
// (and nothing else) without a password. Whoever may reach fail2ban's
// socket can run commands as root through its actions: the rule is
// root-equivalent.
func SudoersLine(user, socket, relay string) string {
	switch relay {
	case MethodPython3:
		return fmt.Sprintf("%s ALL=(root) NOPASSWD: /usr/bin/python3 -I -c %s %s", user, sudoersEscape(pythonRelay), sudoersEscape(socket))
	default:
		return fmt.Sprintf("%s ALL=(root) NOPASSWD: /usr/bin/socat STDIO UNIX-CONNECT%s", user, sudoersEscape(":"+socket))
	}
}

// SudoRelay runs socat or the python3 relay under `sudo -n` in a session
// and speaks to fail2ban over the session's stdin and stdout.
type SudoRelay struct {
	SSH    ClientSource
	Socket string
	Relay  string // MethodSocat or MethodPython3
}

var _ core.Dialer = SudoRelay{}

// DialF2B starts the relay. Failures of sudo or the relay (from its
// stderr) surface on the first read, as *core.Error.
func (d SudoRelay) DialF2B(ctx context.Context) (net.Conn, error) {
	cmd, err := RelayCommand(d.Relay, d.Socket)
	if err != nil {
		return nil, err
	}
	c, err := d.SSH.SSHClient(ctx)
	if err != nil {
		return nil, err
	}
	p, err := c.startPiped(ctx, cmd, "the "+d.Relay+" relay")
	if err != nil {
		return nil, err
	}
	sess, stdin, stdout, stderr := p.sess, p.stdin, p.stdout, p.stderr
	exited := make(chan error, 1)
	go func() { exited <- sess.Wait() }()
	t := c.target
	onEOF := func() error {
		var werr error
		select {
		case werr = <-exited:
			exited <- werr
		case <-time.After(2 * time.Second):
		}
		if err := classifyRelayStderr(stderr.String(), t, d.Socket, d.Relay); err != nil {
			return err
		}
		var ee *ssh.ExitError
		if errors.As(werr, &ee) && ee.ExitStatus() != 0 {
			return core.Errorf(core.EUNAVAILABLE, "the %s relay on %s stopped with status %d", d.Relay, t.HostName, ee.ExitStatus())
		}
		return io.EOF
	}
	check := func(first []byte) error { return checkFirstReply(first, t, d.Relay) }
	closeFn := func() error {
		_ = stdin.Close()
		return sess.Close()
	}
	addr := sshAddr("ssh-" + d.Relay + ":" + t.Addr() + ":" + d.Socket)
	return newStreamConn(stdout, stdin, closeFn, addr, check, onEOF), nil
}

// checkFirstReply refuses output that cannot be fail2ban's: its replies are
// pickles of protocol 2 or higher and start with the PROTO opcode 0x80. A
// login script that prints on stdout would otherwise be fed to the pickle
// decoder. (The relay cannot frame its output: socat copies bytes as they
// come, so the first byte is the test.)
func checkFirstReply(first []byte, t Target, relay string) error {
	if len(first) == 0 || first[0] == 0x80 {
		return nil
	}
	text := first
	if i := indexOf(text, 0x80); i > 0 {
		text = text[:i]
	}
	if len(text) > 200 {
		text = text[:200]
	}
	return core.Errorf(core.EPROTOCOL,
		"the %s relay on %s printed %q before fail2ban's answer: a login script of %s (~/.bashrc, ~/.profile, /etc/bash.bashrc) writes to standard output "+
			"even in non-interactive sessions. Make it print only on a terminal (test [ -t 1 ] or $- for i)", relay, t.HostName, string(text), t.User)
}

func indexOf(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// classifyRelayStderr turns what sudo or the relay said into an error that
// says what to do; nil when stderr holds nothing we know.
func classifyRelayStderr(stderr string, t Target, socket, relay string) error {
	s := strings.TrimSpace(stderr)
	if s == "" {
		return nil
	}
	first := s
	if i := strings.IndexByte(first, '\n'); i >= 0 {
		first = first[:i]
	}
	lower := strings.ToLower(s)
	bin := "/usr/bin/" + relay
	switch {
	case strings.Contains(lower, "a password is required") || strings.Contains(lower, "not allowed to execute") ||
		strings.Contains(lower, "is not in the sudoers file") || strings.Contains(lower, "may not run sudo") ||
		strings.Contains(lower, "a terminal is required"):
		return core.Errorf(core.EPERMISSION,
			"%s may not run the fail2ban relay with sudo without a password on %s (sudo said: %q). Ask an admin to add this line with visudo (e.g. in /etc/sudoers.d/bangui): %s "+
				"— note that access to fail2ban's socket is root-equivalent, or connect as root",
			t.User, t.HostName, first, SudoersLine(t.User, socket, relay))
	case (strings.Contains(lower, "sudo: not found") || strings.Contains(lower, "sudo: command not found")) && !strings.Contains(lower, bin):
		return core.Errorf(core.EUNAVAILABLE, "sudo is not installed on %s: install it (apt install sudo) or connect as root", t.HostName)
	case strings.Contains(lower, bin) && (strings.Contains(lower, "not found") || strings.Contains(lower, "no such file")):
		hint := "install it (apt install socat) or use the python3 relay"
		if relay == MethodPython3 {
			hint = "install python3 (fail2ban depends on it: is fail2ban installed?)"
		}
		return core.Errorf(core.EUNAVAILABLE, "%s is missing on %s: %s", bin, t.HostName, hint)
	case strings.Contains(s, "FileNotFoundError") || (strings.Contains(lower, "no such file") && strings.Contains(lower, socket)):
		return core.Errorf(core.EUNAVAILABLE, "no fail2ban socket at %s on %s: is fail2ban running (systemctl start fail2ban)? Check the socket path in the server's settings", socket, t.HostName)
	case strings.Contains(s, "ConnectionRefusedError") || strings.Contains(lower, "connection refused"):
		return core.Errorf(core.EUNAVAILABLE, "nothing answers on %s on %s: fail2ban is not running (the socket was left behind). Start it, and see `fail2ban-client -t` if it fails", socket, t.HostName)
	case strings.Contains(s, "PermissionError") || strings.Contains(lower, "permission denied"):
		return core.Errorf(core.EPERMISSION, "the relay may not open %s on %s even with sudo (%q)", socket, t.HostName, first)
	}
	return core.Errorf(core.EUNAVAILABLE, "the %s relay on %s failed: %q", relay, t.HostName, first)
}

// capBuffer keeps the first max bytes written to it.
type capBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (c *capBuffer) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if room := c.max - len(c.b); room > 0 {
		c.b = append(c.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (c *capBuffer) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return string(c.b)
}

// Auto picks the transport: streamlocal for root, else the sudo relay with
// socat when /usr/bin/socat exists on the host, else python3. Method
// overrides the choice. The choice is made once per Auto and reported by
// Chosen. As root, a streamlocal refusal (forwarding disabled) falls back
// to the python3 relay.
type Auto struct {
	SSH    ClientSource
	Socket string
	Method string // "" = choose; else MethodStreamLocal, MethodSocat or MethodPython3

	mu     sync.Mutex
	chosen string
}

var _ core.Dialer = (*Auto)(nil)

// Chosen is the method in use, "" before the first dial.
func (a *Auto) Chosen() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.chosen
}

// Choose works out the method (without opening the socket).
func (a *Auto) Choose(ctx context.Context) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.chooseLocked(ctx)
}

func (a *Auto) chooseLocked(ctx context.Context) (string, error) {
	if a.Method != "" {
		switch a.Method {
		case MethodStreamLocal, MethodSocat, MethodPython3:
			a.chosen = a.Method
			return a.Method, nil
		}
		return "", core.Errorf(core.EINVALID, "unknown transport %q: use streamlocal, socat or python3", a.Method)
	}
	if a.chosen != "" {
		return a.chosen, nil
	}
	c, err := a.SSH.SSHClient(ctx)
	if err != nil {
		return "", err
	}
	if c.target.User == "root" {
		a.chosen = MethodStreamLocal
		return a.chosen, nil
	}
	if _, _, err := c.Output(ctx, "test -x /usr/bin/socat"); err == nil {
		a.chosen = MethodSocat
	} else {
		var ee *ssh.ExitError
		if !errors.As(err, &ee) {
			return "", err
		}
		a.chosen = MethodPython3
	}
	return a.chosen, nil
}

// DialF2B dials with the chosen method.
func (a *Auto) DialF2B(ctx context.Context) (net.Conn, error) {
	a.mu.Lock()
	m, err := a.chooseLocked(ctx)
	a.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if m != MethodStreamLocal {
		return SudoRelay{SSH: a.SSH, Socket: a.Socket, Relay: m}.DialF2B(ctx)
	}
	conn, err := StreamLocal{SSH: a.SSH, Socket: a.Socket}.DialF2B(ctx)
	if err != nil && a.Method == "" && core.ErrorCode(err) == core.EPERMISSION {
		a.mu.Lock()
		a.chosen = MethodPython3
		a.mu.Unlock()
		return SudoRelay{SSH: a.SSH, Socket: a.Socket, Relay: MethodPython3}.DialF2B(ctx)
	}
	return conn, err
}
