//go:build linux

package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/activity"
	"github.com/bangui/bangui/core/f2b"
	"github.com/bangui/bangui/core/f2b/f2btest"
	"github.com/bangui/bangui/core/f2bdb/gen"
	"github.com/bangui/bangui/core/store"
	"github.com/bangui/bangui/internal/testenv"
	"github.com/bangui/bangui/migrations"
	"github.com/bangui/bangui/remote/sshtest"
)

// Window and screen sizes of the smoke test.
const (
	screenGeometry = "1280x800x24"
	appWidth       = 1180
	// menuBar is the height of the window's menu bar: what it pushes
	// the views' rows down by.
	menuBar   = 28
	appHeight = 720
)

// TestWindowSmoke runs the real bangui binary in a real window (Xvfb with
// Mesa's software GL) against a real private fail2ban-server that has real
// bans, takes a screenshot of the window, and checks that
//   - the window appears and the app is still running once it has loaded,
//   - the screenshot is not blank (size, number of colours, no colour
//     covering nearly everything),
//   - the app logged no Fyne thread error, no panic and (in a -race run)
//     no data race.
//
// It runs once with the dark and once with the light theme. With
// BANGUI_SCREENSHOT_DIR set (make screenshots) the screenshots are saved
// there as jails.png and jails-light.png.
func TestWindowSmoke(t *testing.T) {
	testenv.Require(t, "Xvfb", "import", "xdotool", "fail2ban-server")

	bin := buildApp(t)
	display := startXvfb(t)
	srv := startServerWithBans(t)
	history := seedHistory(t, srv)

	shotDir := os.Getenv("BANGUI_SCREENSHOT_DIR")
	if shotDir != "" {
		if err := os.MkdirAll(shotDir, 0o755); err != nil {
			t.Fatal(err)
		}
	} else {
		shotDir = t.TempDir()
	}

	// Every view in both themes for the gallery (make screenshots); one
	// theme of each in a plain test run, which still drives every view.
	for _, run := range []struct {
		theme, view, file string
		gallery           bool // only with BANGUI_SCREENSHOT_DIR
	}{
		{"dark", "tray", "", false}, // under a session D-Bus: the tray is set up, and quitting is clean
		{"dark", "welcome", "welcome.png", false},
		{"light", "welcome", "welcome-light.png", true},
		{"dark", "dashboard", "dashboard.png", false},
		{"light", "dashboard", "dashboard-light.png", true},
		{"dark", "jails", "jails.png", false},
		{"light", "jails", "jails-light.png", true},
		{"dark", "jail-settings", "jail-settings.png", true},
		{"light", "jail-settings", "jail-settings-light.png", false},
		{"dark", "bans", "bans.png", true},
		{"light", "bans", "bans-light.png", false},
		{"dark", "map", "map.png", false},
		{"light", "map", "map-light.png", true},
		{"dark", "history", "history.png", true},
		{"light", "history", "history-light.png", false},
		{"dark", "blocklists", "blocklists.png", false},
		{"light", "blocklists", "blocklists-light.png", true},
		{"dark", "activity", "activity.png", false},
		{"light", "activity", "activity-light.png", true},
		{"dark", "settings", "settings.png", true},
		{"light", "settings", "settings-light.png", false},
		{"dark", "fleet-bans", "fleet-bans.png", false},
		{"light", "fleet-bans", "fleet-bans-light.png", true},
		{"dark", "fleet-jails", "fleet-jails.png", true},
		{"light", "fleet-jails", "fleet-jails-light.png", false},
	} {
		if run.gallery && os.Getenv("BANGUI_SCREENSHOT_DIR") == "" {
			continue
		}
		t.Run(run.view+"-"+run.theme, func(t *testing.T) {
			data := ""
			switch run.view {
			case "activity":
				data = seedActivity(t, srv)
			case "dashboard", "history", "map", "welcome":
				data = t.TempDir()
			}
			var extra appOptions
			view := run.view
			switch run.view {
			case "fleet-bans":
				view, extra = "bans", fleetSetup(t, "All servers")
			case "fleet-jails":
				view, extra = "jails", fleetSetup(t, "Group: web")
			case "blocklists":
				extra = blocklistSetup(t, srv)
			case "tray":
				view, extra.env = "dashboard", dbusSession(t)
			case "welcome":
				// A first start: the welcome finds the test's fail2ban
				// over the dashboard.
				view, extra.welcome = "dashboard", true
			}
			a := startApp(t, bin, display, srv, run.theme, view, data, extra)
			wid := waitWindow(t, a, display)

			settle(t, a, display, wid) // loaded
			if run.view == "dashboard" || run.view == "history" || run.view == "map" {
				// The app's own background task copies the real
				// server's history into its cache, and holds the lock.
				checkSynced(t, a, data, history)
				if run.view == "map" {
					// With no set-up, the built-in database locates them.
					checkLocated(t, data)
					settle(t, a, display, wid)
					// Select the United States (the most bans in the
					// generated history): its top addresses and recent
					// bans fill the side panel; hover over Brazil.
					clickAt(t, display, wid, 430, menuBar+318)
					pointAt(t, display, wid, 497, menuBar+430)
				} else if run.view == "history" {
					settle(t, a, display, wid)                                 // the synced rows are shown
					clickAt(t, display, wid, appWidth*24/100+120, menuBar+377) // a detected ban: its timeline opens with its log lines
				} else {
					pointAt(t, display, wid, appWidth-5, appHeight-5) // no hover tooltip in the picture
				}
			}
			if run.view != "jails" {
				goto shoot
			}
			// Select the second jail, then the first again, as a user
			// would: this drives the selection path (a goroutine loads
			// the bans, fyne.Do shows them) under the thread checker, and
			// the screenshot shows app1's bans. A click that misses the
			// rows does no harm, so nothing is asserted on the clicks.
			clickJailRow(t, display, wid, 1)
			time.Sleep(time.Second)
			clickJailRow(t, display, wid, 0)
		shoot:
			shot := settle(t, a, display, wid)

			if a.exited() {
				t.Fatalf("the app exited before the screenshot: %v", a.err)
			}
			img, err := png.Decode(bytes.NewReader(shot))
			if err != nil {
				t.Fatalf("decoding the screenshot: %v", err)
			}
			if run.file != "" {
				path := filepath.Join(shotDir, run.file)
				if err := os.WriteFile(path, shot, 0o644); err != nil {
					t.Fatal(err)
				}
				t.Logf("screenshot: %s", path)
			}
			checkNotBlank(t, img)

			runEnd := fileSize(a.log)
			a.stop(t)
			checkAppLog(t, a, runEnd)
			if hasTray := !strings.Contains(a.logText(), "no session D-Bus"); hasTray != (run.view == "tray") {
				t.Errorf("tray set up: %v, want %v (only the run with a session D-Bus has one)", hasTray, run.view == "tray")
			}
		})
	}
}

