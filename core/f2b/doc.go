// Package f2b speaks fail2ban's own socket protocol: a pickled list of
// arguments followed by <F2B_END_COMMAND>, answered by one pickle and the
// same marker. It works over any net.Conn a core.Dialer hands it (a local
// Unix socket, an SSH channel, a relay under sudo), keeps one connection
// open, sends one request at a time on it, and re-dials when it breaks.
//
// Every call takes a context and gets a deadline; every reply is capped in
// size; every argument is checked before it is sent (markers, IPs, jail
// names, time values), because the server accepts garbage as an IP and
// evaluates time strings. Results are typed: no pickle value leaves the
// package.
package f2b
