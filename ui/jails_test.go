package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/bangui/bangui/core"
)

// fakeSource is a ServerClient with func fields; unset ones fail the test
// through a nil call.
type fakeSource struct {
	version  func() (core.Version, error)
	overview func() ([]core.JailStatus, error)
	bans     func(jail string) ([]core.Ban, error)
	jails    func() ([]string, error)
	allBans  func() ([]core.Ban, error)
	jailsOf  func(ips ...string) (map[string][]string, error)
	banIP    func(jail string, ips []string, p core.Progress) (core.BatchResult, error)
	unbanIP  func(jail string, ips []string, p core.Progress) (core.BatchResult, error)
	unban    func(ips ...string) (int, error)
	unbanAll func() (int, error)
}

var _ ServerClient = (*fakeSource)(nil)

func (f *fakeSource) Jails(context.Context) ([]string, error)     { return f.jails() }
func (f *fakeSource) AllBans(context.Context) ([]core.Ban, error) { return f.allBans() }
func (f *fakeSource) JailsOf(_ context.Context, ips ...string) (map[string][]string, error) {
	return f.jailsOf(ips...)
}
func (f *fakeSource) BanIP(_ context.Context, jail string, ips []string, p core.Progress) (core.BatchResult, error) {
	return f.banIP(jail, ips, p)
}
func (f *fakeSource) UnbanIP(_ context.Context, jail string, ips []string, p core.Progress) (core.BatchResult, error) {
	return f.unbanIP(jail, ips, p)
}
func (f *fakeSource) Unban(_ context.Context, ips ...string) (int, error) { return f.unban(ips...) }

// The settings panel is tested with its own fakes (jaildetail_test.go);
// here it only needs to load.
func (f *fakeSource) JailConfig(_ context.Context, jail string) (core.JailConfig, error) {
	return core.JailConfig{Name: jail, BanTime: 10 * time.Minute, FindTime: 10 * time.Minute, MaxRetry: 3}, nil
}

var errNotHere = core.Errorf(core.EINTERNAL, "not used in this test")

func (f *fakeSource) SetBanTime(context.Context, string, string) (time.Duration, error) {
	return 0, errNotHere
}
func (f *fakeSource) SetFindTime(context.Context, string, string) (time.Duration, error) {
	return 0, errNotHere
}
func (f *fakeSource) SetMaxRetry(context.Context, string, int) (int, error) { return 0, errNotHere }
func (f *fakeSource) AddIgnoreIP(context.Context, string, string) ([]string, error) {
	return nil, errNotHere
}
func (f *fakeSource) DelIgnoreIP(context.Context, string, string) ([]string, error) {
	return nil, errNotHere
}
func (f *fakeSource) SetIdle(context.Context, string, bool) error { return errNotHere }
func (f *fakeSource) StopJail(context.Context, string) error      { return errNotHere }
func (f *fakeSource) UnbanAll(context.Context) (int, error)       { return f.unbanAll() }

func (f *fakeSource) Version(context.Context) (core.Version, error) { return f.version() }
func (f *fakeSource) Overview(context.Context) ([]core.JailStatus, error) {
	return f.overview()
}
func (f *fakeSource) Bans(_ context.Context, jail string) ([]core.Ban, error) { return f.bans(jail) }

var testNow = time.Date(2026, 11, 27, 12, 0, 0, 0, time.Local)

func goodSource() *fakeSource {
	return &fakeSource{
		version: func() (core.Version, error) { return core.ParseVersion("1.0.2") },
		overview: func() ([]core.JailStatus, error) {
			return []core.JailStatus{
				{Name: "sshd", CurrentlyFailed: 4, TotalFailed: 12345, CurrentlyBanned: 2, TotalBanned: 9, Backend: "files"},
				{Name: "nginx-http-auth", Idle: true},
			}, nil
		},
		jails: func() ([]string, error) { return []string{"sshd", "nginx-http-auth"}, nil },
		bans: func(jail string) ([]core.Ban, error) {
			if jail != "sshd" {
				return nil, nil
			}
			return []core.Ban{
				{Jail: "sshd", IP: "192.0.2.10", Start: testNow.Add(-time.Minute), BanTime: 10 * time.Minute, End: testNow.Add(9*time.Minute + 5*time.Second)},
				{Jail: "sshd", IP: "2001:db8::7", Start: testNow.Add(-time.Hour), Permanent: true},
			}, nil
		},
	}
}

func (f *fakeSource) withAllBans() *fakeSource {
	f.allBans = func() ([]core.Ban, error) { return f.bans("sshd") }
	return f
}

func newTestJails(t *testing.T, src JailSource) (*jailsView, fyne.Window) {
	t.Helper()
	test.NewTempApp(t)
	var states []serverState
	w := test.NewTempWindow(t, nil)
	v := newJailsView(w, 0, func(_ core.Server, st serverState) { states = append(states, st) })
	v.spawn = func(f func()) { f() }
	v.detail.spawn = func(f func()) { f() }
	v.now = func() time.Time { return testNow }
	w.SetContent(v.root)
	w.Resize(fyne.NewSize(1000, 700))
	v.show(core.Server{ID: 1, Name: "local", Kind: core.ServerLocal, Socket: "/run/f2b.sock"}, src)
	t.Cleanup(v.stop)
	return v, w
}

