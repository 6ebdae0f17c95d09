// Package jailconf makes runtime jail settings permanent. BanGUI writes
// only the keys the user changed into one file it owns,
// jail.d/bangui.local in the server's fail2ban config folder, checks the
// whole configuration with "fail2ban-client -t", reloads the jail, and puts
// the previous file back when the check or the reload fails. It never
// edits jail.conf or any file it did not write.
//
// All file access and commands go through a core.Host, so the same code
// serves the local machine (core/local) and, later, servers over SSH.
package jailconf

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sync"
	"time"

	"github.com/bangui/bangui/core"
)

// FileName is BanGUI's file, relative to the config folder.
const FileName = "jail.d/bangui.local"

// rollbackTimeout bounds putting the previous file back and reloading
// with it; those run even when the caller's ctx has been cancelled.
const rollbackTimeout = 2 * time.Minute

// Editor changes one fail2ban server's permanent jail settings. Its
// methods are safe for concurrent use and run one at a time; they block
// until fail2ban-client has finished.
type Editor struct {
	// Host reaches the machine the server runs on.
	Host core.Host
	// ConfigDir is the server's fail2ban config folder; "" means
	// /etc/fail2ban. It is passed to fail2ban-client with -c unless it is
	// the default.
	ConfigDir string
	// Socket is the server's socket; "" means the one the config names.
	// It is passed with -s unless it is fail2ban's default.
	Socket string
	// Client is the fail2ban-client program; "" means "fail2ban-client"
	// found in PATH.
	Client string

	mu sync.Mutex
}

// Output is what fail2ban-client printed, without log time stamps.
type Output struct {
	Check  string // of "fail2ban-client -t", normally "OK: configuration test is successful"
	Reload string // of "fail2ban-client reload ...", normally "OK"
}

// Result describes a successful Apply.
type Result struct {
	Path    string   // the file written, such as /etc/fail2ban/jail.d/bangui.local
	Jail    string   // the jail reloaded
	Changes []Change // the keys written, with their normalised values
	Output
}

// Path returns the full path of BanGUI's file on the host.
func (e *Editor) Path() string { return path.Join(e.configDir(), FileName) }

// Apply writes changes into jail's section of BanGUI's file, keeping the
// other jails' sections and the keys written earlier, then checks the
// configuration and reloads the jail. Bad input is refused (EINVALID)
// before anything is written. When the check or the reload fails, the
// previous file is put back (or removed if there was none), a failed
// reload is followed by a reload with the previous file so the jail runs
// with its old settings, and the error (ESERVER) carries fail2ban's
// message. A server that cannot be reached, or missing rights, give
// EUNAVAILABLE or EPERMISSION, also after a rollback.
func (e *Editor) Apply(ctx context.Context, jail string, changes []Change) (Result, error) {
	if err := normalizeJail(jail); err != nil {
		return Result{}, err
	}
	changes, err := normalizeChanges(changes)
	if err != nil {
		return Result{}, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	res := Result{Path: e.Path(), Jail: jail, Changes: changes}
	if err := e.ensureFolder(ctx); err != nil {
		return res, err
	}
	prev, err := e.Host.ReadFile(ctx, res.Path)
	existed := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return res, fmt.Errorf("jailconf: apply: %w", err)
	}
	f, err := parseINI(prev)
	if err != nil {
		return res, core.Wrap(err, core.ECONFLICT, fmt.Sprintf(
			"%s has a line BanGUI cannot read, so it was left alone: fix it by hand or remove it", res.Path))
	}
	for _, c := range changes {
		f.set(jail, c.Key, c.Value)
	}
	if err := e.Host.WriteFile(ctx, res.Path, f.bytes(), 0o644); err != nil {
		return res, fmt.Errorf("jailconf: apply: %w", err)
	}
	if res.Check, err = e.check(ctx, "fail2ban's configuration check failed"); err != nil {
		_, err = e.rollback(ctx, err, res.Path, prev, existed)
		return res, addNote(err, nil, "; nothing was reloaded")
	}
	var touched bool
	if res.Reload, touched, err = e.reload(ctx, "fail2ban could not reload jail "+jail, jail); err != nil {
		ok, err := e.rollback(ctx, err, res.Path, prev, existed)
		if !ok {
			return res, err
		}
		if !touched {
			return res, addNote(err, nil, "; the server was not changed")
		}
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
		defer cancel()
		// --if-exists: a failed reload may have stopped and removed the
		// jail, which a plain "reload JAIL" then refuses to bring back.
		if _, _, rerr := e.reload(rctx, "reloading it with the previous file failed too", "--if-exists", jail); rerr != nil {
			// A reload that fails half way leaves the jail created but not
			// started; a later reload of the server would then drop it
			// instead of starting it. Stopping it leaves a clean state.
			_, _ = e.run(rctx, "stop", jail)
			return res, addNote(err, rerr, "\n"+core.ErrorMessage(rerr)+
				"\nfail2ban has stopped jail "+jail+": fix the configuration, then reload the server")
		}
		return res, addNote(err, nil, ", and reloaded "+jail+" with it: it runs with its previous settings")
	}
	return res, nil
}

