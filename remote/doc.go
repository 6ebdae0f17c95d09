// Package remote reaches fail2ban on other machines over SSH
// (golang.org/x/crypto/ssh). It implements core's interfaces (core.Dialer
// first); core never imports it.
//
//   - Resolve reads the user's ssh config (HostName, Port, User,
//     IdentityFile, ProxyJump, UserKnownHostsFile) into a Target.
//   - Dial opens a *Client: ProxyJump chains, host keys checked against
//     known_hosts (unknown: ask, changed: refuse), ssh-agent and key files,
//     keep-alives.
//   - StreamLocal, SudoRelay and Auto are core.Dialers that give the f2b
//     client a connection to the remote fail2ban socket: a
//     direct-streamlocal channel (root), or a session running socat or a
//     small python3 relay under `sudo -n` (a user with a sudoers rule).
//   - Reconnector hands out a live *Client and re-dials a dead one, with
//     backoff.
package remote
