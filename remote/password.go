package remote

import (
	"context"
	"fmt"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/bangui/bangui/core"
)

// AskPasswordFunc asks the user for the password of user at host. It
// returns core.ECANCELED (or any error) when the user declines.
type AskPasswordFunc func(ctx context.Context, user, host string) (string, error)

// maxPasswordTries is how often a password is asked for in one dial.
const maxPasswordTries = 3

// passwordKey is where a typed password is kept in DialOptions.Passphrases
// (in memory only, like passphrases).
func passwordKey(h Target) string { return "password:" + h.User + "@" + h.Addr() }

// passwordAuth returns the password and keyboard-interactive methods of a
// hop: the password comes from memory (a reconnect does not ask again) or
// from ask, which runs with the handshake deadline lifted (pause, resume).
// A password the server refuses is forgotten. nil without AskPassword.
func passwordAuth(ctx context.Context, h Target, o *DialOptions, a *authSetup, pause, resume func()) []ssh.AuthMethod {
	if o.AskPassword == nil {
		return nil
	}
	key := passwordKey(h)
	tries := 0
	get := func() (string, error) {
		if tries > 0 {
			o.Passphrases.forget(key) // the last one was refused
		}
		if p, ok := o.Passphrases.get(key); ok && tries == 0 {
			tries++
			a.passwords++
			return p, nil
		}
		tries++
		if tries > maxPasswordTries {
			return "", a.fail(core.Errorf(core.EPERMISSION, "%s@%s refused the password %d times: check it, or the user name", h.User, h.Addr(), maxPasswordTries))
		}
		a.passwords++
		pause()
		p, err := o.AskPassword(ctx, h.User, h.HostName)
		resume()
		if err != nil {
			if ctx.Err() != nil || core.ErrorCode(err) == core.ECANCELED {
				return "", a.fail(core.Wrap(err, core.ECANCELED, fmt.Sprintf("the password for %s@%s was not given", h.User, h.HostName)))
			}
			return "", a.fail(err)
		}
		o.Passphrases.set(key, p)
		return p, nil
	}
	password := ssh.RetryableAuthMethod(ssh.PasswordCallback(get), maxPasswordTries)
	interactive := ssh.RetryableAuthMethod(ssh.KeyboardInteractive(func(name, instruction string, questions []string, echos []bool) ([]string, error) {
		answers := make([]string, len(questions))
		for i, q := range questions {
			if echos[i] || !strings.Contains(strings.ToLower(q), "password") {
				// Only the password prompt is answered: a one-time code or
				// other question needs a terminal.
				return nil, a.fail(core.Errorf(core.EPERMISSION, "%s asks %q at login, which BanGUI cannot answer: use a key, or a password-only login for this user", h.HostName, strings.TrimSpace(q)))
			}
			p, err := get()
			if err != nil {
				return nil, err
			}
			answers[i] = p
		}
		return answers, nil
	}), maxPasswordTries)
	return []ssh.AuthMethod{password, interactive}
}