// Read returns the settings BanGUI's file holds for jail (empty when the
// file or the section does not exist), so the UI can show which values are
// permanent.
func (e *Editor) Read(ctx context.Context, jail string) (map[string]string, error) {
	if err := normalizeJail(jail); err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	p := e.Path()
	data, err := e.Host.ReadFile(ctx, p)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("jailconf: read %s: %w", jail, err)
	}
	f, err := parseINI(data)
	if err != nil {
		return nil, core.Wrap(err, core.ECONFLICT, fmt.Sprintf("%s has a line BanGUI cannot read: fix it by hand or remove it", p))
	}
	return f.values(jail), nil
}

// ReloadJail checks the configuration and reloads jail, so that it runs
// with what the files say. A failed check refuses the reload (ESERVER
// with fail2ban's message).
func (e *Editor) ReloadJail(ctx context.Context, jail string) (Output, error) {
	if err := normalizeJail(jail); err != nil {
		return Output{}, err
	}
	return e.checkAndReload(ctx, "jail "+jail, jail)
}

// ReloadServer checks the configuration and reloads every jail: new jails
// start, removed ones stop. A failed check refuses the reload.
func (e *Editor) ReloadServer(ctx context.Context) (Output, error) {
	return e.checkAndReload(ctx, "the server")
}

func (e *Editor) checkAndReload(ctx context.Context, what string, args ...string) (Output, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out Output
	var err error
	if out.Check, err = e.check(ctx, "fail2ban's configuration check failed, so "+what+" was not reloaded"); err != nil {
		return out, err
	}
	var touched bool
	if out.Reload, touched, err = e.reload(ctx, "fail2ban could not reload "+what, args...); err != nil {
		if touched {
			err = addNote(err, nil, "\nfail2ban may have stopped jails it could not reload: fix the configuration, then reload the server")
		}
		return out, err
	}
	return out, nil
}

// ensureFolder makes sure the config folder exists and creates its jail.d
// subfolder if needed.
func (e *Editor) ensureFolder(ctx context.Context) error {
	dir := e.configDir()
	err := e.Host.Mkdir(ctx, path.Join(dir, path.Dir(FileName)), 0o755)
	switch {
	case err == nil || errors.Is(err, fs.ErrExist):
		return nil
	case errors.Is(err, fs.ErrNotExist):
		return core.Wrap(err, core.ENOTFOUND, fmt.Sprintf("fail2ban config folder %s does not exist: set the server's config folder", dir))
	}
	return fmt.Errorf("jailconf: apply: %w", err)
}

// rollback puts the previous file back (or removes the new one) after
// cause, even when ctx was cancelled. It returns cause with a note saying
// what it did; ok reports whether the file is back.
func (e *Editor) rollback(ctx context.Context, cause error, p string, prev []byte, existed bool) (ok bool, err error) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
	defer cancel()
	note := "\nBanGUI put " + p + " back as it was"
	if existed {
		err = e.Host.WriteFile(rctx, p, prev, 0o644)
	} else {
		note = "\nBanGUI removed " + p + " again"
		if err = e.Host.RemoveFile(rctx, p); errors.Is(err, fs.ErrNotExist) {
			err = nil
		}
	}
	if err != nil {
		return false, addNote(cause, err, fmt.Sprintf(
			"\nPutting the previous %s back failed too (%s): it holds the new settings", p, core.ErrorMessage(err)))
	}
	return true, addNote(cause, nil, note)
}

// addNote appends text to the message of err's outermost *core.Error,
// keeping its code and adding also to its causes; an err without one is
// wrapped as EINTERNAL.
func addNote(err, also error, text string) error {
	var ce *core.Error
	if !errors.As(err, &ce) {
		return core.Wrap(errors.Join(err, also), core.EINTERNAL, "jailconf: "+err.Error()+text)
	}
	n := *ce
	n.Message += text
	if also != nil {
		n.Err = errors.Join(n.Err, also)
	}
	return &n
}