// goTool returns the go command of the toolchain running this test.
func goTool(t *testing.T) string {
	t.Helper()
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(gobin); err == nil {
		return gobin
	}
	p, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("no go command at %s or on PATH", gobin)
	}
	return p
}

// raceEnabled reports whether this test binary was built with -race.
func raceEnabled() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// buildApp builds this package's binary into a temp dir and returns its path.
//
// It is built WITHOUT -tags migrated_fynedo, on purpose: that tag (which
// `make build` and `fyne build` use) switches off Fyne's thread checker.
// Only without it does Fyne's GLFW driver log
// "*** Error in Fyne call thread, this should have been called in
// fyne.Do[AndWait] ***" when a widget is touched from a goroutine outside
// fyne.Do, which is the regression this test catches. "-tags=" also
// overrides a -tags from GOFLAGS.
//
// When this test runs with -race, the app is built with -race too: it then
// reports data races in the running app, and the build reuses the
// race-built packages (among them the slow cgo go-gl) that compiling this
// test binary has just cached.
func buildApp(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "bangui")
	args := []string{"build", "-tags="}
	if raceEnabled() {
		args = append(args, "-race")
	}
	args = append(args, "-o", bin, ".")
	t0 := time.Now()
	cmd := exec.CommandContext(t.Context(), goTool(t), args...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	t.Logf("go %s took %v", strings.Join(args, " "), time.Since(t0).Round(time.Millisecond))
	return bin
}