func TestJailsViewShowsJailsAndFirstJailsBans(t *testing.T) {
	v, _ := newTestJails(t, goodSource())
	v.update(context.Background())

	want := "sshd | running | – | files | 4 | 2 | 12 345 | 9\nnginx-http-auth | idle | – | – | 0 | 0 | 0 | 0\n"
	if got := v.lines(); got != want {
		t.Fatalf("jail rows:\n%s\nwant:\n%s", got, want)
	}
	if v.selected != "sshd" || v.bansHead.Text != "Bans in sshd (2)" {
		t.Fatalf("selected %q, head %q", v.selected, v.bansHead.Text)
	}
	if got := v.bans.cellText(0, 0) + " " + v.bans.cellText(0, 3); got != "192.0.2.10 9m 05s" {
		t.Fatalf("ban row 0: %q", got)
	}
	if got := v.bans.cellText(1, 2) + " " + v.bans.cellText(1, 3); got != "never permanent" {
		t.Fatalf("ban row 1: %q", got)
	}
	if !strings.Contains(v.subtitle.Text, "fail2ban 1.0.2 · 2 jails, 2 banned") {
		t.Fatalf("subtitle %q", v.subtitle.Text)
	}
	if v.body.Objects[0] != v.tables {
		t.Fatal("tables not shown")
	}
}

func TestJailsViewSelectOtherJail(t *testing.T) {
	src := goodSource()
	asked := make(chan string, 1)
	inner := src.bans
	src.bans = func(j string) ([]core.Ban, error) {
		if j != "sshd" {
			asked <- j
		}
		return inner(j)
	}
	v, _ := newTestJails(t, src)
	v.update(context.Background())
	v.jails.table.Select(widget.TableCellID{Row: 1, Col: 2})
	if v.jails.sel != 1 {
		t.Fatalf("row highlight on %d", v.jails.sel)
	}
	if j := <-asked; j != "nginx-http-auth" {
		t.Fatalf("asked for %q", j)
	}
	if v.bansHead.Text != "No address is banned in nginx-http-auth right now. Ban one in the Bans tab with Ban…" {
		t.Fatalf("head %q", v.bansHead.Text)
	}
}

func TestJailsViewUnreachable(t *testing.T) {
	src := goodSource()
	src.version = func() (core.Version, error) {
		return core.Version{}, core.Errorf(core.EPERMISSION, "permission denied on /run/f2b.sock: the fail2ban socket is root-only")
	}
	v, w := newTestJails(t, src)
	v.update(context.Background())
	if v.body.Objects[0] != v.state {
		t.Fatal("error state not shown")
	}
	if v.state.title.Text != "Cannot reach fail2ban on local" || !strings.Contains(v.state.message.Text, "root-only") {
		t.Fatalf("state %q / %q", v.state.title.Text, v.state.message.Text)
	}
	if !v.state.action.Visible() || v.state.action.Text != "Retry" {
		t.Fatal("no retry")
	}
	if !strings.Contains(v.subtitle.Text, "unreachable") {
		t.Fatalf("subtitle %q", v.subtitle.Text)
	}
	// Retry reaches the server again once it is back.
	src.version = func() (core.Version, error) { return core.ParseVersion("1.0.2") }
	test.Tap(v.state.action)
	if len(v.jails.rows) != 2 || v.body.Objects[0] != v.tables {
		t.Fatal("retry did not load the jails")
	}
	_ = w
}

func TestJailsViewNoJails(t *testing.T) {
	src := goodSource()
	src.overview = func() ([]core.JailStatus, error) { return nil, nil }
	v, _ := newTestJails(t, src)
	v.update(context.Background())
	if v.body.Objects[0] != v.state || v.state.title.Text != "This server has no jails" {
		t.Fatalf("state %q", v.state.title.Text)
	}
}

func TestJailsViewBansError(t *testing.T) {
	src := goodSource()
	src.bans = func(string) ([]core.Ban, error) {
		return nil, core.Errorf(core.EUNSUPPORTED, "banip --with-time needs fail2ban 0.11.1 or newer, server has 0.10.2")
	}
	v, _ := newTestJails(t, src)
	v.update(context.Background())
	if !strings.Contains(v.bansHead.Text, "needs fail2ban 0.11.1 or newer") || len(v.bans.rows) != 0 {
		t.Fatalf("head %q", v.bansHead.Text)
	}
}

func TestFormatters(t *testing.T) {
	cases := map[time.Duration]string{-1: "permanent", 0: "expired", 42 * time.Second: "42s", 4*time.Minute + 5*time.Second: "4m 05s",
		2*time.Hour + 10*time.Minute: "2h 10m", 76 * time.Hour: "3d 4h"}
	for d, want := range cases {
		if got := formatLeft(d); got != want {
			t.Errorf("%v: %q", d, got)
		}
	}
	counts := map[int]string{0: "0", 9999: "9999", 12345: "12 345", 1234567: "1 234 567", -12345: "-12 345"}
	for n, want := range counts {
		if got := formatCount(n); got != want {
			t.Errorf("%d: %q", n, got)
		}
	}
}

func TestJailsViewRefreshPicker(t *testing.T) {
	test.NewTempApp(t)
	v := newJailsView(nil, 5*time.Second, nil)
	if v.everySel.Selected != "Every 5 s" || time.Duration(v.every.Load()) != 5*time.Second {
		t.Fatalf("default %q", v.everySel.Selected)
	}
	v.everySel.SetSelected("Paused")
	if v.every.Load() != 0 {
		t.Fatal("pause did not stop the refresh")
	}
	v.everySel.SetSelected("Every 60 s")
	if time.Duration(v.every.Load()) != time.Minute {
		t.Fatal("60 s not applied")
	}
	odd := newJailsView(nil, 1500*time.Millisecond, nil)
	if odd.everySel.Selected != "Every 1.5s" {
		t.Fatalf("command-line period %q", odd.everySel.Selected)
	}
}
