package f2b

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/bangui/bangui/core"
)

// DefaultSocket is where fail2ban puts its socket unless configured.
const DefaultSocket = "/var/run/fail2ban/fail2ban.sock"

// DefaultConfigDir is fail2ban's configuration folder.
const DefaultConfigDir = "/etc/fail2ban"

// UnixDialer dials a fail2ban socket on this machine.
type UnixDialer struct {
	Path string
}

var _ core.Dialer = UnixDialer{}

// DialF2B connects to the socket, turning the usual failures into messages
// that say what to do.
func (d UnixDialer) DialF2B(ctx context.Context) (net.Conn, error) {
	var nd net.Dialer
	conn, err := nd.DialContext(ctx, "unix", d.Path)
	if err == nil {
		return conn, nil
	}
	return nil, dialError(d.Path, err)
}

func dialError(path string, err error) error {
	fi, statErr := os.Stat(path)
	switch {
	case errors.Is(err, context.Canceled):
		return core.Wrap(err, core.ECANCELED, "connecting to fail2ban was cancelled")
	case errors.Is(statErr, fs.ErrNotExist) || errors.Is(err, syscall.ENOENT):
		return core.Wrap(err, core.EUNAVAILABLE, fmt.Sprintf(
			"no fail2ban socket at %s: is fail2ban running? Start it (systemctl start fail2ban) or check `socket =` in fail2ban.local", path))
	case errors.Is(err, syscall.EACCES) || errors.Is(statErr, fs.ErrPermission):
		return core.Wrap(err, core.EPERMISSION, fmt.Sprintf(
			"permission denied on %s: the fail2ban socket is root-only. Run BanGUI as root for the local server, or manage it as a server over SSH with sudo. "+
				"Opening the socket to a group gives that group root rights", path))
	case statErr == nil && fi.Mode()&fs.ModeSocket == 0:
		return core.Wrap(err, core.EINVALID, fmt.Sprintf(
			"%s is not a socket but a %s: set the server's socket path to fail2ban's socket (default %s)", path, kindOf(fi), DefaultSocket))
	case errors.Is(err, syscall.ECONNREFUSED):
		return core.Wrap(err, core.EUNAVAILABLE, fmt.Sprintf(
			"nothing answers on %s: fail2ban is not running (the socket was left behind). Start it, and see `fail2ban-client -t` or the journal if it fails", path))
	}
	return core.Wrap(err, core.EUNAVAILABLE, fmt.Sprintf("cannot connect to fail2ban at %s", path))
}

func kindOf(fi fs.FileInfo) string {
	switch {
	case fi.IsDir():
		return "folder"
	case fi.Mode().IsRegular():
		return "regular file"
	}
	return "special file"
}

// FindSocket returns the socket path fail2ban is configured with in
// confDir (empty = /etc/fail2ban): the last `socket =` in the
// [Definition] section of fail2ban.conf, fail2ban.d/*.conf, fail2ban.local
// and fail2ban.d/*.local, read in fail2ban's order. Files that are missing
// or unreadable are skipped; with no setting the default is returned.
func FindSocket(confDir string) string {
	if confDir == "" {
		confDir = DefaultConfigDir
	}
	files := []string{filepath.Join(confDir, "fail2ban.conf")}
	files = append(files, sortedGlob(filepath.Join(confDir, "fail2ban.d", "*.conf"))...)
	files = append(files, filepath.Join(confDir, "fail2ban.local"))
	files = append(files, sortedGlob(filepath.Join(confDir, "fail2ban.d", "*.local"))...)
	sock := DefaultSocket
	for _, f := range files {
		if s, ok := readSocketSetting(f); ok {
			sock = s
		}
	}
	return sock
}

func sortedGlob(pattern string) []string {
	m, _ := filepath.Glob(pattern)
	sort.Strings(m)
	return m
}

// readSocketSetting reads `socket = PATH` from the [Definition] section of
// an ini file.
func readSocketSetting(path string) (string, bool) {
	f, err := os.Open(path)
	if err != nil {
		return "", false
	}
	defer f.Close()
	var val string
	var found bool
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			section = strings.ToLower(strings.TrimSpace(line[1 : len(line)-1]))
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || section != "definition" || strings.ToLower(strings.TrimSpace(k)) != "socket" {
			continue
		}
		if v = strings.TrimSpace(v); v != "" {
			val, found = v, true
		}
	}
	return val, found
}
