package f2btest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bangui/bangui/internal/testenv"
)

// Timeouts used by the harness.
const (
	startTimeout = 10 * time.Second // until the server has applied its config
	// stopTimeout covers "fail2ban-client stop" plus the exit: stopping a
	// jail runs the unban action for each of its bans (about 45 ms each
	// with the file action on a busy machine), so 1,000 bans take ~45 s.
	stopTimeout   = 90 * time.Second
	clientTimeout = 30 * time.Second // for one fail2ban-client call
)

// Server is a running (or stopped) private fail2ban-server. All its files
// live under Dir. The fields are read-only after Start.
//
// The methods may be called from several goroutines, but Stop and Restart
// must not run at the same time as each other.
type Server struct {
	// Dir holds everything below: the config, the socket, the pid file,
	// the database, fail2ban's log (fail2ban.log), the server's own
	// stdout/stderr (server.out), the action log and the jail log files.
	Dir string
	// ConfDir is the directory passed to fail2ban with -c. It holds
	// fail2ban.conf, jail.conf, filter.d/test-auth.conf and
	// action.d/testlog.conf, and nothing from /etc/fail2ban.
	ConfDir string
	// Socket is the server's unix socket. Its path is shorter than 108 bytes.
	Socket string
	// PidFile is the pid file the server writes while it runs.
	PidFile string
	// DBFile is fail2ban's own SQLite database (tables bans, bips, logs...).
	// It survives Stop and Restart.
	DBFile string
	// ActionLog is the file the testlog action appends to: one line
	// "ban <jail> <ip>" per ban and "unban <jail> <ip>" per unban,
	// including the unbans a stopping jail performs and the bans it
	// restores from the database when it starts again.
	ActionLog string
	// Jails lists the enabled jails: "app1", "app2", then Options.ExtraJails.
	// Every jail uses the test-auth filter on its own LogFile.
	Jails []string

	serverBin, clientBin string

	mu   sync.Mutex
	proc *process // nil while stopped
}

// Options adjusts the configuration Start writes. The zero value gives the
// defaults.
type Options struct {
	// DBPurgeAge is fail2ban's dbpurgeage, in fail2ban's time syntax
	// ("1d", "3600", "2h"...). Default "1d".
	DBPurgeAge string
	// BanTime is the bantime of every jail, in fail2ban's time syntax;
	// "-1" bans forever. Default "600".
	BanTime string
	// ExtraJails adds jails after app1 and app2, configured like them.
	// Names may use letters, digits, '_' and '-'.
	ExtraJails []string
}

// process is one run of fail2ban-server.
type process struct {
	cmd  *exec.Cmd
	out  *readyWriter
	done chan struct{} // closed when cmd.Wait has returned
	err  error         // result of cmd.Wait, valid once done is closed
	// logOffset is the size of fail2ban.log before this run started.
	logOffset int64
	start     time.Time
	// configured is how long the server took to print "Server ready".
	configured time.Duration
}

// exited reports whether the process has ended.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Start writes a private configuration (see the package comment and the
// Server fields) and starts fail2ban-server on it. It returns once the
// server answers "fail2ban-client ping" and runs all jails, or fails the test
// after about 10 s with the tail of the server's log in the message. A
// tb.Cleanup stops the server again.
//
// The server runs as "fail2ban-server -f -x -c ConfDir -s Socket -p PidFile"
// started with exec.Cmd.Start rather than with -b: in the foreground the
// process stays our child, so the harness knows its pid without trusting the
// pid file, notices at once if it dies during start-up, reaps it, and reads
// the "Server ready" line that fail2ban prints after the whole config has
// been applied (ping alone answers before the jails exist). The server gets
// its own process group and, on Linux, SIGTERM if the test binary dies.
func Start(tb testing.TB, opt Options) *Server {
	tb.Helper()
	testenv.Require(tb, "fail2ban-server", "fail2ban-client")
	s, err := newServer(tb, opt)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := s.stop(); err != nil {
			tb.Errorf("f2btest: cleanup: %v", err)
		}
	})
	if err := s.launch(tb); err != nil {
		tb.Fatal(err)
	}
	return s
}

// newServer prepares the directory and the configuration.
func newServer(tb testing.TB, opt Options) (*Server, error) {
	tb.Helper()
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	jails, err := opt.jailNames()
	if err != nil {
		return nil, err
	}
	dir, err := workDir(tb)
	if err != nil {
		return nil, err
	}
	s := &Server{
		Dir:       dir,
		ConfDir:   filepath.Join(dir, confDirName),
		Socket:    filepath.Join(dir, socketName),
		PidFile:   filepath.Join(dir, pidName),
		DBFile:    filepath.Join(dir, dbName),
		ActionLog: filepath.Join(dir, actionLogName),
		Jails:     jails,
	}
	if s.serverBin, err = exec.LookPath("fail2ban-server"); err != nil {
		return nil, err
	}
	if s.clientBin, err = exec.LookPath("fail2ban-client"); err != nil {
		return nil, err
	}
	if err := s.writeConfig(opt); err != nil {
		return nil, fmt.Errorf("f2btest: writing config: %w", err)
	}
	return s, nil
}

