package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/activity"
	"github.com/bangui/bangui/core/f2b"
	"github.com/bangui/bangui/core/f2bdb"
	"github.com/bangui/bangui/core/fleet"
	"github.com/bangui/bangui/core/histsync"
	"github.com/bangui/bangui/core/jailconf"
	"github.com/bangui/bangui/core/jailinfo"
	"github.com/bangui/bangui/core/local"
	"github.com/bangui/bangui/core/store"
	"github.com/bangui/bangui/remote"
	"github.com/bangui/bangui/ui"
)

// loadServers lists the cached servers after making sure this machine's
// fail2ban is among them when its socket answers.
func loadServers(db *store.DB, socket string) ui.ServerLoader {
	return func(ctx context.Context) ([]core.Server, error) {
		probe := func(ctx context.Context, path string) error {
			c := f2b.New(f2b.UnixDialer{Path: path}, f2b.Config{Timeout: 3 * time.Second})
			defer c.Close()
			return c.Ping(ctx)
		}
		if _, _, err := core.EnsureLocalServer(ctx, db, socket, probe); err != nil {
			return nil, err
		}
		return db.Servers(ctx)
	}
}

// clients keeps one fail2ban client per server, made on first use; every
// change made through it is recorded in the activity log.
type clients struct {
	svc     *activity.Service
	ssh     *sshLinks
	confDir string // the local fail2ban's config folder (-fail2ban-config)
	mu      sync.Mutex
	byID    map[int64]*activity.Client
}

func newClients(db *store.DB, confDir string) *clients {
	return &clients{
		confDir: confDir,
		ssh:     &sshLinks{},
		svc:     &activity.Service{Rec: &activity.Recorder{Log: db}},
		byID:    map[int64]*activity.Client{},
	}
}

// Source returns the client of s. It does not dial: the first call does.
func (c *clients) Source(s core.Server) ui.ServerClient { return c.client(s) }

// forget closes and drops the client of server id (edited or removed):
// the next use makes one from the new settings.
func (c *clients) forget(id int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl, ok := c.byID[id]; ok {
		_ = cl.Close()
		delete(c.byID, id)
	}
}

// client returns the recorded client of s, making it on first use.
func (c *clients) client(s core.Server) *activity.Client {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl, ok := c.byID[s.ID]; ok {
		return cl
	}
	d := localDialer(s.Socket)
	if s.Kind != core.ServerLocal {
		d = c.ssh.dialer(s)
	}
	cl := activity.Wrap(f2b.New(d, f2b.Config{}), c.svc, s)
	c.byID[s.ID] = cl
	return cl
}

// Close closes every client.
func (c *clients) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, cl := range c.byID {
		_ = cl.Close()
	}
	c.ssh.Close()
}

// defaultDataDir is where the cache lives: $XDG_DATA_HOME/bangui, else
// ~/.local/share/bangui.
func defaultDataDir() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "bangui")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "bangui-data"
	}
	return filepath.Join(home, ".local", "share", "bangui")
}

// haltOnSignal stops background work the moment SIGINT or SIGTERM arrives.
// Fyne handles the same signals by quitting its event loop; our work must
// not outlive it (see ui.App.Halt).
func haltOnSignal(shell *ui.App) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-sig
		shell.Halt()
	}()
}

// markInterrupted closes the activity rows a crash left "running", so the
// log does not claim they are still going.
func markInterrupted(db *store.DB) {
	n, err := db.MarkInterrupted(context.Background())
	if err != nil {
		slog.Warn("activity log", "err", err)
	} else if n > 0 {
		slog.Warn("activity log: actions interrupted by the last exit", "count", n)
	}
}

// Permanent returns the permanent-edit path of s: BanGUI's own file in the
// server's config folder, checked and reloaded with fail2ban-client on
// that machine (over SSH for a remote one), every step recorded.
func (c *clients) Permanent(s core.Server) ui.Permanent {
	host, dir := c.host(s)
	socket := s.Socket
	if socket == "" && s.Kind != core.ServerLocal {
		socket = f2b.DefaultSocket
	}
	ed := &jailconf.Editor{Host: host, ConfigDir: dir, Socket: socket}
	return activity.WrapPermanent(ed, c.svc.Rec, s)
}

