package core_test

import (
	"context"
	"errors"
	"testing"

	"github.com/bangui/bangui/core"
)

// memServers is a ServerStore in memory.
type memServers struct {
	list []core.Server
}

var _ core.ServerStore = (*memServers)(nil)

func (m *memServers) Servers(context.Context) ([]core.Server, error) { return m.list, nil }
func (m *memServers) AddServer(_ context.Context, s core.Server) (core.Server, error) {
	s.ID = int64(len(m.list) + 1)
	m.list = append(m.list, s)
	return s, nil
}
func (m *memServers) UpdateServer(_ context.Context, s core.Server) (core.Server, error) {
	for i := range m.list {
		if m.list[i].ID == s.ID {
			m.list[i] = s
		}
	}
	return s, nil
}

func TestEnsureLocalServer(t *testing.T) {
	ctx := context.Background()
	st := &memServers{}
	down := func(context.Context, string) error { return errors.New("down") }
	up := func(context.Context, string) error { return nil }

	if _, ok, err := core.EnsureLocalServer(ctx, st, "/run/f2b.sock", down); ok || err != nil || len(st.list) != 0 {
		t.Fatalf("added a server that does not answer: %v %v", ok, err)
	}
	// A root-only socket is a server we may not open: listed, so the view
	// can explain.
	denied := func(context.Context, string) error { return core.Errorf(core.EPERMISSION, "root-only") }
	if _, ok, err := core.EnsureLocalServer(ctx, &memServers{}, "/run/f2b.sock", denied); !ok || err != nil {
		t.Fatalf("root-only socket not listed: %v %v", ok, err)
	}
	s, ok, err := core.EnsureLocalServer(ctx, st, "/run/f2b.sock", up)
	if !ok || err != nil || s.Name != core.LocalServerName || s.Kind != core.ServerLocal || s.Socket != "/run/f2b.sock" {
		t.Fatalf("%+v %v %v", s, ok, err)
	}
	// Found again: not added twice.
	if _, _, err := core.EnsureLocalServer(ctx, st, "/run/f2b.sock", up); err != nil || len(st.list) != 1 {
		t.Fatalf("twice: %v %d", err, len(st.list))
	}
	// A known local server stays even when down, and keeps its socket.
	if s, ok, _ := core.EnsureLocalServer(ctx, st, "/other.sock", down); !ok || s.Socket != "/run/f2b.sock" {
		t.Fatalf("down: %+v", s)
	}
	// Its socket moves when the new one answers.
	if s, _, _ := core.EnsureLocalServer(ctx, st, "/other.sock", up); s.Socket != "/other.sock" || st.list[0].Socket != "/other.sock" {
		t.Fatalf("moved: %+v", s)
	}
}
