package ui

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/bangui/bangui/core"
)

func TestAppNoServer(t *testing.T) {
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	a := New(w, Deps{
		LoadServers: func(context.Context) ([]core.Server, error) { return nil, nil },
		Source:      func(core.Server) ServerClient { t.Fatal("no server to connect to"); return nil },
	})
	a.applyServers(nil, nil)
	if a.jails.state.title.Text != "No fail2ban server yet" || !a.jails.refreshB.Disabled() || a.jails.state.action.Text != "Look again" {
		t.Fatalf("empty state %q", a.jails.state.title.Text)
	}
}

func TestAppServerListError(t *testing.T) {
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	a := New(w, Deps{})
	a.applyServers(nil, errors.New("disk I/O error"))
	if a.jails.state.title.Text != "Cannot read the server list" || !a.jails.state.action.Visible() {
		t.Fatalf("error state %q", a.jails.state.title.Text)
	}
}

func TestAppSelectsFirstServerAndShowsState(t *testing.T) {
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	src := goodSource().withAllBans()
	a := New(w, Deps{
		LoadServers: func(context.Context) ([]core.Server, error) {
			return []core.Server{{ID: 7, Name: "local", Kind: core.ServerLocal, Socket: "/run/f2b.sock"}}, nil
		},
		Source: func(core.Server) ServerClient { return src },
		JailInfo: func(core.Server) JailInfoSource {
			return jailInfoFunc(func() (map[string]JailInfo, error) {
				return map[string]JailInfo{"sshd": {Filter: "sshd[mode=aggressive]", Backend: "systemd"}}, nil
			})
		},
		RefreshInterval: time.Hour,
		StartView:       "jails", // the dashboard's own refresh loop stays off
	})
	a.jails.interval, a.bans.interval = 0, 0
	a.jails.spawn = func(f func()) { f() }
	a.bans.spawn = func(f func()) { f() }
	a.acts.spawn = func(f func()) { f() }
	a.dash.pollSpawn = func(f func()) { f() } // the servers' poll
	a.spawn = func(f func()) { f() }          // the sync times
	a.jails.detail.spawn = func(f func()) { f() }
	t.Cleanup(a.Stop)
	a.Start()
	if got := a.jails.lines(); !strings.HasPrefix(got, "sshd | running | sshd[mode=aggressive] | systemd | 4") {
		t.Fatalf("jail row with config info: %q", got)
	}
	st := a.servers.states[7]
	if !st.Online || st.Jails != 2 || st.Banned != 2 {
		t.Fatalf("state %+v", st)
	}
}

func TestFatal(t *testing.T) {
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	quit := false
	Fatal(w, core.Errorf(core.ECONFLICT, "the cache was written by a newer BanGUI: use the newer BanGUI"), func() { quit = true })
	p := w.Content().(*statePanel)
	if p.title.Text != "BanGUI cannot start" || p.message.Text != "the cache was written by a newer BanGUI: use the newer BanGUI" {
		t.Fatalf("%q %q", p.title.Text, p.message.Text)
	}
	test.Tap(p.action)
	if !quit {
		t.Fatal("Quit did not quit")
	}
}

type jailInfoFunc func() (map[string]JailInfo, error)

func (f jailInfoFunc) JailInfo(context.Context) (map[string]JailInfo, error) { return f() }
