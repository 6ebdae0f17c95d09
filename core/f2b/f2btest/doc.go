// Package f2btest starts a private, real fail2ban-server for tests.
//
// Start writes a self-contained configuration into a temporary directory and
// runs Debian's fail2ban-server on a socket, pid file, database and log files
// inside that directory. It never touches the firewall, system services or
// /etc/fail2ban: the only action (testlog) appends "ban <jail> <ip>" and
// "unban <jail> <ip>" lines to Server.ActionLog. Tests produce bans the way
// production does, by appending failure lines to a jail's log file
// (WriteFailures), or directly with Client("set", jail, "banip", ip).
//
// Timing on a 2-vCPU machine: Start takes 0.5 to 1 s (fail2ban applies its
// config after 0.3 to 0.6 s, then one "fail2ban-client ping" costs 50 to
// 300 ms of Python start-up), Stop about 0.7 to 1 s. The polling backend
// looks at the log files once a second, so a ban caused by WriteFailures
// shows up after 0.3 to 1.2 s.
//
// If fail2ban is not installed, Start skips the test, or fails it when CI=true
// (see internal/testenv).
package f2btest
