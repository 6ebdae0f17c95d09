package testenv

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// RunAsNobody re-runs the calling test binary's test named test as the
// unprivileged user nobody (uid 65534), to check how code behaves without
// root when the suite runs as root. The binary is copied into dir first,
// since it may sit in a 0700 build folder; dir must be reachable by nobody
// (0755). env ("KEY=value" entries) tells the re-run what to do; it must
// make the test take its unprivileged branch. The re-run must pass, and its
// output is returned. Needs setpriv (util-linux) on Linux.
func RunAsNobody(tb testing.TB, dir, test string, env ...string) []byte {
	tb.Helper()
	setpriv, err := exec.LookPath("setpriv")
	if err != nil || runtime.GOOS != "linux" {
		tb.Skip("setpriv (util-linux) is needed to drop root for this test")
	}
	data, err := os.ReadFile(os.Args[0])
	if err != nil {
		tb.Fatal(err)
	}
	bin := filepath.Join(dir, filepath.Base(os.Args[0]))
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		tb.Fatal(err)
	}
	defer os.Remove(bin)
	cmd := exec.Command(setpriv, "--reuid=65534", "--regid=65534", "--clear-groups",
		bin, "-test.run=^"+test+"$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), append(env, "HOME="+dir, "GOCOVERDIR="+dir)...)
	out, err := cmd.CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("--- PASS")) {
		tb.Fatalf("%s as nobody: %v\n%s", test, err, out)
	}
	return out
}

// NobodyDir makes a fresh folder that the user nobody can enter (0755, in
// the system temp folder: t.TempDir may sit under a 0700 parent), removed
// when the test ends. It is the dir argument of RunAsNobody.
func NobodyDir(tb testing.TB) string {
	tb.Helper()
	dir, err := os.MkdirTemp("", "perm")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	return dir
}
