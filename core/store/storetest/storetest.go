// Package storetest opens real cache files for tests of the packages that
// use the cache.
package storetest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/bangui/bangui/core/store"
	"github.com/bangui/bangui/migrations"
)

// Open opens a fresh cache file (the real migrations applied) in a
// temporary folder; it is closed when the test ends.
func Open(tb testing.TB) *store.DB {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "bangui.db")
	db, err := store.Open(context.Background(), path, migrations.FS)
	if err != nil {
		tb.Fatalf("opening the cache %s: %v", path, err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}
