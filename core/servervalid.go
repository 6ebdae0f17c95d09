package core

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxServerNameLen is the longest server name accepted, in characters.
const MaxServerNameLen = 64

var (
	hostRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._:%-]*$`)
	userRE = regexp.MustCompile(`^[a-z_][a-z0-9_.-]*\$?$`)
)

// checkName checks a name typed by the user: missing (when missing is
// not "", it is the message), too long, or holding control characters.
func checkName(what, value, missing string, max int) error {
	switch {
	case value == "" && missing != "":
		return Errorf(EINVALID, "%s", missing)
	case utf8.RuneCountInString(value) > max:
		return Errorf(EINVALID, "the %s is too long: use at most %d characters", what, max)
	case strings.IndexFunc(value, unicode.IsControl) >= 0 || !utf8.ValidString(value):
		return Errorf(EINVALID, "the %s contains control characters: use plain text", what)
	}
	return nil
}

// ValidateServer checks what the user typed for a server before it is
// saved, and normalises spaces; errors are EINVALID and name the field
// and what is allowed. Nothing here reaches a shell: the SSH code passes
// these values to the SSH library only (the socket path goes into a fixed
// relay command, and remote checks it again).
func ValidateServer(s Server) (Server, error) {
	s.Name = strings.TrimSpace(s.Name)
	s.Kind = strings.TrimSpace(s.Kind)
	s.Host = strings.TrimSpace(s.Host)
	s.User = strings.TrimSpace(s.User)
	s.Socket = strings.TrimSpace(s.Socket)
	s.ConfigDir = strings.TrimSpace(s.ConfigDir)
	s.Group = strings.Join(strings.Fields(s.Group), " ")
	if err := checkName("server name", s.Name, "the server needs a name: enter one, such as web-1", MaxServerNameLen); err != nil {
		return s, err
	}
	if err := checkName("group name", s.Group, "", MaxServerNameLen); err != nil {
		return s, err
	}
	switch {
	case s.Kind != ServerLocal && s.Kind != ServerSSH:
		return s, Errorf(EINVALID, "unknown server kind %q: choose %q or %q", s.Kind, ServerLocal, ServerSSH)
	case s.Port < 0 || s.Port > 65535:
		return s, Errorf(EINVALID, "port %d is out of range: use 1 to 65535, or leave it empty for your ssh config (default 22)", s.Port)
	}
	if s.Kind != ServerSSH {
		if s.Transport != "" || s.Auth != "" {
			return s, Errorf(EINVALID, "a transport or login method applies to SSH servers only: leave them empty for this machine's server")
		}
		return s, nil
	}
	switch s.Transport {
	case "", TransportStreamLocal, TransportSocat, TransportPython3:
	default:
		return s, Errorf(EINVALID, "unknown transport %q: choose automatic, %s, %s or %s", s.Transport, TransportStreamLocal, TransportSocat, TransportPython3)
	}
	if s.Auth != "" && s.Auth != AuthAsk {
		return s, Errorf(EINVALID, "unknown login method %q: choose keys (the agent and key files) or %s", s.Auth, AuthAsk)
	}
	switch {
	case s.Host == "":
		return s, Errorf(EINVALID, "an SSH server needs a host: enter a host name, address or ~/.ssh/config alias")
	case len(s.Host) > 253 || !hostRE.MatchString(s.Host):
		return s, Errorf(EINVALID, "%q is not a host name, address or ssh config alias (letters, digits, . - _ : only; no spaces)", s.Host)
	case s.User != "" && (len(s.User) > 32 || !userRE.MatchString(s.User)):
		return s, Errorf(EINVALID, "%q is not a user name (lower-case letters, digits, _ . -; leave it empty to use your ssh config)", s.User)
	case s.Socket != "" && (!strings.HasPrefix(s.Socket, "/") || strings.ContainsAny(s.Socket, " \t\n'\"`$\\;&|<>*?()[]{}!#~") || len(s.Socket) > 107):
		return s, Errorf(EINVALID, "%q is not a usable socket path: it must be absolute, without spaces, quotes or shell characters (fail2ban's default is /var/run/fail2ban/fail2ban.sock; leave it empty for that)", s.Socket)
	}
	return s, nil
}
