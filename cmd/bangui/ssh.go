package main

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/f2b"
	"github.com/bangui/bangui/core/store"
	"github.com/bangui/bangui/remote"
	"github.com/bangui/bangui/ui"
)

// sshLinks makes the dialers of SSH servers: one SSH connection per
// server (remote.Reconnector: kept open, dialled again when it dies), the
// path to fail2ban chosen by remote.Auto. Host keys and passphrases are
// asked through the window; passphrases stay in memory.
type sshLinks struct {
	home string // "" = the user's home (tests: a temp folder)
	// askHost and askPass are the window's prompts, set once it exists.
	askHost func(ctx context.Context, host, fingerprint string) (bool, error)
	askPass func(ctx context.Context, keyPath string) (string, error)
	askPw   func(ctx context.Context, user, host string) (string, error)

	mu    sync.Mutex
	links []*remote.Reconnector
	byID  map[int64]*remote.Reconnector // the connection of each saved server
}

// dialer returns the dialer of SSH server s. A server whose ssh settings
// cannot be resolved gets a dialer that says why on every dial.
func (l *sshLinks) dialer(s core.Server) core.Dialer {
	t, err := remote.ResolveServer(s, remote.ResolveOptions{HomeDir: l.home})
	if err != nil {
		return core.DialerFunc(func(context.Context) (net.Conn, error) { return nil, err })
	}
	opts := remote.DialOptions{HomeDir: l.home, Passphrases: &remote.Passphrases{}}
	opts.AskHostKey = func(ctx context.Context, host string, _ ssh.PublicKey, fingerprint string) (bool, error) {
		if l.askHost == nil {
			return false, nil
		}
		return l.askHost(ctx, host, fingerprint)
	}
	opts.AskPassphrase = func(ctx context.Context, keyPath string) (string, error) {
		if l.askPass == nil {
			return "", core.Errorf(core.ECANCELED, "no window to ask for the passphrase of %s", keyPath)
		}
		return l.askPass(ctx, keyPath)
	}
	if s.Auth == core.AuthAsk {
		opts.AskPassword = func(ctx context.Context, user, host string) (string, error) {
			if l.askPw == nil {
				return "", core.Errorf(core.ECANCELED, "no window to ask for the password of %s@%s", user, host)
			}
			return l.askPw(ctx, user, host)
		}
	}
	rc := remote.NewReconnector(t, opts)
	l.mu.Lock()
	l.links = append(l.links, rc)
	if s.ID != 0 {
		if l.byID == nil {
			l.byID = map[int64]*remote.Reconnector{}
		}
		if old := l.byID[s.ID]; old != nil {
			_ = old.Close() // the server was edited: its old connection goes
		}
		l.byID[s.ID] = rc
	}
	l.mu.Unlock()
	socket := s.Socket
	if socket == "" {
		socket = f2b.DefaultSocket
	}
	return &remote.Auto{SSH: rc, Socket: socket, Method: s.Transport}
}

// source returns the SSH connection of saved server id (made by dialer),
// nil before.
func (l *sshLinks) source(id int64) *remote.Reconnector {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.byID[id]
}

// Close closes every SSH connection.
func (l *sshLinks) Close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, rc := range l.links {
		_ = rc.Close()
	}
	l.links = nil
}

// serverAdmin is ui.ServerAdmin: the cache's server list, every server
// validated before it is saved, and the connection test.
type serverAdmin struct {
	db    *store.DB
	links *sshLinks
	// forget drops a server's client when it is edited or removed.
	forget func(id int64)
	// added runs for a server just added (its history sync starts).
	added func(core.Server)
}

var _ ui.ServerAdmin = (*serverAdmin)(nil)

func (a *serverAdmin) AddServer(ctx context.Context, s core.Server) (core.Server, error) {
	s, err := core.ValidateServer(s)
	if err != nil {
		return s, err
	}
	out, err := a.db.AddServer(ctx, s)
	if err == nil && a.added != nil {
		a.added(out)
	}
	return out, err
}

