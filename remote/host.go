package remote

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/jailinfo"
)

// Programs on the server. Host runs Python3 by this path; the sudoers
// rules name both. python3 is fail2ban's only hard dependency on Debian,
// so it is always there. fail2ban-client is run as the caller names it
// (jailconf.Editor: "fail2ban-client", which sudo looks up in its
// secure_path): the rule must name where it really is.
const (
	Python3        = "/usr/bin/python3"
	Fail2banClient = "/usr/bin/fail2ban-client"
)

// fileScript does Host's file operations on the server, as root under
// sudo or as the login user. Its arguments are PATH OP [MODE [SIZE]]: OP
// is read, list or remove (no more arguments), mkdir MODE or write MODE
// SIZE (MODE in octal, at most 0777; SIZE in bytes). It refuses (exit 2)
// any other shape, a relative or unclean PATH and arguments that are not
// digits, then prints the marker NUL "BG" NUL and:
//   - read: the file;
//   - list: the names of the entries of the folder that are not folders
//     (links followed, broken links left out), each followed by NUL;
//   - write: nothing. It reads stdin and exits with 3 unless it got
//     exactly SIZE bytes (a session cut short), writes them into a new
//     hidden file in PATH's folder (".NAME.random", which fail2ban does
//     not read), gives it exactly MODE, syncs it, renames it over PATH and
//     syncs the folder; on failure the temporary file is removed (atexit)
//     and PATH is left alone;
//   - remove and mkdir: nothing (mkdir then chmods away the umask).
//
// Failures are Python's uncaught exceptions: the last line of stderr is
// "FileNotFoundError: [Errno 2] ...", whose class name does not depend on
// the locale.
//
// The script is one line without quotes, backslashes, brackets, '*', '?',
// '#', '%', '!', tabs or double spaces, so that it fits between single
// quotes in a shell line and, escaped by sudoersEscape, in a sudoers rule.
// sudo matches a rule's arguments against the user's arguments joined by
// spaces, and '*' matches spaces too; but the path comes first, and the
// operation and the digits hold no space, so a rule "... -c SCRIPT DIR/*"
// only lets through paths below DIR (and no "..", as PATH must be clean). It ends with ';' so that
// nothing appended to the script itself would compile.
const fileScript = `import os,sys,atexit,pathlib,tempfile;a=sys.argv;a.pop(0);p=a.pop(0);o=a.pop(0);k=dict(read=0,list=0,remove=0,write=2,mkdir=1);k.get(o)==len(a) and all(map(str.isdigit,a)) and os.path.isabs(p) and os.path.normpath(p)==p or sys.exit(2);m=int(a.pop(0),8) if a else 0;n=int(a.pop(0)) if a else 0;m<512 or sys.exit(2);w=sys.stdout.buffer.write;w(bytes((0,66,71,0)));d=os.path.dirname(p);s=lambda x:(lambda f:(os.fsync(f),os.close(f)))(os.open(x,os.O_RDONLY));dict(read=lambda:w(pathlib.Path(p).read_bytes()),list=lambda:w(bytes().join(os.fsencode(e.name)+bytes(1) for e in os.scandir(p) if not e.is_dir() and os.path.exists(e.path))),remove=lambda:(os.unlink(p),s(d)),mkdir=lambda:(os.mkdir(p,m),os.chmod(p,m)),write=lambda:(lambda b:(len(b)==n or sys.exit(3)) and (lambda t:(atexit.register(lambda:os.path.lexists(t.name) and os.unlink(t.name)),t.write(b),t.flush(),os.fchmod(t.fileno(),m),os.fsync(t.fileno()),t.close(),os.rename(t.name,p),s(d)))(tempfile.NamedTemporaryFile(dir=d,prefix=os.extsep+os.path.basename(p)+os.extsep,delete=False)))(sys.stdin.buffer.read())).get(o)();`

// fileMarker starts fileScript's output; anything before it was printed
// by a login script.
var fileMarker = []byte{0, 'B', 'G', 0}

