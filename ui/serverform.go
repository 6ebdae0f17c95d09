package ui

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/bangui/bangui/core"
)

// Test step states.
const (
	StepRunning = "running"
	StepOK      = "ok"
	StepFailed  = "failed"
	StepSkipped = "skipped"
)

// TestStep is one step of a connection test, reported as it starts and
// as it ends.
type TestStep struct {
	Name   string // "TCP", "host key and login", "fail2ban", ...
	State  string // StepRunning, StepOK, StepFailed, StepSkipped
	Detail string // what was found, or what went wrong and what to do
}

// ServerAdmin adds, edits, removes and tests servers (cmd wires the cache
// and the SSH code).
type ServerAdmin interface {
	AddServer(ctx context.Context, s core.Server) (core.Server, error)
	UpdateServer(ctx context.Context, s core.Server) (core.Server, error)
	DeleteServer(ctx context.Context, id int64) error
	// TestServer connects to s step by step, calling step as each starts
	// and ends (from its own goroutine), and returns the first failure.
	TestServer(ctx context.Context, s core.Server, step func(TestStep)) error
}

// serverForm is the add/edit dialog of an SSH server.
type serverForm struct {
	w      fyne.Window
	admin  ServerAdmin
	parent context.Context
	spawn  func(func())
	orig   core.Server // zero ID: a new server
	saved  func(core.Server)

	name, host, port, user, socket *dialogEntry
	group                          *dialogSelectEntry
	auth, transport                *widget.Select
	steps                          *widget.Label
	status                         *widget.Label
	testB, saveB                   *widget.Button
	d                              dialog.Dialog
	cancelTest                     context.CancelFunc
}

// Choices of the login and transport selects, in order; the first is "".
var (
	authChoices      = []string{"Keys (ssh-agent, ~/.ssh)", "Password (asked on connect, never stored)"}
	transportChoices = []string{"Automatic", "Socket forward (root login)", "sudo relay with socat", "sudo relay with python3"}
)

// newServerForm builds the dialog; groups are the group names in use,
// offered in the group field.
func newServerForm(w fyne.Window, admin ServerAdmin, parent context.Context, spawn func(func()), orig core.Server, groups []string, saved func(core.Server)) *serverForm {
	f := &serverForm{w: w, admin: admin, parent: parent, spawn: spawn, orig: orig, saved: saved}
	f.group = newDialogSelectEntry(groups)
	f.group.SetPlaceHolder("optional, such as web or eu-west")
	f.auth = widget.NewSelect(authChoices, nil)
	f.auth.SetSelectedIndex(0)
	f.transport = widget.NewSelect(transportChoices, nil)
	f.transport.SetSelectedIndex(0)
	f.name = newDialogEntry()
	f.name.SetPlaceHolder("web1")
	f.host = newDialogEntry()
	f.host.SetPlaceHolder("web1.example.org, 203.0.113.5 or a Host alias of ~/.ssh/config")
	f.port = newDialogEntry()
	f.port.SetPlaceHolder("from ~/.ssh/config, else 22")
	f.user = newDialogEntry()
	f.user.SetPlaceHolder("from ~/.ssh/config, else your user name")
	f.socket = newDialogEntry()
	f.socket.SetPlaceHolder("/var/run/fail2ban/fail2ban.sock")
	if orig.ID != 0 {
		f.name.SetText(orig.Name)
		f.host.SetText(orig.Host)
		if orig.Port != 0 {
			f.port.SetText(strconv.Itoa(orig.Port))
		}
		f.user.SetText(orig.User)
		f.socket.SetText(orig.Socket)
		f.group.SetText(orig.Group)
		if orig.Auth == core.AuthAsk {
			f.auth.SetSelectedIndex(1)
		}
		for i, t := range core.Transports {
			if orig.Transport == t {
				f.transport.SetSelectedIndex(i + 1)
			}
		}
	}
	f.steps = widget.NewLabel("")
	f.steps.Wrapping = fyne.TextWrapWord
	f.status = widget.NewLabel("Keys come from ssh-agent or ~/.ssh; unknown host keys are shown for you to check; passphrases and passwords stay in memory.")
	f.status.Wrapping = fyne.TextWrapWord
	f.testB = widget.NewButtonWithIcon("Test connection", theme.MediaPlayIcon(), f.test)
	f.saveB = widget.NewButtonWithIcon("Save", theme.DocumentSaveIcon(), f.save)
	f.saveB.Importance = widget.HighImportance
	form := widget.NewForm(
		widget.NewFormItem("Name", f.name),
		widget.NewFormItem("Host", f.host),
		widget.NewFormItem("Port", f.port),
		widget.NewFormItem("User", f.user),
		widget.NewFormItem("Group", f.group),
		widget.NewFormItem("Login", f.auth),
		widget.NewFormItem("Reach fail2ban by", f.transport),
		widget.NewFormItem("fail2ban socket", f.socket),
	)
	body := container.NewVBox(form, f.status, container.NewHBox(f.testB, f.saveB), f.steps)
	title := "Add an SSH server"
	if orig.ID != 0 {
		title = "Edit " + orig.Name
	}
	f.d = dialog.NewCustom(title, "Close", body, w)
	f.d.SetOnClosed(func() {
		if f.cancelTest != nil {
			f.cancelTest()
		}
	})
	f.d.Resize(fyne.NewSize(660, 640))
	return f
}

