package core_test

import (
	"strings"
	"testing"
	"time"

	"github.com/bangui/bangui/core"
)

func TestNormalizeIP(t *testing.T) {
	good := map[string]string{
		"192.0.2.10":         "192.0.2.10",
		" 198.51.100.7 ":     "198.51.100.7",
		"2001:DB8::10":       "2001:db8::10",
		"::ffff:203.0.113.5": "203.0.113.5",
	}
	for in, want := range good {
		if got, err := core.NormalizeIP(in); err != nil || got != want {
			t.Errorf("%q: %q %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "not-an-ip!", "999.1.1.1", "fe80::1%eth0", "192.0.2.0/24", "example.org", "1.2.3", "01.2.3.4"} {
		_, err := core.NormalizeIP(bad)
		if core.ErrorCode(err) != core.EINVALID || !strings.Contains(core.ErrorMessage(err), "such as") && !strings.Contains(core.ErrorMessage(err), "zone") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestNormalizeTarget(t *testing.T) {
	if got, err := core.NormalizeTarget("198.51.100.0/24"); err != nil || got != "198.51.100.0/24" {
		t.Errorf("%q %v", got, err)
	}
	if got, err := core.NormalizeTarget("2001:db8::/32"); err != nil || got != "2001:db8::/32" {
		t.Errorf("%q %v", got, err)
	}
	for _, bad := range []string{"198.51.100.7/24", "198.51.100.0/33", "x/24", "fe80::%eth0/64"} {
		if _, err := core.NormalizeTarget(bad); core.ErrorCode(err) != core.EINVALID {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestNormalizeIPs(t *testing.T) {
	got, err := core.NormalizeIPs([]string{"192.0.2.1", "192.0.2.1", " 192.0.2.2", "198.51.100.0/24"}, true)
	if err != nil || strings.Join(got, ",") != "192.0.2.1,192.0.2.2,198.51.100.0/24" {
		t.Fatalf("%v %v", got, err)
	}
	if _, err := core.NormalizeIPs([]string{"198.51.100.0/24"}, false); err == nil {
		t.Fatal("CIDR accepted where only IPs are allowed")
	}
	if _, err := core.NormalizeIPs(nil, true); core.ErrorCode(err) != core.EINVALID {
		t.Fatal("empty list accepted")
	}
	_, err = core.NormalizeIPs([]string{"192.0.2.1", "nope"}, true)
	if !strings.HasPrefix(core.ErrorMessage(err), "entry 2: ") {
		t.Fatalf("position not named: %v", err)
	}
}

func TestValidateJailName(t *testing.T) {
	for _, ok := range []string{"sshd", "nginx-http-auth", "apache_badbots", "recidive", "a.b", "postfix@sasl", "x"} {
		if err := core.ValidateJailName(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "my jail", `ss"hd`, "ss'hd", "../etc", "a..b", "a/b", "x<F2B_END_COMMAND>", "-sshd", strings.Repeat("a", 65), "jäil", "a\nb"} {
		if err := core.ValidateJailName(bad); core.ErrorCode(err) != core.EINVALID {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestParseTimeValue(t *testing.T) {
	good := map[string]time.Duration{
		"600": 600 * time.Second, "10m": 10 * time.Minute, "1h30m": 90 * time.Minute, "1d": 24 * time.Hour,
		"2w": 14 * 24 * time.Hour, "1.5h": 90 * time.Minute, " 5 min ": 5 * time.Minute, "1h 30m 15s": time.Hour + 30*time.Minute + 15*time.Second,
		"1mo": time.Duration(365.25*86400/12) * time.Second, "1y": time.Duration(365.25*86400) * time.Second, "-1": -time.Second,
		"10M": 10 * time.Minute,
	}
	for in, want := range good {
		if got, err := core.ParseTimeValue(in, true); err != nil || got != want {
			t.Errorf("%q: %v %v, want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "abc", "1d;rm", "1d; rm -rf /", "10 m x", "__import__('os')", "1e9", "-5", "m", "1h-1", "99999999999"} {
		if _, err := core.ParseTimeValue(bad, true); core.ErrorCode(err) != core.EINVALID {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := core.ParseTimeValue("-1", false); err == nil {
		t.Error("-1 accepted where forever is not allowed")
	}
}

func TestNormalizeIgnoreEntry(t *testing.T) {
	good := map[string]string{"192.0.2.7": "192.0.2.7", "198.51.100.0/24": "198.51.100.0/24", "VPN.Example.org.": "vpn.example.org", "localhost": "localhost"}
	for in, want := range good {
		if got, err := core.NormalizeIgnoreEntry(in); err != nil || got != want {
			t.Errorf("%q: %q %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "not an ip!", "a;b", "$(id)", "-x.org", "1.2.3.4.5", strings.Repeat("a", 64) + ".org"} {
		if _, err := core.NormalizeIgnoreEntry(bad); core.ErrorCode(err) != core.EINVALID {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestParseVersion(t *testing.T) {
	cases := map[string][3]int{"1.0.2": {1, 0, 2}, "0.11.2": {0, 11, 2}, "1.1.1.dev1": {1, 1, 1}, "0.10.6-rc1": {0, 10, 6}, "1.1": {1, 1, 0}}
	for in, want := range cases {
		v, err := core.ParseVersion(in)
		if err != nil || v.Major != want[0] || v.Minor != want[1] || v.Patch != want[2] || v.String() != in {
			t.Errorf("%q: %+v %v", in, v, err)
		}
	}
	if _, err := core.ParseVersion("banana"); core.ErrorCode(err) != core.EPROTOCOL {
		t.Error("banana parsed")
	}
	v, _ := core.ParseVersion("0.11.2")
	if !v.AtLeast(0, 11, 1) || v.AtLeast(0, 11, 3) || !v.AtLeast(0, 10, 9) || v.AtLeast(1, 0, 0) {
		t.Error("AtLeast")
	}
}

func TestBanRemaining(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	b := core.Ban{Start: now.Add(-time.Minute), End: now.Add(9 * time.Minute), BanTime: 10 * time.Minute}
	if b.Remaining(now) != 9*time.Minute || b.Remaining(now.Add(time.Hour)) != 0 {
		t.Error("remaining")
	}
	if (core.Ban{Permanent: true}).Remaining(now) != -1 {
		t.Error("permanent")
	}
}

func TestErrorHelpers(t *testing.T) {
	e := core.Wrap(core.ErrNotFound, core.ENOTFOUND, "server #3 no longer exists")
	if core.ErrorCode(e) != core.ENOTFOUND || core.ErrorMessage(e) != "server #3 no longer exists" {
		t.Error(e)
	}
	if core.ErrorCode(nil) != "" || core.ErrorMessage(nil) != "" {
		t.Error("nil")
	}
	plain := strings.NewReader("").UnreadByte()
	if core.ErrorCode(plain) != core.EINTERNAL || !strings.HasPrefix(core.ErrorMessage(plain), "Unexpected error") {
		t.Error("plain")
	}
}
