package sshtest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/bangui/bangui/internal/testenv"
)

// Programs the harness runs. sshd must be started by absolute path (it
// re-executes itself for every connection).
const (
	sshdPath       = "/usr/sbin/sshd"
	sftpServerPath = "/usr/lib/openssh/sftp-server"
	privsepDir     = "/run/sshd"
)

// Timeouts used by the harness.
const (
	startTimeout = 10 * time.Second // until sshd sends its banner
	stopTimeout  = 3 * time.Second  // for killed processes to disappear
)

// File names inside Server.Dir.
const (
	configName      = "sshd_config"
	pidName         = "sshd.pid"
	logName         = "sshd.log" // sshd's stderr (-e), all runs appended
	hostKeyPrefix   = "ssh_host_"
	authKeysDirName = "authorized_keys"
	clientKeysDir   = "client_keys"
	homesDirName    = "home"
)

// User is an account that may log in to the test server with a key pair the
// harness generates.
type User struct {
	// Name is the login name. "root" uses the existing root account. Any
	// other name is created for the test (useradd -m -d Dir/home/<name>
	// -s /bin/sh, then usermod -p '*') and removed in the cleanup. An
	// account of that name left over from a crashed run (its home lies in
	// the temp directory) is removed and created again; any other existing
	// account makes Start fail rather than touch it. Names must match
	// [a-z_][a-z0-9_-]* and be at most 32 bytes; see UniqueName.
	Name string
	// Sudoers, if set, holds sudoers lines for this user, for example
	// "bgt1a2b3c ALL=(root) NOPASSWD: /usr/bin/socat STDIO UNIX-CONNECT\\:/tmp/x.sock".
	// They are checked with "visudo -cf" and installed as
	// /etc/sudoers.d/bangui-test-<name> (mode 0440), removed in the cleanup.
	Sudoers string
	// Passphrase, if set, encrypts the user's private key file.
	Passphrase string
	// Password, if set, becomes the account's password (chpasswd), for
	// password logins; they also need "PasswordAuthentication yes" in
	// Options.ExtraConfig. Not for root.
	Password string
}

// Options describes the server Start runs. The zero value gives a server
// with an ed25519 host key and no users.
type Options struct {
	// Users may log in with public keys. Names must be unique.
	Users []User
	// HostKeys lists the host key types: "ed25519", "ecdsa" (P-256) and
	// "rsa" (3072 bits). Default: ed25519 only.
	HostKeys []string
	// NoStreamLocal sets AllowStreamLocalForwarding no, so that
	// direct-streamlocal@openssh.com channels (unix socket forwarding) are
	// refused.
	NoStreamLocal bool
	// ExtraConfig holds more sshd_config lines. sshd keeps the first value
	// it reads for most keywords, so the lines before the first "Match"
	// line are put ahead of the harness's settings and override them
	// (ListenAddress, Port, HostKey and other keywords that accumulate are
	// added instead); a Match block and everything after it go to the end
	// of the file.
	ExtraConfig string
}

// Server is a private sshd on 127.0.0.1. The exported fields are read-only
// after Start. The methods may be called from several goroutines, but Stop,
// Restart and RotateHostKeys must not run at the same time as each other.
type Server struct {
	Addr string // "127.0.0.1:PORT"
	Host string // "127.0.0.1"
	Port int
	// Dir is the harness's temporary directory: sshd_config, sshd.log (the
	// output of every run), sshd.pid, the host keys (ssh_host_<type>_key),
	// authorized_keys/<user>, client_keys/<user> (+ .pub) and home/<user>.
	// It is world-traversable (0755), because sshd reads a user's
	// authorized_keys file with that user's rights.
	Dir string

	opt      Options
	users    map[string]*userState
	keyTypes []string

	mu       sync.Mutex
	hostKeys []ssh.PublicKey
	proc     *process // nil while stopped
}

// userState is what the harness knows about one User.
type userState struct {
	User
	home    string     // home directory
	keyPath string     // private key file
	created bool       // account created by the harness (not root)
	signer  ssh.Signer // parsed key, cached by ClientSigner (under Server.mu)
}

