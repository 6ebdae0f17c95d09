package jailinfo_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/f2b/f2btest"
	"github.com/bangui/bangui/core/jailinfo"
	"github.com/bangui/bangui/core/local"
	"github.com/bangui/bangui/internal/testenv"
)

// listHost is local.Host, which can list folders.
type listHost = local.Host

var _ jailinfo.Lister = listHost{}

// plainHost is a core.Host that cannot list folders (as a remote host
// might not): jail.d is skipped then.
type plainHost struct{ core.Host }

// debianDir is Debian's real fail2ban config, installed with the fail2ban
// package the test environment needs anyway.
const debianDir = "/etc/fail2ban"

func read(t *testing.T, h core.Host, dir string) map[string]jailinfo.Info {
	t.Helper()
	got, err := jailinfo.Read(context.Background(), h, dir)
	if err != nil {
		t.Fatalf("Read(%s): %v", dir, err)
	}
	return got
}

// writeFiles writes name -> content under dir, creating folders.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestHarnessConfig(t *testing.T) {
	srv := f2btest.Start(t, f2btest.Options{ExtraJails: []string{"app3"}})
	want := jailinfo.Info{Filter: "test-auth", FilterName: "test-auth", Backend: "polling"}
	for _, h := range []core.Host{plainHost{local.Host{}}, listHost{}} {
		got := read(t, h, srv.ConfDir)
		if keys := slices.Sorted(maps.Keys(got)); !slices.Equal(keys, srv.Jails) {
			t.Errorf("%T: jails %v, want %v", h, keys, srv.Jails)
		}
		for _, j := range srv.Jails {
			if got[j] != want {
				t.Errorf("%T: %s = %+v, want %+v", h, j, got[j], want)
			}
		}
	}
	compareWithFail2ban(t, srv.ConfDir)
}

func TestDebianConfig(t *testing.T) {
	if _, err := os.Stat(filepath.Join(debianDir, "jail.conf")); err != nil {
		t.Skipf("no Debian fail2ban config: %v", err)
	}
	got := read(t, listHost{}, debianDir)
	// Debian 1.0.2: jail.conf [sshd] backend = %(sshd_backend)s;
	// paths-common.conf (included by paths-debian.conf, included by
	// jail.conf) sshd_backend = %(default_backend)s and default_backend =
	// %(default/backend)s; jail.conf [DEFAULT] backend = auto. The filter
	// comes from [DEFAULT] filter = %(__name__)s[mode=%(mode)s].
	sshd, ok := got["sshd"]
	if !ok {
		t.Fatalf("no sshd jail among %d", len(got))
	}
	if sshd.Backend != "auto" || sshd.FilterName != "sshd" || !strings.HasPrefix(sshd.Filter, "sshd[mode=") || sshd.Err != nil {
		t.Errorf("sshd = %+v, want backend auto, filter sshd[mode=...]", sshd)
	}
	if len(got) < 50 {
		t.Errorf("only %d jails in Debian's config", len(got))
	}
	for name, inf := range got {
		if inf.Err != nil || strings.Contains(inf.Filter+inf.Backend, "%(") || inf.Backend == "" {
			t.Errorf("%s = %+v", name, inf)
		}
	}
	if _, ok := got["INCLUDES"]; ok {
		t.Error("INCLUDES reported as a jail")
	}
	if dflt := read(t, listHost{}, ""); !maps.Equal(dflt, got) {
		t.Error(`Read with dir "" differs from Read with /etc/fail2ban`)
	}
	compareWithFail2ban(t, debianDir)
}

// stockCopy copies Debian's jail.conf, paths-*.conf and jail.d/*.conf into
// a temporary folder and returns it.
func stockCopy(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(filepath.Join(debianDir, "jail.conf")); err != nil {
		t.Skipf("no Debian fail2ban config: %v", err)
	}
	dir := t.TempDir()
	var names []string
	for _, pattern := range []string{"jail.conf", "paths-*.conf", "jail.d/*.conf"} {
		m, err := filepath.Glob(filepath.Join(debianDir, pattern))
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, m...)
	}
	files := map[string]string{}
	for _, p := range names {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(debianDir, p)
		files[rel] = string(data)
	}
	writeFiles(t, dir, files)
	return dir
}

