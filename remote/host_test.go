package remote

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/internal/testenv"
)

// Quote's words, run by a real /bin/sh, come back byte for byte.
func TestQuoteThroughShell(t *testing.T) {
	words := []string{"", "plain", "a b", "'", "''", `'\''`, `it's`, `$(id)`, "`id`", `"x"`, `\`, `\n`, "*", "?", "[a]", ";", "|", "&", "~root", "-c", "--", "é ü 漢", "\t tab", "$HOME", "a'b'c"}
	line := "printf '%s\\0'"
	for _, w := range words {
		q, err := Quote(w)
		if err != nil {
			t.Fatalf("Quote(%q): %v", w, err)
		}
		if !strings.HasPrefix(q, "'") || !strings.HasSuffix(q, "'") {
			t.Errorf("Quote(%q) = %s, not single-quoted", w, q)
		}
		line += " " + q
	}
	out, err := exec.Command("/bin/sh", "-c", line).Output()
	if err != nil {
		t.Fatalf("sh -c %s: %v", line, err)
	}
	got := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	if len(got) != len(words) {
		t.Fatalf("sh printed %d words, want %d: %q", len(got), len(words), got)
	}
	for i, w := range words {
		if got[i] != w {
			t.Errorf("word %d: sh printed %q, want %q", i, got[i], w)
		}
	}
	if q, _ := Quote("it's"); q != `'it'\''s'` {
		t.Errorf("Quote(it's) = %s", q)
	}
}

func TestQuoteRefuses(t *testing.T) {
	for _, bad := range []string{"a\x00b", "a\nb", "a\rb", "\n"} {
		if _, err := Quote(bad); core.ErrorCode(err) != core.EINVALID {
			t.Errorf("Quote(%q) = %v, want EINVALID", bad, err)
		}
	}
}