// process is one run of sshd.
type process struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd.Wait has returned
	err  error         // result of cmd.Wait, valid once done is closed
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Start prepares the keys, accounts, sudoers files and config (see the
// package comment) and starts sshd. It returns once the port accepts TCP
// connections and sshd has sent its "SSH-2.0-..." banner, or fails the test
// after about 10 s with sshd's output in the message. A tb.Cleanup stops
// sshd and removes everything again; if the test failed, it also logs
// sshd's output (LogLevel VERBOSE shows why a login was refused).
func Start(tb testing.TB, opt Options) *Server {
	tb.Helper()
	start := time.Now()
	requireEnv(tb)
	if err := opt.check(); err != nil {
		tb.Fatal(err)
	}
	requireUserTools(tb, opt)

	dir, err := makeDir()
	if err != nil {
		tb.Fatal(err)
	}
	s := &Server{
		Host:  "127.0.0.1",
		Dir:   dir,
		opt:   opt,
		users: make(map[string]*userState),
	}
	// Cleanups run last-in first-out: the directory goes last, after the
	// accounts (whose homes lie inside it), which go after sshd.
	tb.Cleanup(func() { _ = os.RemoveAll(dir) })
	tb.Cleanup(func() {
		if err := s.removeUsers(); err != nil {
			tb.Errorf("sshtest: cleanup: %v", err)
		}
	})
	tb.Cleanup(func() {
		s.Stop()
		if tb.Failed() && fileSize(s.logPath()) > 0 {
			tb.Logf("sshtest: output of sshd (%s):\n%s", s.logPath(), s.logTail(200))
		}
	})

	if err := s.prepare(); err != nil {
		tb.Fatal(err)
	}
	if err := s.startFreshPort(); err != nil {
		tb.Fatal(err)
	}
	tb.Logf("sshtest: sshd (pid %d) listening on %s after %v (dir %s)",
		s.pid(), s.Addr, time.Since(start).Round(time.Millisecond), s.Dir)
	return s
}

// requireEnv stops the test if sshd is missing or the test does not run as
// root, following testenv's rule: skip on a developer machine, fail in CI.
func requireEnv(tb testing.TB) {
	tb.Helper()
	testenv.Require(tb, sshdPath)
	if os.Geteuid() != 0 {
		msg := "sshtest: the test must run as root (it creates accounts and runs sshd); try: sudo -E go test ..."
		if testenv.InCI() {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
}

// userName matches the account names the harness accepts.
var userName = regexp.MustCompile(`^[a-z_][a-z0-9_-]{0,31}$`)

// check validates opt.
func (opt Options) check() error {
	seen := map[string]bool{}
	for _, u := range opt.Users {
		if !userName.MatchString(u.Name) {
			return fmt.Errorf("sshtest: invalid user name %q (want [a-z_][a-z0-9_-]*, at most 32 bytes)", u.Name)
		}
		if seen[u.Name] {
			return fmt.Errorf("sshtest: duplicate user %q", u.Name)
		}
		seen[u.Name] = true
		if u.Password != "" && (u.Name == "root" || strings.ContainsAny(u.Password, ":\n")) {
			return fmt.Errorf("sshtest: user %q: a password is for created accounts only, without ':' or newlines", u.Name)
		}
	}
	for _, k := range opt.HostKeys {
		if _, ok := keyGenerators[k]; !ok {
			return fmt.Errorf("sshtest: unknown host key type %q (want ed25519, ecdsa or rsa)", k)
		}
	}
	if strings.ContainsRune(opt.ExtraConfig, 0) {
		return errors.New("sshtest: ExtraConfig contains a NUL byte")
	}
	return nil
}

// makeDir creates the harness directory. It has to be reachable by the test
// accounts, so it must not lie below a private TMPDIR.
func makeDir() (string, error) {
	for _, parent := range []string{os.TempDir(), "/tmp"} {
		if !traversable(parent) {
			continue
		}
		d, err := os.MkdirTemp(parent, "sshtest-")
		if err != nil {
			continue
		}
		if err := os.Chmod(d, 0o755); err != nil {
			_ = os.RemoveAll(d)
			return "", err
		}
		return d, nil
	}
	return "", fmt.Errorf("sshtest: no world-traversable temp dir (TMPDIR=%q)", os.Getenv("TMPDIR"))
}

// traversable reports whether everybody may traverse dir and its parents.
func traversable(dir string) bool {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return false
	}
	for {
		fi, err := os.Stat(dir)
		if err != nil || !fi.IsDir() || fi.Mode().Perm()&0o001 == 0 {
			return false
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return true
		}
		dir = parent
	}
}

// prepare writes keys, creates accounts and sudoers files and checks that
// /run/sshd exists.
func (s *Server) prepare() error {
	s.keyTypes = s.opt.HostKeys
	if len(s.keyTypes) == 0 {
		s.keyTypes = []string{"ed25519"}
	}
	if err := s.writeHostKeys(); err != nil {
		return err
	}
	for _, d := range []string{authKeysDirName, clientKeysDir, homesDirName} {
		if err := os.Mkdir(filepath.Join(s.Dir, d), 0o755); err != nil {
			return fmt.Errorf("sshtest: %w", err)
		}
	}
	if err := os.MkdirAll(privsepDir, 0o755); err != nil {
		return fmt.Errorf("sshtest: creating sshd's privilege separation directory: %w", err)
	}
	for _, u := range s.opt.Users {
		if err := s.addUser(u); err != nil {
			return err
		}
	}
	return nil
}

// startFreshPort picks a free port, writes the config and starts sshd. If
// another process grabbed the port in between, it tries another one.
func (s *Server) startFreshPort() error {
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		var port int
		if port, err = freePort(); err != nil {
			return err
		}
		s.Port = port
		s.Addr = net.JoinHostPort(s.Host, strconv.Itoa(port))
		if err = s.writeConfig(); err != nil {
			return err
		}
		s.mu.Lock()
		err = s.launch()
		s.mu.Unlock()
		if err == nil || !errors.Is(err, errAddrInUse) {
			return err
		}
	}
	return err
}

// freePort returns a port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("sshtest: finding a free port: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		return 0, err
	}
	return port, nil
}

