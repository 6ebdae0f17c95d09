//go:build unix

package local_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/local"
	"github.com/bangui/bangui/internal/testenv"
)

func TestReadWriteRemove(t *testing.T) {
	ctx := context.Background()
	var h local.Host
	dir := t.TempDir()
	p := filepath.Join(dir, "bangui.local")

	_, err := h.ReadFile(ctx, p)
	if !errors.Is(err, fs.ErrNotExist) || core.ErrorCode(err) != core.ENOTFOUND {
		t.Fatalf("missing file: %s %v", core.ErrorCode(err), err)
	}
	old := syscall.Umask(0o077) // WriteFile must give the mode asked for anyway
	defer syscall.Umask(old)
	for _, content := range []string{"first\n", "second, longer\n", ""} {
		if err := h.WriteFile(ctx, p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := h.ReadFile(ctx, p)
		if err != nil || string(got) != content {
			t.Fatalf("read back %q, %v; want %q", got, err, content)
		}
		fi, err := os.Stat(p)
		if err != nil || fi.Mode().Perm() != 0o644 {
			t.Fatalf("mode %v, %v; want 0644", fi.Mode(), err)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
	if err := h.RemoveFile(ctx, p); err != nil {
		t.Fatal(err)
	}
	if err := h.RemoveFile(ctx, p); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("removing a missing file: %v", err)
	}
}

func TestWriteFileMissingFolder(t *testing.T) {
	p := filepath.Join(t.TempDir(), "no", "such", "file")
	err := local.Host{}.WriteFile(context.Background(), p, []byte("x"), 0o644)
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(core.ErrorMessage(err), p) {
		t.Fatalf("%s %q", core.ErrorCode(err), core.ErrorMessage(err))
	}
}

// A failed write leaves the old file intact and no temporary file behind:
// here the target is a folder, so the final rename fails.
func TestWriteFileFailureKeepsOld(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	if err := os.Mkdir(target, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(target, "keep"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := (local.Host{}).WriteFile(context.Background(), target, []byte("new"), 0o644); err == nil {
		t.Fatal("writing over a non-empty folder succeeded")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("left behind: %v", entries)
	}
}

func TestMkdir(t *testing.T) {
	ctx := context.Background()
	var h local.Host
	dir := t.TempDir()
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	p := filepath.Join(dir, "jail.d")
	if err := h.Mkdir(ctx, p, 0o755); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(p); err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o755 {
		t.Fatalf("stat: %v %v", fi.Mode(), err)
	}
	if err := h.Mkdir(ctx, p, 0o755); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("existing folder: %v", err)
	}
	if err := h.Mkdir(ctx, filepath.Join(dir, "missing", "jail.d"), 0o755); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing parent: %v", err)
	}
}

func TestRun(t *testing.T) {
	ctx := context.Background()
	var h local.Host
	out, errOut, err := h.Run(ctx, []string{"sh", "-c", `echo "out $1"; echo err >&2`, "sh", "a b;c"})
	if err != nil || string(out) != "out a b;c\n" || string(errOut) != "err\n" {
		t.Fatalf("Run = %q, %q, %v", out, errOut, err)
	}

	out, errOut, err = h.Run(ctx, []string{"sh", "-c", "echo partial; echo 'ERROR bad thing' >&2; exit 3"})
	var ee *core.ExitError
	if !errors.As(err, &ee) || ee.Status != 3 || string(ee.Stderr) != "ERROR bad thing\n" {
		t.Fatalf("exit 3: %#v", err)
	}
	if string(out) != "partial\n" || string(errOut) != "ERROR bad thing\n" {
		t.Errorf("output on failure: %q %q", out, errOut)
	}
	if msg := err.Error(); !strings.Contains(msg, "exit status 3") || !strings.HasSuffix(msg, "ERROR bad thing") {
		t.Errorf("message %q", msg)
	}
}

func TestRunMissingProgram(t *testing.T) {
	ctx := context.Background()
	t.Setenv("PATH", t.TempDir())
	_, _, err := local.Host{}.Run(ctx, []string{"fail2ban-client", "-t"})
	if core.ErrorCode(err) != core.ENOTFOUND || !strings.Contains(core.ErrorMessage(err), "fail2ban-client not found: install fail2ban") {
		t.Fatalf("%s %q", core.ErrorCode(err), core.ErrorMessage(err))
	}
	_, _, err = local.Host{}.Run(ctx, []string{"/no/such/program"})
	if core.ErrorCode(err) != core.ENOTFOUND || !strings.Contains(core.ErrorMessage(err), "/no/such/program not found") {
		t.Fatalf("%s %q", core.ErrorCode(err), core.ErrorMessage(err))
	}
	if _, _, err := (local.Host{}).Run(ctx, nil); err == nil {
		t.Fatal("empty argv accepted")
	}
}

func TestRunNotExecutable(t *testing.T) {
	p := filepath.Join(t.TempDir(), "script")
	if err := os.WriteFile(p, []byte("#!/bin/sh\necho hi\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := local.Host{}.Run(context.Background(), []string{p})
	if core.ErrorCode(err) != core.EPERMISSION || !strings.Contains(core.ErrorMessage(err), p) ||
		!strings.Contains(core.ErrorMessage(err), core.PermissionHint) {
		t.Fatalf("%s %q", core.ErrorCode(err), core.ErrorMessage(err))
	}
}

func TestRunCanceled(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	_, _, err := local.Host{}.Run(ctx, []string{"sleep", "10"})
	if core.ErrorCode(err) != core.ECANCELED || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("%s %v", core.ErrorCode(err), err)
	}
	if d := time.Since(t0); d > 5*time.Second {
		t.Errorf("cancel took %v", d)
	}
	if _, err := (local.Host{}).ReadFile(ctx, "/etc/hostname"); core.ErrorCode(err) != core.ECANCELED {
		t.Errorf("ReadFile after cancel: %v", err)
	}
}

// TestPermissionDenied writes into a root-owned folder as an unprivileged
// user: as root it re-runs this test binary under setpriv as nobody.
func TestPermissionDenied(t *testing.T) {
	if dir := os.Getenv("BANGUI_LOCAL_AS_NOBODY"); dir != "" {
		checkPermissionDenied(t, dir)
		return
	}
	dir := testenv.NobodyDir(t)
	if os.Getuid() != 0 {
		if err := os.Chmod(dir, 0o555); err != nil {
			t.Fatal(err)
		}
		defer os.Chmod(dir, 0o755)
		checkPermissionDenied(t, dir)
		return
	}
	testenv.RunAsNobody(t, dir, "TestPermissionDenied", "BANGUI_LOCAL_AS_NOBODY="+dir)
}

func checkPermissionDenied(t *testing.T, dir string) {
	ctx := context.Background()
	var h local.Host
	p := filepath.Join(dir, "bangui.local")
	for name, err := range map[string]error{
		"WriteFile": h.WriteFile(ctx, p, []byte("x"), 0o644),
		"Mkdir":     h.Mkdir(ctx, filepath.Join(dir, "jail.d"), 0o755),
	} {
		msg := core.ErrorMessage(err)
		if core.ErrorCode(err) != core.EPERMISSION || !errors.Is(err, fs.ErrPermission) ||
			!strings.Contains(msg, dir) || !strings.Contains(msg, core.PermissionHint) {
			t.Errorf("%s as uid %d: %s %q", name, os.Getuid(), core.ErrorCode(err), msg)
		}
	}
}