// proc is a child process that is waited for in the background.
type proc struct {
	cmd  *exec.Cmd
	done chan struct{} // closed once cmd.Wait returned
	err  error         // cmd.Wait's result, valid once done is closed
	log  string        // file holding its stdout and stderr
}

// startProc starts cmd in its own process group with stdout and stderr
// going to logPath. On Linux the kernel sends it SIGTERM if this test
// binary dies without running cleanups.
func startProc(t *testing.T, cmd *exec.Cmd, logPath string) *proc {
	t.Helper()
	f, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close() // the child has its own copy
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", cmd.Path, err)
	}
	p := &proc{cmd: cmd, done: make(chan struct{}), log: logPath}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// terminate sends SIGTERM to the process group, and SIGKILL if it has not
// exited within grace. It returns false if SIGKILL was needed.
func (p *proc) terminate(grace time.Duration) bool {
	if p.exited() {
		return true
	}
	pgid := p.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.done:
		return true
	case <-time.After(grace):
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	<-p.done
	return false
}

func (p *proc) logText() string {
	b, err := os.ReadFile(p.log)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", p.log, err)
	}
	return string(b)
}

// startXvfb starts a virtual X server on the first free display number
// from :90 on and returns the display name (":90"). A cleanup stops it.
func startXvfb(t *testing.T) string {
	t.Helper()
	for n := 90; n < 200; n++ {
		if exists(fmt.Sprintf("/tmp/.X11-unix/X%d", n)) || exists(fmt.Sprintf("/tmp/.X%d-lock", n)) {
			continue
		}
		display := ":" + strconv.Itoa(n)
		logPath := filepath.Join(t.TempDir(), "xvfb.log")
		p := startProc(t, exec.Command("Xvfb", display, "-screen", "0", screenGeometry, "-nolisten", "tcp"), logPath)
		if err := waitX(p, display, 15*time.Second); err != nil {
			p.terminate(3 * time.Second)
			if p.exited() && errors.Is(err, errXvfbExited) {
				// Most likely another X server took the number
				// between our check and Xvfb's lock file.
				t.Logf("Xvfb %s: %v; trying the next display\n%s", display, err, p.logText())
				continue
			}
			t.Fatalf("Xvfb %s: %v\n%s", display, err, p.logText())
		}
		t.Cleanup(func() {
			if !p.terminate(5 * time.Second) {
				t.Errorf("Xvfb %s did not stop on SIGTERM; killed it", display)
			}
			if t.Failed() {
				t.Logf("Xvfb log:\n%s", p.logText())
			}
		})
		t.Logf("Xvfb running on %s (pid %d)", display, p.cmd.Process.Pid)
		return display
	}
	t.Fatal("no free X display between :90 and :199")
	return ""
}

var errXvfbExited = errors.New("Xvfb exited")