// Host is a fail2ban server's machine reached over SSH. It implements
// core.Host and jailinfo.Lister. Every command is a fixed program with
// single-quoted arguments (see Quote): file operations run fileScript with
// Python3, Run runs the argv it is given. With Sudo, each command runs
// under "sudo -n", so it never waits for a password; the rules the login
// user then needs are HostSudoersLines. The login shell must be a POSIX
// shell (sh, bash, dash, zsh, ksh). Host is safe for concurrent use: each
// call opens its own session.
//
// Errors follow core.Host's rules, plus: a lost connection is EUNAVAILABLE,
// sudo refusing (no NOPASSWD rule) is EPERMISSION with the sudoers line to
// add, and output printed by a login script ahead of a file is EPROTOCOL.
type Host struct {
	SSH ClientSource
	// Sudo prefixes every command with "sudo -n"; set it when the login
	// user is not root.
	Sudo bool
	// ConfigDir is the fail2ban config folder named in the sudoers rules
	// that permission errors suggest; "" means /etc/fail2ban.
	ConfigDir string
}

var (
	_ core.Host       = Host{}
	_ jailinfo.Lister = Host{}
)

// ReadFile returns the content of the file at path.
func (h Host) ReadFile(ctx context.Context, path string) ([]byte, error) {
	return h.file(ctx, "read", path, 0, nil)
}

// WriteFile replaces the file at path atomically with data and mode perm
// (see fileScript).
func (h Host) WriteFile(ctx context.Context, path string, data []byte, perm fs.FileMode) error {
	if data == nil {
		data = []byte{}
	}
	_, err := h.file(ctx, "write", path, perm.Perm(), data)
	return err
}

// RemoveFile removes the file at path.
func (h Host) RemoveFile(ctx context.Context, path string) error {
	_, err := h.file(ctx, "remove", path, 0, nil)
	return err
}

// Mkdir creates the folder path with exactly perm.
func (h Host) Mkdir(ctx context.Context, path string, perm fs.FileMode) error {
	_, err := h.file(ctx, "mkdir", path, perm.Perm(), nil)
	return err
}

// List returns the names of the entries of dir that are not folders (links
// count as what they point to, broken links are left out), in no
// particular order, for jailinfo.Read. A dir that is not a folder is
// EINVALID.
func (h Host) List(ctx context.Context, dir string) ([]string, error) {
	out, err := h.file(ctx, "list", dir, 0, nil)
	if err != nil {
		return nil, err
	}
	names := []string{}
	for _, n := range bytes.Split(out, []byte{0}) {
		if len(n) > 0 {
			names = append(names, string(n))
		}
	}
	return names, nil
}

// Run runs argv on the server (under sudo -n with Sudo) and returns its
// standard output and error. A non-zero exit is a *core.ExitError; a
// program that is missing is ENOTFOUND, one that may not be run (sudo
// refused, or not executable) EPERMISSION; a cancelled ctx closes the
// session and gives ECANCELED.
func (h Host) Run(ctx context.Context, argv []string) (stdout, stderr []byte, err error) {
	if len(argv) == 0 || argv[0] == "" {
		return nil, nil, core.Errorf(core.EINTERNAL, "remote: run: no command given")
	}
	line, err := h.commandLine(argv)
	if err != nil {
		return nil, nil, err
	}
	stdout, stderr, t, err := h.exec(ctx, line, nil, strings.Join(argv, " "))
	var ee *ssh.ExitError
	if !errors.As(err, &ee) {
		return stdout, stderr, err
	}
	return stdout, stderr, h.runError(t, argv, exitStatus(ee), stderr)
}

// exitStatus is ee's status, -1 for a command killed by a signal.
func exitStatus(ee *ssh.ExitError) int {
	if ee.Signal() != "" {
		return -1
	}
	return ee.ExitStatus()
}

