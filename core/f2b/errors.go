package f2b

import (
	"context"
	"errors"
	"fmt"
	"strings"

	pickle "github.com/kisielk/og-rek"

	"github.com/bangui/bangui/core"
)

// ServerError is an exception fail2ban raised while running a command: the
// reply (1, exception). Class is the Python class ("builtins.ValueError",
// "fail2ban.exceptions.UnknownJailException"); Args are its arguments as
// text.
type ServerError struct {
	Class string
	Args  []string
}

func (e *ServerError) Error() string {
	name := e.Class
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		name = name[i+1:]
	}
	return fmt.Sprintf("%s(%s)", name, strings.Join(quoteAll(e.Args), ", "))
}

// IsUnknownJail reports whether the server did not know the jail.
func (e *ServerError) IsUnknownJail() bool {
	return strings.HasSuffix(e.Class, "UnknownJailException")
}

// IsInvalidCommand reports whether the server did not know the command,
// which is how an older fail2ban answers a newer command.
func (e *ServerError) IsInvalidCommand() bool {
	return len(e.Args) == 1 && e.Args[0] == "Invalid command"
}

func quoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, a := range s {
		out[i] = fmt.Sprintf("%q", a)
	}
	return out
}

func serverError(v any) *ServerError {
	c, ok := v.(pickle.Call)
	if !ok {
		return &ServerError{Class: "unknown", Args: []string{fmt.Sprint(normalize(v))}}
	}
	e := &ServerError{Class: c.Callable.Module + "." + c.Callable.Name}
	for _, a := range c.Args {
		switch s := normalize(a).(type) {
		case string:
			e.Args = append(e.Args, s)
		default:
			e.Args = append(e.Args, fmt.Sprint(s))
		}
	}
	return e
}

// ProtocolError means the bytes on the connection did not follow fail2ban's
// protocol: a reply that could not be decoded, a missing end marker, an
// unexpected shape, or a bare "ERROR: ..." string from the server.
type ProtocolError struct {
	Msg string
}

func (e *ProtocolError) Error() string { return "fail2ban protocol: " + e.Msg }

// VersionError is returned, before anything is sent, for a command the
// server's fail2ban is too old to know.
type VersionError struct {
	Command string
	Need    string
	Have    core.Version
}

func (e *VersionError) Error() string {
	return fmt.Sprintf("%s needs fail2ban %s or newer, server has %s", e.Command, e.Need, e.Have)
}

// userError wraps err, the failure of command args, in a *core.Error with a
// message a user can act on. Errors that already are *core.Error pass
// through unchanged.
func userError(args []string, err error) error {
	var ce *core.Error
	if errors.As(err, &ce) {
		return err
	}
	cmd := strings.Join(args, " ")
	if len(cmd) > 120 {
		cmd = cmd[:117] + "..."
	}
	var se *ServerError
	var pe *ProtocolError
	var ve *VersionError
	switch {
	case errors.Is(err, context.Canceled):
		return core.Wrap(err, core.ECANCELED, fmt.Sprintf("%q was cancelled", cmd))
	case errors.As(err, &se) && se.IsUnknownJail():
		jail := ""
		if len(se.Args) > 0 {
			jail = se.Args[0]
		}
		return core.Wrap(err, core.ENOTFOUND, fmt.Sprintf("fail2ban has no jail %q: it may have been stopped or renamed; refresh the jail list", jail))
	case errors.As(err, &se):
		return core.Wrap(err, core.ESERVER, fmt.Sprintf("fail2ban refused %q: %s", cmd, se.Error()))
	case errors.As(err, &ve):
		return core.Wrap(err, core.EUNSUPPORTED, ve.Error()+": upgrade fail2ban on that server")
	case errors.Is(err, errReplyTooLarge):
		return core.Wrap(err, core.EPROTOCOL, fmt.Sprintf("fail2ban's answer to %q is larger than this app accepts; the connection was closed", cmd))
	case errors.As(err, &pe):
		return core.Wrap(err, core.EPROTOCOL, fmt.Sprintf("fail2ban's answer to %q could not be read; the connection was reset", cmd))
	case isTimeout(err):
		return core.Wrap(err, core.EUNAVAILABLE, fmt.Sprintf("fail2ban did not answer %q in time: the server may be busy with a long ban job, or hung; try again", cmd))
	}
	return core.Wrap(err, core.EUNAVAILABLE, fmt.Sprintf("lost the connection to fail2ban during %q: is the server still running?", cmd))
}
