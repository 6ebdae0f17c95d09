package f2btest_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bangui/bangui/core/f2b/f2btest"
)

// banTimeout bounds WaitBanned: the polling backend looks at the log files
// once a second.
const banTimeout = 10 * time.Second

func TestBanFromLogIPv4AndIPv6(t *testing.T) {
	t.Parallel()
	t0 := time.Now()
	s := f2btest.Start(t, f2btest.Options{})
	t.Logf("Start took %v", time.Since(t0).Round(time.Millisecond))

	if n := len(s.Socket); n >= 108 {
		t.Errorf("socket path is %d bytes, want < 108: %s", n, s.Socket)
	}
	if got := s.Client(t, "ping"); !strings.Contains(got, "pong") {
		t.Fatalf("ping = %q, want pong", got)
	}
	if got := s.Client(t, "get", "dbfile"); !strings.Contains(got, s.DBFile) {
		t.Errorf("get dbfile = %q, want %s", got, s.DBFile)
	}

	for _, ip := range []string{"192.0.2.10", "2001:db8::10"} {
		t0 := time.Now()
		s.WriteFailures(t, "app1", ip, 2)
		s.WaitBanned(t, "app1", ip, banTimeout)
		t.Logf("%s banned %v after WriteFailures", ip, time.Since(t0).Round(time.Millisecond))

		if got := s.Client(t, "status", "app1"); !strings.Contains(got, ip) {
			t.Errorf("status app1 does not list %s:\n%s", ip, got)
		}
		if got := s.Client(t, "status", "app2"); strings.Contains(got, ip) {
			t.Errorf("status app2 lists %s, which failed only in app1:\n%s", ip, got)
		}
	}
	if _, err := os.Stat(s.DBFile); err != nil {
		t.Errorf("database: %v", err)
	}
}

func TestStopRestartKeepsBan(t *testing.T) {
	t.Parallel()
	const ip = "192.0.2.10"
	s := f2btest.Start(t, f2btest.Options{BanTime: "1h"})
	s.WriteFailures(t, "app1", ip, 2)
	s.WaitBanned(t, "app1", ip, banTimeout)

	t0 := time.Now()
	s.Stop(t)
	t.Logf("Stop took %v", time.Since(t0).Round(time.Millisecond))
	for _, f := range []string{s.Socket, s.PidFile} {
		if _, err := os.Lstat(f); !os.IsNotExist(err) {
			t.Errorf("%s still there after Stop (err %v)", f, err)
		}
	}
	actions, _ := os.ReadFile(s.ActionLog)
	if !strings.Contains(string(actions), "unban app1 "+ip) {
		t.Errorf("stopping the jail did not unban %s; action log:\n%s", ip, actions)
	}
	s.Stop(t) // stopping twice is harmless

	t0 = time.Now()
	s.Restart(t)
	t.Logf("Restart took %v", time.Since(t0).Round(time.Millisecond))
	s.WaitBanned(t, "app1", ip, banTimeout) // restored from the database
	if got := s.Client(t, "get", "app1", "banned", ip); got != "1" {
		t.Errorf("get app1 banned %s = %q after restart, want 1", ip, got)
	}
	if got := s.Client(t, "status", "app1"); !strings.Contains(got, ip) {
		t.Errorf("status app1 after restart does not list %s:\n%s", ip, got)
	}
	log, _ := os.ReadFile(filepath.Join(s.Dir, "fail2ban.log"))
	if !strings.Contains(string(log), "Restore Ban "+ip) {
		t.Errorf("fail2ban.log has no \"Restore Ban %s\"", ip)
	}
}

func TestStoppedByClientThenRestart(t *testing.T) {
	t.Parallel()
	s := f2btest.Start(t, f2btest.Options{})
	s.Client(t, "stop") // the server goes away behind the harness's back
	s.Restart(t)
	if got := s.Client(t, "ping"); !strings.Contains(got, "pong") {
		t.Fatalf("ping after restart = %q", got)
	}
	// A manual ban works too and goes through the test action.
	s.Client(t, "set", "app2", "banip", "198.51.100.7")
	s.WaitBanned(t, "app2", "198.51.100.7", banTimeout)
}

func TestOptions(t *testing.T) {
	t.Parallel()
	s := f2btest.Start(t, f2btest.Options{DBPurgeAge: "2d", BanTime: "-1", ExtraJails: []string{"app3"}})
	if want := []string{"app1", "app2", "app3"}; strings.Join(s.Jails, ",") != strings.Join(want, ",") {
		t.Errorf("Jails = %v, want %v", s.Jails, want)
	}
	if got := s.Client(t, "get", "dbpurgeage"); !strings.Contains(got, "172800") {
		t.Errorf("get dbpurgeage = %q, want 172800 seconds", got)
	}
	if got := s.Client(t, "get", "app3", "bantime"); got != "-1" {
		t.Errorf("get app3 bantime = %q, want -1", got)
	}
	if got := s.Client(t, "get", "app1", "maxretry"); got != "2" {
		t.Errorf("get app1 maxretry = %q, want 2", got)
	}
	s.WriteFailures(t, "app3", "203.0.113.3", 3)
	s.WaitBanned(t, "app3", "203.0.113.3", banTimeout)
}
