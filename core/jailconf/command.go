package jailconf

import (
	"context"
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/f2b"
)

// commandTimeout bounds one fail2ban-client run when ctx has no earlier
// deadline. A check or a jail reload takes 0.2 to 0.5 s; reloading a server
// with many jails takes longer.
const commandTimeout = 2 * time.Minute

// argv returns fail2ban-client with -c and -s when they differ from
// fail2ban's defaults, followed by args.
func (e *Editor) argv(args ...string) []string {
	a := []string{e.client()}
	if d := e.configDir(); d != f2b.DefaultConfigDir {
		a = append(a, "-c", d)
	}
	if s := path.Clean(e.Socket); e.Socket != "" && s != f2b.DefaultSocket {
		a = append(a, "-s", s)
	}
	return append(a, args...)
}

// client returns the fail2ban-client program to run.
func (e *Editor) client() string {
	if e.Client == "" {
		return "fail2ban-client"
	}
	return e.Client
}

// configDir returns the config folder, cleaned.
func (e *Editor) configDir() string {
	if e.ConfigDir == "" {
		return f2b.DefaultConfigDir
	}
	return path.Clean(e.ConfigDir)
}

// ran is the outcome of one fail2ban-client run.
type ran struct {
	out string // on success: what it printed, without the log noise
	msg string // on failure: fail2ban's message (see message)
	// answered reports that the server itself refused a command ("NOK:"),
	// as opposed to a failure in fail2ban-client before it sent anything.
	answered bool
}

// run runs fail2ban-client with args. When fail2ban-client fails, err is
// the *core.ExitError and r.msg says why; other errors (missing program,
// no rights, cancelled) come back wrapped, with an empty r.msg.
func (e *Editor) run(ctx context.Context, args ...string) (r ran, err error) {
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	argv := e.argv(args...)
	stdout, stderr, err := e.Host.Run(ctx, argv)
	if err == nil {
		return ran{out: summary(stdout, stderr)}, nil
	}
	var ee *core.ExitError
	if errors.As(err, &ee) {
		return ran{msg: message(stdout, stderr), answered: strings.Contains(string(stderr), "NOK: ")}, err
	}
	return ran{}, fmt.Errorf("jailconf: %s: %w", strings.Join(argv, " "), err)
}

// check runs "fail2ban-client -t". A failure is an ESERVER error whose
// message is intro, a colon and fail2ban's own message.
func (e *Editor) check(ctx context.Context, intro string) (string, error) {
	r, err := e.run(ctx, "-t")
	if err != nil && r.msg != "" {
		return "", core.Wrap(err, core.ESERVER, intro+":\n"+r.msg)
	}
	return r.out, err
}

// reload runs "fail2ban-client reload [args]". When it fails, touched
// reports whether the server may have changed: fail2ban stops and drops a
// jail whose new settings it cannot apply. A failure inside
// fail2ban-client, an unknown jail and an unreachable server leave it as
// it was.
func (e *Editor) reload(ctx context.Context, intro string, args ...string) (out string, touched bool, err error) {
	r, err := e.run(ctx, append([]string{"reload"}, args...)...)
	switch {
	case err == nil:
		return r.out, false, nil
	case r.msg == "": // fail2ban-client never ran, or was cancelled
		return "", core.ErrorCode(err) == core.ECANCELED, err
	case strings.Contains(r.msg, "Could not find server"):
		// fail2ban-client says this for a socket it may not open too;
		// ping tells the two apart.
		return "", false, e.unreachable(ctx, err)
	}
	touched = r.answered && !strings.Contains(r.msg, "Sorry but the jail")
	return "", touched, core.Wrap(err, core.ESERVER, intro+":\n"+r.msg)
}

// unreachable explains why fail2ban-client found no server.
func (e *Editor) unreachable(ctx context.Context, cause error) error {
	r, err := e.run(ctx, "ping")
	msg := r.msg
	switch {
	case err == nil:
		return core.Wrap(cause, core.EUNAVAILABLE, "fail2ban-client could not reach the server, but it answers now: try again")
	case strings.Contains(msg, "Permission denied"):
		return core.Wrap(cause, core.EPERMISSION, fmt.Sprintf("fail2ban-client may not open the server's socket as this user (%s): %s", msg, core.PermissionHint))
	case msg != "":
		return core.Wrap(cause, core.EUNAVAILABLE, fmt.Sprintf("fail2ban is not running or not on this socket (%s): start it, or set the server's socket path", msg))
	}
	return core.Wrap(errors.Join(cause, err), core.EUNAVAILABLE, "fail2ban-client could not reach the server")
}

// logLine matches fail2ban-client's log lines on standard error:
// "2026-11-27 04:36:50,036 fail2ban.jailreader [21836]: ERROR   message".
var logLine = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ +\S+ +\[\d+\]: +([A-Z]+) +(.*)$`)

// record is one log message; continuation lines are joined with a space.
type record struct{ level, text string }

// records splits fail2ban-client's standard error into log messages. Lines
// before the first log line (a Python traceback, say) get level "".
func records(stderr []byte) []record {
	var recs []record
	for _, l := range strings.Split(string(stderr), "\n") {
		l = strings.TrimSpace(l)
		switch m := logLine.FindStringSubmatch(l); {
		case l == "":
		case m != nil:
			recs = append(recs, record{m[1], strings.TrimSpace(m[2])})
		case len(recs) > 0:
			recs[len(recs)-1].text += " " + l
		default:
			recs = append(recs, record{"", l})
		}
	}
	return recs
}

// outLines returns the non-empty lines of standard output, without the
// "OK" lines fail2ban prints on success.
func outLines(stdout []byte) []string {
	var out []string
	for _, l := range strings.Split(string(stdout), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || l == "OK" || strings.HasPrefix(l, "OK: ") {
			continue
		}
		out = append(out, strings.TrimPrefix(l, "ERROR: "))
	}
	return out
}

// generic lists messages that only say that something failed.
var generic = []string{"ERROR: test configuration failed", "Init of command line failed", "Async configuration of server failed"}

// message extracts fail2ban's explanation of a failure: its standard
// output (minus "OK" lines) and its ERROR and CRITICAL log messages,
// without time stamps, pids, the generic "test configuration failed" and
// the "Failed during configuration:" prefix. A "NOK:" message repeats the
// standard output as a Python tuple and is dropped when there is standard
// output. Falls back to the last lines of standard error.
func message(stdout, stderr []byte) string {
	out := outLines(stdout)
	stdoutSaid := len(out) > 0
	for _, r := range records(stderr) {
		if (r.level != "ERROR" && r.level != "CRITICAL") || slices.Contains(generic, r.text) ||
			(stdoutSaid && strings.HasPrefix(r.text, "NOK: ")) || slices.Contains(out, r.text) {
			continue
		}
		out = append(out, strings.TrimPrefix(r.text, "Failed during configuration: "))
	}
	if len(out) == 0 {
		lines := strings.Split(strings.TrimSpace(string(stderr)), "\n")
		out = lines[max(0, len(lines)-3):]
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

// summary is what a successful run printed: standard output and the
// WARNING (and any ERROR) messages, for the Result.
func summary(stdout, stderr []byte) string {
	out := outLines(stdout)
	if s := strings.TrimSpace(string(stdout)); s != "" && len(out) == 0 {
		out = []string{s}
	}
	for _, r := range records(stderr) {
		if r.level == "WARNING" || r.level == "ERROR" || r.level == "CRITICAL" {
			out = append(out, r.level+": "+r.text)
		}
	}
	return strings.Join(out, "\n")
}