// runError explains a command that exited with a non-zero status.
func (h Host) runError(t Target, argv []string, status int, stderr []byte) error {
	exit := &core.ExitError{Argv: append([]string(nil), argv...), Status: status, Stderr: stderr}
	s := string(stderr)
	prog := argv[0]
	switch {
	case h.Sudo && sudoRefused(s):
		rule := "a rule that allows " + prog + " with NOPASSWD"
		switch {
		case path.IsAbs(prog):
			rule = "this line: " + t.User + " ALL=(root) NOPASSWD: " + sudoersEscape(prog) + " *"
		case prog == "fail2ban-client": // sudo finds it in its secure_path
			rule = "this line: " + t.User + " ALL=(root) NOPASSWD: " + Fail2banClient + " *"
		}
		return core.Wrap(exit, core.EPERMISSION, fmt.Sprintf(
			"%s may not run %s with sudo without a password on %s (sudo said: %q). Ask an admin to add %s "+
				"with visudo (e.g. in /etc/sudoers.d/bangui), or connect as root",
			t.User, prog, t.HostName, firstLine(s), rule))
	case status == 127 || strings.Contains(s, "sudo: "+prog+": command not found"):
		what := "install it there"
		if strings.HasPrefix(path.Base(prog), "fail2ban") {
			what = "install fail2ban there (Debian/Ubuntu: apt-get install fail2ban), or set the server's fail2ban-client path"
		}
		return core.Wrap(exit, core.ENOTFOUND, fmt.Sprintf("%s not found on %s: %s", prog, t.HostName, what))
	case status == 126:
		return core.Wrap(exit, core.EPERMISSION, fmt.Sprintf("%s may not run %s on %s (%s): connect as root, or use sudo for this server",
			t.User, prog, t.HostName, firstLine(s)))
	}
	return exit
}

// file runs fileScript for op on p (mode only for write and mkdir) and
// returns what the script printed after its marker.
func (h Host) file(ctx context.Context, op, p string, mode fs.FileMode, stdin []byte) ([]byte, error) {
	if err := CheckPath(p); err != nil {
		return nil, err
	}
	argv := []string{Python3, "-I", "-c", fileScript, p, op}
	switch op {
	case "mkdir":
		argv = append(argv, fmt.Sprintf("%04o", mode))
	case "write":
		argv = append(argv, fmt.Sprintf("%04o", mode), fmt.Sprint(len(stdin)))
	}
	line, err := h.commandLine(argv)
	if err != nil {
		return nil, err
	}
	verb := opVerb(op)
	stdout, stderr, t, err := h.exec(ctx, line, stdin, verb+" "+p)
	var ee *ssh.ExitError
	if errors.As(err, &ee) {
		return nil, h.fileError(t, op, p, exitStatus(ee), string(stderr))
	}
	if err != nil {
		return nil, err
	}
	i := bytes.Index(stdout, fileMarker)
	if i != 0 {
		junk := stdout
		if i > 0 {
			junk = stdout[:i]
		}
		if len(junk) > 200 {
			junk = junk[:200]
		}
		return nil, core.Errorf(core.EPROTOCOL,
			"cannot %s %s on %s: the server printed %q instead of the expected answer. A login script of %s (~/.bashrc, ~/.profile, ~/.ssh/rc) "+
				"may write to standard output even in non-interactive sessions: make it print only on a terminal", verb, p, t.HostName, junk, t.User)
	}
	return stdout[len(fileMarker):], nil
}

// opVerb names op in messages.
func opVerb(op string) string {
	if op == "mkdir" {
		return "create folder"
	}
	return op
}

// pyError matches the last line of a Python traceback for an OSError:
// "FileNotFoundError: [Errno 2] No such file or directory: '/x'".
var pyError = regexp.MustCompile(`(?m)^(\w+): \[Errno (\d+)\] ([^:\n]*)`)

