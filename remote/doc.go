// Package remote will reach fail2ban on other machines over SSH
// (golang.org/x/crypto/ssh): socket forwarding or a sudo relay, remote
// database reads and fail2ban-client runs. It implements core's interfaces
// (core.Dialer first); core never imports it. Nothing is built here yet:
// see the SSH issue.
package remote