// host returns the machine s runs on and its config folder: this one, or
// the server over its SSH connection (under sudo -n when the SSH user is
// not root; remote.HostSudoersLines names the rules it needs).
func (c *clients) host(s core.Server) (core.Host, string) {
	dir := s.ConfigDir
	if s.Kind == core.ServerLocal {
		if dir == "" {
			dir = c.confDir
		}
		return local.Host{}, dir
	}
	if dir == "" {
		dir = f2b.DefaultConfigDir
	}
	c.client(s) // makes the server's SSH connection
	rc := c.ssh.source(s.ID)
	return remote.Host{SSH: rc, Sudo: rc.Target.User != "root", ConfigDir: dir}, dir
}

// JailInfo returns where the filter and backend of s's jails are read
// from: its config files, on this machine or over SSH.
func (c *clients) JailInfo(s core.Server) ui.JailInfoSource {
	host, dir := c.host(s)
	return configInfo{host: host, dir: dir}
}

// configInfo reads jail filters and backends from a config folder.
type configInfo struct {
	host core.Host
	dir  string
}

func (c configInfo) JailInfo(ctx context.Context) (map[string]ui.JailInfo, error) {
	m, err := jailinfo.Read(ctx, c.host, c.dir)
	if err != nil {
		return nil, err
	}
	out := make(map[string]ui.JailInfo, len(m))
	for name, i := range m {
		out[name] = ui.JailInfo{Filter: i.Filter, Backend: i.Backend}
	}
	return out, nil
}

// Failures returns where the failure counts of s's bans come from: its
// fail2ban database, read-only, on this machine or over SSH.
func (c *clients) Failures(s core.Server) ui.FailureSource {
	if s.Kind != core.ServerLocal {
		cl := c.client(s) // makes the server's SSH connection
		rc := c.ssh.source(s.ID)
		return failuresFunc(func(ctx context.Context) (map[string]int, error) {
			return remote.FailureCounts(ctx, rc, cl.Client, rc.Target.User != "root")
		})
	}
	return dbFailures{c: c.client(s).Client}
}

// failuresFunc adapts a function to ui.FailureSource.
type failuresFunc func(ctx context.Context) (map[string]int, error)

func (f failuresFunc) Failures(ctx context.Context) (map[string]int, error) { return f(ctx) }

// dbFailures reads failure counts from the database a server names.
type dbFailures struct{ c *f2b.Client }

func (d dbFailures) Failures(ctx context.Context) (map[string]int, error) {
	path, _, err := d.c.DBFile(ctx) // none: Open says so
	if err != nil {
		return nil, err
	}
	db, err := f2bdb.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return db.Failures(ctx)
}

// historyTarget returns how the history of s is read: fail2ban's database
// file on this machine, or over SSH (read-only, through python3's sqlite3
// under sudo -n when the SSH user is not root). done releases what it
// opened.
func (c *clients) historyTarget(s core.Server) (t histsync.Target, done func()) {
	if s.Kind == core.ServerLocal {
		return localHistoryTarget(s)
	}
	cl := c.client(s) // makes the server's SSH connection
	rc := c.ssh.source(s.ID)
	return remote.HistoryTarget(s, cl.Client, rc, rc.Target.User != "root"), func() {}
}

// fleetActions bans and unbans on many servers through their clients
// (each action recorded in the activity log once per server).
type fleetActions struct {
	c   *clients
	act *fleet.Actions
}

func (c *clients) fleet() fleetActions {
	return fleetActions{c: c, act: &fleet.Actions{Activity: c.svc}}
}

func (f fleetActions) targets(servers []core.Server) []fleet.Target {
	out := make([]fleet.Target, len(servers))
	for i, s := range servers {
		out[i] = fleet.Target{Server: s, Client: f.c.client(s)}
	}
	return out
}

func (f fleetActions) Ban(ctx context.Context, servers []core.Server, jail string, ips []string, onResult func(core.FleetResult)) ([]core.FleetResult, error) {
	return f.act.Ban(ctx, f.targets(servers), jail, ips, onResult)
}

func (f fleetActions) Unban(ctx context.Context, servers []core.Server, ips []string, onResult func(core.FleetResult)) ([]core.FleetResult, error) {
	return f.act.Unban(ctx, f.targets(servers), ips, onResult)
}