func TestDebianStockValues(t *testing.T) {
	dir := stockCopy(t)
	got := read(t, listHost{}, dir)
	for name, want := range map[string]jailinfo.Info{
		"sshd":        {Filter: "sshd[mode=normal]", FilterName: "sshd", Backend: "auto"},
		"dropbear":    {Filter: "dropbear[mode=normal]", FilterName: "dropbear", Backend: "auto"},
		"postfix-rbl": {Filter: "postfix[mode=rbl]", FilterName: "postfix", Backend: "auto"},
		"apache-auth": {Filter: "apache-auth[mode=normal]", FilterName: "apache-auth", Backend: "auto"},
	} {
		if got[name] != want {
			t.Errorf("%s = %+v, want %+v", name, got[name], want)
		}
	}
}

func TestOverrides(t *testing.T) {
	dir := stockCopy(t)
	writeFiles(t, dir, map[string]string{
		// jail.d/*.conf comes before jail.local.
		"jail.d/00-first.conf": "[sshd]\nbackend = pyinotify\n",
		"jail.local":           "[DEFAULT]\nbackend = systemd\n\n[sshd]\nbackend = polling\n",
		// jail.d/*.local come last, sorted.
		"jail.d/50-a.local": "[sshd]\nmode = aggressive\nbackend = polling\n",
		"jail.d/60-b.local": "[sshd]\nbackend = gamin\n",
		// Hidden names are not matched by fail2ban's glob.
		"jail.d/.hidden.local": "[sshd]\nbackend = hidden\n",
		// Included "after" paths-common.conf and paths-debian.conf.
		"paths-overrides.local": "[DEFAULT]\ndefault_backend = polling\n",
	})
	if err := os.Mkdir(filepath.Join(dir, "jail.d", "folder.local"), 0o755); err != nil {
		t.Fatal(err)
	}
	got := read(t, listHost{}, dir)
	for name, want := range map[string]jailinfo.Info{
		"sshd":        {Filter: "sshd[mode=aggressive]", FilterName: "sshd", Backend: "gamin"},
		"dropbear":    {Filter: "dropbear[mode=normal]", FilterName: "dropbear", Backend: "polling"},
		"webmin-auth": {Filter: "webmin-auth[mode=normal]", FilterName: "webmin-auth", Backend: "polling"},
		"apache-auth": {Filter: "apache-auth[mode=normal]", FilterName: "apache-auth", Backend: "systemd"},
	} {
		if got[name] != want {
			t.Errorf("%s = %+v, want %+v", name, got[name], want)
		}
	}
	compareWithFail2ban(t, dir)

	// A host that cannot list folders reads no jail.d files.
	got = read(t, plainHost{local.Host{}}, dir)
	if want := (jailinfo.Info{Filter: "sshd[mode=normal]", FilterName: "sshd", Backend: "polling"}); got["sshd"] != want {
		t.Errorf("without List: sshd = %+v, want %+v", got["sshd"], want)
	}
}

