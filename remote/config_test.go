package remote

import (
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/bangui/bangui/core"
)

func writeConfig(t *testing.T, text string) (path, home string) {
	t.Helper()
	home = t.TempDir()
	path = filepath.Join(home, "ssh_config")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, home
}

func mustCodeMsg(t *testing.T, err error, code string, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want a %s error, got nil", code)
	}
	if got := core.ErrorCode(err); got != code {
		t.Fatalf("want code %s, got %s: %v", code, got, err)
	}
	msg := core.ErrorMessage(err)
	for _, p := range parts {
		if !strings.Contains(msg, p) {
			t.Errorf("message %q lacks %q", msg, p)
		}
	}
}

func TestResolveBasics(t *testing.T) {
	path, home := writeConfig(t, `
Host web
  HostName %h.example.org
  Port 2200
  User admin
  IdentityFile ~/.ssh/web_%r_%h
  IdentityFile %d/keys/%u-%p
  UserKnownHostsFile ~/kh/known_hosts /etc/extra_known
  FrobnicateHard yes
  ConnectTimeout 7

Host *
  User fallback
  ServerAliveInterval 20
`)
	tg, err := Resolve("web", ResolveOptions{ConfigPath: path, HomeDir: home, LocalUser: "me"})
	if err != nil {
		t.Fatal(err)
	}
	if tg.HostName != "web.example.org" || tg.Port != 2200 || tg.User != "admin" {
		t.Fatalf("got %+v", tg)
	}
	wantKeys := []string{filepath.Join(home, ".ssh/web_admin_web.example.org"), home + "/keys/me-2200"}
	if !reflect.DeepEqual(tg.IdentityFiles, wantKeys) {
		t.Errorf("IdentityFiles %q, want %q", tg.IdentityFiles, wantKeys)
	}
	if want := []string{filepath.Join(home, "kh/known_hosts"), "/etc/extra_known"}; !reflect.DeepEqual(tg.UserKnownHostsFiles, want) {
		t.Errorf("UserKnownHostsFiles %q, want %q", tg.UserKnownHostsFiles, want)
	}
	if tg.ConnectTimeout.Seconds() != 7 || tg.ServerAliveInterval.Seconds() != 20 {
		t.Errorf("timeouts %v %v", tg.ConnectTimeout, tg.ServerAliveInterval)
	}
	// The unknown option is a warning naming file and line, not an error.
	if len(tg.Warnings) != 1 || !strings.Contains(tg.Warnings[0], "FrobnicateHard") || !strings.Contains(tg.Warnings[0], path+" line 9") {
		t.Errorf("warnings %q", tg.Warnings)
	}
	if tg.Addr() != "web.example.org:2200" || tg.String() != "admin@web.example.org:2200" {
		t.Errorf("Addr %q String %q", tg.Addr(), tg.String())
	}

	// Values typed for the server win over the config.
	tg, err = ResolveServer(core.Server{Host: "web", Port: 2222, User: "ops"}, ResolveOptions{ConfigPath: path, HomeDir: home, LocalUser: "me"})
	if err != nil {
		t.Fatal(err)
	}
	if tg.Port != 2222 || tg.User != "ops" || tg.HostName != "web.example.org" {
		t.Errorf("overrides not applied: %+v", tg)
	}

	// A host not in the config: defaults.
	tg, err = Resolve("10.0.0.1", ResolveOptions{ConfigPath: path, HomeDir: home, LocalUser: "me"})
	if err != nil {
		t.Fatal(err)
	}
	if tg.HostName != "10.0.0.1" || tg.Port != 22 || tg.User != "fallback" || len(tg.IdentityFiles) != 0 {
		t.Errorf("got %+v", tg)
	}
	if tg.UserKnownHostsFiles[0] != filepath.Join(home, ".ssh/known_hosts") {
		t.Errorf("default known_hosts %q", tg.UserKnownHostsFiles)
	}
}

func TestResolveMissingConfig(t *testing.T) {
	home := t.TempDir()
	tg, err := Resolve("host.example", ResolveOptions{HomeDir: home, LocalUser: "me"})
	if err != nil {
		t.Fatal(err)
	}
	if tg.User != "me" || tg.Port != 22 || tg.HostName != "host.example" {
		t.Errorf("got %+v", tg)
	}
}

func TestResolveBadConfig(t *testing.T) {
	path, home := writeConfig(t, "Host a\n  Match foo bar\n")
	_, err := Resolve("a", ResolveOptions{ConfigPath: path, HomeDir: home})
	mustCodeMsg(t, err, core.EINVALID, path, "line 2")

	_, err = Resolve("a b", ResolveOptions{ConfigPath: path, HomeDir: home})
	mustCodeMsg(t, err, core.EINVALID)
	_, err = Resolve("-oProxyCommand=x", ResolveOptions{ConfigPath: path, HomeDir: home})
	mustCodeMsg(t, err, core.EINVALID)
}

func TestResolveProxyJump(t *testing.T) {
	path, home := writeConfig(t, `
Host target
  HostName 10.1.1.1
  ProxyJump jump1,ops@jump2:2022
Host jump1
  HostName j1.example
  User j1user
  ProxyJump bastion
Host bastion
  Port 2200
Host loop1
  ProxyJump loop2
Host loop2
  ProxyJump loop1
Host self
  ProxyJump self
`)
	opts := ResolveOptions{ConfigPath: path, HomeDir: home, LocalUser: "me"}
	tg, err := Resolve("target", opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(tg.ProxyJump) != 2 {
		t.Fatalf("hops %+v", tg.ProxyJump)
	}
	j1, j2 := tg.ProxyJump[0], tg.ProxyJump[1]
	if j1.HostName != "j1.example" || j1.User != "j1user" || len(j1.ProxyJump) != 1 || j1.ProxyJump[0].Port != 2200 {
		t.Errorf("jump1 %+v", j1)
	}
	if j2.HostName != "jump2" || j2.User != "ops" || j2.Port != 2022 {
		t.Errorf("jump2 %+v", j2)
	}
	hops, err := flattenHops(tg)
	if err != nil {
		t.Fatal(err)
	}
	var addrs []string
	for _, h := range hops {
		addrs = append(addrs, h.Addr())
	}
	if want := []string{"bastion:2200", "j1.example:22", "jump2:2022", "10.1.1.1:22"}; !reflect.DeepEqual(addrs, want) {
		t.Errorf("dial order %q, want %q", addrs, want)
	}
	for _, a := range []string{"loop1", "self"} {
		_, err = Resolve(a, opts)
		mustCodeMsg(t, err, core.EINVALID, "leads back to itself")
	}
}

func TestSplitHop(t *testing.T) {
	for in, want := range map[string][3]string{
		"h":               {"", "h", "0"},
		"u@h":             {"u", "h", "0"},
		"u@h:2":           {"u", "h", "2"},
		"[::1]:22":        {"", "::1", "22"},
		"ssh://a@b.c:222": {"a", "b.c", "222"},
	} {
		u, h, p, err := splitHop(in)
		if err != nil || u != want[0] || h != want[1] || strconv.Itoa(p) != want[2] {
			t.Errorf("splitHop(%q) = %q %q %d %v", in, u, h, p, err)
		}
	}
	for _, bad := range []string{"h:0", "h:x", "a b"} {
		if _, _, _, err := splitHop(bad); err == nil {
			t.Errorf("splitHop(%q) accepted", bad)
		}
	}
}
