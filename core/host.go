package core

import (
	"context"
	"fmt"
	"io/fs"
	"strings"
)

// Host reaches the machine a fail2ban server runs on, to read and write its
// config files and run fixed commands. The local implementation is
// core/local; remote/ will add one over SSH (with sudo where needed).
// Commands are argv lists, never shell lines. Paths are absolute paths on
// that machine, written with forward slashes.
//
// Implementations must be safe for concurrent use and honour ctx for the
// whole call. Errors follow these rules, so callers can branch on them with
// errors.Is, errors.As and ErrorCode:
//   - a missing file or folder matches fs.ErrNotExist;
//   - missing rights are an *Error with code EPERMISSION whose message names
//     the path or command and says what to do (PermissionHint);
//   - a command that ran and exited with a non-zero status is an *ExitError;
//   - a cancelled or expired ctx is an *Error with code ECANCELED.
type Host interface {
	// ReadFile returns the content of the file at path.
	ReadFile(ctx context.Context, path string) ([]byte, error)
	// WriteFile replaces the file at path with data, atomically: it writes
	// a temporary file in the same folder, sets perm on it exactly (no
	// umask) and renames it over path, so readers see the old or the new
	// content, never a mix. The folder must exist.
	WriteFile(ctx context.Context, path string, data []byte, perm fs.FileMode) error
	// RemoveFile removes the file at path. A missing file is an error
	// matching fs.ErrNotExist.
	RemoveFile(ctx context.Context, path string) error
	// Mkdir creates the folder path with mode perm. Its parent must exist
	// (an error matching fs.ErrNotExist otherwise); an existing path is an
	// error matching fs.ErrExist.
	Mkdir(ctx context.Context, path string, perm fs.FileMode) error
	// Run runs argv[0] with the arguments argv[1:] and returns what it
	// printed on standard output and standard error. Both are returned
	// even when err is not nil.
	Run(ctx context.Context, argv []string) (stdout, stderr []byte, err error)
}

// PermissionHint says what to do when BanGUI lacks the rights to change a
// server's files or run its commands. Host implementations end their
// EPERMISSION messages with it.
const PermissionHint = "run BanGUI as root, or manage this server over SSH (as root, or a user with the sudo rules BanGUI shows)"

// ExitError reports a command that ran but exited with a non-zero status
// (or was killed by a signal, Status -1). It carries what the command
// printed on standard error, which usually says why.
type ExitError struct {
	Argv   []string
	Status int
	Stderr []byte
}

// Error names the command, its status and the last line of its standard
// error.
func (e *ExitError) Error() string {
	msg := fmt.Sprintf("%s: exit status %d", strings.Join(e.Argv, " "), e.Status)
	if e.Status < 0 {
		msg = strings.Join(e.Argv, " ") + ": killed by a signal"
	}
	lines := strings.Split(strings.TrimSpace(string(e.Stderr)), "\n")
	if last := strings.TrimSpace(lines[len(lines)-1]); last != "" {
		msg += ": " + last
	}
	return msg
}