// fileError explains fileScript's failure.
func (h Host) fileError(t Target, op, p string, status int, stderr string) error {
	verb := opVerb(op)
	lower := strings.ToLower(stderr)
	m := pyError.FindAllStringSubmatch(stderr, -1)
	switch {
	case h.Sudo && sudoRefused(stderr):
		return core.Errorf(core.EPERMISSION,
			"%s may not %s %s on %s with sudo without a password (sudo said: %q). Ask an admin to add these lines with visudo "+
				"(e.g. in /etc/sudoers.d/bangui): %s — or connect as root",
			t.User, verb, p, t.HostName, firstLine(stderr), strings.Join(h.sudoersHint(t.User), "\n"))
	case len(m) == 0 && strings.Contains(lower, Python3) && strings.Contains(lower, "not found"):
		return core.Errorf(core.EUNAVAILABLE, "cannot %s %s on %s: %s is missing there; install python3 (fail2ban depends on it: is fail2ban installed?)",
			verb, p, t.HostName, Python3)
	case len(m) == 0 && status == 3 && op == "write":
		return core.Errorf(core.EUNAVAILABLE, "cannot write %s on %s: the data did not arrive whole (the session was cut short), so nothing was written", p, t.HostName)
	case len(m) == 0 && status == 2:
		return core.Errorf(core.EINTERNAL, "cannot %s %s on %s: BanGUI's file command refused its arguments (%s)", verb, p, t.HostName, firstLine(stderr))
	case len(m) == 0:
		return core.Errorf(core.EUNAVAILABLE, "cannot %s %s on %s: %s", verb, p, t.HostName, lastLine(stderr))
	}
	last := m[len(m)-1]
	class, reason := last[1], last[3]
	pe := func(err error) error { return &fs.PathError{Op: op, Path: p, Err: err} }
	switch class {
	case "FileNotFoundError":
		return core.Wrap(pe(fs.ErrNotExist), core.ENOTFOUND, fmt.Sprintf("cannot %s %s on %s: it does not exist", verb, p, t.HostName))
	case "FileExistsError":
		return core.Wrap(pe(fs.ErrExist), core.ECONFLICT, fmt.Sprintf("cannot %s %s on %s: it already exists", verb, p, t.HostName))
	case "PermissionError":
		if h.Sudo || t.User == "root" {
			return core.Wrap(pe(fs.ErrPermission), core.EPERMISSION, fmt.Sprintf(
				"even root may not %s %s on %s (%s): check the file's attributes (lsattr) and SELinux or AppArmor", verb, p, t.HostName, reason))
		}
		return core.Wrap(pe(fs.ErrPermission), core.EPERMISSION, fmt.Sprintf(
			"%s may not %s %s on %s: connect as root, or turn on sudo for this server and ask an admin to add these lines with visudo "+
				"(e.g. in /etc/sudoers.d/bangui):\n%s", t.User, verb, p, t.HostName, strings.Join(h.sudoersHint(t.User), "\n")))
	case "NotADirectoryError":
		if op == "list" {
			return core.Wrap(pe(errors.New(reason)), core.EINVALID, fmt.Sprintf("cannot list %s on %s: it is not a folder", p, t.HostName))
		}
		return core.Wrap(pe(errors.New(reason)), core.EINVALID, fmt.Sprintf("cannot %s %s on %s: a part of the path is not a folder", verb, p, t.HostName))
	case "IsADirectoryError":
		return core.Wrap(pe(errors.New(reason)), core.EINVALID, fmt.Sprintf("cannot %s %s on %s: it is a folder", verb, p, t.HostName))
	}
	return core.Wrap(pe(errors.New(reason)), core.EUNAVAILABLE, fmt.Sprintf("cannot %s %s on %s: %s", verb, p, t.HostName, reason))
}

// sudoersHint is HostSudoersLines for the error messages.
func (h Host) sudoersHint(user string) []string {
	lines, err := HostSudoersLines(user, h.ConfigDir)
	if err != nil {
		return []string{"(no rule can be written for this user or config folder: " + core.ErrorMessage(err) + ")"}
	}
	return lines
}

// commandLine quotes argv into the shell line the session runs:
// "exec [sudo -n] 'argv0' 'argv1'...".
func (h Host) commandLine(argv []string) (string, error) {
	// exec: the program replaces the shell, so that a signal reaches it.
	q := make([]string, 0, len(argv)+3)
	q = append(q, "exec")
	if h.Sudo {
		q = append(q, "sudo", "-n")
	}
	for _, a := range argv {
		s, err := Quote(a)
		if err != nil {
			return "", err
		}
		q = append(q, s)
	}
	return strings.Join(q, " "), nil
}

