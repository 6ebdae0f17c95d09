package remote_test

import (
	"testing"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/f2b"
	"github.com/bangui/bangui/core/f2b/f2btest"
	"github.com/bangui/bangui/remote"
	"github.com/bangui/bangui/remote/sshtest"
)

// TestLocalSudoRelay reaches a real local fail2ban as users who are not
// root, through `sudo -n` and the fixed relay, as BanGUI does when it does
// not run as root. The users come from sshtest (its sshd is not used);
// runuser makes the relay run as them.
func TestLocalSudoRelay(t *testing.T) {
	f2bSrv := f2btest.Start(t, f2btest.Options{})
	sock := f2bSrv.Socket
	socatUser, pyUser, noSudo := sshtest.UniqueName("bls"), sshtest.UniqueName("blp"), sshtest.UniqueName("bln")
	sshtest.Start(t, sshtest.Options{Users: []sshtest.User{
		{Name: socatUser, Sudoers: remote.SudoersLine(socatUser, sock, remote.MethodSocat)},
		{Name: pyUser, Sudoers: remote.SudoersLine(pyUser, sock, remote.MethodPython3)},
		{Name: noSudo},
	}})
	as := func(user string) []string { return []string{"runuser", "-u", user, "--"} }
	for _, c := range []struct{ user, relay string }{{socatUser, remote.MethodSocat}, {pyUser, remote.MethodPython3}} {
		t.Run(c.relay, func(t *testing.T) {
			pingStatus(t, remote.LocalSudoRelay{Socket: sock, Relay: c.relay, Prefix: as(c.user), User: c.user}, f2bSrv.Jails[0])
		})
	}
	t.Run("no sudo rule", func(t *testing.T) {
		fc := f2b.New(remote.LocalSudoRelay{Socket: sock, Relay: remote.MethodSocat, Prefix: as(noSudo), User: noSudo}, f2b.Config{})
		defer fc.Close()
		remote.MustCode(t, fc.Ping(ctxT(t)), core.EPERMISSION, "may not run the fail2ban relay with sudo", remote.SudoersLine(noSudo, sock, remote.MethodSocat))
	})
	t.Run("rule for another relay", func(t *testing.T) {
		fc := f2b.New(remote.LocalSudoRelay{Socket: sock, Relay: remote.MethodPython3, Prefix: as(socatUser), User: socatUser}, f2b.Config{})
		defer fc.Close()
		remote.MustCode(t, fc.Ping(ctxT(t)), core.EPERMISSION, "sudo")
	})
	t.Run("bad socket path", func(t *testing.T) {
		_, err := remote.LocalSudoRelay{Socket: "/tmp/x; id", Relay: remote.MethodSocat}.DialF2B(ctxT(t))
		remote.MustCode(t, err, core.EINVALID, "not a usable socket path")
	})
}