// waitX waits until the X server on display accepts clients.
func waitX(p *proc, display string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		cmd := exec.Command("xdotool", "getdisplaygeometry")
		cmd.Env = xEnv(display)
		out, err := cmd.CombinedOutput()
		if p.exited() {
			return fmt.Errorf("%w: %v", errXvfbExited, p.err)
		}
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not accepting connections after %v: %v: %s", timeout, err, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// fileSize returns the size of the file at path, or 0.
func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// xEnv is this process's environment with DISPLAY set to display.
func xEnv(display string) []string {
	return append(withoutEnv(os.Environ(), "DISPLAY"), "DISPLAY="+display)
}

// withoutEnv returns env without the variables named in names.
func withoutEnv(env []string, names ...string) []string {
	var out []string
next:
	for _, kv := range env {
		for _, n := range names {
			if strings.HasPrefix(kv, n+"=") {
				continue next
			}
		}
		out = append(out, kv)
	}
	return out
}

// startServerWithBans starts a private fail2ban-server and gives both of
// its jails bans and failure counters. Only documentation addresses
// (RFC 5737 TEST-NET-1/2/3, RFC 3849 2001:db8::/32) are used.
func startServerWithBans(t *testing.T) *f2btest.Server {
	t.Helper()
	srv := f2btest.Start(t, f2btest.Options{BanTime: "1h"})

	// Real bans, the way production gets them: failures in the jail's log.
	banned := []string{"192.0.2.10", "2001:db8::10"}
	for _, ip := range banned {
		srv.WriteFailures(t, "app1", ip, 2)
	}
	// One failure stays below maxretry = 2: counts as "failed", no ban.
	srv.WriteFailures(t, "app1", "192.0.2.77", 1)
	srv.WriteFailures(t, "app2", "203.0.113.99", 1)
	for _, ip := range banned {
		srv.WaitBanned(t, "app1", ip, 15*time.Second)
	}
	// More bans set by hand, as an admin would.
	srv.Client(t, "set", "app1", "banip", "198.51.100.7")
	srv.Client(t, "set", "app2", "banip", "198.51.100.20", "198.51.100.21", "203.0.113.5")
	for _, j := range srv.Jails {
		t.Logf("status %s:\n%s", j, srv.Client(t, "status", j))
	}
	return srv
}

// seedHistory adds a month of generated, long expired bans to the real
// server's own database (as if it had run for a month: fail2ban never
// restores expired bans, so none of these addresses is banned) and returns
// how many rows the database then holds.
func seedHistory(t *testing.T, srv *f2btest.Server) int {
	t.Helper()
	ctx := context.Background()
	extra := filepath.Join(t.TempDir(), "month.sqlite3")
	opt := gen.Options{N: 20_000, Seed: 27, Jails: srv.Jails, End: time.Now().Add(-2 * time.Hour), Span: 30 * 24 * time.Hour}
	if err := gen.Generate(ctx, extra, opt, nil); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", store.URI(srv.DBFile, "_pragma=busy_timeout(10000)"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	for _, q := range []string{
		"ATTACH '" + extra + "' AS g",
		// Short bans only: nothing here may ever be restored as a ban.
		"INSERT INTO bans (jail, ip, timeofban, bantime, bancount, data) SELECT jail, ip, timeofban, 600, bancount, data FROM g.bans",
		"DETACH g",
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	var n int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM bans").Scan(&n); err != nil {
		t.Fatal(err)
	}
	t.Logf("fail2ban's database holds %d bans rows", n)
	return n
}

