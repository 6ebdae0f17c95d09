package core

import (
	"strings"
	"testing"
)

func TestValidateServer(t *testing.T) {
	good := Server{Name: " web1 ", Kind: ServerSSH, Host: "web1.example.org", Port: 2222, User: "ops", Socket: "/run/fail2ban/fail2ban.sock"}
	s, err := ValidateServer(good)
	if err != nil || s.Name != "web1" {
		t.Fatalf("good server: %+v %v", s, err)
	}
	if s, err := ValidateServer(Server{Name: "g", Kind: ServerSSH, Host: "h", Group: "  eu   web "}); err != nil || s.Group != "eu web" {
		t.Errorf("group spaces: %q %v, want \"eu web\"", s.Group, err)
	}
	for _, ok := range []Server{
		{Name: "a", Kind: ServerSSH, Host: "prod-db"},              // ssh config alias
		{Name: "b", Kind: ServerSSH, Host: "2001:db8::1"},          // IPv6
		{Name: "c", Kind: ServerSSH, Host: "203.0.113.5", Port: 0}, // port from the config
		{Name: "local", Kind: ServerLocal},
		{Name: "d", Kind: ServerSSH, Host: "h", Group: "web", Transport: TransportSocat, Auth: AuthAsk},
		{Name: "e", Kind: ServerSSH, Host: "h", Transport: TransportStreamLocal},
		{Name: "f", Kind: ServerSSH, Host: "h", Transport: TransportPython3},
	} {
		if _, err := ValidateServer(ok); err != nil {
			t.Errorf("%+v: %v", ok, err)
		}
	}
	for _, c := range []struct {
		s    Server
		says string
	}{
		{Server{Kind: ServerSSH, Host: "h"}, "needs a name"},
		{Server{Name: strings.Repeat("x", 65), Kind: ServerSSH, Host: "h"}, "too long"},
		{Server{Name: "a\x07", Kind: ServerSSH, Host: "h"}, "control characters"},
		{Server{Name: "a", Kind: "ftp"}, "unknown server kind"},
		{Server{Name: "a", Kind: ServerSSH}, "needs a host"},
		{Server{Name: "a", Kind: ServerSSH, Host: "h; rm -rf /"}, "not a host name"},
		{Server{Name: "a", Kind: ServerSSH, Host: "-oProxyCommand=x"}, "not a host name"},
		{Server{Name: "a", Kind: ServerSSH, Host: "h", User: "Root Admin"}, "not a user name"},
		{Server{Name: "a", Kind: ServerSSH, Host: "h", Port: 70000}, "out of range"},
		{Server{Name: "a", Kind: ServerSSH, Host: "h", Socket: "relative.sock"}, "not a usable socket path"},
		{Server{Name: "a", Kind: ServerSSH, Host: "h", Socket: "/tmp/x.sock; id"}, "not a usable socket path"},
		{Server{Name: "a", Kind: ServerSSH, Host: "h", Group: strings.Repeat("g", 65)}, "group name is too long"},
		{Server{Name: "a", Kind: ServerSSH, Host: "h", Group: "a\x00b"}, "group name contains control characters"},
		{Server{Name: "a", Kind: ServerSSH, Host: "h", Transport: "nc"}, "unknown transport"},
		{Server{Name: "a", Kind: ServerSSH, Host: "h", Auth: "kerberos"}, "unknown login method"},
		{Server{Name: "a", Kind: ServerLocal, Transport: TransportSocat}, "SSH servers only"},
	} {
		_, err := ValidateServer(c.s)
		if err == nil || ErrorCode(err) != EINVALID || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%+v: %v, want %q", c.s, err, c.says)
		}
	}
}
