package ui

import (
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/bangui/bangui/core"
)

func entryNames(v *serversView) []string {
	var out []string
	for _, e := range v.entries {
		if e.heading != "" {
			out = append(out, "#"+e.heading)
		} else {
			out = append(out, e.server.Name)
		}
	}
	return out
}

func TestServerListGroupsAndSorts(t *testing.T) {
	test.NewTempApp(t)
	var picked []string
	v := newServersView(func(s core.Server) { picked = append(picked, s.Name) })
	list := []core.Server{
		{ID: 1, Name: "local", Kind: core.ServerLocal},
		{ID: 2, Name: "web-2", Kind: core.ServerSSH, Group: "web"},
		{ID: 3, Name: "db-1", Kind: core.ServerSSH, Group: "db"},
		{ID: 4, Name: "Web-1", Kind: core.ServerSSH, Group: "web"},
	}
	v.setServers(list)
	want := []string{"#db", "db-1", "#web", "Web-1", "web-2", "#No group", "local"}
	if got := entryNames(v); !slices.Equal(got, want) {
		t.Fatalf("by group: %v, want %v", got, want)
	}
	if len(picked) != 1 || picked[0] != "db-1" {
		t.Errorf("first server selected: %v", picked)
	}
	// A heading is not a server: the selection stays.
	v.list.Select(2)
	if len(picked) != 1 || v.selected != 3 {
		t.Errorf("selecting a heading changed the server: %v, selected %d", picked, v.selected)
	}
	v.sortSel.SetSelected(sortByName)
	if got := entryNames(v); !slices.Equal(got, []string{"db-1", "local", "Web-1", "web-2"}) {
		t.Errorf("by name: %v", got)
	}
	now := time.Now()
	v.setState(list[1], serverState{Online: false, At: now.Add(-time.Minute), Err: core.Errorf(core.EUNAVAILABLE, "down")})
	v.setState(list[1], serverState{Online: false, At: now})
	v.setState(list[0], serverState{Online: true, At: now})
	if st := v.states[2]; !st.Since.Equal(now.Add(-time.Minute)) {
		t.Errorf("offline since moved with each poll: %v", st.Since)
	}
	v.sortSel.SetSelected(sortByStatus)
	// Offline first, then not polled yet, then online.
	if got := entryNames(v); !slices.Equal(got, []string{"web-2", "db-1", "Web-1", "local"}) {
		t.Errorf("by status: %v", got)
	}
	// The selected server survives re-sorting and a reload of the list.
	if s, ok := v.current(); !ok || s.ID != 3 {
		t.Errorf("selection lost: %+v", s)
	}
	v.setServers(list)
	if s, ok := v.current(); !ok || s.ID != 3 || picked[len(picked)-1] != "db-1" {
		t.Errorf("selection after reload: %+v %v", s, picked)
	}
	v.setState(list[1], serverState{Online: true, At: now, Jails: 2, Banned: 5, Version: core.Version{Major: 1}})
	if st := v.states[2]; !st.Since.IsZero() {
		t.Error("back online still says offline since")
	}
	v.setSynced(2, now)
	if d := serverDetail(v.states[2]); d == "" || !strings.Contains(d, "synced "+now.Format("15:04")) || !strings.Contains(d, "5 banned") {
		t.Errorf("detail %q", d)
	}
	if d := serverDetail(serverState{At: now, Since: now.AddDate(0, 0, -2)}); !strings.Contains(d, "offline since "+now.AddDate(0, 0, -2).Format("Jan 2")) {
		t.Errorf("offline detail %q", d)
	}
}

func TestServerScopes(t *testing.T) {
	list := []core.Server{
		{ID: 1, Name: "local"},
		{ID: 2, Name: "web-2", Group: "web"},
		{ID: 4, Name: "web-1", Group: "web"},
	}
	if got := scopeOptions(list); !slices.Equal(got, []string{allServers, "Group: web", "local", "web-2", "web-1"}) {
		t.Errorf("options %v", got)
	}
	for choice, want := range map[string][]int64{
		allServers:   nil,
		"Group: web": {2, 4},
		"local":      {1},
		"gone":       {-1},
	} {
		if got := scopeIDs(list, choice); !slices.Equal(got, want) {
			t.Errorf("%q: %v, want %v", choice, got, want)
		}
	}
}
