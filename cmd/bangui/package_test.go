//go:build linux

package main

import (
	"bufio"
	"bytes"
	"context"
	"debug/buildinfo"
	"errors"
	"image/png"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bangui/bangui/internal/testenv"
)

// fyneAppTOML is FyneApp.toml, at the top of the repo, seen from this
// package's folder (go test runs in it).
const fyneAppTOML = "../../FyneApp.toml"

// TestVersionMatchesFyneApp checks that FyneApp.toml's [Details] Version,
// which `fyne package` stamps on the package, is the version that
// `bangui -version` prints.
func TestVersionMatchesFyneApp(t *testing.T) {
	meta := readFyneAppTOML(t)
	got, ok := meta["Details"]["Version"]
	if !ok {
		t.Fatalf("%s has no [Details] Version", fyneAppTOML)
	}
	if got != version {
		t.Errorf("%s [Details] Version = %q, but cmd/bangui/version.go says %q; make them the same", fyneAppTOML, got, version)
	}
}

// TestPackage runs scripts/package.sh (which runs `fyne package --release`)
// into a temporary folder, unpacks the .tar.xz and checks what a user
// installs: the binary runs and prints the version, the .desktop entry,
// the icon and fyne's Makefile.
//
// It needs tar and xz (Debian: tar, xz-utils), a C toolchain with the Fyne
// build headers, and the fyne CLI, which package.sh installs from the Go
// module proxy when it is missing. With CI=true a missing piece fails the
// test; otherwise it skips. The build recompiles go-gl once with fyne's
// flags (-trimpath, its CGO_CFLAGS): minutes with a cold cache, seconds
// after that.
func TestPackage(t *testing.T) {
	if testing.Short() && !testenv.InCI() {
		t.Skip("builds the release package (minutes with a cold build cache); skipped in -short mode")
	}
	var missing []string
	for _, c := range []struct{ cmd, pkg string }{{"bash", "bash"}, {"tar", "tar"}, {"xz", "xz-utils"}} {
		if _, err := exec.LookPath(c.cmd); err != nil {
			missing = append(missing, c.cmd+" (Debian package "+c.pkg+")")
		}
	}
	if len(missing) > 0 {
		packageCannotRun(t, "missing "+strings.Join(missing, ", ")+"; run scripts/install-deps.sh test")
	}
	meta := readFyneAppTOML(t)

	// Leave time to report before go test's own -timeout hits.
	timeout := 25 * time.Minute
	if d, ok := t.Deadline(); ok {
		timeout = min(timeout, time.Until(d)-30*time.Second)
	}
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()

	out := t.TempDir()
	start := time.Now()
	cmd := exec.CommandContext(ctx, "bash", "../../scripts/package.sh", "-o", out)
	// package.sh runs fyne, which runs go build and tar: on timeout stop
	// the whole process group, not only bash.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	log, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("scripts/package.sh did not finish within %v:\n%s", timeout.Round(time.Second), log)
	}
	if ee := (*exec.ExitError)(nil); errors.As(err, &ee) && ee.ExitCode() == 3 {
		packageCannotRun(t, "scripts/package.sh cannot run here:\n"+string(log))
	}
	if err != nil {
		t.Fatalf("scripts/package.sh -o %s: %v\n%s", out, err, log)
	}
	t.Logf("scripts/package.sh took %v; its last line: %s", time.Since(start).Round(time.Second),
		lastLine(log))

	// The archive is named after [Details] Name.
	name := meta["Details"]["Name"]
	archive := filepath.Join(out, name+".tar.xz")
	if _, err := os.Stat(archive); err != nil {
		entries, _ := os.ReadDir(out)
		t.Fatalf("no %s.tar.xz in the output folder (%v): %v", name, entries, err)
	}
	root := t.TempDir()
	if b, err := exec.CommandContext(ctx, "tar", "-xJf", archive, "-C", root).CombinedOutput(); err != nil {
		t.Fatalf("tar -xJf %s: %v\n%s", archive, err, b)
	}
	files := map[string]bool{}
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(root, p)
			files[filepath.ToSlash(rel)] = true
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// Finds the one file whose path matches re, failing otherwise.
	find := func(what string, re *regexp.Regexp) string {
		t.Helper()
		var found []string
		for f := range files {
			if re.MatchString(f) {
				found = append(found, f)
			}
		}
		if len(found) != 1 {
			t.Fatalf("want one %s (%s) in the package, found %q; the package holds %q",
				what, re, found, slices.Sorted(maps.Keys(files)))
		}
		return filepath.Join(root, found[0])
	}
	// fyne uses usr/local when the packaging machine has /usr/local, else usr.
	const prefix = `^[^/]+/usr/(local/)?`
	appID := meta["Details"]["ID"]
	exe := find("binary", regexp.MustCompile(prefix+`bin/[^/]+$`))
	desktop := find(".desktop entry", regexp.MustCompile(prefix+`share/applications/`+regexp.QuoteMeta(appID)+`\.desktop$`))
	icon := find("icon", regexp.MustCompile(prefix+`share/pixmaps/`+regexp.QuoteMeta(appID)+`\.png$`))
	makefile := find("Makefile", regexp.MustCompile(`^[^/]+/Makefile$`))

	t.Run("binary", func(t *testing.T) {
		st, err := os.Stat(exe)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode()&0o111 != 0o111 {
			t.Errorf("%s has mode %v, want executable by all", exe, st.Mode())
		}
		if filepath.Base(exe) != "bangui" {
			t.Errorf("binary is called %q, want bangui", filepath.Base(exe))
		}
		info, err := buildinfo.ReadFile(exe)
		if err != nil {
			t.Fatalf("read build info of %s: %v", exe, err)
		}
		settings := map[string]string{}
		for _, s := range info.Settings {
			settings[s.Key] = s.Value
		}
		tags := strings.Split(settings["-tags"], ",")
		for _, want := range []string{"release", "migrated_fynedo"} {
			if !slices.Contains(tags, want) {
				t.Errorf("binary built with -tags=%s, want %s among them", settings["-tags"], want)
			}
		}
		if settings["-trimpath"] != "true" {
			t.Errorf("binary not built with -trimpath (build settings %v)", settings)
		}
		rctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		run := exec.CommandContext(rctx, exe, "-version")
		// Fyne logs an error for the locale C at start; the Makefile sets
		// the same LANG.
		run.Env = append(os.Environ(), "LANG=en_US.UTF-8")
		var stderr bytes.Buffer
		run.Stderr = &stderr
		b, err := run.Output()
		if err != nil {
			t.Fatalf("%s -version: %v\n%s%s", exe, err, b, stderr.Bytes())
		}
		if got, want := strings.TrimSpace(string(b)), "bangui "+version; got != want {
			t.Errorf("%s -version printed %q, want %q", exe, got, want)
		}
	})

	t.Run("desktop", func(t *testing.T) {
		entry := parseDesktopEntry(t, desktop)
		for key, want := range map[string]string{
			"Type":        "Application",
			"Name":        "BanGUI",
			"Icon":        appID, // the icon's file name without .png
			"Comment":     meta["LinuxAndBSD"]["Comment"],
			"GenericName": meta["LinuxAndBSD"]["GenericName"],
		} {
			if got := entry[key]; got != want {
				t.Errorf("%s: %s=%q, want %q", filepath.Base(desktop), key, got, want)
			}
		}
		if exec := strings.Fields(entry["Exec"]); len(exec) == 0 || exec[0] != filepath.Base(exe) {
			t.Errorf("%s: Exec=%q, want it to start the binary %s", filepath.Base(desktop), entry["Exec"], filepath.Base(exe))
		}
		cats := strings.Split(entry["Categories"], ";")
		for _, want := range []string{"Network", "Monitor"} {
			if !slices.Contains(cats, want) {
				t.Errorf("%s: Categories=%q, want %s among them", filepath.Base(desktop), entry["Categories"], want)
			}
		}
		// The freedesktop checker: no errors and no warnings (two main
		// categories, for one, would list the app twice in menus).
		validate, err := exec.LookPath("desktop-file-validate")
		if err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("desktop-file-validate is missing (apt install desktop-file-utils): %v", err)
			}
			t.Skipf("desktop-file-validate is missing (apt install desktop-file-utils)")
		}
		if out, err := exec.Command(validate, desktop).CombinedOutput(); err != nil || len(strings.TrimSpace(string(out))) > 0 {
			t.Errorf("desktop-file-validate %s: %v\n%s", filepath.Base(desktop), err, out)
		}
	})

	t.Run("icon", func(t *testing.T) {
		f, err := os.Open(icon)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		cfg, err := png.DecodeConfig(f)
		if err != nil {
			t.Fatalf("%s is not a PNG: %v", icon, err)
		}
		if cfg.Width != 512 || cfg.Height != 512 {
			t.Errorf("%s is %dx%d, want 512x512", icon, cfg.Width, cfg.Height)
		}
	})

	t.Run("makefile", func(t *testing.T) {
		b, err := os.ReadFile(makefile)
		if err != nil {
			t.Fatal(err)
		}
		for _, target := range []string{"install", "uninstall", "user-install", "user-uninstall"} {
			if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(target) + `:`).Match(b) {
				t.Errorf("%s has no %s target:\n%s", makefile, target, b)
			}
		}
	})
}