func TestInterpolation(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"jail.conf": `[DEFAULT]
backend = auto
Mode = normal
filter = %(__name__)s[mode=%(MODE)s]
deep1 = %(deep2)s
deep2 = %(deep3)s
deep3 = %(deep4)s
deep4 = %(deep5)s
deep5 = %(deep6)s
deep6 = %(deep7)s
deep7 = %(deep8)s
deep8 = %(deep9)s
deep9 = end

[self]
backend = %(backend)s

[loop]
backend = %(a)s
a = x%(b)s
b = %(a)s

[missing]
backend = %(nothere)s

[stray]
backend = 100%

[pct]
BACKEND = 100%%done
filter = f%%(x)s

[deep]
backend = %(deep1)s

[Upper]
backend = polling

[upper]
backend = pyinotify

[refupper]
backend = %(Upper/backend)s

[refsec]
backend = %(pct/backend)s-%(upper/backend)s

[refdefault]
backend = %(default/backend)s-jail
filter = %(known/filter)s

[known]
backend = pyinotify

[cond?family=inet6]
backend = v6

[confpath]
backend = %(fail2ban_confpath)s
`,
		"jail.local": "[known]\nbackend = %(known/backend)s-x\nfilter = %(known/filter)s-y\n",
	})
	got := read(t, listHost{}, dir)
	for name, want := range map[string]jailinfo.Info{
		"pct":        {Filter: "f%(x)s", FilterName: "f%(x)s", Backend: "100%done"},
		"deep":       {Filter: "deep[mode=normal]", FilterName: "deep", Backend: "end"},
		"Upper":      {Filter: "Upper[mode=normal]", FilterName: "Upper", Backend: "polling"},
		"upper":      {Filter: "upper[mode=normal]", FilterName: "upper", Backend: "pyinotify"},
		"refsec":     {Filter: "refsec[mode=normal]", FilterName: "refsec", Backend: "100%done-pyinotify"},
		"refdefault": {Filter: "refdefault[mode=normal]", FilterName: "refdefault", Backend: "auto-jail"},
		// %(known/x)s: the value before jail.local overrode it, else DEFAULT's.
		"known":    {Filter: "known[mode=normal]-y", FilterName: "known", Backend: "pyinotify-x"},
		"cond":     {Filter: "cond[mode=normal]", FilterName: "cond", Backend: "auto"},
		"confpath": {Filter: "confpath[mode=normal]", FilterName: "confpath", Backend: dir},
	} {
		if got[name] != want {
			t.Errorf("%s = %+v, want %+v", name, got[name], want)
		}
	}
	// Values that cannot be resolved stay raw, with an error saying why.
	for name, tc := range map[string]struct{ raw, msg string }{
		"self":     {"%(backend)s", "refers to itself"},
		"loop":     {"%(a)s", "refers to itself"},
		"missing":  {"%(nothere)s", "%(nothere)s is not defined in [missing] or [DEFAULT]"},
		"stray":    {"100%", "'%' must be followed by"},
		"refupper": {"%(Upper/backend)s", "%(Upper/backend)s refers to nothing defined"}, // fail2ban looks up "upper/backend"
	} {
		inf := got[name]
		if inf.Backend != tc.raw || core.ErrorCode(inf.Err) != core.EINVALID ||
			!strings.Contains(inf.Err.Error(), tc.msg) || !strings.Contains(inf.Err.Error(), "jail "+name+": cannot resolve backend = "+tc.raw) {
			t.Errorf("%s = %+v (err %v), want raw %q and an error with %q", name, inf, inf.Err, tc.raw, tc.msg)
		}
		if want := name + "[mode=normal]"; inf.Filter != want {
			t.Errorf("%s filter = %q, want %q", name, inf.Filter, want)
		}
	}
	compareWithFail2ban(t, dir)
}

func TestSyntax(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"jail.conf": "# comment\r\n" + `; another comment
[DEFAULT]
backend = auto

[cont]
filter = a
  b

  # a comment inside the value is dropped, a blank line is kept
	d
backend: polling ; inline comment
  [notasection]

[inline]
backend = x;y #z
filter = y # not a comment

[indented]
   backend = polling
   filter = one
     two

[ spaced ]
Filter = sp

[crlf]` + "\r\nbackend = polling\r\n" + `
[empty]
backend =
filter =
`,
	})
	got := read(t, listHost{}, dir)
	want := map[string]jailinfo.Info{
		"cont":     {Filter: "a\nb\n\nd", FilterName: "a\nb\n\nd", Backend: "polling\n[notasection]"},
		"inline":   {Filter: "y # not a comment", FilterName: "y # not a comment", Backend: "x;y #z"},
		"indented": {Filter: "one\ntwo", FilterName: "one\ntwo", Backend: "polling"},
		" spaced ": {Filter: "sp", FilterName: "sp", Backend: "auto"},
		"crlf":     {Filter: "", FilterName: "", Backend: "polling"},
		"empty":    {Filter: "", FilterName: "", Backend: ""},
	}
	if !maps.Equal(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	compareWithFail2ban(t, dir)
}