// checkSynced waits until the app's cache in data holds want bans (its
// history sync ran against the real server's database) and checks that
// the app holds the scheduler lock row.
func checkSynced(t *testing.T, a *proc, data string, want int) {
	t.Helper()
	db, err := sql.Open("sqlite", store.URI(filepath.Join(data, "bangui.db"), "mode=ro", "_pragma=busy_timeout(5000)"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var n, pid int
		err1 := db.QueryRow("SELECT count(*) FROM bans").Scan(&n)
		err2 := db.QueryRow("SELECT pid FROM scheduler_lock WHERE id = 1").Scan(&pid)
		if err1 == nil && err2 == nil && n >= want && pid == a.cmd.Process.Pid {
			t.Logf("the app synced %d bans and holds the scheduler lock", n)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 60 s the cache holds %d of %d bans (%v), lock pid %d, app pid %d (%v)", n, want, err1, pid, a.cmd.Process.Pid, err2)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// checkLocated checks that every cached ban has a country (the sync
// locates rows with the built-in database) and that most are in one.
func checkLocated(t *testing.T, data string) {
	t.Helper()
	db, err := sql.Open("sqlite", store.URI(filepath.Join(data, "bangui.db"), "mode=ro", "_pragma=busy_timeout(5000)"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var total, unlocated, countries, notRoutable int
	err = db.QueryRow(`SELECT count(*), count(*) FILTER (WHERE country = ''),
		count(*) FILTER (WHERE length(country) = 2), count(*) FILTER (WHERE country = '-') FROM bans`).Scan(&total, &unlocated, &countries, &notRoutable)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("bans: %d, in a country %d, not routable %d (the test's TEST-NET bans), not located %d", total, countries, notRoutable, unlocated)
	if unlocated != 0 || countries < total/2 || notRoutable == 0 {
		t.Errorf("the app did not locate its bans: %d of %d not located, %d in a country, %d not routable", unlocated, total, countries, notRoutable)
	}
}

// seedActivity returns a cache folder whose activity log holds real
// actions, recorded by core/activity as the window records them, against
// the test's fail2ban server: a ban, its unban, a bantime edit, and a ban
// refused for a bad address. The server ends as it started.
func seedActivity(t *testing.T, srv *f2btest.Server) string {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := store.Open(ctx, filepath.Join(dir, "bangui.db"), migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	client := f2b.New(f2b.UnixDialer{Path: srv.Socket}, f2b.Config{})
	defer client.Close()
	s, ok, err := core.EnsureLocalServer(ctx, db, srv.Socket, func(ctx context.Context, _ string) error { return client.Ping(ctx) })
	if err != nil || !ok {
		t.Fatalf("local server: %v %v", ok, err)
	}
	rec := activity.Wrap(client, &activity.Service{Rec: &activity.Recorder{Log: db}}, s)
	if _, err := rec.BanIP(ctx, "app2", []string{"203.0.113.77", "203.0.113.78"}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := rec.UnbanIP(ctx, "app2", []string{"203.0.113.77", "203.0.113.78"}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := rec.SetBanTime(ctx, "app2", "1h"); err != nil {
		t.Fatal(err)
	}
	if _, err := rec.BanIP(ctx, "app1", []string{"999.1.1.1"}, nil); err == nil {
		t.Fatal("a bad address was banned")
	}
	return dir
}

// startApp runs the app on display against socket with the given
// FYNE_THEME. Its HOME, XDG folders and cache live in a temp dir, so
// Fyne's preferences and BanGUI's database land there. A cleanup stops it
// and, if the test failed, logs its output.
func startApp(t *testing.T, bin, display string, srv *f2btest.Server, fyneTheme, view, data string, extra appOptions) *proc {
	t.Helper()
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	if data == "" {
		data = filepath.Join(dir, "data")
	}
	for _, d := range []string{home, data} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if extra.prepare != nil {
		extra.prepare(home, data)
	}
	args := []string{
		"-socket", srv.Socket,
		"-fail2ban-config", srv.ConfDir,
		"-data", data,
		"-refresh", "1s",
		"-view", view,
		"-width", strconv.Itoa(appWidth),
		"-height", strconv.Itoa(appHeight),
		"-welcome=" + strconv.FormatBool(extra.welcome),
	}
	cmd := exec.Command(bin, append(args, extra.args...)...)
	cmd.Dir = dir
	cmd.Env = append(withoutEnv(os.Environ(),
		"DISPLAY", "HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME",
		"LANG", "LC_ALL", "LC_MESSAGES", "FYNE_THEME", "FYNE_SCALE", "FYNE_FONT",
		"DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR"),
		"DISPLAY="+display,
		"HOME="+home,
		"XDG_DATA_HOME="+filepath.Join(home, ".local", "share"),
		"XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"XDG_CACHE_HOME="+filepath.Join(home, ".cache"),
		"LANG=en_US.UTF-8",
		"FYNE_THEME="+fyneTheme,
	)
	cmd.Env = append(cmd.Env, extra.env...)
	p := startProc(t, cmd, filepath.Join(dir, "app.log"))
	t.Logf("app started (pid %d, FYNE_THEME=%s), log %s", cmd.Process.Pid, fyneTheme, p.log)
	t.Cleanup(func() {
		p.terminate(10 * time.Second)
		if t.Failed() {
			t.Logf("app log (%s):\n%s", p.log, p.logText())
		}
	})
	return p
}

// appOptions adds to an app's start: arguments, and a function that
// prepares its home and data folders first.
type appOptions struct {
	args    []string
	prepare func(home, data string)
	welcome bool // show the first-start welcome (off in the other runs)
	// env is added to the app's environment (a session D-Bus).
	env []string
}

// dbusSession starts a private session D-Bus, as a desktop session has
// (Fyne's tray talks over it), and returns the app's environment for it.
// A cleanup stops it.
func dbusSession(t *testing.T) []string {
	t.Helper()
	daemon, err := exec.LookPath("dbus-daemon")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("dbus-daemon is missing (apt install dbus-daemon): %v", err)
		}
		t.Skipf("dbus-daemon is missing (apt install dbus-daemon): %v", err)
	}
	sock := filepath.Join(t.TempDir(), "bus")
	addr := "unix:path=" + sock
	cmd := exec.Command(daemon, "--session", "--nofork", "--nopidfile", "--address="+addr)
	p := startProc(t, cmd, filepath.Join(filepath.Dir(sock), "dbus.log"))
	t.Cleanup(func() { p.terminate(5 * time.Second) })
	deadline := time.Now().Add(15 * time.Second)
	for {
		if fi, err := os.Stat(sock); err == nil && fi.Mode()&os.ModeSocket != 0 {
			return []string{"DBUS_SESSION_BUS_ADDRESS=" + addr}
		}
		if p.exited() || time.Now().After(deadline) {
			t.Fatalf("the session D-Bus did not start: %s", p.logText())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// fleetSetup gives the app two more servers in a group "web", over SSH:
// web-2, a second real fail2ban with bans behind a real private sshd
// (root, its key and host key in the app's home), and web-3, whose sshd
// is down. The app opens the view on the group ("fleet-bans": the bans
// of all servers; "fleet-jails": the jails of the group).
func fleetSetup(t *testing.T, scope string) appOptions {
	t.Helper()
	srv2 := f2btest.Start(t, f2btest.Options{BanTime: "1h"})
	srv2.Client(t, "set", "app1", "banip", "203.0.113.40", "203.0.113.41", "2001:db8::40")
	srv2.Client(t, "set", "app2", "banip", "198.51.100.40")
	sshd := sshtest.Start(t, sshtest.Options{Users: []sshtest.User{{Name: "root"}}})
	dead := sshtest.Start(t, sshtest.Options{Users: []sshtest.User{{Name: "root"}}})
	dead.Stop()
	return appOptions{
		args: []string{"-scope", scope},
		prepare: func(home, data string) {
			key, err := os.ReadFile(sshd.ClientKeyPath("root"))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(filepath.Join(home, ".ssh"), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(home, ".ssh", "id_ed25519"), key, 0o600); err != nil {
				t.Fatal(err)
			}
			sshd.WriteKnownHosts(t, filepath.Join(home, ".ssh", "known_hosts"), true)
			ctx := context.Background()
			db, err := store.Open(ctx, filepath.Join(data, "bangui.db"), migrations.FS)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			for _, s := range []core.Server{
				{Name: "web-2", Kind: core.ServerSSH, Host: sshd.Host, Port: sshd.Port, User: "root", Socket: srv2.Socket, ConfigDir: srv2.ConfDir, Group: "web"},
				{Name: "web-3", Kind: core.ServerSSH, Host: dead.Host, Port: dead.Port, User: "root", Group: "web"},
			} {
				if _, err := db.AddServer(ctx, s); err != nil {
					t.Fatal(err)
				}
			}
		},
	}
}

// blocklistSetup gives the app two blocklist sources with a real import
// log: before the app starts, the test runs the app's importer (the same
// code as "Import now") against the real fail2ban, from a loopback HTTP
// server standing in for the list site. The lists hold TEST-NET addresses
// (documentation ranges, let through for this test only) and a few bad
// lines; the second source's list is an HTML error page.
func blocklistSetup(t *testing.T, srv *f2btest.Server) appOptions {
	t.Helper()
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/ssh.txt") {
			fmt.Fprint(w, "# stand-in for a list site\n192.0.2.80\n192.0.2.81\n198.51.100.82\n2001:db8::83\n10.1.2.3\n192.0.2.81\nnot-an-address\n")
			return
		}
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<!DOCTYPE html><html><body>Please log in</body></html>")
	}))
	t.Cleanup(site.Close)
	return appOptions{prepare: func(home, data string) {
		ctx := context.Background()
		db, err := store.Open(ctx, filepath.Join(data, "bangui.db"), migrations.FS)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		local, err := db.AddServer(ctx, core.Server{Name: core.LocalServerName, Kind: core.ServerLocal, Socket: srv.Socket})
		if err != nil {
			t.Fatal(err)
		}
		c := newClients(db, srv.ConfDir)
		defer c.Close()
		b := newBlocklists(db, c, nil, nil)
		b.im.ParseOptions.AllowDocumentation = true
		for _, s := range []core.BlocklistSource{
			// By hand: a scheduled run by the app would refuse the TEST-NET addresses.
			{Name: "stand-in ssh", URL: site.URL + "/ssh.txt", Jail: "app1", Enabled: true, UnbanDropped: true},
			{Name: "stand-in web", URL: site.URL + "/web.txt", Jail: "app2", Schedule: "0 */4 * * *", Enabled: true, Target: core.TargetServerPrefix + strconv.FormatInt(local.ID, 10)},
		} {
			src, err := b.Save(ctx, s)
			if err != nil {
				t.Fatal(err)
			}
			line, err := b.ImportNow(ctx, src.ID, nil)
			t.Logf("import %s: %s %v", src.Name, line, err)
		}
	}}
}

// stop ends the app with SIGTERM, as a desktop session would, and waits.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	if p.exited() {
		t.Errorf("the app had already exited: %v", p.err)
		return
	}
	if !p.terminate(10 * time.Second) {
		t.Errorf("the app did not exit within 10 s of SIGTERM; killed it")
		return
	}
	t.Logf("app exited: %v", p.err)
}

// waitWindow waits up to 90 s (a loaded machine with -race is slow) for the visible window titled "BanGUI" and
// returns its X window id.
func waitWindow(t *testing.T, a *proc, display string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	go func() { // give up early if the app dies
		select {
		case <-a.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	t0 := time.Now()
	cmd := exec.CommandContext(ctx, "xdotool", "search", "--sync", "--onlyvisible", "--name", "^BanGUI$")
	cmd.Env = xEnv(display)
	out, err := cmd.Output()
	if err != nil {
		if a.exited() {
			t.Fatalf("the app exited before its window appeared: %v", a.err)
		}
		t.Fatalf("no window named BanGUI within 90 s: %v (%v)", err, ctx.Err())
	}
	ids := strings.Fields(string(out))
	if len(ids) == 0 {
		t.Fatal("xdotool search found no window")
	}
	t.Logf("window %s appeared after %v", ids[0], time.Since(t0).Round(time.Millisecond))
	return ids[0]
}

// capture returns a PNG screenshot of window wid.
func capture(t *testing.T, display, wid string) []byte {
	t.Helper()
	// A window that goes away under import leaves it waiting forever.
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "import", "-silent", "-window", wid, "png:-")
	cmd.Env = xEnv(display)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("import -window %s: %v\n%s", wid, err, stderr.String())
	}
	return out
}

// settle takes screenshots about every half second until three in a row
// are nearly the same (the view shows clock times that change every
// second), or 15 s have passed, and returns the last one. Slow machines
// only make it take longer; nothing is asserted on timing.
func settle(t *testing.T, a *proc, display, wid string) []byte {
	t.Helper()
	const maxWait = 15 * time.Second
	t0 := time.Now()
	var prev image.Image
	var shot []byte
	calm := 0
	for time.Since(t0) < maxWait {
		if a.exited() {
			t.Fatalf("the app exited: %v", a.err)
		}
		shot = capture(t, display, wid)
		img, err := png.Decode(bytes.NewReader(shot))
		if err != nil {
			t.Fatalf("decoding a screenshot: %v", err)
		}
		if prev != nil && changedFraction(prev, img) < 0.01 {
			calm++
			if calm == 2 {
				t.Logf("window settled after %v", time.Since(t0).Round(time.Millisecond))
				return shot
			}
		} else {
			calm = 0
		}
		prev = img
		time.Sleep(500 * time.Millisecond)
	}
	t.Logf("window still changing after %v; using the last screenshot", maxWait)
	return shot
}

// changedFraction returns the share of pixels that differ between a and b
// (1 if their sizes differ).
func changedFraction(a, b image.Image) float64 {
	ra, rb := a.Bounds(), b.Bounds()
	if ra.Dx() != rb.Dx() || ra.Dy() != rb.Dy() || ra.Empty() {
		return 1
	}
	diff := 0
	for y := 0; y < ra.Dy(); y++ {
		for x := 0; x < ra.Dx(); x++ {
			if rgbaKey(a, ra.Min.X+x, ra.Min.Y+y) != rgbaKey(b, rb.Min.X+x, rb.Min.Y+y) {
				diff++
			}
		}
	}
	return float64(diff) / float64(ra.Dx()*ra.Dy())
}

func rgbaKey(img image.Image, x, y int) uint64 {
	r, g, b, a := img.At(x, y).RGBA()
	return uint64(r>>8)<<24 | uint64(g>>8)<<16 | uint64(b>>8)<<8 | uint64(a>>8)
}

// clickAt clicks the window at x, y.
func clickAt(t *testing.T, display, wid string, x, y int) {
	t.Helper()
	xdotool(t, display, "mousemove", "--window", wid, strconv.Itoa(x), strconv.Itoa(y), "click", "1")
}

// pointAt moves the pointer to x, y of the window.
func pointAt(t *testing.T, display, wid string, x, y int) {
	t.Helper()
	xdotool(t, display, "mousemove", "--window", wid, strconv.Itoa(x), strconv.Itoa(y))
}

func xdotool(t *testing.T, display string, args ...string) {
	t.Helper()
	cmd := exec.Command("xdotool", args...)
	cmd.Env = xEnv(display)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Logf("xdotool click: %v: %s", err, out)
	}
}

// clickJailRow clicks row (0 = first) of the jails table: right of the
// server list (24% of the window's width), below the view's header and the
// table's header row (rows are about 39 px high at scale 1).
func clickJailRow(t *testing.T, display, wid string, row int) {
	t.Helper()
	x := strconv.Itoa(appWidth*24/100 + 80)
	y := strconv.Itoa(menuBar + 150 + 39*row)
	cmd := exec.Command("xdotool", "mousemove", "--window", wid, x, y, "click", "1")
	cmd.Env = xEnv(display)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Logf("xdotool click: %v: %s", err, out)
	}
}

// checkNotBlank fails the test if img looks like an empty or unrendered
// window: too small, too few colours, or one colour nearly everywhere.
func checkNotBlank(t *testing.T, img image.Image) {
	t.Helper()
	r := img.Bounds()
	if r.Dx() < 1000 || r.Dy() < 600 {
		t.Errorf("screenshot is %dx%d, want at least 1000x600", r.Dx(), r.Dy())
	}
	counts := map[uint64]int{}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			counts[rgbaKey(img, x, y)]++
		}
	}
	top, topN := uint64(0), 0
	for c, n := range counts {
		if n > topN {
			top, topN = c, n
		}
	}
	share := float64(topN) / float64(r.Dx()*r.Dy())
	t.Logf("screenshot %dx%d: %d colours, most common #%08x covers %.1f%%", r.Dx(), r.Dy(), len(counts), top, 100*share)
	if len(counts) <= 30 {
		t.Errorf("screenshot has only %d colours, want more than 30: is the window blank?", len(counts))
	}
	if share > 0.97 {
		t.Errorf("one colour (#%08x) covers %.1f%% of the screenshot: is the window blank?", top, 100*share)
	}
}

