package sshtest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/bangui/bangui/internal/testenv"
)

// sudoersPrefix starts the name of every sudoers file the harness installs.
// sudo's @includedir skips names containing '.', so the harness writes
// <prefix><name>.tmp first and renames it into place.
const sudoersPrefix = "/etc/sudoers.d/bangui-test-"

// UniqueName returns prefix followed by 8 random hex digits, for example
// "bgt3f9a0c12", to name a test account. Accounts are global on the
// machine and tests of several packages run in parallel, so every test run
// should use its own names. prefix should be short and match [a-z_][a-z0-9_-]*;
// a longer prefix is cut so that the name fits the 32 bytes useradd allows.
func UniqueName(prefix string) string {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	if len(prefix) > 24 {
		prefix = prefix[:24]
	}
	return prefix + hex.EncodeToString(b[:])
}

// tool returns the absolute path of an administration program, looking in
// PATH first and then in the sbin directories, which a non-login root
// shell may lack in its PATH.
func tool(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, d := range []string{"/usr/sbin", "/sbin", "/usr/bin", "/bin"} {
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	return name // Require reports it as missing
}

// requireUserTools stops the test (skip, or fail in CI) if a program needed
// for opt's users is missing.
func requireUserTools(tb testing.TB, opt Options) {
	tb.Helper()
	var need []string
	for _, u := range opt.Users {
		if u.Name != "root" {
			need = append(need, "useradd", "usermod", "userdel", "pkill")
		}
		if u.Sudoers != "" {
			need = append(need, "visudo", "sudo")
		}
	}
	paths := make([]string, 0, len(need))
	for _, n := range need {
		paths = append(paths, tool(n))
	}
	testenv.Require(tb, paths...)
}

// run runs an administration program and returns an error that includes
// its output.
func run(name string, args ...string) error {
	out, err := exec.Command(tool(name), args...).CombinedOutput()
	if err != nil {
		return &cmdError{cmd: name + " " + strings.Join(args, " "), err: err, out: strings.TrimSpace(string(out))}
	}
	return nil
}

// cmdError is a failed command with its output.
type cmdError struct {
	cmd string
	err error
	out string
}

func (e *cmdError) Error() string {
	return fmt.Sprintf("%s: %v: %s", e.cmd, e.err, e.out)
}

// exitCode returns the exit status of a failed command, or -1.
func exitCode(err error) int {
	var ce *cmdError
	var ee *exec.ExitError
	if errors.As(err, &ce) && errors.As(ce.err, &ee) {
		return ee.ExitCode()
	}
	return -1
}

// runRetry runs an account tool and retries for a while when another
// process holds the lock on /etc/passwd or /etc/group (tests of other
// packages create accounts at the same time).
func runRetry(name string, args ...string) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := run(name, args...)
		if err == nil || time.Now().After(deadline) {
			return err
		}
		var ce *cmdError
		if !errors.As(err, &ce) || !strings.Contains(ce.out, "lock") {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// addUser sets up one User: key pair, authorized_keys, the account unless
// it is root, and the sudoers file.
func (s *Server) addUser(u User) error {
	st := &userState{
		User:    u,
		keyPath: filepath.Join(s.Dir, clientKeysDir, u.Name),
	}
	s.users[u.Name] = st

	pub, err := writeKey(st.keyPath, "ed25519", u.Name+"@sshtest", u.Passphrase)
	if err != nil {
		return err
	}
	line := append(bytes.TrimSpace(ssh.MarshalAuthorizedKey(pub)), '\n')
	if err := os.WriteFile(filepath.Join(s.Dir, authKeysDirName, u.Name), line, 0o644); err != nil {
		return fmt.Errorf("sshtest: %w", err)
	}

	if u.Name == "root" {
		acct, err := user.Lookup("root")
		if err != nil {
			return fmt.Errorf("sshtest: %w", err)
		}
		st.home = acct.HomeDir
	} else {
		st.home = filepath.Join(s.Dir, homesDirName, u.Name)
		if err := s.createAccount(st); err != nil {
			return err
		}
	}

	if u.Sudoers != "" {
		if err := s.installSudoers(st); err != nil {
			return err
		}
	}
	return nil
}

// createAccount creates the account of st, replacing one left over from a
// crashed run of the harness.
func (s *Server) createAccount(st *userState) error {
	if old, err := user.Lookup(st.Name); err == nil {
		if !leftOver(old) {
			return fmt.Errorf("sshtest: account %q already exists (uid %s, home %s) and was not made by sshtest; refusing to touch it",
				st.Name, old.Uid, old.HomeDir)
		}
		if err := deleteAccount(st.Name); err != nil {
			return fmt.Errorf("sshtest: removing left-over account: %w", err)
		}
	}
	st.created = true // from here on the cleanup removes it
	if err := runRetry("useradd", "-m", "-d", st.home, "-s", "/bin/sh", "-c", "bangui sshtest", st.Name); err != nil {
		return fmt.Errorf("sshtest: %w", err)
	}
	// sshd changes into the home directory as the user, and the user's
	// commands may want to read it.
	if err := os.Chmod(st.home, 0o755); err != nil {
		return fmt.Errorf("sshtest: %w", err)
	}
	// useradd leaves the password field at "!", a locked account, which
	// sshd rejects with UsePAM no. "*" means: no password, not locked.
	if err := runRetry("usermod", "-p", "*", st.Name); err != nil {
		return fmt.Errorf("sshtest: %w", err)
	}
	if st.Password != "" {
		cmd := exec.Command(tool("chpasswd"))
		cmd.Stdin = strings.NewReader(st.Name + ":" + st.Password + "\n")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("sshtest: chpasswd for %s: %v: %s", st.Name, err, out)
		}
	}
	return nil
}

// leftOver reports whether acct looks like an account made by an earlier
// run of the harness: comment "bangui sshtest" and a home directory
// <tmp>/sshtest-*/home/<name>.
func leftOver(acct *user.User) bool {
	home := filepath.Clean(acct.HomeDir)
	return acct.Name == "bangui sshtest" &&
		filepath.Base(home) == acct.Username &&
		filepath.Base(filepath.Dir(home)) == homesDirName &&
		strings.HasPrefix(filepath.Base(filepath.Dir(filepath.Dir(home))), "sshtest-")
}

// deleteAccount kills the processes of an account and removes it with its
// home directory. A missing account is not an error.
func deleteAccount(name string) error {
	if name == "root" || name == "" {
		return fmt.Errorf("sshtest: refusing to delete account %q", name)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		// Exit status 1: no process matched.
		if err := run("pkill", "-KILL", "-u", name); err != nil && exitCode(err) != 1 {
			return err
		}
		err := runRetry("userdel", "-r", name)
		switch code := exitCode(err); {
		case err == nil, code == 6: // 6: the account does not exist
			return nil
		case code == 12: // 12: the home directory could not be removed
			return nil // the temp directory goes in the cleanup anyway
		case code == 8 && time.Now().Before(deadline): // 8: the user is logged in
			time.Sleep(50 * time.Millisecond)
		default:
			return err
		}
	}
}

// installSudoers checks st.Sudoers with visudo and installs it.
func (s *Server) installSudoers(st *userState) error {
	content := strings.TrimRight(st.Sudoers, "\n") + "\n"
	check := filepath.Join(s.Dir, "sudoers-"+st.Name)
	if err := os.WriteFile(check, []byte(content), 0o440); err != nil {
		return fmt.Errorf("sshtest: %w", err)
	}
	if err := run("visudo", "-cf", check); err != nil {
		return fmt.Errorf("sshtest: sudoers rule for %s rejected: %w\n--- rule:\n%s", st.Name, err, content)
	}
	dst := sudoersPrefix + st.Name
	tmp := dst + ".tmp" // ignored by sudo until renamed
	_ = os.Remove(tmp)
	if err := os.WriteFile(tmp, []byte(content), 0o440); err != nil {
		return fmt.Errorf("sshtest: %w", err)
	}
	if err := os.Chmod(tmp, 0o440); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("sshtest: %w", err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("sshtest: %w", err)
	}
	return nil
}

// removeUsers undoes addUser for every user: it deletes the accounts the
// harness created and the sudoers files. It runs after Stop.
func (s *Server) removeUsers() error {
	var errs []error
	for name, st := range s.users {
		if st.created {
			if err := deleteAccount(name); err != nil {
				errs = append(errs, err)
			}
		}
	}
	for name, st := range s.users {
		if st.Sudoers == "" {
			continue
		}
		for _, f := range []string{sudoersPrefix + name, sudoersPrefix + name + ".tmp"} {
			if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}
