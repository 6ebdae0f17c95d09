package jailconf

import (
	"strings"
	"testing"

	"github.com/bangui/bangui/core"
)

func TestNormalizeChange(t *testing.T) {
	for _, tc := range []struct{ key, in, want string }{
		{"bantime", "1h", "3600"},
		{"BanTime", " 10m ", "600"},
		{"bantime", "10 m", "600"}, // fail2ban's str2seconds gives 600 too
		{"bantime", "1h30m", "5400"},
		{"bantime", "1.5h", "5400"},
		{"bantime", "-1", "-1"},
		{"bantime", "600", "600"},
		{"findtime", "1d", "86400"},
		{"maxretry", "1", "1"},
		{"maxretry", " 1000 ", "1000"},
		{"ignoreip", "192.0.2.7  198.51.100.0/24,VPN.example.org. 192.0.2.7", "192.0.2.7 198.51.100.0/24 vpn.example.org"},
		{"ignoreip", "2001:db8::1 ::ffff:192.0.2.1", "2001:db8::1 192.0.2.1"},
		{"ignoreip", "", ""},
		{"ignoreself", "TRUE", "true"},
		{"ignoreself", "false", "false"},
	} {
		got, err := normalizeChange(Change{tc.key, tc.in})
		if err != nil || got.Value != tc.want || got.Key != strings.ToLower(tc.key) {
			t.Errorf("%s %q = %+v, %v; want %q", tc.key, tc.in, got, err, tc.want)
		}
	}
}

func TestNormalizeChangeRefuses(t *testing.T) {
	for _, tc := range []struct{ key, in, want string }{
		{"bantime", "-5", "not a time"},
		{"bantime", "1e9", "not a time"},
		{"bantime", "abc", "not a time"},
		{"bantime", "", "not a time"},
		{"bantime", "0", "shorter than a second"},
		{"bantime", "0.4", "shorter than a second"},
		{"bantime", "100y", "too long"},
		{"bantime", "600\nfoo = bar", "not a time"},
		{"bantime", "%(findtime)s", "not a time"},
		{"findtime", "-1", "not allowed"},
		{"maxretry", "0", "1 to 1000"},
		{"maxretry", "1001", "1 to 1000"},
		{"maxretry", "3.5", "1 to 1000"},
		{"maxretry", "", "1 to 1000"},
		{"ignoreip", "300.1.1.1", "not an IP address"},
		{"ignoreip", "192.0.2.7 300.1.1.1", "entry 2"},
		{"ignoreip", "192.0.2.1/24", "not an IP address"}, // host bits set
		{"ignoreip", "fe80::1%eth0", "not an IP address"},
		{"ignoreip", "%(known/ignoreip)s", "not an IP address"},
		{"ignoreself", "yes", "true or false"},
		{"enabled", "true", "not a setting BanGUI can save"},
		{"action", "iptables", "not a setting BanGUI can save"},
		{"", "1", "not a setting"},
	} {
		_, err := normalizeChange(Change{tc.key, tc.in})
		if core.ErrorCode(err) != core.EINVALID || !strings.Contains(core.ErrorMessage(err), tc.want) {
			t.Errorf("%s %q: %s %q, want EINVALID with %q", tc.key, tc.in, core.ErrorCode(err), core.ErrorMessage(err), tc.want)
		}
	}
}

func TestNormalizeChangesAndJail(t *testing.T) {
	if _, err := normalizeChanges(nil); core.ErrorCode(err) != core.EINVALID {
		t.Errorf("no changes: %v", err)
	}
	if _, err := normalizeChanges([]Change{{"bantime", "1h"}, {"BANTIME", "2h"}}); core.ErrorCode(err) != core.EINVALID ||
		!strings.Contains(core.ErrorMessage(err), "twice") {
		t.Errorf("duplicate key: %v", err)
	}
	for _, j := range []string{"../x", "", "DEFAULT", "default", "INCLUDES", "a b", "[app1]", "app1\n[x]"} {
		if err := normalizeJail(j); core.ErrorCode(err) != core.EINVALID {
			t.Errorf("jail %q: %v", j, err)
		}
	}
	for _, j := range []string{"sshd", "nginx-http-auth", "app1", "a.b@c+d"} {
		if err := normalizeJail(j); err != nil {
			t.Errorf("jail %q: %v", j, err)
		}
	}
}
