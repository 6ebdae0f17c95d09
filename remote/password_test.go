package remote_test

import (
	"context"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/remote"
	"github.com/bangui/bangui/remote/sshtest"
)

// TestSSHPasswordLogin logs in with a password (no key file at all): the
// password is asked for once, kept in memory for the next dial, and a
// wrong or declined one is refused with a clear message.
func TestSSHPasswordLogin(t *testing.T) {
	user := sshtest.UniqueName("bgw")
	srv := sshtest.Start(t, sshtest.Options{
		Users:       []sshtest.User{{Name: user, Password: "c0rrect horse"}},
		ExtraConfig: "PasswordAuthentication yes",
	})
	e := newEnv(t)
	os.MkdirAll(filepath.Dir(e.kh), 0o700)
	srv.WriteKnownHosts(t, e.kh, false)
	tg := e.target(t, srv, user)
	tg.IdentityFiles = []string{filepath.Join(e.home, "no-such-key")} // passwords only

	var asks atomic.Int32
	answers := func(list ...string) remote.AskPasswordFunc {
		return func(ctx context.Context, u, host string) (string, error) {
			n := int(asks.Add(1)) - 1
			if u != user || host != srv.Host {
				t.Errorf("asked for %s@%s", u, host)
			}
			if n < len(list) {
				return list[n], nil
			}
			return "wrong", nil
		}
	}

	// Keys only (the default): no key, so a clear refusal, no question.
	_, err := remote.Dial(ctxT(t), tg, e.opts())
	remote.MustCode(t, err, core.EPERMISSION, "no usable key")

	o := e.opts()
	o.Passphrases = &remote.Passphrases{}
	o.AskPassword = answers("nope", "c0rrect horse")
	c := dial(t, tg, o)
	if out, _, err := c.Output(ctxT(t), "id -un"); err != nil || string(out) != user+"\n" {
		t.Fatalf("id: %q %v", out, err)
	}
	if asks.Load() != 2 {
		t.Errorf("asked %d times, want 2 (a wrong one, then the right one)", asks.Load())
	}
	c.Close()
	// A reconnect uses the password kept in memory.
	c = dial(t, tg, o)
	c.Close()
	if asks.Load() != 2 {
		t.Errorf("asked again on reconnect (%d)", asks.Load())
	}

	// Wrong three times: refused, named.
	asks.Store(0)
	o.Passphrases = &remote.Passphrases{}
	o.AskPassword = answers()
	_, err = remote.Dial(ctxT(t), tg, o)
	remote.MustCode(t, err, core.EPERMISSION, "refused the password (3 tried)")

	// Declined: cancelled, not an error about the password.
	o.AskPassword = func(context.Context, string, string) (string, error) {
		return "", core.Errorf(core.ECANCELED, "the user closed the question")
	}
	_, err = remote.Dial(ctxT(t), tg, o)
	remote.MustCode(t, err, core.ECANCELED, "password for "+user)
}