// writeConfig writes Dir/sshd_config and checks it with "sshd -t".
func (s *Server) writeConfig() error {
	head, tail := splitExtra(s.opt.ExtraConfig)
	var b strings.Builder
	b.WriteString("# Written by sshtest for a private test server.\n")
	if head != "" {
		b.WriteString("# Options.ExtraConfig (before the harness's settings, so that they override them):\n")
		b.WriteString(head)
		b.WriteString("\n# sshtest settings:\n")
	}
	fmt.Fprintf(&b, "ListenAddress %s\nPort %d\n", s.Host, s.Port)
	for _, t := range s.keyTypes {
		fmt.Fprintf(&b, "HostKey %s\n", s.hostKeyPath(t))
	}
	streamLocal := "yes"
	if s.opt.NoStreamLocal {
		streamLocal = "no"
	}
	fmt.Fprintf(&b, `PidFile %s
AuthorizedKeysFile %s/%%u
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
AllowStreamLocalForwarding %s
Subsystem sftp %s
LogLevel VERBOSE
ClientAliveInterval 0
`, filepath.Join(s.Dir, pidName), filepath.Join(s.Dir, authKeysDirName), streamLocal, sftpServerPath)
	if tail != "" {
		b.WriteString("# Options.ExtraConfig, from its first Match line on:\n")
		b.WriteString(tail)
		b.WriteString("\n")
	}
	path := filepath.Join(s.Dir, configName)
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("sshtest: %w", err)
	}
	out, err := exec.Command(sshdPath, "-t", "-f", path).CombinedOutput()
	if err != nil {
		return fmt.Errorf("sshtest: %s -t -f %s: %v\n%s\n--- %s:\n%s", sshdPath, path, err,
			strings.TrimSpace(string(out)), configName, b.String())
	}
	return nil
}

// splitExtra splits ExtraConfig at its first Match line.
func splitExtra(extra string) (head, tail string) {
	lines := strings.Split(strings.TrimRight(extra, "\n"), "\n")
	for i, l := range lines {
		f := strings.Fields(l)
		if len(f) > 0 && strings.EqualFold(f[0], "Match") {
			return strings.TrimSpace(strings.Join(lines[:i], "\n")), strings.Join(lines[i:], "\n")
		}
	}
	return strings.TrimSpace(extra), ""
}

// errAddrInUse marks a start that failed because the port was taken.
var errAddrInUse = errors.New("address already in use")

// launch starts sshd and waits for its banner. s.mu must be held.
func (s *Server) launch() error {
	if s.proc != nil && !s.proc.exited() {
		return errors.New("sshtest: sshd is already running")
	}
	logPath := s.logPath()
	logOffset := fileSize(logPath)
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("sshtest: %w", err)
	}
	cmd := exec.Command(sshdPath, "-D", "-e", "-f", filepath.Join(s.Dir, configName))
	cmd.Dir = s.Dir
	cmd.Stdout, cmd.Stderr = logFile, logFile // a file: no copying goroutine
	prepareCmd(cmd)
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return fmt.Errorf("sshtest: starting sshd: %w", err)
	}
	_ = logFile.Close() // the child has its own copy
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	s.proc = p

	if err := s.waitBanner(p); err != nil {
		s.killProc(p)
		s.proc = nil
		out, _ := readFrom(logPath, logOffset)
		if strings.Contains(out, "Address already in use") {
			err = fmt.Errorf("%w: %w", err, errAddrInUse)
		}
		return fmt.Errorf("%w\n--- sshd output:\n%s", err, out)
	}
	return nil
}