// exec runs line in a new session with stdin (nil: none). what names the
// command in messages. When ctx ends first, the command gets SIGTERM and
// exec returns at once, without output. A non-zero exit comes back as *ssh.ExitError; every
// other failure is a *core.Error.
func (h Host) exec(ctx context.Context, line string, stdin []byte, what string) (stdout, stderr []byte, t Target, err error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, t, core.Wrap(err, core.ECANCELED, what+" was cancelled")
	}
	if h.SSH == nil {
		return nil, nil, t, core.Errorf(core.EINTERNAL, "remote: host without an SSH connection")
	}
	c, err := h.SSH.SSHClient(ctx)
	if err != nil {
		return nil, nil, t, err
	}
	t = c.Target()
	sess, err := c.newSession(ctx)
	if err != nil {
		return nil, nil, t, err
	}
	defer sess.Close()
	var o, e bytes.Buffer
	sess.Stdout, sess.Stderr = &o, &e
	if stdin != nil {
		sess.Stdin = bytes.NewReader(stdin)
	}
	if err := sess.Start(line); err != nil {
		return nil, nil, t, core.Wrap(err, core.EUNAVAILABLE, fmt.Sprintf("cannot start %s on %s", what, t.Addr()))
	}
	done := make(chan error, 1)
	go func() { done <- sess.Wait() }()
	select {
	case err = <-done:
	case <-ctx.Done():
		// sshd does not end a command whose channel is closed: signal
		// it (the line starts with exec, so the signal reaches the
		// program, and sudo passes it on), close the session and leave
		// without waiting. The output buffers are still being written.
		_ = sess.Signal(ssh.SIGTERM)
		_ = sess.Close()
		return nil, nil, t, core.Wrap(ctx.Err(), core.ECANCELED, what+" on "+t.HostName+" was cancelled")
	}
	var ee *ssh.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
	default:
		// No exit status: the connection died or the session was torn
		// down under the command.
		err = core.Wrap(err, core.EUNAVAILABLE, fmt.Sprintf("the SSH connection to %s was lost during %s: the command may or may not have run", t.Addr(), what))
	}
	return o.Bytes(), e.Bytes(), t, err
}

// Quote returns s as one single-quoted shell word, each ' in s written as
//
//	'\''
//
// (close the quote, an escaped quote, open again). s must not hold NUL,
// newline or carriage return: sshd hands the line to the user's shell, and
// those do not survive every shell and log.
func Quote(s string) (string, error) {
	if strings.ContainsAny(s, "\x00\n\r") {
		return "", core.Errorf(core.EINVALID, "%q cannot be passed to a remote command: it holds a NUL or line break", s)
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'", nil
}

// CheckPath refuses paths that are not absolute, not clean (//, /./, /../,
// a trailing /) or hold NUL or line breaks.
func CheckPath(p string) error {
	if !strings.HasPrefix(p, "/") || path.Clean(p) != p || strings.ContainsAny(p, "\x00\n\r") {
		return core.Errorf(core.EINVALID, "%q is not a usable path on the server: it must be absolute and clean, without line breaks", p)
	}
	return nil
}

// sudoRefused reports whether stderr is sudo refusing to run a command
// without a password.
func sudoRefused(stderr string) bool {
	l := strings.ToLower(stderr)
	for _, s := range []string{"a password is required", "not allowed to execute", "is not in the sudoers file", "may not run sudo", "a terminal is required", "must have a tty"} {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	return s[strings.LastIndexByte(s, '\n')+1:]
}

var (
	sudoUserRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*$`)
	confDirRE  = regexp.MustCompile(`^/[A-Za-z0-9._/+@-]*$`)
)

// HostSudoersLines returns the sudoers rules that let user do, through
// Host with Sudo, everything BanGUI does on a server whose fail2ban config
// folder is configDir ("" = /etc/fail2ban):
//
//	USER ALL=(root) NOPASSWD: /usr/bin/fail2ban-client *
//	USER ALL=(root) NOPASSWD: /usr/bin/python3 -I -c SCRIPT DIR list, /usr/bin/python3 -I -c SCRIPT DIR/*
//
// The first runs fail2ban-client (config check, reload, ...); the second
// runs fileScript on the folder and the files below it only: it reads,
// lists, writes, removes and creates nothing else. Both are
// root-equivalent all the same, since fail2ban runs its actions as root
// and its config names them. The lines pass "visudo -c"; put them in
// /etc/sudoers.d/bangui with visudo -f.
func HostSudoersLines(user, configDir string) ([]string, error) {
	if configDir == "" {
		configDir = jailinfo.DefaultDir
	}
	if !sudoUserRE.MatchString(user) {
		return nil, core.Errorf(core.EINVALID, "%q is not a user name a sudoers rule can name", user)
	}
	if !confDirRE.MatchString(configDir) || path.Clean(configDir) != configDir || configDir == "/" {
		return nil, core.Errorf(core.EINVALID, "%q is not a usable config folder for a sudoers rule: it must be absolute and contain only letters, digits and . _ - + @ /", configDir)
	}
	py := Python3 + " -I -c " + sudoersEscape(fileScript) + " " + sudoersEscape(configDir)
	return []string{
		user + " ALL=(root) NOPASSWD: " + Fail2banClient + " *",
		user + " ALL=(root) NOPASSWD: " + py + " list, " + py + "/*",
	}, nil
}