// packageCannotRun stops TestPackage when something it needs is missing:
// a failure in CI (CI=true), so a broken CI setup cannot pass by skipping,
// and a skip elsewhere.
func packageCannotRun(t *testing.T, why string) {
	t.Helper()
	if testenv.InCI() {
		t.Fatalf("CI=true and the packaging test cannot run: %s", why)
	}
	t.Skipf("packaging test cannot run: %s", why)
}

// readFyneAppTOML reads FyneApp.toml into section → key → value, with ""
// as the section of top-level keys. It understands what that file uses:
// [sections], key = "string", key = number or bool, and arrays of strings,
// which come back joined with ";" (as in a .desktop file). It is not a
// TOML parser; it fails the test on any line it does not understand.
func readFyneAppTOML(t *testing.T) map[string]map[string]string {
	t.Helper()
	b, err := os.ReadFile(fyneAppTOML)
	if err != nil {
		t.Fatal(err)
	}
	meta := map[string]map[string]string{"": {}}
	section := ""
	for i, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			section = strings.TrimSpace(line[1 : len(line)-1])
			if meta[section] == nil {
				meta[section] = map[string]string{}
			}
			continue
		}
		key, val, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s:%d: cannot read %q", fyneAppTOML, i+1, line)
		}
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		if strings.HasPrefix(val, "[") && strings.HasSuffix(val, "]") {
			var items []string
			for _, it := range strings.Split(val[1:len(val)-1], ",") {
				if it = strings.TrimSpace(it); it == "" {
					continue
				}
				s, err := strconv.Unquote(it)
				if err != nil {
					t.Fatalf("%s:%d: array item %s: %v", fyneAppTOML, i+1, it, err)
				}
				items = append(items, s)
			}
			val = strings.Join(items, ";")
		} else if strings.HasPrefix(val, `"`) {
			s, err := strconv.Unquote(val)
			if err != nil {
				t.Fatalf("%s:%d: value %s: %v", fyneAppTOML, i+1, val, err)
			}
			val = s
		}
		meta[section][key] = val
	}
	return meta
}

// parseDesktopEntry reads the [Desktop Entry] group of a .desktop file
// (freedesktop Desktop Entry Specification), failing on malformed lines.
func parseDesktopEntry(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	entry := map[string]string{}
	group := ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			group = line[1 : len(line)-1]
		default:
			key, val, ok := strings.Cut(line, "=")
			if !ok || strings.TrimSpace(key) == "" {
				t.Fatalf("%s:%d: not a key=value line: %q", path, n, line)
			}
			if group == "Desktop Entry" {
				entry[strings.TrimSpace(key)] = strings.TrimSpace(val)
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(entry) == 0 {
		t.Fatalf("%s has no [Desktop Entry] group", path)
	}
	return entry
}

// lastLine returns the last non-empty line of b.
func lastLine(b []byte) string {
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	return string(lines[len(lines)-1])
}
