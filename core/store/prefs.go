package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/bangui/bangui/core"
)

// prefField is one preference as a settings row: its key, how to write
// it and how to read it back.
type prefField struct {
	key    string
	format func(core.Preferences) string
	// parse reads v into p, or says what v is not ("a duration").
	parse func(p *core.Preferences, v string) (notA string)
}

func spanField(key string, f func(*core.Preferences) *time.Duration) prefField {
	return prefField{
		key:    key,
		format: func(p core.Preferences) string { return core.FormatSpan(*f(&p)) },
		parse: func(p *core.Preferences, v string) string {
			d, err := time.ParseDuration(v)
			if err != nil {
				return "a duration (such as 30s, 5m or 1h)"
			}
			*f(p) = d
			return ""
		},
	}
}

func intField(key string, f func(*core.Preferences) *int) prefField {
	return prefField{
		key:    key,
		format: func(p core.Preferences) string { return strconv.Itoa(*f(&p)) },
		parse: func(p *core.Preferences, v string) string {
			n, err := strconv.Atoi(v)
			if err != nil {
				return "a whole number"
			}
			*f(p) = n
			return ""
		},
	}
}

func boolField(key string, f func(*core.Preferences) *bool) prefField {
	return prefField{
		key:    key,
		format: func(p core.Preferences) string { return strconv.FormatBool(*f(&p)) },
		parse: func(p *core.Preferences, v string) string {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return "true or false"
			}
			*f(p) = b
			return ""
		},
	}
}

// prefFields lists every preference, in the order problems are reported.
var prefFields = []prefField{
	{
		key:    core.SettingTheme,
		format: func(p core.Preferences) string { return p.Theme },
		parse:  func(p *core.Preferences, v string) string { p.Theme = v; return "" }, // Validate names bad themes
	},
	spanField(core.SettingRefreshInterval, func(p *core.Preferences) *time.Duration { return &p.Refresh }),
	spanField(core.SettingPollInterval, func(p *core.Preferences) *time.Duration { return &p.Poll }),
	boolField(core.SettingCloseToTray, func(p *core.Preferences) *bool { return &p.CloseToTray }),
	spanField(core.SettingSyncInterval, func(p *core.Preferences) *time.Duration { return &p.Sync }),
	intField(core.SettingRetentionDays, func(p *core.Preferences) *int { return &p.RetentionDays }),
	boolField(core.SettingNotifyServerDown, func(p *core.Preferences) *bool { return &p.Notify.ServerDown }),
	boolField(core.SettingNotifyServerUp, func(p *core.Preferences) *bool { return &p.Notify.ServerUp }),
	boolField(core.SettingNotifyImportFail, func(p *core.Preferences) *bool { return &p.Notify.ImportFailed }),
	intField(core.SettingNotifyBanRate, func(p *core.Preferences) *int { return &p.Notify.BanRate }),
	spanField(core.SettingNotifyBanWindow, func(p *core.Preferences) *time.Duration { return &p.Notify.BanWindow }),
	spanField(core.SettingNotifyMinInterval, func(p *core.Preferences) *time.Duration { return &p.Notify.MinInterval }),
}

// Preferences reads the preferences from the settings table; keys never
// set have their defaults (core.DefaultPreferences).
//
// A stored value that does not parse, or is out of range (the file was
// edited by hand, or written by another version), does not hide the
// others: the returned preferences hold the default for that key, and the
// error, a *core.Error of code core.EINVALID, names each such key with its
// value and the default used. Callers may use the preferences with such an
// error (and should show it: saving the preferences replaces the bad
// values). Any other error comes with the defaults.
func (db *DB) Preferences(ctx context.Context) (core.Preferences, error) {
	def := core.DefaultPreferences()
	keys := make([]any, len(prefFields))
	for i, f := range prefFields {
		keys[i] = f.key
	}
	rows, err := db.Read.QueryContext(ctx, `SELECT key, value FROM settings WHERE key IN (`+
		strings.TrimSuffix(strings.Repeat("?,", len(keys)), ",")+`)`, keys...)
	if err != nil {
		return def, fmt.Errorf("store: preferences: %w", err)
	}
	defer rows.Close()
	stored := make(map[string]string, len(keys))
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return def, fmt.Errorf("store: preferences: %w", err)
		}
		stored[k] = v
	}
	if err := rows.Err(); err != nil {
		return def, fmt.Errorf("store: preferences: %w", err)
	}

	p := def
	var problems []string
	for _, f := range prefFields {
		v, ok := stored[f.key]
		if !ok {
			continue
		}
		// Parse and check each value alone, on top of the defaults, so
		// that one bad value keeps its default and names itself.
		one := def
		if notA := f.parse(&one, v); notA != "" {
			problems = append(problems, fmt.Sprintf("%s holds %q, which is not %s: using the default %s", f.key, v, notA, f.format(def)))
			continue
		}
		if err := one.Validate(); err != nil {
			problems = append(problems, fmt.Sprintf("%s holds %q (%s): using the default %s", f.key, v, core.ErrorMessage(err), f.format(def)))
			continue
		}
		f.parse(&p, v)
	}
	if len(problems) > 0 {
		return p, core.Errorf(core.EINVALID, "some saved settings are unreadable: %s. Save the settings to replace them", strings.Join(problems, "; "))
	}
	return p, nil
}

// SavePreferences validates p and stores every preference in one
// transaction. Invalid preferences (a *core.Error of code core.EINVALID
// naming the field) write nothing.
func (db *DB) SavePreferences(ctx context.Context, p core.Preferences) error {
	if err := p.Validate(); err != nil {
		return fmt.Errorf("store: save preferences: %w", err)
	}
	tx, err := db.Write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: save preferences: %w", err)
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`)
	if err != nil {
		return fmt.Errorf("store: save preferences: %w", err)
	}
	defer stmt.Close()
	now := db.now().Unix()
	for _, f := range prefFields {
		if _, err := stmt.ExecContext(ctx, f.key, f.format(p), now); err != nil {
			return fmt.Errorf("store: save preference %q: %w", f.key, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: save preferences: %w", err)
	}
	return nil
}