// waitBanner waits until s.Addr accepts a connection and sends an SSH
// banner, or p exits, or startTimeout passes.
func (s *Server) waitBanner(p *process) error {
	deadline := time.Now().Add(startTimeout)
	var lastErr error
	for {
		if p.exited() {
			return fmt.Errorf("sshtest: sshd exited during start-up: %v", p.err)
		}
		banner, err := readBanner(s.Addr, time.Until(deadline))
		if err == nil {
			if !strings.HasPrefix(banner, "SSH-2.0-") {
				return fmt.Errorf("sshtest: %s sent %q instead of an SSH banner", s.Addr, banner)
			}
			return nil
		}
		lastErr = err
		if time.Now().After(deadline) {
			return fmt.Errorf("sshtest: no SSH banner from %s within %v: %v", s.Addr, startTimeout, lastErr)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// readBanner connects to addr and returns the first line it sends.
func readBanner(addr string, timeout time.Duration) (string, error) {
	if timeout < 100*time.Millisecond {
		timeout = 100 * time.Millisecond
	}
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return "", err
	}
	defer c.Close()
	if err := c.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		return "", err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return "", err
	}
	// Say goodbye politely, so that sshd logs a short line only.
	_, _ = c.Write([]byte("SSH-2.0-sshtest-probe\r\n"))
	return strings.TrimRight(line, "\r\n"), nil
}

// Stop stops sshd and every process below it: the per-connection sshd
// processes (which detach into sessions of their own and would otherwise
// outlive the listener) and the commands they run. Open client connections
// break. Stop is idempotent and also runs in the cleanup Start registers.
// Keys, accounts and files stay, so Restart can follow.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return
	}
	s.killProc(s.proc)
	s.proc = nil
}

// killProc ends p with all its descendants (SIGKILL: a test server needs
// no graceful shutdown) and waits for them.
func (s *Server) killProc(p *process) {
	if p.exited() {
		// The listener is gone; its children, if any, are orphans now.
		return
	}
	pids := killTree(p.cmd.Process.Pid)
	_ = p.cmd.Process.Kill() // for systems where killTree does nothing
	<-p.done
	waitGonePids(pids, stopTimeout)
}

// Restart stops sshd (breaking open connections) and starts it again on the
// same port with the same host keys and config, as after a service restart
// on a real host.
func (s *Server) Restart(tb testing.TB) {
	tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		s.killProc(s.proc)
		s.proc = nil
	}
	start := time.Now()
	if err := s.launch(); err != nil {
		tb.Fatal(err)
	}
	tb.Logf("sshtest: sshd (pid %d) restarted on %s in %v", s.proc.cmd.Process.Pid, s.Addr,
		time.Since(start).Round(time.Millisecond))
}

// RotateHostKeys replaces every host key with a new one of the same type
// and restarts sshd, so that clients trusting the old keys see a changed
// host key. HostPublicKeys then returns the new keys.
func (s *Server) RotateHostKeys(tb testing.TB) {
	tb.Helper()
	s.Stop()
	if err := s.writeHostKeys(); err != nil {
		tb.Fatal(err)
	}
	s.Restart(tb)
}

// pid returns the pid of the running sshd, or 0.
func (s *Server) pid() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return 0
	}
	return s.proc.cmd.Process.Pid
}

// logPath is the file sshd writes its log to.
func (s *Server) logPath() string { return filepath.Join(s.Dir, logName) }

// logTail returns the last n lines of sshd's log.
func (s *Server) logTail(n int) string {
	data, err := os.ReadFile(s.logPath())
	if err != nil {
		return err.Error()
	}
	lines := bytes.Split(bytes.TrimRight(data, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// readFrom returns the content of the file at path from offset on.
func readFrom(path string, offset int64) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	if offset > int64(len(data)) {
		offset = 0
	}
	return string(data[offset:]), nil
}

// fileSize returns the size of the file at path, or 0.
func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}
