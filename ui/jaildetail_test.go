package ui

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/jailconf"
)

// Func-field fakes for the jail detail panel. The editor records every
// call, so tests can check that bad input sent nothing.

type fakeJailReader struct {
	config func(jail string) (core.JailConfig, error)
}

type fakeJailEditor struct {
	calls     []string
	banTime   func(jail, value string) (time.Duration, error)
	findTime  func(jail, value string) (time.Duration, error)
	maxRetry  func(jail string, n int) (int, error)
	addIgnore func(jail, entry string) ([]string, error)
	delIgnore func(jail, entry string) ([]string, error)
	idle      func(jail string, on bool) error
	stopJail  func(jail string) error
}

type fakePermanent struct {
	apply        func(jail string, changes []jailconf.Change) (jailconf.Result, error)
	read         func(jail string) (map[string]string, error)
	reloadJail   func(jail string) (jailconf.Output, error)
	reloadServer func() (jailconf.Output, error)
}

var (
	_ JailReader = (*fakeJailReader)(nil)
	_ JailEditor = (*fakeJailEditor)(nil)
	_ Permanent  = (*fakePermanent)(nil)
)

func (f *fakeJailReader) JailConfig(_ context.Context, jail string) (core.JailConfig, error) {
	return f.config(jail)
}

func (f *fakeJailEditor) record(format string, args ...any) {
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
}

func (f *fakeJailEditor) SetBanTime(_ context.Context, jail, value string) (time.Duration, error) {
	f.record("bantime %s %s", jail, value)
	return f.banTime(jail, value)
}

func (f *fakeJailEditor) SetFindTime(_ context.Context, jail, value string) (time.Duration, error) {
	f.record("findtime %s %s", jail, value)
	return f.findTime(jail, value)
}

func (f *fakeJailEditor) SetMaxRetry(_ context.Context, jail string, n int) (int, error) {
	f.record("maxretry %s %d", jail, n)
	return f.maxRetry(jail, n)
}

func (f *fakeJailEditor) AddIgnoreIP(_ context.Context, jail, entry string) ([]string, error) {
	f.record("addignoreip %s %s", jail, entry)
	return f.addIgnore(jail, entry)
}

func (f *fakeJailEditor) DelIgnoreIP(_ context.Context, jail, entry string) ([]string, error) {
	f.record("delignoreip %s %s", jail, entry)
	return f.delIgnore(jail, entry)
}

func (f *fakeJailEditor) SetIdle(_ context.Context, jail string, on bool) error {
	f.record("idle %s %t", jail, on)
	return f.idle(jail, on)
}

func (f *fakeJailEditor) StopJail(_ context.Context, jail string) error {
	f.record("stop %s", jail)
	return f.stopJail(jail)
}

func (f *fakePermanent) Apply(_ context.Context, jail string, changes []jailconf.Change) (jailconf.Result, error) {
	return f.apply(jail, changes)
}

func (f *fakePermanent) Read(_ context.Context, jail string) (map[string]string, error) {
	return f.read(jail)
}

func (f *fakePermanent) ReloadJail(_ context.Context, jail string) (jailconf.Output, error) {
	return f.reloadJail(jail)
}

func (f *fakePermanent) ReloadServer(context.Context) (jailconf.Output, error) {
	return f.reloadServer()
}

// jailFixture is one sshd jail behind the three fakes: the editor changes
// cfg, so a reload shows the new values.
type jailFixture struct {
	cfg     core.JailConfig
	reads   int
	changed int
	reader  *fakeJailReader
	editor  *fakeJailEditor
	perm    *fakePermanent
}

