// Package testenv lets tests declare the external programs they need.
//
// A test that runs a real fail2ban-server, sshd or Xvfb calls Require first.
// On a developer machine a missing program skips the test; in CI (CI=true)
// it fails the test, so a broken CI image cannot pass by skipping everything.
// Either way the message names the Debian package to install.
package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// debianPackages maps a command name to the Debian package that provides it.
var debianPackages = map[string]string{
	"fail2ban-server": "fail2ban",
	"fail2ban-client": "fail2ban",
	"fail2ban-regex":  "fail2ban",
	"sshd":            "openssh-server",
	"Xvfb":            "xvfb",
	"import":          "imagemagick",
	"socat":           "socat",
	"sqlite3":         "sqlite3",
	"xdotool":         "xdotool",
}

// InCI reports whether the tests run in continuous integration, that is
// whether the environment variable CI holds a true value ("true", "1", ...,
// as parsed by strconv.ParseBool). CI services such as GitHub Actions set CI=true.
func InCI() bool {
	v, err := strconv.ParseBool(strings.TrimSpace(os.Getenv("CI")))
	return err == nil && v
}

// Require makes sure every command in cmds can be found with exec.LookPath.
// A command may be a bare name, looked up in PATH, or an absolute path.
//
// If any command is missing, Require stops the test: with tb.Fatalf when
// InCI reports true, and with tb.Skipf otherwise. The message lists every
// missing command together with the Debian package that provides it.
func Require(tb testing.TB, cmds ...string) {
	tb.Helper()
	if msg := missing(cmds); msg != "" {
		if InCI() {
			tb.Fatalf("%s", msg)
		} else {
			tb.Skipf("%s", msg)
		}
	}
}

// missing returns a description of the commands that exec.LookPath cannot
// find, or "" when all of them are present.
func missing(cmds []string) string {
	var names, pkgs []string
	for _, c := range cmds {
		if _, err := exec.LookPath(c); err == nil {
			continue
		}
		names = append(names, c)
		if p := Package(c); p != "" && !slices.Contains(pkgs, p) {
			pkgs = append(pkgs, p)
		}
	}
	if len(names) == 0 {
		return ""
	}
	var b strings.Builder
	for i, n := range names {
		if i > 0 {
			b.WriteString(", ")
		}
		if p := Package(n); p != "" {
			fmt.Fprintf(&b, "%q (Debian package %s)", n, p)
		} else {
			fmt.Fprintf(&b, "%q", n)
		}
	}
	msg := "testenv: missing command " + b.String()
	if len(pkgs) > 0 {
		msg += "; install with: apt-get install -y " + strings.Join(pkgs, " ")
	}
	return msg
}

// Package returns the Debian package that provides cmd, or "" if it is not
// known. Only the base name of cmd is used, so "/usr/sbin/sshd" gives
// "openssh-server".
func Package(cmd string) string {
	if i := strings.LastIndexByte(cmd, '/'); i >= 0 {
		cmd = cmd[i+1:]
	}
	return debianPackages[cmd]
}