// server reads the fields into a server, validated.
func (f *serverForm) server() (core.Server, error) {
	s := f.orig
	s.Kind = core.ServerSSH
	s.Name, s.Host, s.User, s.Socket = f.name.Text, f.host.Text, f.user.Text, f.socket.Text
	s.Group = f.group.Text
	s.Auth = ""
	if f.auth.SelectedIndex() == 1 {
		s.Auth = core.AuthAsk
	}
	s.Transport = ""
	if i := f.transport.SelectedIndex(); i > 0 {
		s.Transport = core.Transports[i-1]
	}
	port, ok := optionalNumber(f.port.Text)
	if !ok {
		return s, core.Errorf(core.EINVALID, "port %q is not a number: use 1 to 65535, or leave it empty", strings.TrimSpace(f.port.Text))
	}
	s.Port = port
	return core.ValidateServer(s)
}

// test runs the connection test, showing each step.
func (f *serverForm) test() {
	s, err := f.server()
	if err != nil {
		f.status.SetText(core.ErrorMessage(err))
		return
	}
	if f.cancelTest != nil {
		f.cancelTest()
	}
	ctx, cancel := context.WithTimeout(f.parent, 2*time.Minute)
	f.cancelTest = cancel
	f.testB.Disable()
	f.status.SetText("Testing " + s.Host + "…")
	var lines []TestStep
	show := func(st TestStep) {
		for i := range lines {
			if lines[i].Name == st.Name {
				lines[i] = st
				f.steps.SetText(stepsText(lines))
				return
			}
		}
		lines = append(lines, st)
		f.steps.SetText(stepsText(lines))
	}
	f.steps.SetText("")
	f.spawn(func() {
		defer cancel()
		err := f.admin.TestServer(ctx, s, func(st TestStep) { do(ctx, func() { show(st) }) })
		do(f.parent, func() {
			f.testB.Enable()
			if err != nil {
				f.status.SetText("The test failed: " + core.ErrorMessage(err))
				return
			}
			f.status.SetText("Everything works: save the server to use it.")
		})
	})
}

// stepsText renders the steps: one line each, with a mark.
func stepsText(steps []TestStep) string {
	var b strings.Builder
	for _, s := range steps {
		mark := map[string]string{StepRunning: "…", StepOK: "✓", StepFailed: "✗", StepSkipped: "–"}[s.State]
		fmt.Fprintf(&b, "%s %s", mark, s.Name)
		if s.Detail != "" {
			fmt.Fprintf(&b, ": %s", s.Detail)
		}
		b.WriteString("\n")
	}
	return strings.TrimSpace(b.String())
}

// save adds or updates the server.
func (f *serverForm) save() {
	s, err := f.server()
	if err != nil {
		f.status.SetText(core.ErrorMessage(err))
		return
	}
	f.saveB.Disable()
	f.spawn(func() {
		ctx, cancel := context.WithTimeout(f.parent, 10*time.Second)
		defer cancel()
		var out core.Server
		if s.ID == 0 {
			out, err = f.admin.AddServer(ctx, s)
		} else {
			out, err = f.admin.UpdateServer(ctx, s)
		}
		do(f.parent, func() {
			f.saveB.Enable()
			if err != nil {
				f.status.SetText("Not saved: " + core.ErrorMessage(err))
				return
			}
			f.d.Hide()
			if f.saved != nil {
				f.saved(out)
			}
		})
	})
}

// confirmRemove asks before removing s, then removes it.
func confirmRemove(w fyne.Window, admin ServerAdmin, parent context.Context, spawn func(func()), s core.Server, removed func(error)) {
	msg := fmt.Sprintf("Remove %s (%s) from BanGUI?\n\nIts cached ban history and sync state are deleted from this computer. "+
		"Nothing changes on the server: fail2ban and its bans stay as they are.", s.Name, s.Host)
	dialog.ShowConfirm("Remove server", msg, func(yes bool) {
		if !yes {
			return
		}
		spawn(func() {
			ctx, cancel := context.WithTimeout(parent, 30*time.Second)
			defer cancel()
			err := admin.DeleteServer(ctx, s.ID)
			do(parent, func() { removed(err) })
		})
	}, w)
}