func newJailFixture() *jailFixture {
	fx := &jailFixture{cfg: core.JailConfig{
		Name: "sshd", BanTime: 10 * time.Minute, FindTime: time.Hour + 30*time.Minute, MaxRetry: 5, MaxMatches: 5,
		IgnoreIP: []string{"127.0.0.0/8", "::1"}, IgnoreSelf: true, LogPaths: []string{"/var/log/auth.log"},
		FailRegex:   []string{`^Failed password for .* from <HOST>`, `^Invalid user \S+ from <HOST>`},
		DatePattern: core.DatePattern{Pattern: "{^LN-BEG}", Name: "{^LN-BEG}Default Detectors"},
		Actions:     []string{"iptables-multiport"}, UseDNS: "warn",
	}}
	fx.reader = &fakeJailReader{config: func(string) (core.JailConfig, error) {
		fx.reads++
		c := fx.cfg
		c.IgnoreIP = slices.Clone(c.IgnoreIP)
		return c, nil
	}}
	fx.editor = &fakeJailEditor{
		banTime: func(_, value string) (time.Duration, error) {
			d, err := core.ParseTimeValue(value, true)
			fx.cfg.BanTime = d
			return d, err
		},
		findTime: func(_, value string) (time.Duration, error) {
			d, err := core.ParseTimeValue(value, false)
			fx.cfg.FindTime = d
			return d, err
		},
		maxRetry: func(_ string, n int) (int, error) { fx.cfg.MaxRetry = n; return n, nil },
		addIgnore: func(_, e string) ([]string, error) {
			fx.cfg.IgnoreIP = append(fx.cfg.IgnoreIP, e)
			return slices.Clone(fx.cfg.IgnoreIP), nil
		},
		delIgnore: func(_, e string) ([]string, error) {
			fx.cfg.IgnoreIP = slices.DeleteFunc(fx.cfg.IgnoreIP, func(s string) bool { return s == e })
			return slices.Clone(fx.cfg.IgnoreIP), nil
		},
		idle:     func(string, bool) error { return nil },
		stopJail: func(string) error { return nil },
	}
	fx.perm = &fakePermanent{read: func(string) (map[string]string, error) { return map[string]string{}, nil }}
	return fx
}

var detailServer = core.Server{ID: 1, Name: "local", Kind: core.ServerLocal}

func newTestDetail(t *testing.T, fx *jailFixture, withPermanent bool) *jailDetail {
	t.Helper()
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	v := newJailDetail(w)
	v.spawn = func(f func()) { f() }
	v.onChanged = func() { fx.changed++ }
	w.SetContent(v.root)
	w.Resize(fyne.NewSize(900, 800))
	var p Permanent
	if withPermanent {
		p = fx.perm
	}
	v.show(detailServer, "sshd", fx.reader, fx.editor, p)
	t.Cleanup(v.stop)
	return v
}

func TestJailDetailShowsConfig(t *testing.T) {
	fx := newJailFixture()
	v := newTestDetail(t, fx, true)
	v.update(context.Background())
	if v.body.Objects[0] != v.content || v.banner.Visible() {
		t.Fatal("config not shown")
	}
	checks := map[string]string{
		"title":       v.title.Text,
		"bantime":     v.banTime.entry.Text + " | " + v.banTime.now.Text,
		"findtime":    v.findTime.entry.Text + " | " + v.findTime.now.Text,
		"maxretry":    v.maxRetry.entry.Text + " | " + v.maxRetry.now.Text,
		"failregex":   v.failRegex.Text,
		"ignoreregex": v.ignoreRegex.Text,
		"datepattern": v.datePattern.Text,
		"logpath":     v.logPaths.Text,
		"actions":     v.actions.Text,
		"usedns":      v.useDNS.Text + " " + v.maxMatches.Text,
		"ignoreself":  v.ignoreSelf.Text,
		"pending":     v.pending.Text,
	}
	want := map[string]string{
		"title":       "Jail sshd on local",
		"bantime":     "600 | now 600 (10m)",
		"findtime":    "5400 | now 5400 (1h30m)",
		"maxretry":    "5 | now 5",
		"failregex":   "^Failed password for .* from <HOST>\n^Invalid user \\S+ from <HOST>",
		"ignoreregex": "none",
		"datepattern": "{^LN-BEG}\n{^LN-BEG}Default Detectors",
		"logpath":     "/var/log/auth.log",
		"actions":     "iptables-multiport",
		"usedns":      "warn 5",
		"ignoreself":  "Ignore self: yes: fail2ban never bans this server's own addresses",
		"pending":     "Nothing changed here yet.",
	}
	for k, w := range want {
		if checks[k] != w {
			t.Errorf("%s: %q, want %q", k, checks[k], w)
		}
	}
	if !v.failRegex.TextStyle.Monospace || !v.failRegex.Selectable {
		t.Error("failregex is not monospace and selectable")
	}
	if len(v.ignoreRows) != 2 || v.ignoreRows[1].entry != "::1" {
		t.Errorf("ignore rows %v", v.ignoreRows)
	}
	if !v.permBox.Visible() || v.permNote.Visible() || !v.permB.Disabled() || v.reloadJailB.Disabled() {
		t.Error("permanent section state")
	}
	if !strings.Contains(v.saved.Text, "holds nothing for sshd") {
		t.Errorf("saved %q", v.saved.Text)
	}
	if fx.changed != 0 || len(fx.editor.calls) != 0 {
		t.Errorf("reading changed something: %d %v", fx.changed, fx.editor.calls)
	}
}

