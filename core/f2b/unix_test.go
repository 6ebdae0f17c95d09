package f2b_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/bangui/bangui/core/f2b"
)

func TestFindSocket(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if got := f2b.FindSocket(dir); got != f2b.DefaultSocket {
		t.Fatalf("empty folder: %q", got)
	}
	write("fail2ban.conf", "[Definition]\nloglevel = INFO\nsocket = /run/a.sock\n[Thread]\nsocket = /wrong\n")
	if got := f2b.FindSocket(dir); got != "/run/a.sock" {
		t.Fatalf("conf: %q", got)
	}
	write("fail2ban.d/10-x.conf", "[DEFINITION]\n  socket=/run/b.sock\n")
	write("fail2ban.local", "# local\n[Definition]\n;socket = /commented\nsocket = /run/c.sock\n")
	if got := f2b.FindSocket(dir); got != "/run/c.sock" {
		t.Fatalf("local wins: %q", got)
	}
	write("fail2ban.d/20-y.local", "[Definition]\nsocket = /run/d.sock\n")
	if got := f2b.FindSocket(dir); got != "/run/d.sock" {
		t.Fatalf("fail2ban.d/*.local last: %q", got)
	}
	if got := f2b.FindSocket(filepath.Join(dir, "missing")); got != f2b.DefaultSocket {
		t.Fatalf("missing folder: %q", got)
	}
}
