package jailconf

import (
	"strings"
	"testing"
)

// Outputs recorded from fail2ban-client 1.0.2 (Debian 12).
func TestMessage(t *testing.T) {
	for name, tc := range map[string]struct{ stdout, stderr, want string }{
		"syntax error": {"",
			"2026-11-27 04:36:49,787 fail2ban                [21831]: ERROR   Failed during configuration: File contains no section headers.\n" +
				"file: '/tmp/exp/conf/jail.d/zz.local', line: 1\n'[app1\\n'\n" +
				"2026-11-27 04:36:49,788 fail2ban                [21831]: ERROR   ERROR: test configuration failed\n",
			"File contains no section headers. file: '/tmp/exp/conf/jail.d/zz.local', line: 1 '[app1\\n'"},
		"missing filter": {"",
			"2026-11-27 04:36:50,036 fail2ban.configreader   [21836]: ERROR   Found no accessible config files for 'filter.d/nosuch' under /tmp/exp/conf\n" +
				"2026-11-27 04:36:50,036 fail2ban.jailreader     [21836]: ERROR   Unable to read the filter 'nosuch'\n" +
				"2026-11-27 04:36:50,036 fail2ban.jailsreader    [21836]: ERROR   Errors in jail 'app1'.\n" +
				"2026-11-27 04:36:50,038 fail2ban                [21836]: ERROR   ERROR: test configuration failed\n",
			"Found no accessible config files for 'filter.d/nosuch' under /tmp/exp/conf\nUnable to read the filter 'nosuch'\nErrors in jail 'app1'."},
		"warning and error": {"",
			"2026-11-27 04:36:50,662 fail2ban.configreader   [21874]: WARNING Wrong value for 'maxretry' in 'app1'. Using default one: 'None'\n" +
				"2026-11-27 04:36:50,449 fail2ban                [21867]: ERROR   Failed during configuration: Have not found any log file for app1 jail\n" +
				"2026-11-27 04:36:50,449 fail2ban                [21867]: ERROR   ERROR: test configuration failed\n",
			"Have not found any log file for app1 jail"},
		"reload, bad value": {"name 'abc' is not defined\n",
			"2026-11-27 04:36:58,503 fail2ban                [22168]: ERROR   NOK: (\"name 'abc' is not defined\",)\n",
			"name 'abc' is not defined"},
		"reload, unknown jail": {"Sorry but the jail 'newjail' does not exist\n",
			"2026-11-27 04:36:57,546 fail2ban.configreader   [22161]: WARNING 'filter' not defined in 'newjail'. Using default one: ''\n" +
				"2026-11-27 04:36:57,728 fail2ban                [22165]: ERROR   NOK: ('newjail',)\n",
			"Sorry but the jail 'newjail' does not exist"},
		"no config folder": {"ERROR: Base configuration directory /nonexistent does not exist \n",
			"2026-11-27 04:38:03,299 fail2ban                [23227]: ERROR   Init of command line failed\n",
			"Base configuration directory /nonexistent does not exist"},
		"no server": {"",
			"2026-11-27 04:38:03,042 fail2ban                [23225]: ERROR   Could not find server\n",
			"Could not find server"},
		"traceback only": {"", "Traceback (most recent call last):\n  File \"x\", line 1\nKeyError: 'x'\n",
			"Traceback (most recent call last):\n  File \"x\", line 1\nKeyError: 'x'"},
	} {
		if got := message([]byte(tc.stdout), []byte(tc.stderr)); got != tc.want {
			t.Errorf("%s:\ngot  %q\nwant %q", name, got, tc.want)
		}
	}
}

func TestSummary(t *testing.T) {
	got := summary([]byte("OK: configuration test is successful\n"),
		[]byte("2026-11-27 04:36:57,546 fail2ban.configreader   [22161]: WARNING 'filter' not defined in 'newjail'. Using default one: ''\n"+
			"2026-11-27 04:36:57,546 fail2ban.configreader   [22161]: INFO    Loading configs\n"))
	want := "OK: configuration test is successful\nWARNING: 'filter' not defined in 'newjail'. Using default one: ''"
	if got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
	if got := summary([]byte("OK\n"), nil); got != "OK" {
		t.Errorf("reload summary %q", got)
	}
}

func TestArgv(t *testing.T) {
	for _, tc := range []struct {
		e    *Editor
		want string
	}{
		{&Editor{}, "fail2ban-client -t"},
		{&Editor{ConfigDir: "/etc/fail2ban/", Socket: "/var/run/fail2ban/fail2ban.sock"}, "fail2ban-client -t"},
		{&Editor{ConfigDir: "/srv/f2b", Socket: "/run/f2b.sock", Client: "/usr/local/bin/fail2ban-client"},
			"/usr/local/bin/fail2ban-client -c /srv/f2b -s /run/f2b.sock -t"},
	} {
		if got := strings.Join(tc.e.argv("-t"), " "); got != tc.want {
			t.Errorf("argv = %q, want %q", got, tc.want)
		}
	}
}