func TestJailDetailSetsBanTime(t *testing.T) {
	fx := newJailFixture()
	v := newTestDetail(t, fx, true)
	reads := fx.reads
	for _, c := range []struct{ in, want, now string }{
		{"15m", "bantime sshd 15m", "now 900 (15m)"},
		{"10 m", "bantime sshd 10 m", "now 600 (10m)"}, // fail2ban reads "10 m" too
		{"-1", "bantime sshd -1", "now -1 (forever)"},
	} {
		v.banTime.entry.SetText(c.in)
		test.Tap(v.banTime.apply)
		if got := fx.editor.calls[len(fx.editor.calls)-1]; got != c.want {
			t.Fatalf("%q: fake got %q", c.in, got)
		}
		if v.banTime.now.Text != c.now || v.banTime.msg.Importance != widget.SuccessImportance {
			t.Errorf("%q: now %q, msg %q", c.in, v.banTime.now.Text, v.banTime.msg.Text)
		}
	}
	if fx.reads != reads+3 || fx.changed != 3 {
		t.Errorf("reads %d, onChanged %d", fx.reads-reads, fx.changed)
	}
	if v.banTime.entry.Text != "-1" || v.changed["bantime"] != "-1" || !strings.Contains(v.pending.Text, "bantime = -1") {
		t.Errorf("entry %q, pending %q", v.banTime.entry.Text, v.pending.Text)
	}
	if v.permB.Disabled() {
		t.Error("Make permanent stays disabled after a change")
	}

	v.findTime.entry.SetText("1h")
	test.Tap(v.findTime.apply)
	v.maxRetry.entry.SetText(" 3 ")
	test.Tap(v.maxRetry.apply)
	if got := strings.Join(fx.editor.calls[3:], ", "); got != "findtime sshd 1h, maxretry sshd 3" {
		t.Fatalf("calls %q", got)
	}
	if v.findTime.now.Text != "now 3600 (1h)" || v.maxRetry.now.Text != "now 3" {
		t.Errorf("now %q %q", v.findTime.now.Text, v.maxRetry.now.Text)
	}
}