func TestCheckPath(t *testing.T) {
	for _, ok := range []string{"/", "/etc/fail2ban", "/etc/fail2ban/jail.d/bangui.local", "/a b/c's", "/tmp/x-1/.hidden"} {
		if err := CheckPath(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "etc/fail2ban", "./x", "/etc/../x", "/etc/./x", "/etc//x", "/etc/", "/a\nb", "/a\x00b", "/a\rb", "/.."} {
		mustCodeMsg(t, CheckPath(bad), core.EINVALID, "not a usable path")
	}
}

func TestCommandLine(t *testing.T) {
	argv := []string{"fail2ban-client", "-c", "/etc/fail 2ban", "set", "x", "addignoreip", "it's"}
	got, err := Host{}.commandLine(argv)
	want := `'fail2ban-client' '-c' '/etc/fail 2ban' 'set' 'x' 'addignoreip' 'it'\''s'`
	if err != nil || got != "exec "+want {
		t.Errorf("got  %s %v\nwant exec %s", got, err, want)
	}
	got, err = Host{Sudo: true}.commandLine(argv)
	if err != nil || got != "exec sudo -n "+want {
		t.Errorf("with sudo: %s %v", got, err)
	}
	if _, err := (Host{}).commandLine([]string{"echo", "a\nb"}); core.ErrorCode(err) != core.EINVALID {
		t.Errorf("line break accepted: %v", err)
	}
}

// The script must fit in a shell word and a sudoers rule unharmed.
func TestFileScriptShape(t *testing.T) {
	for _, c := range []string{"'", `"`, `\`, "[", "]", "*", "?", "#", "%", "!", "\t", "\n", "  ", "`", "$"} {
		if strings.Contains(fileScript, c) {
			t.Errorf("fileScript holds %q", c)
		}
	}
	if !strings.HasSuffix(fileScript, ";") {
		t.Error("fileScript must end with ';'")
	}
}

// needPython3 returns Python3, to run the script locally: the same
// program the server runs. Without it the test skips, or fails in CI.
func needPython3(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(Python3); err != nil {
		if testenv.InCI() {
			t.Fatalf("no %s (Debian package python3)", Python3)
		}
		t.Skipf("no %s", Python3)
	}
	return Python3
}

func runScript(t *testing.T, stdin string, args ...string) (stdout []byte, stderr string, status int) {
	t.Helper()
	cmd := exec.Command(needPython3(t), append([]string{"-I", "-c", fileScript}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return o.Bytes(), e.String(), ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return o.Bytes(), e.String(), 0
}

func TestFileScriptLocal(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "bangui.local")
	if out, e, st := runScript(t, "[app1]\nmaxretry = 3\n", p, "write", "0640", "20"); st != 0 || !bytes.Equal(out, fileMarker) {
		t.Fatalf("write: %d %q %s", st, out, e)
	}
	if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o640 {
		t.Fatalf("mode %v %v", fi, err)
	}
	out, _, st := runScript(t, "", p, "read")
	if st != 0 || string(out) != string(fileMarker)+"[app1]\nmaxretry = 3\n" {
		t.Fatalf("read: %d %q", st, out)
	}
	if err := os.Symlink(p, filepath.Join(dir, "link.conf")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/nonexistent", filepath.Join(dir, "broken.conf")); err != nil {
		t.Fatal(err)
	}
	if _, e, st := runScript(t, "", filepath.Join(dir, "sub"), "mkdir", "0750"); st != 0 {
		t.Fatalf("mkdir: %s", e)
	}
	out, _, _ = runScript(t, "", dir, "list")
	names := strings.Split(strings.TrimSuffix(string(out[len(fileMarker):]), "\x00"), "\x00")
	if slices.Sort(names); strings.Join(names, ",") != "bangui.local,link.conf" {
		t.Errorf("list = %q", names)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 4 {
		t.Errorf("left behind: %v", entries)
	}
	// Refused shapes: exit 2, nothing printed.
	for _, args := range [][]string{
		{p, "read", "0644"}, {p, "write"}, {p, "write", "0644"}, {p, "chmod", "0644"}, {"rel/x", "read"}, {dir + "/../x", "read"},
		{p, "write", "0o64", "1"}, {p, "write", "1777", "1"}, {p, "write", "0644", "-1"}, {p, "write", "0644", "1 2"}, {p, "read", "extra"}, {p, "mkdir", "0755", "1"},
	} {
		if out, e, st := runScript(t, "", args...); st != 2 || len(out) != 0 {
			t.Errorf("%q: status %d out %q %s", args, st, out, e)
		}
	}
	// A failed rename leaves neither the target nor a temporary file changed.
	target := filepath.Join(dir, "sub")
	if err := os.WriteFile(filepath.Join(target, "keep"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, e, st := runScript(t, "x", target, "write", "0644", "1"); st != 1 || !strings.Contains(e, "IsADirectoryError") {
		t.Errorf("write over a folder: %d %s", st, e)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 4 {
		t.Errorf("left behind after a failed write: %v", entries)
	}
	// Data cut short: exit 3, the file is left as it was.
	if _, _, st := runScript(t, "[app1]\n", p, "write", "0644", "99"); st != 3 {
		t.Errorf("short data: status %d", st)
	}
	if out, _, _ := runScript(t, "", p, "read"); string(out) != string(fileMarker)+"[app1]\nmaxretry = 3\n" {
		t.Errorf("after short data: %q", out)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 4 {
		t.Errorf("left behind after short data: %v", entries)
	}
}

// Captured from python3 3.11 and sudo 1.9.13.
func TestFileError(t *testing.T) {
	tg := Target{HostName: "h1", User: "ops", Port: 22}
	tb := func(last string) string {
		return "Traceback (most recent call last):\n  File \"<string>\", line 1, in <module>\n  File \"<string>\", line 1, in <lambda>\n" + last + "\n"
	}
	p := "/etc/fail2ban/jail.d/bangui.local"
	cases := []struct {
		sudo   bool
		user   string
		op     string
		status int
		stderr string
		code   string
		is     error
		parts  []string
	}{
		{false, "ops", "read", 1, tb("FileNotFoundError: [Errno 2] No such file or directory: '" + p + "'"), core.ENOTFOUND, fs.ErrNotExist, []string{"cannot read " + p + " on h1: it does not exist"}},
		{false, "ops", "mkdir", 1, tb("FileExistsError: [Errno 17] File exists: '/x'"), core.ECONFLICT, fs.ErrExist, []string{"already exists"}},
		{false, "ops", "write", 1, tb("PermissionError: [Errno 13] Permission denied: '/etc/fail2ban/jail.d/.bangui.local.abc'"), core.EPERMISSION, fs.ErrPermission,
			[]string{"ops may not write " + p + " on h1", "connect as root", "turn on sudo", "ops ALL=(root) NOPASSWD: /usr/bin/fail2ban-client *", "ops ALL=(root) NOPASSWD: /usr/bin/python3 -I -c import os\\,sys", " /etc/fail2ban list, /usr/bin/python3", " /etc/fail2ban/*"}},
		{true, "ops", "write", 1, tb("PermissionError: [Errno 1] Operation not permitted: '/x'"), core.EPERMISSION, fs.ErrPermission, []string{"even root may not write", "lsattr"}},
		{true, "ops", "read", 1, "sudo: a password is required\n", core.EPERMISSION, nil, []string{"ops may not read " + p + " on h1 with sudo", `"sudo: a password is required"`, "visudo", "ops ALL=(root) NOPASSWD: /usr/bin/python3 -I -c "}},
		{true, "ops", "list", 1, "Sorry, user ops is not allowed to execute '/usr/bin/python3 -I -c ...' as root on h1.\n", core.EPERMISSION, nil, []string{"NOPASSWD"}},
		{false, "ops", "list", 1, tb("NotADirectoryError: [Errno 20] Not a directory: '/x'"), core.EINVALID, nil, []string{"it is not a folder"}},
		{false, "ops", "remove", 1, tb("IsADirectoryError: [Errno 21] Is a directory: '/x'"), core.EINVALID, nil, []string{"it is a folder"}},
		{false, "ops", "write", 1, tb("OSError: [Errno 28] No space left on device"), core.EUNAVAILABLE, nil, []string{"No space left on device"}},
		{false, "ops", "read", 127, "sh: 1: /usr/bin/python3: not found\n", core.EUNAVAILABLE, nil, []string{"/usr/bin/python3 is missing", "install python3"}},
		{true, "ops", "read", 1, "sudo: /usr/bin/python3: command not found\n", core.EUNAVAILABLE, nil, []string{"/usr/bin/python3 is missing"}},
		{false, "ops", "read", 2, "", core.EINTERNAL, nil, []string{"refused its arguments"}},
		{false, "ops", "write", 3, "", core.EUNAVAILABLE, nil, []string{"did not arrive whole", "nothing was written"}},
		{false, "ops", "read", 1, "Segmentation fault\n", core.EUNAVAILABLE, nil, []string{"Segmentation fault"}},
	}
	for _, c := range cases {
		tg.User = c.user
		err := Host{Sudo: c.sudo}.fileError(tg, c.op, p, c.status, c.stderr)
		mustCodeMsg(t, err, c.code, c.parts...)
		if c.is != nil && !errors.Is(err, c.is) {
			t.Errorf("%s %q: not %v: %v", c.op, c.stderr, c.is, err)
		}
	}
	// ConfigDir goes into the suggested rule.
	err := Host{ConfigDir: "/srv/f2b"}.fileError(tg, "write", "/srv/f2b/jail.d/x", 1, tb("PermissionError: [Errno 13] Permission denied: '/srv/f2b/jail.d/.x.abc'"))
	mustCodeMsg(t, err, core.EPERMISSION, " /srv/f2b/*")
}

func TestRunError(t *testing.T) {
	tg := Target{HostName: "h1", User: "ops", Port: 22}
	argv := []string{"fail2ban-client", "-t"}
	err := Host{Sudo: true}.runError(tg, argv, 1, []byte("sudo: a password is required\n"))
	mustCodeMsg(t, err, core.EPERMISSION, "ops may not run fail2ban-client with sudo", "visudo", "this line: ops ALL=(root) NOPASSWD: /usr/bin/fail2ban-client *", "connect as root")
	var ee *core.ExitError
	if !errors.As(err, &ee) || ee.Status != 1 {
		t.Errorf("the ExitError is not kept: %v", err)
	}
	mustCodeMsg(t, Host{Sudo: true}.runError(tg, []string{"/usr/sbin/other", "x"}, 1, []byte("Sorry, user ops is not allowed to execute '/usr/sbin/other x' as root on h1.\n")),
		core.EPERMISSION, "ops ALL=(root) NOPASSWD: /usr/sbin/other *")
	mustCodeMsg(t, Host{Sudo: true}.runError(tg, argv, 1, []byte("sudo: fail2ban-client: command not found\n")), core.ENOTFOUND, "fail2ban-client not found on h1", "install fail2ban")
	mustCodeMsg(t, Host{}.runError(tg, argv, 127, []byte("sh: 1: fail2ban-client: not found\n")), core.ENOTFOUND, "fail2ban-client not found on h1")
	mustCodeMsg(t, Host{}.runError(tg, []string{"/opt/x"}, 126, []byte("sh: 1: /opt/x: Permission denied\n")), core.EPERMISSION, "ops may not run /opt/x on h1")
	// Without sudo, sudo's words in a program's own stderr are its own.
	err = Host{}.runError(tg, argv, 255, []byte("ERROR  NOK: ('a password is required',)\n"))
	if !errors.As(err, &ee) || ee.Status != 255 || core.ErrorCode(err) != core.EINTERNAL {
		t.Errorf("plain exit: %T %v", err, err)
	}
	if !strings.Contains(err.Error(), "exit status 255") {
		t.Errorf("message %q", err.Error())
	}
}

func TestHostSudoersLines(t *testing.T) {
	lines, err := HostSudoersLines("f2bops", "")
	if err != nil || len(lines) != 2 {
		t.Fatalf("%q %v", lines, err)
	}
	if lines[0] != "f2bops ALL=(root) NOPASSWD: /usr/bin/fail2ban-client *" {
		t.Errorf("client rule %s", lines[0])
	}
	py := "/usr/bin/python3 -I -c " + sudoersEscape(fileScript) + " /etc/fail2ban"
	if lines[1] != "f2bops ALL=(root) NOPASSWD: "+py+" list, "+py+"/*" {
		t.Errorf("file rule %s", lines[1])
	}
	for _, bad := range [][2]string{{"", "/etc/fail2ban"}, {"a b", "/etc/fail2ban"}, {"-x", "/etc/fail2ban"}, {"ops,root", "/etc/fail2ban"}, {"ops", "etc"}, {"ops", "/"}, {"ops", "/a b"}, {"ops", "/a/../b"}, {"ops", "/a:b"}, {"ops", "/a*"}, {"ops", "/a/"}} {
		if _, err := HostSudoersLines(bad[0], bad[1]); core.ErrorCode(err) != core.EINVALID {
			t.Errorf("HostSudoersLines(%q, %q) = %v", bad[0], bad[1], err)
		}
	}
	// visudo must accept them (the integration test checks that sudo
	// matches them).
	visudo, err := exec.LookPath("visudo")
	if err != nil {
		if _, err = os.Stat("/usr/sbin/visudo"); err != nil {
			if testenv.InCI() {
				t.Fatal("no visudo (Debian package sudo)")
			}
			t.Skip("no visudo")
		}
		visudo = "/usr/sbin/visudo"
	}
	other, _ := HostSudoersLines("svc-bangui", "/tmp/f2b_t.1/conf+x@y")
	f := filepath.Join(t.TempDir(), "sudoers")
	if err := os.WriteFile(f, []byte(strings.Join(append(lines, other...), "\n")+"\n"), 0o440); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(visudo, "-cf", f).CombinedOutput(); err != nil {
		t.Errorf("visudo rejects the rules: %v\n%s", err, out)
	}
}
