package f2btest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// Client runs "fail2ban-client -c ConfDir -s Socket args..." and returns its
// trimmed standard output. It fails the test if the command fails or takes
// longer than 30 s. Passing -c keeps the client away from /etc/fail2ban,
// which it would otherwise read for its defaults.
//
// Example: s.Client(t, "set", "app1", "banip", "192.0.2.1").
func (s *Server) Client(tb testing.TB, args ...string) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	out, err := s.run(ctx, args...)
	if err != nil {
		tb.Fatalf("f2btest: %v", err)
	}
	return out
}

// run runs fail2ban-client against the server.
func (s *Server) run(ctx context.Context, args ...string) (string, error) {
	full := append([]string{"-c", s.ConfDir, "-s", s.Socket}, args...)
	cmd := exec.CommandContext(ctx, s.clientBin, full...)
	cmd.Dir = s.Dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		return "", fmt.Errorf("fail2ban-client %s: %w\nstdout: %s\nstderr: %s",
			strings.Join(args, " "), err, strings.TrimSpace(stdout.String()), strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(stdout.String()), nil
}

// LogFile returns the log file that jail watches (Dir/logs/<jail>.log).
func (s *Server) LogFile(jail string) string {
	return filepath.Join(s.Dir, logsDirName, jail+".log")
}

// WriteFailures appends n lines "YYYY-MM-DD hh:mm:ss auth failure from ip"
// to jail's log file, stamped with the current local time as the filter's
// datepattern expects (lines older than findtime would be ignored). With
// maxretry = 2, two failures ban the IP within about a second.
func (s *Server) WriteFailures(tb testing.TB, jail, ip string, n int) {
	tb.Helper()
	if !slices.Contains(s.Jails, jail) {
		tb.Fatalf("f2btest: WriteFailures: unknown jail %q (have %v)", jail, s.Jails)
	}
	line := time.Now().Format("2006-01-02 15:04:05") + " auth failure from " + ip + "\n"
	f, err := os.OpenFile(s.LogFile(jail), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		tb.Fatalf("f2btest: WriteFailures: %v", err)
	}
	_, err = f.WriteString(strings.Repeat(line, n))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		tb.Fatalf("f2btest: WriteFailures: %v", err)
	}
}

// WaitBanned polls ActionLog until ip is banned in jail, that is until the
// last "ban"/"unban" line for that jail and ip is a "ban" line. IP addresses
// are compared in canonical form. It fails the test, showing the action log
// and the server log, on timeout or if the server exits meanwhile.
func (s *Server) WaitBanned(tb testing.TB, jail, ip string, timeout time.Duration) {
	tb.Helper()
	s.mu.Lock()
	p := s.proc
	s.mu.Unlock()
	deadline := time.Now().Add(timeout)
	for {
		data, err := os.ReadFile(s.ActionLog)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			tb.Fatalf("f2btest: WaitBanned: %v", err)
		}
		if lastAction(data, jail, ip) == "ban" {
			return
		}
		if p == nil || p.exited() {
			tb.Fatalf("f2btest: WaitBanned(%s, %s): the server is not running\n%s", jail, ip, s.logTail())
		}
		if time.Now().After(deadline) {
			tb.Fatalf("f2btest: %s was not banned in %s within %v; action log:\n%s\n%s",
				ip, jail, timeout, data, s.logTail())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// lastAction returns "ban", "unban" or "" for the last line in the action
// log data that concerns jail and ip.
func lastAction(data []byte, jail, ip string) string {
	want := canonicalIP(ip)
	last := ""
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) == 3 && (f[0] == "ban" || f[0] == "unban") && f[1] == jail && canonicalIP(f[2]) == want {
			last = f[0]
		}
	}
	return last
}

// canonicalIP returns ip in Go's canonical form, or ip itself if it is not
// an address.
func canonicalIP(ip string) string {
	if a, err := netip.ParseAddr(ip); err == nil {
		return a.Unmap().String()
	}
	return ip
}
