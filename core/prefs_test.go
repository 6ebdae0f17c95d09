package core

import (
	"strings"
	"testing"
	"time"
)

func TestPreferencesValidate(t *testing.T) {
	if err := DefaultPreferences().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	for _, c := range []struct {
		name string
		edit func(*Preferences)
		want string
	}{
		{"unknown theme", func(p *Preferences) { p.Theme = "neon" }, `the theme "neon" is unknown: pick system, light or dark`},
		{"refresh zero", func(p *Preferences) { p.Refresh = 0 }, "the refresh interval of 0s is out of range: give 1s to 10m"},
		{"poll too often", func(p *Preferences) { p.Poll = time.Second }, "the server check interval of 1s is out of range: give 5s to 1h"},
		{"sync negative", func(p *Preferences) { p.Sync = -time.Minute }, "the history sync interval of -1m is out of range: give 30s to 168h"},
		{"retention negative", func(p *Preferences) { p.RetentionDays = -1 }, "the retention of -1 days is out of range: give 0 (keep every ban) up to 36500 days"},
		{"ban rate negative", func(p *Preferences) { p.Notify.BanRate = -3 }, "the ban rate -3 is out of range"},
		{"ban window short", func(p *Preferences) { p.Notify.BanWindow = time.Second }, "the ban rate's time window of 1s is out of range: give 1m to 24h"},
		{"notify gap zero", func(p *Preferences) { p.Notify.MinInterval = 0 }, "the time between two notifications of 0s is out of range: give 10s to 24h"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := DefaultPreferences()
			c.edit(&p)
			err := p.Validate()
			if ErrorCode(err) != EINVALID || !strings.Contains(ErrorMessage(err), c.want) {
				t.Errorf("Validate = %v, want EINVALID with %q", err, c.want)
			}
		})
	}
}

func TestFormatSpan(t *testing.T) {
	for d, want := range map[time.Duration]string{
		30 * time.Second: "30s", 5 * time.Minute: "5m", 90 * time.Minute: "1h30m",
		168 * time.Hour: "168h", 1500 * time.Millisecond: "1.5s",
	} {
		if got := FormatSpan(d); got != want {
			t.Errorf("FormatSpan(%v) = %q, want %q", d, got, want)
		}
		if back, err := time.ParseDuration(FormatSpan(d)); err != nil || back != d {
			t.Errorf("ParseDuration(FormatSpan(%v)) = %v, %v", d, back, err)
		}
	}
}
