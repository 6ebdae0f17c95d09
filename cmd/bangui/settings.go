package main

import (
	"context"
	"log/slog"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/store"
	"github.com/bangui/bangui/ui"
)

// preferences is the window's ui.PreferencesService: the cache's
// preferences. Saving applies at once what cmd runs: the history sync
// interval of the background tasks. The retention is read by each
// retention run, the theme is applied by the settings view, and the
// refresh and check intervals by the window (the view's onSaved).
type preferences struct {
	db *store.DB
	bg *background // nil: nothing runs in the background
}

var _ ui.PreferencesService = (*preferences)(nil)

// Preferences returns the saved preferences (see store.DB.Preferences:
// an EINVALID error may come with usable preferences).
func (s *preferences) Preferences(ctx context.Context) (core.Preferences, error) {
	return s.db.Preferences(ctx)
}

// SavePreferences validates and saves p, then gives every history sync
// (and those of servers added later) the new interval.
func (s *preferences) SavePreferences(ctx context.Context, p core.Preferences) error {
	if err := s.db.SavePreferences(ctx, p); err != nil {
		return err
	}
	if s.bg == nil {
		return nil
	}
	// The settings are saved: a task that kept its old interval is not a
	// failed save (the window then applies the rest); it is logged, and
	// the next start uses the saved interval.
	if err := s.bg.setSyncInterval(ctx, p.Sync); err != nil {
		slog.Warn("applying the history sync interval", "err", err)
	}
	return nil
}

// startPreferences reads the preferences at start; what cannot be read
// is logged and has its default.
func startPreferences(ctx context.Context, db *store.DB) core.Preferences {
	p, err := db.Preferences(ctx)
	if err != nil {
		slog.Warn("reading the preferences", "err", err)
	}
	return p
}