// checkAppLog fails the test if the app's output shows a widget touched
// outside fyne.Do, a panic or a data race. runEnd is the size the log had
// when the app was told to quit, to say whether a problem happened while
// it ran or while it shut down (after the Fyne event loop has ended,
// fyne.Do runs the function on the calling goroutine, so a background
// refresh that outlives the window also shows up as a thread error).
func checkAppLog(t *testing.T, a *proc, runEnd int64) {
	t.Helper()
	log := a.logText()
	for _, bad := range []string{"Error in Fyne call thread", "panic", "WARNING: DATA RACE"} {
		i := strings.Index(log, bad)
		if i < 0 {
			continue
		}
		when := "while running"
		if int64(i) >= runEnd {
			when = "after SIGTERM, while shutting down"
		}
		where := ""
		if bad == "Error in Fyne call thread" {
			where = callers(log)
		}
		t.Errorf("the app log contains %q (first %s, %d times)%s", bad, when, strings.Count(log, bad), where)
	}
}

// callers lists the distinct "From: file:line" locations that Fyne's thread
// checker logged, most frequent first.
func callers(log string) string {
	counts := map[string]int{}
	var order []string
	for _, line := range strings.Split(log, "\n") {
		i := strings.Index(line, "From: ")
		if i < 0 {
			continue
		}
		loc := strings.TrimRight(strings.TrimSpace(line[i+len("From: "):]), `"`)
		if counts[loc] == 0 {
			order = append(order, loc)
		}
		counts[loc]++
	}
	if len(order) == 0 {
		return ""
	}
	sort.SliceStable(order, func(i, j int) bool { return counts[order[i]] > counts[order[j]] })
	var b strings.Builder
	b.WriteString("; reported from:")
	for _, loc := range order {
		fmt.Fprintf(&b, "\n\t%4d× %s", counts[loc], loc)
	}
	return b.String()
}