// TestBadLines checks lines fail2ban refuses (it rejects the whole file
// and so starts no jail): Read skips them and keeps the rest.
func TestBadLines(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"jail.conf": "\ufeff" + `orphan = before any section
[DEFAULT]
backend = auto
this line is garbage
= no key
[]
[a]
filter = fa
backend = polling
[a]
backend = gamin
filter = fa2
filter = fa3
[b]
garbage again
filter = fb
`,
	})
	got := read(t, listHost{}, dir)
	want := map[string]jailinfo.Info{
		"a": {Filter: "fa3", FilterName: "fa3", Backend: "gamin"},
		"b": {Filter: "fb", FilterName: "fb", Backend: "auto"},
	}
	if !maps.Equal(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestIncludes(t *testing.T) {
	dir := t.TempDir()
	abs := filepath.Join(t.TempDir(), "abs.conf")
	writeFiles(t, filepath.Dir(abs), map[string]string{
		"abs.conf": "[DEFAULT]\nabs = from-abs\n",
	})
	writeFiles(t, dir, map[string]string{
		"jail.conf": `[INCLUDES]
before = sub/before.conf
         missing.conf
         ` + abs + `
after = after.conf

[DEFAULT]
b1 = jail.conf
a1 = jail.conf
backend = %(b1)s/%(a1)s/%(b2)s/%(abs)s/%(loc)s

[j]
filter = f
`,
		// before: lower priority than jail.conf, its own includes are
		// relative to its own folder and it may include back (a cycle).
		"sub/before.conf":  "[INCLUDES]\nbefore = inner.conf\n[DEFAULT]\nb1 = before\nb2 = before\n",
		"sub/inner.conf":   "[INCLUDES]\nafter = before.conf\n[DEFAULT]\nb2 = inner\nloc = inner\n",
		"sub/before.local": "[DEFAULT]\nloc = before.local\n",
		"after.conf":       "[DEFAULT]\na1 = after\n[j]\nfilter = from-after\n",
		"jail.local":       "[j]\nfilter = %(known/filter)s+local\n",
	})
	got := read(t, listHost{}, dir)
	want := jailinfo.Info{Filter: "from-after+local", FilterName: "from-after+local", Backend: "jail.conf/after/before/from-abs/before.local"}
	if got["j"] != want {
		t.Errorf("j = %+v, want %+v", got["j"], want)
	}
	compareWithFail2ban(t, dir)
}

// TestIncludeCycle checks that a cycle through a path spelt differently
// ends (fail2ban recurses until the path is too long).
func TestIncludeCycle(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"jail.conf":     "[INCLUDES]\nbefore = sub/b.conf\n[DEFAULT]\nbackend = jail\n[j]\nfilter = x\n",
		"sub/b.conf":    "[INCLUDES]\nbefore = ../jail.conf\n  b.conf\nafter = ./../sub/c.conf\n[DEFAULT]\nbackend = b\n",
		"sub/c.conf":    "[INCLUDES]\nafter = /../" + dir + "/jail.conf\n[DEFAULT]\nbackend = c\n",
		"jail.d/x.conf": "[INCLUDES]\nafter = ../jail.d/x.conf\n[j]\nfilter = y\n",
	})
	got := read(t, listHost{}, dir)
	if want := (jailinfo.Info{Filter: "y", FilterName: "y", Backend: "jail"}); got["j"] != want {
		t.Errorf("j = %+v, want %+v", got["j"], want)
	}
}

