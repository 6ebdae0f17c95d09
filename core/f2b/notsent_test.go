package f2b_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/f2b"
)

// A ban job whose first dial fails never reached fail2ban: its error must
// not say that fail2ban may still be applying it.
func TestBatchErrorWhenNothingWasSent(t *testing.T) {
	c := f2b.New(f2b.UnixDialer{Path: filepath.Join(t.TempDir(), "none.sock")}, f2b.Config{})
	defer c.Close()
	_, err := c.BanIP(context.Background(), "sshd", []string{"192.0.2.1", "192.0.2.2"}, nil)
	if core.ErrorCode(err) != core.EUNAVAILABLE {
		t.Fatalf("err %v (%s)", err, core.ErrorCode(err))
	}
	msg := core.ErrorMessage(err)
	if strings.Contains(msg, "may still be applying") || !strings.Contains(msg, "0 of 2 addresses were confirmed") {
		t.Errorf("message %q", msg)
	}
}