// launch starts fail2ban-server and waits until it is ready.
func (s *Server) launch(tb testing.TB) error {
	tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil && !s.proc.exited() {
		return errors.New("f2btest: server is already running")
	}
	out, err := os.OpenFile(filepath.Join(s.Dir, serverOutName), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(s.serverBin, "-f", "-x", "-c", s.ConfDir, "-s", s.Socket, "-p", s.PidFile)
	cmd.Dir = s.Dir
	// "Server ready" goes through print(); without this it would sit in
	// Python's block buffer because stdout is not a terminal.
	cmd.Env = append(os.Environ(), "PYTHONUNBUFFERED=1")
	w := newReadyWriter(out)
	cmd.Stdout, cmd.Stderr = w, w // one pipe, one copying goroutine
	cmd.WaitDelay = 2 * time.Second
	prepareCmd(cmd)
	p := &process{
		cmd:       cmd,
		out:       w,
		done:      make(chan struct{}),
		logOffset: fileSize(filepath.Join(s.Dir, serverLogName)),
		start:     time.Now(),
	}
	if err := cmd.Start(); err != nil {
		_ = out.Close()
		return fmt.Errorf("f2btest: starting fail2ban-server: %w", err)
	}
	go func() {
		p.err = cmd.Wait()
		_ = out.Close()
		close(p.done)
	}()
	s.proc = p

	if err := s.waitReady(p); err != nil {
		s.kill(p)
		s.proc = nil
		return fmt.Errorf("%w\n%s", err, s.logTail())
	}
	tb.Logf("f2btest: fail2ban-server (pid %d) ready in %v (config applied after %v), socket %s",
		cmd.Process.Pid, time.Since(p.start).Round(time.Millisecond), p.configured.Round(time.Millisecond), s.Socket)
	return nil
}

// waitReady waits until p has printed "Server ready", has started every
// jail and answers ping.
func (s *Server) waitReady(p *process) error {
	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	select {
	case <-p.out.ready:
	case <-p.done:
		return fmt.Errorf("f2btest: fail2ban-server exited during start-up: %v", p.err)
	case <-timer.C:
		return fmt.Errorf("f2btest: fail2ban-server did not print \"Server ready\" within %v", startTimeout)
	}
	p.configured = time.Since(p.start)
	// fail2ban skips a jail whose config has errors and starts anyway, so
	// check that every jail reported "Jail '<name>' started" in this run's
	// part of the log. (Reading the log is cheaper than another
	// fail2ban-client call, which costs 50 to 200 ms of Python start-up.)
	log, err := readFrom(filepath.Join(s.Dir, serverLogName), p.logOffset)
	if err != nil {
		return fmt.Errorf("f2btest: reading the server log: %w", err)
	}
	for _, j := range s.Jails {
		if !strings.Contains(log, "Jail '"+j+"' started") {
			return fmt.Errorf("f2btest: jail %q did not start; see the ERROR lines in the log", j)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	out, err := s.run(ctx, "ping")
	if err != nil {
		return fmt.Errorf("f2btest: ping after start-up: %w", err)
	}
	if !strings.Contains(out, "pong") {
		return fmt.Errorf("f2btest: ping after start-up answered %q", out)
	}
	return nil
}

// readFrom returns the content of the file at path from offset on.
func readFrom(path string, offset int64) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return "", err
	}
	b, err := io.ReadAll(f)
	return string(b), err
}

// fileSize returns the size of the file at path, or 0 if it does not exist.
func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// Stop stops the server with "fail2ban-client stop" and waits until the
// process has exited and the socket is gone. A server that does not stop
// within about 10 s is killed, and the test fails. Stopping a stopped server
// does nothing; stopping a server that died on its own or that a test
// stopped through Client("stop") is fine unless it exited with an error.
//
// The database, the logs and the action log stay, so Restart can follow.
// fail2ban unbans everything when a jail stops, which shows up as "unban"
// lines in ActionLog; the bans stay in the database.
func (s *Server) Stop(tb testing.TB) {
	tb.Helper()
	if err := s.stop(); err != nil {
		tb.Fatal(err)
	}
}

// stop is Stop without a testing.TB, for cleanups.
func (s *Server) stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.proc
	if p == nil {
		return nil
	}
	s.proc = nil

	var errs []error
	if !p.exited() {
		ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
		_, cmdErr := s.run(ctx, "stop")
		cancel()
		// The command may fail because the server is already on its way
		// out (a test sent "stop" itself); only a server that stays up
		// is an error.
		select {
		case <-p.done:
		case <-time.After(stopTimeout):
			if cmdErr != nil {
				errs = append(errs, cmdErr)
			}
			errs = append(errs, fmt.Errorf("fail2ban-server (pid %d) still running %v after stop; killed it", p.cmd.Process.Pid, stopTimeout))
			s.kill(p)
		}
	}
	if p.err != nil {
		errs = append(errs, fmt.Errorf("fail2ban-server exited: %w", p.err))
	}
	if err := waitGone(s.Socket, time.Second); err != nil {
		errs = append(errs, err)
		_ = os.Remove(s.Socket)
	}
	if len(errs) > 0 {
		return fmt.Errorf("f2btest: stopping server in %s: %w\n%s", s.Dir, errors.Join(errs...), s.logTail())
	}
	return nil
}

// kill ends p and its process group: SIGTERM, then SIGKILL, and waits.
func (s *Server) kill(p *process) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		if p.exited() {
			return
		}
		killGroup(p.cmd, sig)
		select {
		case <-p.done:
			return
		case <-time.After(3 * time.Second):
		}
	}
	<-p.done
}

// waitGone waits until path no longer exists.
func waitGone(path string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		if _, err := os.Lstat(path); errors.Is(err, os.ErrNotExist) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s still exists after the server exited", path)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Restart starts the server again with the same configuration, database and
// files, as after a crash or a service restart. If the server is still
// running, Restart stops it first. Bans that have not expired come back from
// the database ("Restore Ban" in the log, new "ban" lines in ActionLog).
func (s *Server) Restart(tb testing.TB) {
	tb.Helper()
	if err := s.stop(); err != nil {
		tb.Fatal(err)
	}
	if err := s.launch(tb); err != nil {
		tb.Fatal(err)
	}
}