func TestJailDetailRefusesBadInput(t *testing.T) {
	cases := []struct {
		name  string
		field func(*jailDetail) *detailField
		in    string
		msg   string
	}{
		{"bantime -5", func(v *jailDetail) *detailField { return v.banTime }, "-5", `"-5" is not a time`},
		{"bantime 1e9", func(v *jailDetail) *detailField { return v.banTime }, "1e9", `"1e9" is not a time`},
		{"bantime abc", func(v *jailDetail) *detailField { return v.banTime }, "abc", `"abc" is not a time`},
		{"bantime too long", func(v *jailDetail) *detailField { return v.banTime }, "100y", "too long"},
		{"findtime -1", func(v *jailDetail) *detailField { return v.findTime }, "-1", "-1 (forever) is not allowed here"},
		{"maxretry 0", func(v *jailDetail) *detailField { return v.maxRetry }, "0", `maxretry "0" is not allowed`},
		{"maxretry x", func(v *jailDetail) *detailField { return v.maxRetry }, "x", `maxretry "x" is not allowed`},
		{"maxretry 1001", func(v *jailDetail) *detailField { return v.maxRetry }, "1001", "from 1 to 1000"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fx := newJailFixture()
			v := newTestDetail(t, fx, true)
			f := c.field(v)
			f.entry.SetText(c.in)
			test.Tap(f.apply)
			if !f.msg.Visible() || !strings.Contains(f.msg.Text, c.msg) {
				t.Errorf("message %q (shown %t), want %q", f.msg.Text, f.msg.Visible(), c.msg)
			}
			if len(fx.editor.calls) != 0 || fx.changed != 0 {
				t.Errorf("sent %v", fx.editor.calls)
			}
			if f.entry.Text != c.in {
				t.Errorf("entry reset to %q", f.entry.Text)
			}
		})
	}
}

func TestJailDetailIgnoreList(t *testing.T) {
	fx := newJailFixture()
	v := newTestDetail(t, fx, true)

	v.ignoreIn.SetText("300.1.1.1")
	test.Tap(v.ignoreAdd)
	if !strings.Contains(v.ignoreMsg.Text, `"300.1.1.1" is not an IP address, network or host name`) || len(fx.editor.calls) != 0 {
		t.Fatalf("bad entry: msg %q, calls %v", v.ignoreMsg.Text, fx.editor.calls)
	}

	v.ignoreIn.SetText(" 192.0.2.7 ")
	test.Tap(v.ignoreAdd)
	if got := strings.Join(fx.editor.calls, ", "); got != "addignoreip sshd 192.0.2.7" {
		t.Fatalf("calls %q", got)
	}
	if len(v.ignoreRows) != 3 || v.ignoreRows[2].entry != "192.0.2.7" || v.ignoreIn.Text != "" || v.ignoreMsg.Text != "Added 192.0.2.7" {
		t.Fatalf("after add: rows %d, entry %q, msg %q", len(v.ignoreRows), v.ignoreIn.Text, v.ignoreMsg.Text)
	}

	test.Tap(v.ignoreRows[0].remove)
	if got := fx.editor.calls[1]; got != "delignoreip sshd 127.0.0.0/8" {
		t.Fatalf("remove sent %q", got)
	}
	if len(v.ignoreRows) != 2 || v.ignoreRows[0].entry != "::1" {
		t.Fatalf("rows after remove: %d", len(v.ignoreRows))
	}
	if v.changed["ignoreip"] != "::1 192.0.2.7" || fx.changed != 2 {
		t.Errorf("tracked %q, onChanged %d", v.changed["ignoreip"], fx.changed)
	}

	fx.editor.addIgnore = func(string, string) ([]string, error) {
		return nil, core.Errorf(core.ESERVER, "fail2ban refused it")
	}
	v.ignoreIn.SetText("vpn.example.org")
	test.Tap(v.ignoreAdd)
	if v.ignoreMsg.Text != "fail2ban refused it" || v.ignoreIn.Text != "vpn.example.org" || fx.changed != 2 {
		t.Errorf("failure: msg %q, entry %q", v.ignoreMsg.Text, v.ignoreIn.Text)
	}
}

