package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/bangui/bangui/core"
)

func TestSettings(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	if _, err := db.Setting(ctx, "theme"); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("missing setting: %v; want core.ErrNotFound", err)
	}
	for _, v := range []string{"dark", "", "light ✓"} {
		if err := db.SetSetting(ctx, "theme", v); err != nil {
			t.Fatal(err)
		}
		got, err := db.Setting(ctx, "theme")
		if err != nil || got != v {
			t.Errorf("Setting = %q, %v; want %q", got, err, v)
		}
	}
	var n int
	if err := db.Read.QueryRow(`SELECT count(*) FROM settings`).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d rows, %v; want 1 (upsert)", n, err)
	}
	if err := db.SetSetting(ctx, "", "x"); core.ErrorCode(err) != core.EINVALID {
		t.Errorf("empty key: %v; want EINVALID", err)
	}
}