func (a *serverAdmin) UpdateServer(ctx context.Context, s core.Server) (core.Server, error) {
	s, err := core.ValidateServer(s)
	if err != nil {
		return s, err
	}
	out, err := a.db.UpdateServer(ctx, s)
	if err == nil && a.forget != nil {
		a.forget(s.ID)
	}
	return out, err
}

func (a *serverAdmin) DeleteServer(ctx context.Context, id int64) error {
	err := a.db.DeleteServer(ctx, id)
	if err == nil && a.forget != nil {
		a.forget(id)
	}
	return err
}

// TestServer connects to s step by step: its ssh settings, TCP, host key
// and login, the path to fail2ban, its version and database.
func (a *serverAdmin) TestServer(ctx context.Context, s core.Server, step func(ui.TestStep)) error {
	return a.links.test(ctx, s, step)
}

func (l *sshLinks) test(ctx context.Context, s core.Server, step func(ui.TestStep)) error {
	run := func(name string, f func() (string, error)) error {
		step(ui.TestStep{Name: name, State: ui.StepRunning})
		detail, err := f()
		if err != nil {
			step(ui.TestStep{Name: name, State: ui.StepFailed, Detail: core.ErrorMessage(err)})
			return err
		}
		step(ui.TestStep{Name: name, State: ui.StepOK, Detail: detail})
		return nil
	}
	var t remote.Target
	if err := run("ssh settings", func() (string, error) {
		var err error
		t, err = remote.ResolveServer(s, remote.ResolveOptions{HomeDir: l.home})
		if err != nil {
			return "", err
		}
		d := fmt.Sprintf("%s@%s", t.User, t.Addr())
		if len(t.ProxyJump) > 0 {
			d += fmt.Sprintf(" via %d jump host(s)", len(t.ProxyJump))
		}
		if len(t.Warnings) > 0 {
			d += "; " + strings.Join(t.Warnings, "; ")
		}
		return d, nil
	}); err != nil {
		return err
	}
	if len(t.ProxyJump) == 0 {
		if err := run("TCP", func() (string, error) {
			var d net.Dialer
			tctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			c, err := d.DialContext(tctx, "tcp", t.Addr())
			if err != nil {
				return "", core.Wrap(err, core.EUNAVAILABLE, fmt.Sprintf("%s does not accept connections (%v): check the host, the port and any firewall", t.Addr(), err))
			}
			c.Close()
			return t.Addr() + " answers", nil
		}); err != nil {
			return err
		}
	} else {
		step(ui.TestStep{Name: "TCP", State: ui.StepSkipped, Detail: "through the jump hosts, in the next step"})
	}
	dialer := l.dialer(s).(*remote.Auto)
	rc := dialer.SSH.(*remote.Reconnector)
	defer rc.Close()
	if err := run("host key and login", func() (string, error) {
		c, err := rc.SSHClient(ctx)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("logged in as %s in %v", t.User, c.DialTime().Round(time.Millisecond)), nil
	}); err != nil {
		return err
	}
	if err := run("path to fail2ban", func() (string, error) {
		m, err := dialer.Choose(ctx)
		return m, err
	}); err != nil {
		return err
	}
	client := f2b.New(dialer, f2b.Config{Timeout: 15 * time.Second})
	defer client.Close()
	if err := run("fail2ban answers", func() (string, error) {
		return "ping", client.Ping(ctx)
	}); err != nil {
		return err
	}
	if err := run("version", func() (string, error) {
		v, err := client.Version(ctx)
		return v.String(), err
	}); err != nil {
		return err
	}
	return run("database", func() (string, error) {
		path, ok, err := client.DBFile(ctx)
		switch {
		case err != nil:
			return "", err
		case !ok:
			return "none (dbfile = :memory:): no history to copy", nil
		}
		return path + " (its history is copied over SSH in a later version)", nil
	})
}
