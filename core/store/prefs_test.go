package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/bangui/bangui/core"
)

func TestPrefsDefaults(t *testing.T) {
	db := mustOpen(t)
	p, err := db.Preferences(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if p != core.DefaultPreferences() {
		t.Errorf("new cache: %+v; want the defaults %+v", p, core.DefaultPreferences())
	}
}

func TestPrefsRoundTrip(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	want := core.Preferences{
		Theme:         core.ThemeDark,
		Refresh:       2 * time.Second,
		Poll:          90 * time.Second,
		Sync:          time.Hour + 30*time.Minute,
		RetentionDays: 365,
		CloseToTray:   true,
		Notify: core.NotifyRules{
			ServerDown: true, ServerUp: true, ImportFailed: true,
			BanRate: 50, BanWindow: 15 * time.Minute, MinInterval: 30 * time.Second,
		},
	}
	if err := db.SavePreferences(ctx, want); err != nil {
		t.Fatal(err)
	}
	got, err := db.Preferences(ctx)
	if err != nil || got != want {
		t.Fatalf("read back %+v, %v; want %+v", got, err, want)
	}
	// The rows are the documented keys in the documented syntax, the one
	// cmd's background tasks read.
	for key, v := range map[string]string{
		core.SettingTheme:          "dark",
		core.SettingPollInterval:   "1m30s",
		core.SettingSyncInterval:   "1h30m",
		core.SettingRetentionDays:  "365",
		core.SettingCloseToTray:    "true",
		core.SettingNotifyBanRate:  "50",
		core.SettingNotifyServerUp: "true",
	} {
		if got, err := db.Setting(ctx, key); err != nil || got != v {
			t.Errorf("setting %s = %q, %v; want %q", key, got, err, v)
		}
	}

	// Saving again replaces every value (back to the defaults here).
	if err := db.SavePreferences(ctx, core.DefaultPreferences()); err != nil {
		t.Fatal(err)
	}
	if got, err := db.Preferences(ctx); err != nil || got != core.DefaultPreferences() {
		t.Errorf("after saving the defaults: %+v, %v", got, err)
	}
}

func TestPrefsInvalidWritesNothing(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	good := core.DefaultPreferences()
	good.RetentionDays = 30
	if err := db.SavePreferences(ctx, good); err != nil {
		t.Fatal(err)
	}
	bad := good
	bad.Theme = core.ThemeLight // valid, but must not be written...
	bad.RetentionDays = 60      // ...nor this...
	bad.Poll = 2 * time.Second  // ...since this is below the minimum
	err := db.SavePreferences(ctx, bad)
	if core.ErrorCode(err) != core.EINVALID || !strings.Contains(core.ErrorMessage(err), "server check interval") {
		t.Fatalf("poll of 2s: %v; want EINVALID naming the server check interval", err)
	}
	if got, err := db.Preferences(ctx); err != nil || got != good {
		t.Errorf("after a refused save: %+v, %v; want the earlier %+v", got, err, good)
	}
}

// A stored value that does not parse or is out of range keeps its
// default, the other values are read, and the error names the key, the
// value and the default.
func TestPrefsBadStoredValues(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	set := map[string]string{
		core.SettingRefreshInterval: "abc",    // not a duration
		core.SettingPollInterval:    "1m",     // fine
		core.SettingSyncInterval:    "1s",     // below the minimum
		core.SettingRetentionDays:   "ten",    // not a number
		core.SettingCloseToTray:     "maybe",  // not a boolean
		core.SettingTheme:           "purple", // unknown
		core.SettingNotifyServerUp:  "true",   // fine
	}
	for k, v := range set {
		if err := db.SetSetting(ctx, k, v); err != nil {
			t.Fatal(err)
		}
	}
	p, err := db.Preferences(ctx)
	if core.ErrorCode(err) != core.EINVALID {
		t.Fatalf("bad values: %v; want EINVALID", err)
	}
	want := core.DefaultPreferences()
	want.Poll, want.Notify.ServerUp = time.Minute, true
	if p != want {
		t.Errorf("preferences %+v; want the good values over the defaults %+v", p, want)
	}
	msg := core.ErrorMessage(err)
	for _, part := range []string{
		`ui.refresh_interval holds "abc", which is not a duration`, "using the default 5s",
		`history.sync_interval holds "1s"`, "30s to 168h",
		`history.retention_days holds "ten", which is not a whole number`,
		`ui.close_to_tray holds "maybe", which is not true or false`,
		`ui.theme holds "purple"`,
		"Save the settings",
	} {
		if !strings.Contains(msg, part) {
			t.Errorf("message %q does not say %q", msg, part)
		}
	}
	if strings.Contains(msg, "ui.poll_interval") || strings.Contains(msg, "notify.server_up") {
		t.Errorf("message %q names a good value", msg)
	}

	// Saving replaces the bad values.
	if err := db.SavePreferences(ctx, p); err != nil {
		t.Fatal(err)
	}
	if got, err := db.Preferences(ctx); err != nil || got != p {
		t.Errorf("after saving: %+v, %v; want %+v", got, err, p)
	}
}

func TestPrefsCanceled(t *testing.T) {
	db := mustOpen(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := db.SavePreferences(ctx, core.DefaultPreferences()); !errors.Is(err, context.Canceled) {
		t.Errorf("save with a canceled context: %v", err)
	}
	if _, err := db.Preferences(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("read with a canceled context: %v", err)
	}
	if _, err := db.Setting(context.Background(), core.SettingTheme); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("theme after a canceled save: %v; want not set", err)
	}
}
