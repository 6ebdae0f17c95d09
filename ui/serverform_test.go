package ui

import (
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/bangui/bangui/core"
)

type fakeAdmin struct {
	added, updated []core.Server
	removed        []int64
}

func (f *fakeAdmin) AddServer(_ context.Context, s core.Server) (core.Server, error) {
	s, err := core.ValidateServer(s)
	if err != nil {
		return s, err
	}
	s.ID = 42
	f.added = append(f.added, s)
	return s, nil
}

func (f *fakeAdmin) UpdateServer(_ context.Context, s core.Server) (core.Server, error) {
	f.updated = append(f.updated, s)
	return s, nil
}

func (f *fakeAdmin) DeleteServer(_ context.Context, id int64) error {
	f.removed = append(f.removed, id)
	return nil
}

func (f *fakeAdmin) TestServer(_ context.Context, s core.Server, step func(TestStep)) error {
	step(TestStep{Name: "TCP", State: StepRunning})
	step(TestStep{Name: "TCP", State: StepOK, Detail: s.Host + ":22 answers"})
	step(TestStep{Name: "host key and login", State: StepFailed, Detail: "the host key of h changed"})
	return core.Errorf(core.EPERMISSION, "the host key of h changed")
}

func newTestForm(t *testing.T, admin ServerAdmin, orig core.Server, saved func(core.Server)) *serverForm {
	t.Helper()
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	w.Resize(fyne.NewSize(900, 700))
	f := newServerForm(w, admin, context.Background(), func(fn func()) { fn() }, orig, nil, saved)
	f.d.Show()
	return f
}

func TestServerFormValidatesTestsAndSaves(t *testing.T) {
	admin := &fakeAdmin{}
	var saved core.Server
	f := newTestForm(t, admin, core.Server{}, func(s core.Server) { saved = s })

	// Bad input is named and nothing is saved.
	f.name.SetText("web1")
	f.host.SetText("web1.example.org")
	f.port.SetText("twenty-two")
	f.saveB.OnTapped()
	if !strings.Contains(f.status.Text, "not a number") || len(admin.added) != 0 {
		t.Errorf("bad port: %q, added %v", f.status.Text, admin.added)
	}
	f.port.SetText("2222")
	f.host.SetText("web1; reboot")
	f.saveB.OnTapped()
	if !strings.Contains(f.status.Text, "not a host name") || len(admin.added) != 0 {
		t.Errorf("bad host: %q", f.status.Text)
	}

	// The test shows each step and the failure.
	f.host.SetText("web1.example.org")
	f.testB.OnTapped()
	if want := "✓ TCP: web1.example.org:22 answers\n✗ host key and login: the host key of h changed"; f.steps.Text != want {
		t.Errorf("steps %q, want %q", f.steps.Text, want)
	}
	if !strings.Contains(f.status.Text, "The test failed") || f.testB.Disabled() {
		t.Errorf("status %q, test button disabled %v", f.status.Text, f.testB.Disabled())
	}

	// Saving adds the server.
	f.saveB.OnTapped()
	if len(admin.added) != 1 || saved.ID != 42 || saved.Port != 2222 || saved.Kind != core.ServerSSH {
		t.Errorf("saved %+v, added %v", saved, admin.added)
	}
}

func TestServerFormEditsAndListButtons(t *testing.T) {
	admin := &fakeAdmin{}
	orig := core.Server{ID: 7, Name: "db1", Kind: core.ServerSSH, Host: "db1", Port: 22, User: "ops",
		Group: "db", Transport: core.TransportSocat, Auth: core.AuthAsk}
	f := newTestForm(t, admin, orig, nil)
	if f.name.Text != "db1" || f.port.Text != "22" || f.user.Text != "ops" || f.group.Text != "db" ||
		f.transport.Selected != transportChoices[2] || f.auth.Selected != authChoices[1] {
		t.Fatalf("fields %q %q %q %q %q %q", f.name.Text, f.port.Text, f.user.Text, f.group.Text, f.transport.Selected, f.auth.Selected)
	}
	f.user.SetText("admin")
	f.group.SetText("  db   eu ")
	f.transport.SetSelectedIndex(0)
	f.auth.SetSelectedIndex(0)
	f.saveB.OnTapped()
	if len(admin.updated) != 1 || admin.updated[0].ID != 7 || admin.updated[0].User != "admin" ||
		admin.updated[0].Group != "db eu" || admin.updated[0].Transport != "" || admin.updated[0].Auth != "" {
		t.Errorf("updated %+v", admin.updated)
	}

	// The list: edit and remove only for SSH servers.
	v := newServersView(nil)
	var edited core.Server
	if v.buttons.Visible() {
		t.Error("management buttons shown without an admin")
	}
	v.manage(func() {}, func(s core.Server) { edited = s }, func(core.Server) {})
	if !v.buttons.Visible() {
		t.Error("management buttons hidden")
	}
	v.setServers([]core.Server{{ID: 1, Name: "local", Kind: core.ServerLocal}, orig})
	row := func(name string) int {
		for i, e := range v.entries {
			if e.heading == "" && e.server.Name == name {
				return i
			}
		}
		t.Fatalf("no row %s in %v", name, entryNames(v))
		return -1
	}
	v.list.Select(row("local"))
	if !v.editB.Disabled() || !v.removeB.Disabled() {
		t.Error("the local server can be edited or removed")
	}
	v.list.Select(row("db1"))
	if v.editB.Disabled() || v.removeB.Disabled() {
		t.Error("an SSH server cannot be edited")
	}
	v.editB.OnTapped()
	if edited.ID != 7 {
		t.Errorf("edit opened %+v", edited)
	}
}
