package core

import (
	"context"
	"time"
)

// Server kinds.
const (
	ServerLocal = "local" // this machine's fail2ban, through its Unix socket
	ServerSSH   = "ssh"   // a remote fail2ban over SSH (see remote/)
)

// Server is one fail2ban server the app manages, as kept in the cache.
// Secrets are never part of it.
type Server struct {
	ID        int64
	Name      string // shown in the UI; unique
	Kind      string // ServerLocal or ServerSSH
	Socket    string // fail2ban socket path on that host; empty = find it
	ConfigDir string // fail2ban config folder on that host; empty = /etc/fail2ban
	Host      string // ssh only: host name or ~/.ssh/config alias
	Port      int    // ssh only; 0 = from ssh config or 22
	User      string // ssh only; empty = from ssh config
	// Group is a free-text group name ("" = none): views can show one
	// group of servers.
	Group string
	// Transport is how an SSH server reaches fail2ban: "" = chosen
	// automatically, else TransportStreamLocal, TransportSocat or
	// TransportPython3.
	Transport string
	// Auth is how an SSH server logs in: "" = ssh-agent and key files,
	// AuthAsk = a password asked for on connect, kept in memory.
	Auth      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// SSH transports (Server.Transport) and logins (Server.Auth).
const (
	TransportStreamLocal = "streamlocal" // root: a direct channel to the socket
	TransportSocat       = "socat"       // sudo -n socat relay
	TransportPython3     = "python3"     // sudo -n python3 relay
	AuthAsk              = "ask"         // ask for a password (password or keyboard-interactive)
)

// Transports lists the forced transports, in the order a form offers them.
var Transports = []string{TransportStreamLocal, TransportSocat, TransportPython3}

// ServerStore keeps the list of servers (core/store implements it).
type ServerStore interface {
	Servers(ctx context.Context) ([]Server, error)
	AddServer(ctx context.Context, s Server) (Server, error)
	UpdateServer(ctx context.Context, s Server) (Server, error)
}

// LocalServerName is the name given to this machine's server when it is
// found automatically.
const LocalServerName = "local"

// EnsureLocalServer makes sure the cache lists this machine's fail2ban when
// its socket answers. socket is the path to use (from the command line or
// found in fail2ban.conf); probe checks that a fail2ban server answers on
// it (an EPERMISSION failure counts as found: the socket is there, we may
// not open it). An existing local entry is kept, and its socket updated when it
// differs. It returns the local server and whether one exists.
func EnsureLocalServer(ctx context.Context, st ServerStore, socket string, probe func(context.Context, string) error) (Server, bool, error) {
	list, err := st.Servers(ctx)
	if err != nil {
		return Server{}, false, err
	}
	for _, s := range list {
		if s.Kind != ServerLocal {
			continue
		}
		if s.Socket != socket && probe(ctx, socket) == nil {
			s.Socket = socket
			if s, err = st.UpdateServer(ctx, s); err != nil {
				return Server{}, false, err
			}
		}
		return s, true, nil
	}
	// A root-only socket we may not open still means fail2ban runs here:
	// list the server, so its view can say what to do about the rights.
	if err := probe(ctx, socket); err != nil && ErrorCode(err) != EPERMISSION {
		return Server{}, false, nil
	}
	s, err := st.AddServer(ctx, Server{Name: LocalServerName, Kind: ServerLocal, Socket: socket})
	if err != nil {
		return Server{}, false, err
	}
	return s, true, nil
}
