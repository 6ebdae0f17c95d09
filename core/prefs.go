package core

import (
	"strings"
	"time"
)

// Keys of the settings table that hold the Preferences. Durations are in
// Go's syntax ("5m", "90s"), numbers in decimal, booleans "true"/"false".
const (
	SettingTheme             = "ui.theme"               // "system" (default), "light", "dark"
	SettingRefreshInterval   = "ui.refresh_interval"    // default 5s
	SettingPollInterval      = "ui.poll_interval"       // default 30s
	SettingCloseToTray       = "ui.close_to_tray"       // default false
	SettingSyncInterval      = "history.sync_interval"  // default 5m
	SettingRetentionDays     = "history.retention_days" // default 0: keep forever
	SettingNotifyServerDown  = "notify.server_down"     // default false
	SettingNotifyServerUp    = "notify.server_up"       // default false
	SettingNotifyImportFail  = "notify.import_failed"   // default false
	SettingNotifyBanRate     = "notify.ban_rate"        // bans per window; default 0: off
	SettingNotifyBanWindow   = "notify.ban_window"      // default 10m
	SettingNotifyMinInterval = "notify.min_interval"    // default 5m: one notification per kind at most this often
)

// Themes a user can pick.
const (
	ThemeSystem = "system"
	ThemeLight  = "light"
	ThemeDark   = "dark"
)

// Themes lists the themes in the order the settings view shows them.
var Themes = []string{ThemeSystem, ThemeLight, ThemeDark}

// NotifyRules says which desktop notifications are sent. All are off by
// default: a notification is something the user asked for.
type NotifyRules struct {
	ServerDown   bool // a server stopped answering
	ServerUp     bool // a server that was down answers again
	ImportFailed bool // a blocklist import failed
	// BanRate is how many new bans within BanWindow make a notification;
	// 0 turns it off.
	BanRate   int
	BanWindow time.Duration
	// MinInterval is the least time between two notifications of one
	// kind: a flood makes one notification, not hundreds.
	MinInterval time.Duration
}

// Any reports whether some notification is on.
func (r NotifyRules) Any() bool {
	return r.ServerDown || r.ServerUp || r.ImportFailed || r.BanRate > 0
}

// Preferences are what the settings view edits; they live in the cache's
// settings table.
type Preferences struct {
	Theme string
	// Refresh is how often the jails and bans views poll the shown server.
	Refresh time.Duration
	// Poll is how often every server's state is checked (the server list,
	// the dashboard, the tray and the server notifications).
	Poll time.Duration
	// Sync is how often each server's ban history is copied.
	Sync time.Duration
	// RetentionDays: cached bans older than this are deleted; 0 keeps all.
	RetentionDays int
	// CloseToTray: closing the window hides it and keeps BanGUI running
	// in the system tray (when the desktop has one).
	CloseToTray bool
	Notify      NotifyRules
}

// DefaultPreferences are the preferences of a new cache.
func DefaultPreferences() Preferences {
	return Preferences{
		Theme:   ThemeSystem,
		Refresh: 5 * time.Second,
		Poll:    30 * time.Second,
		Sync:    5 * time.Minute,
		Notify:  NotifyRules{BanWindow: 10 * time.Minute, MinInterval: 5 * time.Minute},
	}
}

// Bounds of the preferences: below the minimums fail2ban and the SSH
// links would be kept busy for nothing; above the maximums the views
// would look frozen.
const (
	MinRefresh       = time.Second
	MaxRefresh       = 10 * time.Minute
	MinPoll          = 5 * time.Second
	MaxPoll          = time.Hour
	MinSync          = 30 * time.Second
	MaxSync          = 7 * 24 * time.Hour
	MaxRetentionDays = 100 * 365
	MinBanWindow     = time.Minute
	MaxBanWindow     = 24 * time.Hour
	MinNotifyGap     = 10 * time.Second
	MaxNotifyGap     = 24 * time.Hour
)

// Validate checks every field and names the first bad one and what to
// do about it (EINVALID).
func (p Preferences) Validate() error {
	switch p.Theme {
	case ThemeSystem, ThemeLight, ThemeDark:
	default:
		return Errorf(EINVALID, "the theme %q is unknown: pick system, light or dark", p.Theme)
	}
	if err := checkSpan("the refresh interval", p.Refresh, MinRefresh, MaxRefresh); err != nil {
		return err
	}
	if err := checkSpan("the server check interval", p.Poll, MinPoll, MaxPoll); err != nil {
		return err
	}
	if err := checkSpan("the history sync interval", p.Sync, MinSync, MaxSync); err != nil {
		return err
	}
	if p.RetentionDays < 0 || p.RetentionDays > MaxRetentionDays {
		return Errorf(EINVALID, "the retention of %d days is out of range: give 0 (keep every ban) up to %d days", p.RetentionDays, MaxRetentionDays)
	}
	n := p.Notify
	if n.BanRate < 0 || n.BanRate > 1_000_000 {
		return Errorf(EINVALID, "the ban rate %d is out of range: give a number of bans from 1 to 1000000, or 0 to turn it off", n.BanRate)
	}
	if err := checkSpan("the ban rate's time window", n.BanWindow, MinBanWindow, MaxBanWindow); err != nil {
		return err
	}
	return checkSpan("the time between two notifications", n.MinInterval, MinNotifyGap, MaxNotifyGap)
}

func checkSpan(what string, d, lo, hi time.Duration) error {
	if d < lo || d > hi {
		return Errorf(EINVALID, "%s of %s is out of range: give %s to %s", what, FormatSpan(d), FormatSpan(lo), FormatSpan(hi))
	}
	return nil
}

// FormatSpan writes d in the syntax time.ParseDuration reads, without
// zero units, the way people type it: "30s", "5m", "1h30m", "168h".
func FormatSpan(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
