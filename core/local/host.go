// Package local implements core.Host for the machine BanGUI runs on, with
// the os and os/exec packages: files are read and written directly, and
// commands run without a shell.
package local

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/jailinfo"
)

// Host is the local machine. The zero value is ready to use and safe for
// concurrent use.
type Host struct{}

var _ core.Host = Host{}

// ReadFile returns the content of the file at path.
func (Host) ReadFile(ctx context.Context, path string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, canceled("reading "+path, err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fileError("read", path, err)
	}
	return data, nil
}

// WriteFile replaces the file at path atomically: it writes a temporary
// file next to it, syncs it, gives it exactly perm and renames it over path.
// On failure the temporary file is removed and path is left as it was.
func (Host) WriteFile(ctx context.Context, path string, data []byte, perm fs.FileMode) (err error) {
	if err := ctx.Err(); err != nil {
		return canceled("writing "+path, err)
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fileError("write", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if _, err := f.Write(data); err != nil {
		return fileError("write", path, err)
	}
	if err := f.Chmod(perm); err != nil { // CreateTemp makes 0600; Chmod ignores the umask
		return fileError("write", path, err)
	}
	if err := f.Sync(); err != nil {
		return fileError("write", path, err)
	}
	if err := f.Close(); err != nil {
		return fileError("write", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fileError("write", path, err)
	}
	// Make the rename itself durable; a failure here changes nothing the
	// caller could act on.
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

// RemoveFile removes the file at path.
func (Host) RemoveFile(ctx context.Context, path string) error {
	if err := ctx.Err(); err != nil {
		return canceled("removing "+path, err)
	}
	if err := os.Remove(path); err != nil {
		return fileError("remove", path, err)
	}
	return nil
}

// Mkdir creates the folder path with exactly perm.
func (Host) Mkdir(ctx context.Context, path string, perm fs.FileMode) error {
	if err := ctx.Err(); err != nil {
		return canceled("creating "+path, err)
	}
	if err := os.Mkdir(path, perm); err != nil {
		return fileError("create folder", path, err)
	}
	if err := os.Chmod(path, perm); err != nil { // undo the umask
		return fileError("create folder", path, err)
	}
	return nil
}

// Run runs argv without a shell and returns its standard output and
// standard error. A non-zero exit is a *core.ExitError; a program that is
// missing or not executable, and a cancelled ctx, are *core.Error.
func (Host) Run(ctx context.Context, argv []string) (stdout, stderr []byte, err error) {
	if len(argv) == 0 || argv[0] == "" {
		return nil, nil, core.Errorf(core.EINTERNAL, "local: run: no command given")
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, canceled("running "+argv[0], err)
	}
	prog, err := exec.LookPath(argv[0])
	if err != nil {
		return nil, nil, lookError(argv[0], err)
	}
	var out, errOut bytes.Buffer
	cmd := exec.CommandContext(ctx, prog, argv[1:]...)
	cmd.Stdin = nil // /dev/null: never wait for a password or a prompt
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	stdout, stderr = out.Bytes(), errOut.Bytes()
	if err == nil {
		return stdout, stderr, nil
	}
	if ctx.Err() != nil {
		return stdout, stderr, canceled("running "+strings.Join(argv, " "), ctx.Err())
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return stdout, stderr, &core.ExitError{Argv: append([]string(nil), argv...), Status: ee.ExitCode(), Stderr: stderr}
	}
	if errors.Is(err, fs.ErrPermission) {
		return stdout, stderr, core.Wrap(err, core.EPERMISSION, fmt.Sprintf("no permission to run %s: %s", prog, core.PermissionHint))
	}
	return stdout, stderr, fmt.Errorf("local: run %s: %w", argv[0], err)
}

// lookError explains a program that cannot be found or run.
func lookError(name string, err error) error {
	if errors.Is(err, fs.ErrPermission) {
		return core.Wrap(err, core.EPERMISSION, fmt.Sprintf("no permission to run %s: %s", name, core.PermissionHint))
	}
	base := filepath.Base(name)
	if strings.HasPrefix(base, "fail2ban") {
		return core.Wrap(err, core.ENOTFOUND, fmt.Sprintf(
			"%s not found: install fail2ban on this machine (Debian/Ubuntu: apt-get install fail2ban), or check PATH", base))
	}
	return core.Wrap(err, core.ENOTFOUND, fmt.Sprintf("%s not found: install it on this machine, or check PATH", name))
}

// fileError turns an os error on path into a *core.Error that keeps the
// cause (so errors.Is(err, fs.ErrNotExist) still works) and says what to do.
func fileError(op, path string, err error) error {
	switch {
	case errors.Is(err, fs.ErrPermission):
		return core.Wrap(err, core.EPERMISSION, fmt.Sprintf("no permission to %s %s: %s", op, path, core.PermissionHint))
	case errors.Is(err, fs.ErrNotExist):
		return core.Wrap(err, core.ENOTFOUND, fmt.Sprintf("cannot %s %s: it does not exist", op, path))
	case errors.Is(err, fs.ErrExist):
		return core.Wrap(err, core.ECONFLICT, fmt.Sprintf("cannot %s %s: it already exists", op, path))
	}
	return core.Wrap(err, core.EUNAVAILABLE, fmt.Sprintf("cannot %s %s", op, path))
}

// canceled reports a call abandoned because ctx ended.
func canceled(what string, err error) error {
	return core.Wrap(err, core.ECANCELED, what+" was cancelled")
}

// List returns the names of the regular files in dir, sorted (for
// jailinfo, which reads jail.d/*.conf and *.local).
func (Host) List(ctx context.Context, dir string) ([]string, error) {
	return jailinfo.ListDir(ctx, dir)
}
