package f2btest

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// maxSocketPath is the longest unix socket path that fits into sun_path
// (108 bytes on Linux, including the terminating NUL).
const maxSocketPath = 107

// File names inside Server.Dir.
const (
	socketName    = "f2b.sock"
	pidName       = "f2b.pid"
	dbName        = "f2b.sqlite3"
	serverLogName = "fail2ban.log" // fail2ban's own logtarget
	serverOutName = "server.out"   // stdout and stderr of fail2ban-server -f
	actionLogName = "actions.log"
	confDirName   = "conf"
	logsDirName   = "logs"
)

// safePath matches paths that can be pasted into fail2ban's config files and
// into the shell commands of the test action without quoting trouble:
// fail2ban's ConfigParser interpolates '%', its tags use '<' and '>', and
// the action runs under /bin/sh.
var safePath = regexp.MustCompile(`^[A-Za-z0-9/._-]+$`)

// jailName matches the jail names Start accepts in Options.ExtraJails.
var jailName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// workDir returns the directory for one server's files. It prefers
// tb.TempDir() and falls back to a fresh directory under os.TempDir() and
// then under /tmp when the temp dir is too long for a unix socket path or
// contains characters that would need quoting (t.TempDir keeps '$', '%',
// spaces and more from the test name). A fallback directory is removed in
// tb.Cleanup.
func workDir(tb testing.TB) (string, error) {
	tb.Helper()
	if d := tb.TempDir(); usableDir(d) {
		return d, nil
	}
	for _, parent := range []string{"", "/tmp"} {
		d, err := os.MkdirTemp(parent, "f2b")
		if err != nil {
			continue
		}
		if usableDir(d) {
			tb.Cleanup(func() { _ = os.RemoveAll(d) })
			return d, nil
		}
		_ = os.Remove(d)
	}
	return "", fmt.Errorf("f2btest: no temp dir with a socket path shorter than %d bytes and only [A-Za-z0-9/._-] characters (TMPDIR=%q)",
		maxSocketPath+1, os.Getenv("TMPDIR"))
}

// usableDir reports whether dir is safe to use as Server.Dir.
func usableDir(dir string) bool {
	return filepath.IsAbs(dir) && safePath.MatchString(dir) &&
		len(filepath.Join(dir, socketName)) <= maxSocketPath
}

// withDefaults returns opt with its zero fields replaced by the defaults and
// checks that the values fit into the config files.
func (opt Options) withDefaults() (Options, error) {
	if opt.DBPurgeAge == "" {
		opt.DBPurgeAge = "1d"
	}
	if opt.BanTime == "" {
		opt.BanTime = "600"
	}
	for _, v := range []string{opt.DBPurgeAge, opt.BanTime} {
		if strings.ContainsAny(v, "\r\n%") {
			return opt, fmt.Errorf("f2btest: option value %q contains a newline or '%%'", v)
		}
	}
	return opt, nil
}

// jailNames returns the jails of a server started with opt.
func (opt Options) jailNames() ([]string, error) {
	jails := []string{"app1", "app2"}
	for _, j := range opt.ExtraJails {
		if !jailName.MatchString(j) || j == "DEFAULT" || j == "INCLUDES" {
			return nil, fmt.Errorf("f2btest: invalid extra jail name %q", j)
		}
		for _, have := range jails {
			if have == j {
				return nil, fmt.Errorf("f2btest: duplicate jail %q", j)
			}
		}
		jails = append(jails, j)
	}
	return jails, nil
}

// writeConfig writes a self-contained fail2ban configuration into
// s.ConfDir and creates an empty log file per jail. Nothing is taken from
// /etc/fail2ban: with -c, fail2ban reads only that directory, so every
// filter and action a jail names must exist inside it (a missing one makes
// fail2ban skip the jail with just an ERROR line in its log).
func (s *Server) writeConfig(opt Options) error {
	files := map[string]string{
		"fail2ban.conf": fmt.Sprintf(`# Written by f2btest for a private test server.
[Definition]
loglevel = INFO
logtarget = %s
syslogsocket = auto
socket = %s
pidfile = %s
dbfile = %s
dbpurgeage = %s
dbmaxmatches = 10
allowipv6 = auto
`, filepath.Join(s.Dir, serverLogName), s.Socket, s.PidFile, s.DBFile, opt.DBPurgeAge),

		// The date is cut out of the line before failregex is applied, so
		// the rest starts with a space: hence ^\s*.
		"filter.d/test-auth.conf": `# Written by f2btest. Matches "YYYY-MM-DD hh:mm:ss auth failure from <ip>".
[Definition]
failregex = ^\s*auth failure from <HOST>$
ignoreregex =
datepattern = {^LN-BEG}%%Y-%%m-%%d %%H:%%M:%%S
`,

		// Never touches the firewall: ban and unban only append a line.
		"action.d/testlog.conf": fmt.Sprintf(`# Written by f2btest. Records bans in a file instead of the firewall.
[Definition]
actionstart = true
actionstop = true
actioncheck = true
actionban = echo "ban <name> <ip>" >> '%[1]s'
actionunban = echo "unban <name> <ip>" >> '%[1]s'
`, s.ActionLog),
	}

	var jails strings.Builder
	fmt.Fprintf(&jails, `# Written by f2btest for a private test server.
[DEFAULT]
enabled = false
backend = polling
usedns = no
ignoreself = false
ignoreip =
maxretry = 2
findtime = 600
bantime = %s
banaction = testlog
action = testlog
`, opt.BanTime)
	for _, j := range s.Jails {
		fmt.Fprintf(&jails, "\n[%s]\nenabled = true\nfilter = test-auth\nlogpath = %s\n", j, s.LogFile(j))
	}
	files["jail.conf"] = jails.String()

	for _, d := range []string{"filter.d", "action.d", "fail2ban.d", "jail.d"} {
		if err := os.MkdirAll(filepath.Join(s.ConfDir, d), 0o755); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(filepath.Join(s.Dir, logsDirName), 0o755); err != nil {
		return err
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(s.ConfDir, name), []byte(content), 0o644); err != nil {
			return err
		}
	}
	// The polling backend wants the log files to exist when the jail starts.
	for _, j := range s.Jails {
		f, err := os.OpenFile(s.LogFile(j), os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	return nil
}
