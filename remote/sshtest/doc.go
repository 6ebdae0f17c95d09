// Package sshtest starts a private OpenSSH server (Debian's /usr/sbin/sshd)
// for tests of code that reaches fail2ban over SSH.
//
// Start writes host keys, client keys, authorized_keys files and an
// sshd_config into a fresh temporary directory (Server.Dir) and runs
// "/usr/sbin/sshd -D -e -f Dir/sshd_config" on 127.0.0.1 and a free high port
// chosen at run time. The system sshd, its config and port 22 are never
// touched. Everything sshd needs is in Dir, except:
//
//   - /run/sshd, sshd's privilege separation directory, which Start creates
//     (mode 0755) if it is missing and leaves in place;
//   - test accounts: every User other than "root" is created with useradd
//     (home Dir/home/<name>, shell /bin/sh) and unlocked with
//     "usermod -p '*'" (with UsePAM no, sshd refuses a locked account);
//   - sudoers rules: User.Sudoers goes into /etc/sudoers.d/bangui-test-<name>
//     after "visudo -cf" accepted it.
//
// A tb.Cleanup undoes all of it, also when the test fails: it stops sshd and
// every process below it, kills the remaining processes of the created
// accounts (pkill -u), removes them (userdel -r), deletes the sudoers files
// and then Dir. The account "root" is used as it is; its authorized key
// comes from Dir/authorized_keys/root (AuthorizedKeysFile), so nothing in
// /root changes.
//
// Account names are global on the machine while tests of several packages
// run in parallel, so give every test run its own names with UniqueName:
//
//	name := sshtest.UniqueName("bgt")
//	srv := sshtest.Start(t, sshtest.Options{Users: []sshtest.User{
//		{Name: "root"},
//		{Name: name, Sudoers: name + " ALL=(root) NOPASSWD: /usr/bin/true"},
//	}})
//	signer := srv.ClientSigner(t, name)
//	srv.WriteKnownHosts(t, knownHostsPath, false)
//	// ssh.Dial("tcp", srv.Addr, &ssh.ClientConfig{User: name, ...})
//
// Start needs root (it creates accounts and runs sshd) and
// /usr/sbin/sshd (Debian package openssh-server). Without them it skips the
// test, or fails it when CI=true (see internal/testenv).
//
// Timing on a 2-vCPU machine: Start takes 0.25 to 0.4 s with ed25519 and
// ecdsa host keys and two or three accounts (useradd, usermod and userdel
// cost 10 to 30 ms each; encrypting a key with a Passphrase costs about
// 0.1 s of bcrypt, 1.5 s under -race). An rsa host key adds 0.1 to 0.5 s of
// key generation. Restart takes 50 to 90 ms, Stop a few ms. A dial with
// public key authentication takes 50 to 70 ms; a session command as a
// created user about 70 ms. Root's sessions run root's real login shell,
// and Debian's bash reads ~/.bashrc for commands that come through sshd,
// so whatever /root/.bashrc does (pyenv init costs 0.6 s on the development
// box) is paid by every root session.
package sshtest
