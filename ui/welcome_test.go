package ui

import (
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/bangui/bangui/core"
)

// welcomeCase opens the welcome with a probe answering info; the probe
// runs when run is called. It returns the welcome, run, and counters of
// addSSH and done.
func welcomeCase(t *testing.T, info WelcomeInfo) (w fyne.Window, v *welcome, run func(), adds, dones *int) {
	t.Helper()
	test.NewTempApp(t)
	w = test.NewTempWindow(t, widget.NewLabel("main"))
	w.Resize(fyne.NewSize(900, 700))
	installEscape(w)
	adds, dones = new(int), new(int)
	var job func()
	v = newWelcome(w, context.Background(), func(context.Context) WelcomeInfo { return info },
		func() { *adds++ }, func() { *dones++ }, func(f func()) { job = f })
	v.d.Show()
	return w, v, func() { job() }, adds, dones
}

func TestWelcomeFoundLocal(t *testing.T) {
	w, v, run, adds, dones := welcomeCase(t, WelcomeInfo{LocalFound: true, Socket: "/var/run/fail2ban/fail2ban.sock", Version: "1.1.0"})
	if text := overlayText(t, w); !strings.Contains(text, "Looking for fail2ban on this computer…") ||
		!strings.Contains(text, "Add a server over SSH…") || !strings.Contains(text, "Start using BanGUI") {
		t.Fatalf("before the probe:\n%s", text)
	}
	run()
	want := "Found fail2ban 1.1.0 on this computer (socket /var/run/fail2ban/fail2ban.sock). It is in your server list."
	if v.status.Text != want || v.hint.Visible() || v.spinner.Visible() {
		t.Errorf("status %q, hint shown %v, spinner shown %v", v.status.Text, v.hint.Visible(), v.spinner.Visible())
	}
	test.Tap(v.startB)
	if w.Canvas().Overlays().Top() != nil || *dones != 1 || *adds != 0 {
		t.Errorf("after Start: open %v, done %d, addSSH %d", w.Canvas().Overlays().Top() != nil, *dones, *adds)
	}
}

func TestWelcomeNotFoundShowsWhy(t *testing.T) {
	err := core.Errorf(core.EPERMISSION, "permission denied on /var/run/fail2ban/fail2ban.sock")
	w, v, run, adds, dones := welcomeCase(t, WelcomeInfo{Err: err})
	run()
	if want := "No fail2ban answered on this computer: " + core.ErrorMessage(err) + "."; v.status.Text != want {
		t.Errorf("status %q, want %q", v.status.Text, want)
	}
	if !v.hint.Visible() || !strings.Contains(v.hint.Text, "run BanGUI as root") {
		t.Errorf("hint %q shown %v", v.hint.Text, v.hint.Visible())
	}
	// Escape closes it as Start does.
	pressKey(w.Canvas(), fyne.KeyEscape)
	if w.Canvas().Overlays().Top() != nil || *dones != 1 || *adds != 0 {
		t.Errorf("after Escape: open %v, done %d, addSSH %d", w.Canvas().Overlays().Top() != nil, *dones, *adds)
	}
}

func TestWelcomeHints(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{core.Errorf(core.EUNAVAILABLE, "no socket at /var/run/fail2ban/fail2ban.sock"), "apt install fail2ban"},
		{core.Errorf(core.EPERMISSION, "root only"), "sudoers rule"},
		{context.DeadlineExceeded, "stopped after 15s"},
		{core.Errorf(core.EPROTOCOL, "garbage"), "You can still add servers over SSH."},
		{nil, ""},
	} {
		if got := welcomeHint(c.err); !strings.Contains(got, c.want) || (c.want == "" && got != "") {
			t.Errorf("%v: hint %q, want %q", c.err, got, c.want)
		}
	}
}

func TestWelcomeAddSSHAndDoneOnce(t *testing.T) {
	test.NewTempApp(t)
	w := test.NewTempWindow(t, widget.NewLabel("main"))
	installEscape(w)
	var order []string
	var job func()
	v := newWelcome(w, context.Background(), func(context.Context) WelcomeInfo { return WelcomeInfo{LocalFound: true, Socket: "/s"} },
		func() { order = append(order, "add") }, func() { order = append(order, "done") }, func(f func()) { job = f })
	v.d.Show()
	test.Tap(v.addB)
	// Closed first (done stores "welcomed"), then the server form opens.
	if len(order) != 2 || order[0] != "done" || order[1] != "add" || w.Canvas().Overlays().Top() != nil {
		t.Errorf("order %v, open %v", order, w.Canvas().Overlays().Top() != nil)
	}
	// Later closes and a late answer change nothing.
	v.d.Hide()
	pressKey(w.Canvas(), fyne.KeyEscape)
	job()
	if len(order) != 2 || v.status.Text != "Looking for fail2ban on this computer…" {
		t.Errorf("order %v, status %q", order, v.status.Text)
	}
}

func TestWelcomeCancelsProbeWhenClosedEarly(t *testing.T) {
	test.NewTempApp(t)
	w := test.NewTempWindow(t, widget.NewLabel("main"))
	started, returned := make(chan struct{}), make(chan error)
	dones := 0
	showWelcome(w, context.Background(), func(ctx context.Context) WelcomeInfo {
		close(started)
		<-ctx.Done() // a probe that would hang
		returned <- ctx.Err()
		return WelcomeInfo{Err: ctx.Err()}
	}, nil, func() { dones++ })
	<-started
	d := w.Canvas().Overlays().Top()
	if d == nil {
		t.Fatal("the welcome is not open")
	}
	var start *widget.Button
	for _, o := range test.LaidOutObjects(d) {
		if b, ok := o.(*dialogButton); ok && b.Text == "Start using BanGUI" {
			start = &b.Button
		}
	}
	if start == nil {
		t.Fatal("no Start button")
	}
	test.Tap(start)
	if err := <-returned; err != context.Canceled {
		t.Errorf("probe ended with %v, want context.Canceled", err)
	}
	if dones != 1 || w.Canvas().Overlays().Top() != nil {
		t.Errorf("done %d, open %v", dones, w.Canvas().Overlays().Top() != nil)
	}
}