func TestJailDetailIdle(t *testing.T) {
	fx := newJailFixture()
	v := newTestDetail(t, fx, true)
	test.Tap(v.idle)
	test.Tap(v.idle)
	if got := strings.Join(fx.editor.calls, ", "); got != "idle sshd true, idle sshd false" || fx.changed != 2 {
		t.Fatalf("calls %q, onChanged %d", got, fx.changed)
	}
	if v.idle.Checked || !strings.Contains(v.jailMsg.Text, "acts on failures again") {
		t.Errorf("checked %t, msg %q", v.idle.Checked, v.jailMsg.Text)
	}

	fx.editor.idle = func(string, bool) error { return core.Errorf(core.EUNAVAILABLE, "fail2ban is not running") }
	test.Tap(v.idle)
	if v.idle.Checked || v.jailMsg.Text != "fail2ban is not running" {
		t.Errorf("failed idle: checked %t, msg %q", v.idle.Checked, v.jailMsg.Text)
	}
	if len(fx.editor.calls) != 3 {
		t.Errorf("reverting the check sent %v", fx.editor.calls)
	}

	v.showIdle(true)
	if !v.idle.Checked || len(fx.editor.calls) != 3 {
		t.Error("showIdle sent a call")
	}
}

func TestJailDetailStop(t *testing.T) {
	fx := newJailFixture()
	v := newTestDetail(t, fx, true)
	test.Tap(v.stopB)
	if v.confirm == nil {
		t.Fatal("no question asked")
	}
	v.confirm.Dismiss()
	if len(fx.editor.calls) != 0 {
		t.Fatalf("cancel sent %v", fx.editor.calls)
	}

	test.Tap(v.stopB)
	v.confirm.Confirm()
	if got := strings.Join(fx.editor.calls, ", "); got != "stop sshd" || fx.changed != 1 {
		t.Fatalf("calls %q, onChanged %d", got, fx.changed)
	}
	if !v.gone || !strings.Contains(v.banner.Text, "Jail sshd was stopped") || !strings.Contains(v.banner.Text, "bans were lifted") {
		t.Errorf("banner %q", v.banner.Text)
	}
	if !v.banTime.apply.Disabled() || !v.ignoreAdd.Disabled() || !v.stopB.Disabled() || !v.idle.Disabled() {
		t.Error("inputs stay enabled after stop")
	}
	if v.reloadServerB.Disabled() {
		t.Error("reload server disabled after stop")
	}
}

func TestJailDetailMakePermanent(t *testing.T) {
	fx := newJailFixture()
	var got []jailconf.Change
	fx.perm.apply = func(jail string, changes []jailconf.Change) (jailconf.Result, error) {
		got = changes
		return jailconf.Result{Path: "/etc/fail2ban/jail.d/bangui.local", Jail: jail, Changes: changes}, nil
	}
	v := newTestDetail(t, fx, true)
	v.maxRetry.entry.SetText("3")
	test.Tap(v.maxRetry.apply)
	v.banTime.entry.SetText("1h")
	test.Tap(v.banTime.apply)
	fx.perm.read = func(string) (map[string]string, error) {
		return map[string]string{"maxretry": "3", "bantime": "3600"}, nil
	}
	test.Tap(v.permB)
	want := []jailconf.Change{{Key: "bantime", Value: "3600"}, {Key: "maxretry", Value: "3"}}
	if !slices.Equal(got, want) {
		t.Fatalf("applied %v, want %v", got, want)
	}
	if v.permMsg.Text != "Written to /etc/fail2ban/jail.d/bangui.local and reloaded" {
		t.Errorf("message %q", v.permMsg.Text)
	}
	if len(v.changed) != 0 || !v.permB.Disabled() || v.pending.Text != "Nothing changed here yet." {
		t.Errorf("pending %q", v.pending.Text)
	}
	if v.saved.Text != "BanGUI's file holds for sshd: bantime = 3600 · maxretry = 3" || fx.changed != 3 {
		t.Errorf("saved %q, onChanged %d", v.saved.Text, fx.changed)
	}
}