// TestIncludeFanOut checks that includes that multiply cannot make Read
// run for ever.
func TestIncludeFanOut(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{"jail.conf": "[INCLUDES]\nbefore = f00.conf\n  f00.conf\n[j]\nfilter = x\n"}
	for i := range 30 {
		files[fmt.Sprintf("f%02d.conf", i)] = fmt.Sprintf("[INCLUDES]\nbefore = f%02d.conf\n  f%02d.conf\n", i+1, i+1)
	}
	writeFiles(t, dir, files)
	_, err := jailinfo.Read(context.Background(), listHost{}, dir)
	if core.ErrorCode(err) != core.EINVALID || !strings.Contains(err.Error(), "more than 1000 files") {
		t.Errorf("err = %v", err)
	}
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	missing := filepath.Join(t.TempDir(), "nothere")
	for _, h := range []core.Host{plainHost{local.Host{}}, listHost{}} {
		_, err := jailinfo.Read(ctx, h, missing)
		if core.ErrorCode(err) != core.ENOTFOUND || !errors.Is(err, fs.ErrNotExist) ||
			!strings.Contains(core.ErrorMessage(err), missing) || !strings.Contains(core.ErrorMessage(err), "does not exist") {
			t.Errorf("%T: missing dir: %v", h, err)
		}
		empty := t.TempDir()
		_, err = jailinfo.Read(ctx, h, empty)
		if core.ErrorCode(err) != core.ENOTFOUND || !strings.Contains(core.ErrorMessage(err), "no jail configuration in "+empty) {
			t.Errorf("%T: empty dir: %v", h, err)
		}
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := jailinfo.Read(cctx, h, empty); core.ErrorCode(err) != core.ECANCELED {
			t.Errorf("%T: cancelled: %v", h, err)
		}
	}

	// A file the host may not read: its error comes back as it is.
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"jail.conf": "[a]\nfilter = x\n", "jail.local": "[a]\nfilter = y\n"})
	denied := core.Wrap(fs.ErrPermission, core.EPERMISSION, "no permission to read "+filepath.Join(dir, "jail.local")+": "+core.PermissionHint)
	h := denyHost{listHost: listHost{}, path: filepath.Join(dir, "jail.local"), err: denied}
	if _, err := jailinfo.Read(ctx, h, dir); err != denied {
		t.Errorf("permission: got %v, want %v", err, denied)
	}
	h.path = filepath.Join(dir, "jail.d")
	if _, err := jailinfo.Read(ctx, h, dir); err != denied {
		t.Errorf("permission on jail.d: got %v, want %v", err, denied)
	}
}

// denyHost fails every read or listing of path with err.
type denyHost struct {
	listHost
	path string
	err  error
}

func (h denyHost) ReadFile(ctx context.Context, p string) ([]byte, error) {
	if p == h.path {
		return nil, h.err
	}
	return h.listHost.ReadFile(ctx, p)
}

func (h denyHost) List(ctx context.Context, dir string) ([]string, error) {
	if dir == h.path {
		return nil, h.err
	}
	return h.listHost.List(ctx, dir)
}

// TestPermissionDenied reads a root-only file as an unprivileged user: as
// root it re-runs this test binary under setpriv as nobody.
func TestPermissionDenied(t *testing.T) {
	if dir := os.Getenv("BANGUI_JAILINFO_AS_NOBODY"); dir != "" {
		checkPermissionDenied(t, dir)
		return
	}
	dir := testenv.NobodyDir(t)
	writeFiles(t, dir, map[string]string{"jail.conf": "[a]\nfilter = x\n", "jail.local": "[a]\nfilter = y\n"})
	if err := os.Chmod(filepath.Join(dir, "jail.local"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "locked"), 0o700); err != nil {
		t.Fatal(err)
	}
	if os.Getuid() != 0 {
		for _, name := range []string{"jail.local", "locked"} {
			if err := os.Chmod(filepath.Join(dir, name), 0o000); err != nil {
				t.Fatal(err)
			}
		}
		defer os.Chmod(filepath.Join(dir, "locked"), 0o700)
		checkPermissionDenied(t, dir)
		return
	}
	testenv.RunAsNobody(t, dir, "TestPermissionDenied", "BANGUI_JAILINFO_AS_NOBODY="+dir)
}

