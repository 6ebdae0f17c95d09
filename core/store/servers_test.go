package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/bangui/bangui/core"
)

func TestServersCRUD(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()

	web, err := db.AddServer(ctx, core.Server{
		ID: 42, Name: "  web-1 ", Kind: core.ServerSSH,
		Host: "web1.example.org", Port: 2222, User: "admin", Socket: "/run/fail2ban/fail2ban.sock",
		Group: "eu", Transport: core.TransportPython3, Auth: core.AuthAsk,
	})
	if err != nil {
		t.Fatal(err)
	}
	if web.ID == 0 || web.ID == 42 || web.Name != "web-1" {
		t.Errorf("AddServer returned ID %d name %q; want a new ID and a trimmed name", web.ID, web.Name)
	}
	if want := time.Unix(1_700_000_000, 0); !web.CreatedAt.Equal(want) || !web.UpdatedAt.Equal(want) {
		t.Errorf("times = %v, %v; want the injected clock %v", web.CreatedAt, web.UpdatedAt, want)
	}
	local, err := db.AddServer(ctx, core.Server{Name: "Alpha local", Kind: core.ServerLocal})
	if err != nil {
		t.Fatal(err)
	}

	got, err := db.Server(ctx, web.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got != web {
		t.Errorf("Server = %+v\nwant     %+v", got, web)
	}

	list, err := db.Servers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].ID != local.ID || list[1].ID != web.ID {
		t.Errorf("Servers = %+v; want Alpha local, web-1", list)
	}

	db.Now = func() time.Time { return time.Unix(1_700_000_100, 500) }
	web.Name, web.Port, web.Group, web.Transport, web.Auth = "web-one", 22, "us", "", ""
	upd, err := db.UpdateServer(ctx, web)
	if err != nil {
		t.Fatal(err)
	}
	if !upd.CreatedAt.Equal(web.CreatedAt) || !upd.UpdatedAt.Equal(time.Unix(1_700_000_100, 0)) {
		t.Errorf("after update: created %v updated %v", upd.CreatedAt, upd.UpdatedAt)
	}
	if got, err := db.Server(ctx, web.ID); err != nil || got != upd {
		t.Errorf("Server after update = %+v, %v; want %+v", got, err, upd)
	}

	if err := db.DeleteServer(ctx, local.ID); err != nil {
		t.Fatal(err)
	}
	if list, err := db.Servers(ctx); err != nil || len(list) != 1 {
		t.Errorf("after delete: %d servers, %v; want 1", len(list), err)
	}
}

func TestServersEmpty(t *testing.T) {
	db := mustOpen(t)
	list, err := db.Servers(context.Background())
	if err != nil || len(list) != 0 {
		t.Errorf("Servers on a new cache = %v, %v", list, err)
	}
}

func TestServerNotFound(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	check := func(op string, err error) {
		t.Helper()
		if !errors.Is(err, core.ErrNotFound) || core.ErrorCode(err) != core.ENOTFOUND {
			t.Errorf("%s: %v (code %q); want core.ErrNotFound", op, err, core.ErrorCode(err))
		}
		if !strings.Contains(err.Error(), "store: ") {
			t.Errorf("%s: %q does not name the operation", op, err)
		}
	}
	_, err := db.Server(ctx, 7)
	check("Server", err)
	_, err = db.UpdateServer(ctx, core.Server{ID: 7, Name: "x", Kind: core.ServerLocal})
	check("UpdateServer", err)
	check("DeleteServer", db.DeleteServer(ctx, 7))
}

func TestServerDuplicateName(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	a, err := db.AddServer(ctx, core.Server{Name: "db", Kind: core.ServerLocal})
	if err != nil {
		t.Fatal(err)
	}
	b, err := db.AddServer(ctx, core.Server{Name: "db2", Kind: core.ServerLocal})
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.AddServer(ctx, core.Server{Name: "db", Kind: core.ServerSSH, Host: "h"})
	if core.ErrorCode(err) != core.EINVALID || !strings.Contains(core.ErrorMessage(err), "taken") {
		t.Errorf("AddServer duplicate: %v; want EINVALID saying the name is taken", err)
	}
	if !strings.Contains(err.Error(), `store: add server "db"`) {
		t.Errorf("error %q does not name the operation", err)
	}
	b.Name = a.Name
	_, err = db.UpdateServer(ctx, b)
	if core.ErrorCode(err) != core.EINVALID || !strings.Contains(core.ErrorMessage(err), "taken") {
		t.Errorf("UpdateServer to a taken name: %v; want EINVALID", err)
	}
	// Keeping one's own name is not a conflict.
	if _, err := db.UpdateServer(ctx, a); err != nil {
		t.Errorf("UpdateServer with its own name: %v", err)
	}
}

func TestServerValidation(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	for name, s := range map[string]core.Server{
		"empty name":   {Name: "  ", Kind: core.ServerLocal},
		"long name":    {Name: strings.Repeat("é", 65), Kind: core.ServerLocal},
		"control":      {Name: "a\nb", Kind: core.ServerLocal},
		"no kind":      {Name: "a"},
		"bad kind":     {Name: "a", Kind: "ftp"},
		"ssh no host":  {Name: "a", Kind: core.ServerSSH},
		"port too big": {Name: "a", Kind: core.ServerSSH, Host: "h", Port: 70000},
		"port < 0":     {Name: "a", Kind: core.ServerSSH, Host: "h", Port: -1},
	} {
		if _, err := db.AddServer(ctx, s); core.ErrorCode(err) != core.EINVALID {
			t.Errorf("%s: AddServer: %v; want EINVALID", name, err)
		}
		s.ID = 1
		if _, err := db.UpdateServer(ctx, s); core.ErrorCode(err) != core.EINVALID {
			t.Errorf("%s: UpdateServer: %v; want EINVALID", name, err)
		}
	}
	if _, err := db.AddServer(ctx, core.Server{Name: strings.Repeat("é", 64), Kind: core.ServerLocal}); err != nil {
		t.Errorf("64-character name refused: %v", err)
	}
	if list, _ := db.Servers(ctx); len(list) != 1 {
		t.Errorf("%d servers stored; want only the valid one", len(list))
	}
}
