package testenv

import (
	"fmt"
	"strings"
	"testing"
)

// recorder is a testing.TB that records Fatalf and Skipf instead of stopping
// the goroutine. Unimplemented methods panic through the nil embedded TB.
type recorder struct {
	testing.TB
	fatal, skip string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) { r.fatal = fmt.Sprintf(format, args...) }

func (r *recorder) Skipf(format string, args ...any) { r.skip = fmt.Sprintf(format, args...) }

func TestInCI(t *testing.T) {
	for _, tc := range []struct {
		val  string
		want bool
	}{
		{"true", true}, {"1", true}, {"TRUE", true},
		{"", false}, {"false", false}, {"0", false}, {"yes", false},
	} {
		t.Setenv("CI", tc.val)
		if got := InCI(); got != tc.want {
			t.Errorf("CI=%q: InCI() = %v, want %v", tc.val, got, tc.want)
		}
	}
}

func TestRequirePresent(t *testing.T) {
	for _, ci := range []string{"true", ""} {
		t.Setenv("CI", ci)
		r := &recorder{}
		Require(r, "sh", "/bin/sh")
		if r.fatal != "" || r.skip != "" {
			t.Errorf("CI=%q: Require(sh) stopped the test: fatal=%q skip=%q", ci, r.fatal, r.skip)
		}
	}
}

func TestRequireMissing(t *testing.T) {
	const absent = "/nonexistent/bin/fail2ban-server"
	wantParts := []string{`"` + absent + `"`, "fail2ban", `"no-such-cmd-xyz"`, "apt-get install -y fail2ban"}

	t.Setenv("CI", "")
	r := &recorder{}
	Require(r, "sh", absent, "no-such-cmd-xyz")
	if r.fatal != "" || r.skip == "" {
		t.Fatalf("outside CI: want Skipf, got fatal=%q skip=%q", r.fatal, r.skip)
	}
	for _, p := range wantParts {
		if !strings.Contains(r.skip, p) {
			t.Errorf("skip message %q lacks %q", r.skip, p)
		}
	}

	t.Setenv("CI", "true")
	r = &recorder{}
	Require(r, absent, "no-such-cmd-xyz")
	if r.skip != "" || r.fatal == "" {
		t.Fatalf("in CI: want Fatalf, got fatal=%q skip=%q", r.fatal, r.skip)
	}
	for _, p := range wantParts {
		if !strings.Contains(r.fatal, p) {
			t.Errorf("fatal message %q lacks %q", r.fatal, p)
		}
	}
}

func TestPackage(t *testing.T) {
	for cmd, want := range map[string]string{
		"fail2ban-server":      "fail2ban",
		"fail2ban-client":      "fail2ban",
		"/usr/sbin/sshd":       "openssh-server",
		"Xvfb":                 "xvfb",
		"import":               "imagemagick",
		"socat":                "socat",
		"sqlite3":              "sqlite3",
		"xdotool":              "xdotool",
		"definitely-not-known": "",
	} {
		if got := Package(cmd); got != want {
			t.Errorf("Package(%q) = %q, want %q", cmd, got, want)
		}
	}
}
