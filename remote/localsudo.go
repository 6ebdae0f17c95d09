package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"strings"
	"syscall"
	"time"

	"github.com/bangui/bangui/core"
)

// LocalSudoRelay reaches this machine's fail2ban when BanGUI does not run
// as root and its socket is root-only: it runs the same fixed relay as
// SudoRelay (socat, or python3) under `sudo -n`, locally, and speaks over
// the relay's stdin and stdout. The sudoers rule is the one SudoersLine
// gives for the user running BanGUI.
type LocalSudoRelay struct {
	Socket string
	Relay  string // MethodSocat or MethodPython3; "" = socat when installed
	// Prefix runs before sudo (tests: runuser -u USER --); nil = none.
	Prefix []string
	// User names the user in messages and the sudoers line; "" = the
	// user running BanGUI.
	User string
}

var _ core.Dialer = LocalSudoRelay{}

// localRelayArgv is the relay's argv: the fixed command RelayCommand runs
// remotely, without a shell.
func localRelayArgv(relay, socket string) ([]string, error) {
	if err := ValidateSocket(socket); err != nil {
		return nil, err
	}
	switch relay {
	case MethodSocat:
		return []string{"sudo", "-n", "/usr/bin/socat", "STDIO", "UNIX-CONNECT:" + socket}, nil
	case MethodPython3:
		return []string{"sudo", "-n", "/usr/bin/python3", "-I", "-c", pythonRelay, socket}, nil
	}
	return nil, core.Errorf(core.EINVALID, "unknown relay %q: use socat or python3", relay)
}

// DialF2B starts the relay. Failures of sudo or the relay surface on the
// first read, as *core.Error, as for SudoRelay.
func (d LocalSudoRelay) DialF2B(ctx context.Context) (net.Conn, error) {
	relay := d.Relay
	if relay == "" {
		relay = MethodPython3
		if _, err := exec.LookPath("/usr/bin/socat"); err == nil {
			relay = MethodSocat
		}
	}
	argv, err := localRelayArgv(relay, d.Socket)
	if err != nil {
		return nil, err
	}
	argv = append(append([]string(nil), d.Prefix...), argv...)
	if err := ctx.Err(); err != nil {
		return nil, core.Wrap(err, core.ECANCELED, "starting the sudo relay was cancelled")
	}
	// Not CommandContext: the relay lives as long as the connection, not
	// the dial; Close ends it.
	cmd := exec.Command(argv[0], argv[1:]...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, core.Wrap(err, core.EINTERNAL, "cannot set up the sudo relay")
	}
	// Our own pipe, not StdoutPipe: Wait closes StdoutPipe's read end
	// when the relay exits, and a read racing it would see "file already
	// closed" instead of EOF and the reason sudo printed.
	stdout, stdoutW, err := os.Pipe()
	if err != nil {
		_ = stdin.Close()
		return nil, core.Wrap(err, core.EINTERNAL, "cannot set up the sudo relay")
	}
	cmd.Stdout = stdoutW
	stderr := &capBuffer{max: 4096}
	cmd.Stderr = stderr
	err = cmd.Start()
	_ = stdoutW.Close() // the relay holds its own copy
	if err != nil {
		_ = stdout.Close()
		_ = stdin.Close()
		if errors.Is(err, exec.ErrNotFound) {
			return nil, core.Errorf(core.EUNAVAILABLE, "sudo is not installed on this computer: install it (apt install sudo), or run BanGUI as root")
		}
		return nil, core.Wrap(err, core.EUNAVAILABLE, "cannot start the sudo relay")
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t := Target{HostName: "this computer", User: d.User}
	if t.User == "" {
		t.User = localUser()
	}
	onEOF := func() error {
		var werr error
		select {
		case werr = <-exited:
			exited <- werr
		case <-time.After(2 * time.Second):
		}
		if err := classifyRelayStderr(stderr.String(), t, d.Socket, relay); err != nil {
			return err
		}
		var ee *exec.ExitError
		if errors.As(werr, &ee) && ee.ExitCode() != 0 {
			return core.Errorf(core.EUNAVAILABLE, "the %s relay stopped with status %d", relay, ee.ExitCode())
		}
		return io.EOF
	}
	check := func(first []byte) error { return checkFirstReply(first, t, relay) }
	closeFn := func() error {
		_ = stdin.Close()
		if cmd.Process != nil {
			_ = cmd.Process.Signal(syscall.SIGTERM) // sudo passes it on to the relay
		}
		go func() { // the read end goes when the relay has gone
			select {
			case werr := <-exited:
				exited <- werr
			case <-time.After(5 * time.Second):
			}
			_ = stdout.Close()
		}()
		return nil
	}
	addr := sshAddr(fmt.Sprintf("sudo-%s:%s", relay, d.Socket))
	return newStreamConn(stdout, stdin, closeFn, addr, check, onEOF), nil
}

// localUser is the name of the user running BanGUI, for the sudoers line.
func localUser() string {
	if u, err := user.Current(); err == nil && !strings.ContainsAny(u.Username, " \t\n") {
		return u.Username
	}
	return "YOUR_USER"
}