func checkPermissionDenied(t *testing.T, dir string) {
	for _, h := range []core.Host{plainHost{local.Host{}}, listHost{}} {
		_, err := jailinfo.Read(context.Background(), h, dir)
		if core.ErrorCode(err) != core.EPERMISSION || !errors.Is(err, fs.ErrPermission) ||
			!strings.Contains(core.ErrorMessage(err), filepath.Join(dir, "jail.local")) ||
			!strings.HasSuffix(core.ErrorMessage(err), core.PermissionHint) {
			t.Errorf("%T: %v", h, err)
		}
	}
	// A folder that cannot be listed.
	sub := filepath.Join(dir, "locked")
	if _, err := jailinfo.ListDir(context.Background(), sub); core.ErrorCode(err) != core.EPERMISSION ||
		!strings.Contains(err.Error(), core.PermissionHint) {
		t.Errorf("ListDir of a locked folder: %v", err)
	}
}

func TestListDir(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"b.local": "", "a.conf": "", ".hidden.conf": "", "sub/x": ""})
	for _, l := range []struct{ name, target string }{{"link.conf", "a.conf"}, {"broken.conf", "nothere"}, {"dirlink.conf", "sub"}} {
		if err := os.Symlink(l.target, filepath.Join(dir, l.name)); err != nil {
			t.Fatal(err)
		}
	}
	got, err := jailinfo.ListDir(ctx, dir)
	if want := []string{".hidden.conf", "a.conf", "b.local", "link.conf"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("ListDir = %q, %v; want %q", got, err, want)
	}
	_, err = jailinfo.ListDir(ctx, filepath.Join(dir, "nothere"))
	if core.ErrorCode(err) != core.ENOTFOUND || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing: %v", err)
	}
	if _, err := jailinfo.ListDir(ctx, filepath.Join(dir, "a.conf")); core.ErrorCode(err) != core.EINVALID {
		t.Errorf("a file: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := jailinfo.ListDir(cctx, dir); core.ErrorCode(err) != core.ECANCELED {
		t.Errorf("cancelled: %v", err)
	}
}

// oracleScript reads the jail config under argv[1] with fail2ban's own
// ConfigReader and prints every jail's filter and backend as fail2ban's
// JailReader gets them (defaults "" and "auto"), or the error.
const oracleScript = `
import json, sys
from configparser import NoOptionError
from fail2ban.client.configreader import ConfigReader
c = ConfigReader(basedir=sys.argv[1])
if not c.read('jail'):
    sys.exit('no jail config read')
c.merge_defaults({'fail2ban_confpath': sys.argv[1]})
out = {}
for s in c.sections():
    if s == 'INCLUDES':
        continue
    d = {}
    for opt, dflt in (('filter', ''), ('backend', 'auto')):
        try:
            d[opt] = c.get(s, opt)
        except NoOptionError:
            d[opt] = dflt
        except Exception as e:
            d['error'] = type(e).__name__ + ': ' + str(e)
    out[s] = d
print(json.dumps(out))
`

// compareWithFail2ban checks Read's view of dir against fail2ban's own
// config reader, run with the Python interpreter fail2ban-client uses.
func compareWithFail2ban(t *testing.T, dir string) {
	t.Helper()
	testenv.Require(t, "fail2ban-client")
	client, _ := exec.LookPath("fail2ban-client")
	f, err := os.Open(client)
	if err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(f).ReadString('\n')
	f.Close()
	argv := strings.Fields(strings.TrimPrefix(line, "#!"))
	if !strings.HasPrefix(line, "#!") || len(argv) == 0 {
		t.Skipf("%s is not a Python script", client)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(argv[0], append(argv[1:], "-c", oracleScript, dir)...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("fail2ban's reader: %v\n%s", err, stderr.Bytes())
	}
	var want map[string]struct {
		Filter, Backend, Error string
	}
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatalf("fail2ban's reader: %v\n%s", err, out)
	}
	got := read(t, listHost{}, dir)
	if g, w := slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)); !slices.Equal(g, w) {
		t.Errorf("jails %q, fail2ban has %q", g, w)
	}
	for name, w := range want {
		g := got[name]
		switch {
		case w.Error != "":
			if g.Err == nil {
				t.Errorf("%s = %+v, fail2ban fails with %s", name, g, w.Error)
			}
		case g.Err != nil || g.Filter != w.Filter || g.Backend != w.Backend:
			t.Errorf("%s = %+v, fail2ban has filter %q backend %q", name, g, w.Filter, w.Backend)
		}
	}
}