func TestJailDetailMakePermanentFails(t *testing.T) {
	fx := newJailFixture()
	const msg = "fail2ban's configuration check failed: Bad value substitution: option 'action'\nBanGUI removed /etc/fail2ban/jail.d/bangui.local again"
	fx.perm.apply = func(string, []jailconf.Change) (jailconf.Result, error) {
		return jailconf.Result{}, core.Wrap(fmt.Errorf("exit status 255"), core.ESERVER, msg)
	}
	v := newTestDetail(t, fx, true)
	v.findTime.entry.SetText("20m")
	test.Tap(v.findTime.apply)
	reads := fx.reads
	test.Tap(v.permB)
	if v.permMsg.Text != msg || v.permMsg.Importance != widget.DangerImportance {
		t.Errorf("message %q", v.permMsg.Text)
	}
	if v.changed["findtime"] != "1200" || v.permB.Disabled() {
		t.Error("the change is no longer pending after a failure")
	}
	if fx.reads != reads+1 {
		t.Error("the jail was not read again after the failed apply")
	}
}

func TestJailDetailReload(t *testing.T) {
	fx := newJailFixture()
	var asked []string
	fx.perm.reloadJail = func(jail string) (jailconf.Output, error) {
		asked = append(asked, "jail "+jail)
		return jailconf.Output{Check: "OK: configuration test is successful", Reload: "OK"}, nil
	}
	fx.perm.reloadServer = func() (jailconf.Output, error) {
		asked = append(asked, "server")
		return jailconf.Output{}, core.Errorf(core.ESERVER, "fail2ban could not reload the server: Have not found any log file for apache-auth jail")
	}
	v := newTestDetail(t, fx, true)
	v.maxRetry.entry.SetText("2")
	test.Tap(v.maxRetry.apply)
	v.showIdle(true)

	test.Tap(v.reloadJailB)
	v.confirm.Dismiss()
	if len(asked) != 0 {
		t.Fatal("reload ran without confirmation")
	}
	test.Tap(v.reloadJailB)
	v.confirm.Confirm()
	if v.permMsg.Text != "Reloaded jail sshd" || len(v.changed) != 0 || v.idle.Checked {
		t.Errorf("jail reload: %q, pending %v, idle %t", v.permMsg.Text, v.changed, v.idle.Checked)
	}

	test.Tap(v.reloadServerB)
	v.confirm.Confirm()
	if !slices.Equal(asked, []string{"jail sshd", "server"}) {
		t.Fatalf("asked %v", asked)
	}
	if !strings.Contains(v.permMsg.Text, "Have not found any log file") {
		t.Errorf("server reload: %q", v.permMsg.Text)
	}
	if fx.changed != 3 {
		t.Errorf("onChanged %d", fx.changed)
	}
}

func TestJailDetailJailVanished(t *testing.T) {
	fx := newJailFixture()
	v := newTestDetail(t, fx, true)
	gone := core.Wrap(fmt.Errorf("UnknownJailException('sshd')"), core.ENOTFOUND, `fail2ban has no jail "sshd"`)
	fx.reader.config = func(string) (core.JailConfig, error) { return core.JailConfig{}, gone }
	v.update(context.Background())
	const want = "This jail no longer exists on local: it was stopped or removed. Refresh the jail list."
	if !v.gone || v.banner.Text != want || !v.banner.Visible() {
		t.Fatalf("banner %q", v.banner.Text)
	}
	if !v.banTime.entry.Disabled() || !v.ignoreIn.Disabled() || !v.stopB.Disabled() || !v.ignoreRows[0].remove.Disabled() {
		t.Error("inputs stay enabled")
	}

	// A change that finds the jail gone shows the same state.
	fx2 := newJailFixture()
	v2 := newTestDetail(t, fx2, true)
	fx2.editor.maxRetry = func(string, int) (int, error) { return 0, gone }
	v2.maxRetry.entry.SetText("4")
	test.Tap(v2.maxRetry.apply)
	if !v2.gone || v2.banner.Text != want || !v2.maxRetry.apply.Disabled() || fx2.changed != 0 {
		t.Errorf("after change: banner %q", v2.banner.Text)
	}

	// Gone before anything was shown: the state panel says it.
	fx3 := newJailFixture()
	fx3.reader.config = fx.reader.config
	v3 := newTestDetail(t, fx3, true)
	if v3.body.Objects[0] != v3.state || v3.state.message.Text != want {
		t.Errorf("first read: %q", v3.state.message.Text)
	}

	// Back after a refresh (a reload brought it back).
	fx.reader.config = func(string) (core.JailConfig, error) { return fx.cfg, nil }
	test.Tap(v.refreshB)
	if v.gone || v.banner.Visible() || v.banTime.entry.Disabled() {
		t.Error("jail still shown as gone after it came back")
	}
}

func TestJailDetailReadFails(t *testing.T) {
	fx := newJailFixture()
	fx.reader.config = func(string) (core.JailConfig, error) {
		return core.JailConfig{}, core.Errorf(core.EUNAVAILABLE, "fail2ban is not running")
	}
	v := newTestDetail(t, fx, true)
	if v.body.Objects[0] != v.state || v.state.message.Text != "fail2ban is not running" || !v.state.action.Visible() {
		t.Fatalf("state %q", v.state.message.Text)
	}
	fx.reader.config = func(string) (core.JailConfig, error) { return fx.cfg, nil }
	test.Tap(v.state.action)
	if v.body.Objects[0] != v.content {
		t.Error("retry did not show the jail")
	}
}

func TestJailDetailWithoutPermanent(t *testing.T) {
	fx := newJailFixture()
	v := newTestDetail(t, fx, false)
	if v.permBox.Visible() || !v.permNote.Visible() || !strings.Contains(v.permNote.Text, "cannot be made permanent") {
		t.Fatal("permanent buttons shown without Permanent")
	}
	v.banTime.entry.SetText("2h")
	test.Tap(v.banTime.apply)
	if v.banTime.now.Text != "now 7200 (2h)" {
		t.Errorf("runtime change without Permanent: %q", v.banTime.now.Text)
	}
	if !v.permB.Disabled() || !v.reloadJailB.Disabled() || v.permBox.Visible() {
		t.Error("Make permanent usable")
	}
}

func TestFormatTimeValue(t *testing.T) {
	for d, want := range map[time.Duration]string{
		-time.Second: "-1 (forever)", 0: "0 (0s)", 45 * time.Second: "45 (45s)", 10 * time.Minute: "600 (10m)",
		90 * time.Minute: "5400 (1h30m)", 24 * time.Hour: "86400 (1d)", 8*24*time.Hour + time.Second: "691201 (1w1d1s)",
	} {
		if got := formatTimeValue(d); got != want {
			t.Errorf("%v: %q, want %q", d, got, want)
		}
	}
}

// TestJailDetailLongRunCanBeCancelled: a permanent edit or reload (which
// may take minutes) shows Cancel; Cancel stops the call and says the
// files were kept or rolled back.
func TestJailDetailLongRunCanBeCancelled(t *testing.T) {
	fx := newJailFixture()
	v := newTestDetail(t, fx, true)
	if v.cancelB.Visible() {
		t.Fatal("Cancel shown with nothing running")
	}
	var work sync.WaitGroup
	v.spawn = func(f func()) { work.Add(1); go func() { defer work.Done(); f() }() }
	started, ended := make(chan struct{}), make(chan error, 1)
	v.run(permanentTimeout, reloadNever, func(ctx context.Context) error {
		close(started)
		<-ctx.Done()
		return ctx.Err()
	}, func(err error) { ended <- err })
	<-started // the call waits for its context: nothing else touches widgets
	if !v.cancelB.Visible() || v.cancelB.Disabled() {
		t.Fatal("no Cancel while a permanent edit runs")
	}
	test.Tap(v.cancelB)
	err := <-ended
	work.Wait() // the rest of the run's UI step
	if core.ErrorCode(err) != core.ECANCELED || !strings.Contains(core.ErrorMessage(err), "rolled back") {
		t.Errorf("cancelled run: %v", err)
	}
	if v.cancelB.Visible() || v.busy {
		t.Error("Cancel still shown, or still busy, after the run ended")
	}
}
