package ui

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/store"
	"github.com/bangui/bangui/core/store/storetest"
)

// prefsStore is the real cache as a PreferencesService, with failures the
// tests switch on and a gate that holds a load until it is opened.
type prefsStore struct {
	*store.DB
	mu      sync.Mutex
	loadErr error
	saveErr error
	saves   int
	gate    chan struct{}
}

var _ PreferencesService = (*prefsStore)(nil)

func (s *prefsStore) Preferences(ctx context.Context) (core.Preferences, error) {
	if s.gate != nil {
		<-s.gate
	}
	s.mu.Lock()
	err := s.loadErr
	s.mu.Unlock()
	if err != nil {
		return core.Preferences{}, err
	}
	return s.DB.Preferences(ctx)
}

func (s *prefsStore) SavePreferences(ctx context.Context, p core.Preferences) error {
	s.mu.Lock()
	s.saves++
	err := s.saveErr
	s.mu.Unlock()
	if err != nil {
		return err
	}
	return s.DB.SavePreferences(ctx, p)
}

func (s *prefsStore) stored(t *testing.T) core.Preferences {
	t.Helper()
	p, err := s.DB.Preferences(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// newTestSettings opens a view on svc in a test window, its work run in
// place, and loads it.
func newTestSettings(t *testing.T, svc PreferencesService) (*settingsView, *[]core.Preferences) {
	t.Helper()
	test.NewTempApp(t)
	var saved []core.Preferences
	w := test.NewTempWindow(t, nil)
	v := newSettingsView(w, svc, func(p core.Preferences) { saved = append(saved, p) })
	w.SetContent(v.root)
	w.Resize(fyne.NewSize(900, 1000))
	v.spawn = func(f func()) { f() }
	t.Cleanup(v.stop)
	v.reload()
	return v, &saved
}

func sampleSettings() core.Preferences {
	return core.Preferences{
		Theme: core.ThemeDark, Refresh: 2 * time.Second, Poll: 90 * time.Second, Sync: time.Hour,
		RetentionDays: 90, CloseToTray: true,
		Notify: core.NotifyRules{ServerDown: true, ImportFailed: true, BanRate: 40, BanWindow: 15 * time.Minute, MinInterval: 2 * time.Minute},
	}
}

func shows(v *settingsView, o fyne.CanvasObject) bool {
	return len(v.body.Objects) == 1 && v.body.Objects[0] == o
}

// The first load shows the loading state while the cache is read (in a
// goroutine), then the saved values.
func TestSettingsLoad(t *testing.T) {
	db := storetest.Open(t)
	if err := db.SavePreferences(context.Background(), sampleSettings()); err != nil {
		t.Fatal(err)
	}
	svc := &prefsStore{DB: db, gate: make(chan struct{})}
	test.NewTempApp(t)
	v := newSettingsView(test.NewTempWindow(t, nil), svc, nil)
	v.w.SetContent(v.root)
	t.Cleanup(v.stop)

	v.reload() // the real spawn: a goroutine
	if !shows(v, v.state) || v.state.title.Text != "Loading the settings…" || v.state.spinner.Hidden {
		t.Fatalf("while loading: form shown %v, title %q", shows(v, v.form), v.state.title.Text)
	}
	close(svc.gate)
	v.work.Wait()

	if !shows(v, v.form) {
		t.Fatalf("after loading: the state panel (%q) is shown, not the form", v.state.title.Text)
	}
	got := v.values()
	want := settingsValues{theme: 2, closeToTray: true, refresh: "2s", poll: "1m30s", sync: "1h", retention: "90",
		serverDown: true, importFailed: true, banRate: "40", banWindow: "15m", notifyGap: "2m"}
	if got != want {
		t.Errorf("form %+v; want %+v", got, want)
	}
	if v.theme.Selected != "Dark" || v.status.Text != "" {
		t.Errorf("theme %q, status %q", v.theme.Selected, v.status.Text)
	}
	if !v.more.Hidden {
		t.Error("the Geo and About card shows without its hooks")
	}
}

func TestSettingsSaveRoundTrip(t *testing.T) {
	svc := &prefsStore{DB: storetest.Open(t)}
	v, saved := newTestSettings(t, svc)
	if v.values() != settingsValuesOf(core.DefaultPreferences()) {
		t.Fatalf("new cache: form %+v; want the defaults", v.values())
	}

	v.theme.SetSelected("Dark")
	v.closeToTray.SetChecked(true)
	v.refresh.SetText(" 2s ")
	v.poll.SetText("300s")
	v.sync.SetText("1h30m")
	v.retention.SetText("1,000")
	v.serverUp.SetChecked(true)
	v.banRate.SetText("25")
	v.banWindow.SetText("2h")
	v.notifyGap.SetText("45s")
	test.Tap(v.saveB)

	want := core.DefaultPreferences()
	want.Theme, want.CloseToTray = core.ThemeDark, true
	want.Refresh, want.Poll, want.Sync, want.RetentionDays = 2*time.Second, 5*time.Minute, 90*time.Minute, 1000
	want.Notify = core.NotifyRules{ServerUp: true, BanRate: 25, BanWindow: 2 * time.Hour, MinInterval: 45 * time.Second}
	if v.status.Text != "Saved" || v.status.Importance != widget.SuccessImportance {
		t.Fatalf("status %q (importance %v); want Saved", v.status.Text, v.status.Importance)
	}
	if got := svc.stored(t); got != want {
		t.Errorf("stored %+v; want %+v", got, want)
	}
	if len(*saved) != 1 || (*saved)[0] != want {
		t.Errorf("onSaved got %+v; want once %+v", *saved, want)
	}
	if v.poll.Text != "5m" || v.retention.Text != "1000" || v.refresh.Text != "2s" {
		t.Errorf("after saving the form shows poll %q, retention %q, refresh %q; want 5m, 1000, 2s", v.poll.Text, v.retention.Text, v.refresh.Text)
	}
	if v.saveB.Disabled() {
		t.Error("Save stays disabled after saving")
	}
	// The theme applies at once: dark even where the desktop asks for light.
	bg := fyne.CurrentApp().Settings().Theme().Color(theme.ColorNameBackground, theme.VariantLight)
	dark := theme.DefaultTheme().Color(theme.ColorNameBackground, theme.VariantDark)
	if bg != dark || dark == theme.DefaultTheme().Color(theme.ColorNameBackground, theme.VariantLight) {
		t.Errorf("background %v after saving Dark; want the dark %v", bg, dark)
	}

	// A new view on the same cache shows what was saved.
	v2, _ := newTestSettings(t, svc)
	if v2.values() != v.values() {
		t.Errorf("reopened: %+v; want %+v", v2.values(), v.values())
	}

	v.theme.SetSelected("Light")
	test.Tap(v.saveB)
	bg = fyne.CurrentApp().Settings().Theme().Color(theme.ColorNameBackground, theme.VariantDark)
	if light := theme.DefaultTheme().Color(theme.ColorNameBackground, theme.VariantLight); bg != light {
		t.Errorf("background %v after saving Light; want %v", bg, light)
	}
	v.theme.SetSelected("System")
	test.Tap(v.saveB)
	if got := fyne.CurrentApp().Settings().Theme(); got != theme.DefaultTheme() {
		t.Errorf("theme %T after saving System; want the default theme, which follows the desktop", got)
	}
	if svc.stored(t).Theme != core.ThemeSystem {
		t.Errorf("stored theme %q; want system", svc.stored(t).Theme)
	}
}

// Every bad input is refused with a message naming it; the form keeps
// what was typed, the field at fault gets the focus, nothing is saved.
func TestSettingsBadInput(t *testing.T) {
	svc := &prefsStore{DB: storetest.Open(t)}
	before := sampleSettings()
	if err := svc.DB.SavePreferences(context.Background(), before); err != nil {
		t.Fatal(err)
	}
	v, saved := newTestSettings(t, svc)
	for _, c := range []struct {
		entry *widget.Entry
		text  string
		want  string
	}{
		{v.refresh, "abc", `the refresh interval "abc" is not a duration: write it like 5s, 2m or 1h`},
		{v.refresh, "5", `the refresh interval "5" is not a duration: write it like 5s, 2m or 1h`},
		{v.refresh, "  ", "the refresh interval is empty: write it like 5s, 2m or 1h"},
		{v.refresh, "1h", "the refresh interval of 1h is out of range: give 1s to 10m"},
		{v.poll, "0s", "the server check interval of 0s is out of range: give 5s to 1h"},
		{v.poll, "2s", "the server check interval of 2s is out of range: give 5s to 1h"},
		{v.sync, "-5m", "the history sync interval of -5m is out of range: give 30s to 168h"},
		{v.sync, "10s", "the history sync interval of 10s is out of range: give 30s to 168h"},
		{v.retention, "-3", "the retention of -3 days is out of range: give 0 (keep every ban) up to 36500 days"},
		{v.retention, "ten", `the retention "ten" is not a number of days: give 0 (keep every ban) up to 36500`},
		{v.retention, "1.5", `the retention "1.5" is not a number of days: give 0 (keep every ban) up to 36500`},
		{v.banRate, "many", `the ban rate "many" is not a number: give a number of bans, or 0 to turn it off`},
		{v.banRate, "-1", "the ban rate -1 is out of range: give a number of bans from 1 to 1000000, or 0 to turn it off"},
		{v.banWindow, "30s", "the ban rate's time window of 30s is out of range: give 1m to 24h"},
		{v.banWindow, "soon", `the ban rate's time window "soon" is not a duration: write it like 5s, 2m or 1h`},
		{v.notifyGap, "1s", "the time between two notifications of 1s is out of range: give 10s to 24h"},
		{v.notifyGap, "0", "the time between two notifications of 0s is out of range: give 10s to 24h"},
	} {
		test.Tap(v.resetB)
		v.theme.SetSelected("Light") // typed by the user: must be kept
		v.banRate.SetText("12")      // likewise (unless it is the bad field)
		v.w.Canvas().Focus(v.theme)  // away from the bad field
		c.entry.SetText(c.text)
		typed := v.values()
		test.Tap(v.saveB)

		if v.status.Text != c.want || v.status.Importance != widget.DangerImportance {
			t.Errorf("%q: status %q (importance %v); want %q", c.text, v.status.Text, v.status.Importance, c.want)
		}
		if v.values() != typed {
			t.Errorf("%q: the form changed to %+v; want what was typed %+v", c.text, v.values(), typed)
		}
		if f := v.w.Canvas().Focused(); f != c.entry {
			t.Errorf("%q: focus on %T %p; want the entry at fault %p", c.text, f, f, c.entry)
		}
	}
	if svc.saves != 0 || len(*saved) != 0 {
		t.Errorf("%d saves, %d onSaved for bad input; want none", svc.saves, len(*saved))
	}
	if got := svc.stored(t); got != before {
		t.Errorf("stored %+v; want unchanged %+v", got, before)
	}

	// The theme is a choice among three: nothing else can be picked.
	if strings.Join(v.theme.Options, ",") != "System,Light,Dark" {
		t.Errorf("theme options %q", v.theme.Options)
	}
	v.theme.SetSelected("Purple")
	if v.theme.Selected != "Light" {
		t.Errorf("theme %q after picking an unknown one; want Light kept", v.theme.Selected)
	}
}

// A load that fails shows the error state; Retry loads again.
func TestSettingsLoadError(t *testing.T) {
	db := storetest.Open(t)
	if err := db.SavePreferences(context.Background(), sampleSettings()); err != nil {
		t.Fatal(err)
	}
	svc := &prefsStore{DB: db, loadErr: core.Errorf(core.EUNAVAILABLE, "the cache is locked: close the other BanGUI")}
	v, _ := newTestSettings(t, svc)
	if !shows(v, v.state) || v.state.title.Text != "Cannot read the settings" ||
		v.state.message.Text != "the cache is locked: close the other BanGUI" || v.state.action.Hidden || v.state.action.Text != "Retry" {
		t.Fatalf("error state: form %v, title %q, message %q, action %q hidden %v",
			shows(v, v.form), v.state.title.Text, v.state.message.Text, v.state.action.Text, v.state.action.Hidden)
	}
	test.Tap(v.state.action) // still failing
	if !shows(v, v.state) || v.state.message.Text != "the cache is locked: close the other BanGUI" {
		t.Fatalf("retry while failing: form %v, message %q", shows(v, v.form), v.state.message.Text)
	}
	svc.mu.Lock()
	svc.loadErr = nil
	svc.mu.Unlock()
	test.Tap(v.state.action)
	if !shows(v, v.form) || v.values() != settingsValuesOf(sampleSettings()) {
		t.Errorf("after a good retry: form %v, values %+v", shows(v, v.form), v.values())
	}

	// Once the form is shown, a failed reload keeps it and says why.
	v.refresh.SetText("3s")
	svc.mu.Lock()
	svc.loadErr = core.Errorf(core.EUNAVAILABLE, "the cache is locked: close the other BanGUI")
	svc.mu.Unlock()
	v.reload()
	if !shows(v, v.form) || v.refresh.Text != "3s" || !strings.Contains(v.status.Text, "the cache is locked") {
		t.Errorf("failed reload: form %v, refresh %q, status %q", shows(v, v.form), v.refresh.Text, v.status.Text)
	}
}

// Saved values that do not read back (edited by hand) show as their
// defaults, with the cache's explanation; Save replaces them.
func TestSettingsUnreadableStored(t *testing.T) {
	db := storetest.Open(t)
	ctx := context.Background()
	for k, val := range map[string]string{core.SettingTheme: "purple", core.SettingRefreshInterval: "abc", core.SettingPollInterval: "1m"} {
		if err := db.SetSetting(ctx, k, val); err != nil {
			t.Fatal(err)
		}
	}
	v, _ := newTestSettings(t, &prefsStore{DB: db})
	if !shows(v, v.form) {
		t.Fatalf("the form is not shown (state %q: %q)", v.state.title.Text, v.state.message.Text)
	}
	if v.theme.Selected != "System" || v.refresh.Text != "5s" || v.poll.Text != "1m" {
		t.Errorf("theme %q, refresh %q, poll %q; want System, 5s (defaults) and the good 1m", v.theme.Selected, v.refresh.Text, v.poll.Text)
	}
	for _, part := range []string{`ui.theme holds "purple"`, `ui.refresh_interval holds "abc"`, "Save the settings"} {
		if !strings.Contains(v.status.Text, part) {
			t.Errorf("status %q does not say %q", v.status.Text, part)
		}
	}
	test.Tap(v.saveB)
	if _, err := db.Preferences(ctx); err != nil || v.status.Text != "Saved" {
		t.Errorf("after Save: %v, status %q", err, v.status.Text)
	}
}

// A save the service refuses says why and keeps the form; a later save
// works.
func TestSettingsSaveError(t *testing.T) {
	svc := &prefsStore{DB: storetest.Open(t), saveErr: core.Errorf(core.EPERMISSION, "the cache file is read-only: check its permissions")}
	v, saved := newTestSettings(t, svc)
	v.refresh.SetText("3s")
	v.sync.SetText("10m")
	v.theme.SetSelected("Dark")
	typed := v.values()
	test.Tap(v.saveB)
	if v.status.Text != "The settings were not saved: the cache file is read-only: check its permissions" ||
		v.status.Importance != widget.DangerImportance {
		t.Errorf("status %q (importance %v)", v.status.Text, v.status.Importance)
	}
	if v.values() != typed || v.saveB.Disabled() || len(*saved) != 0 {
		t.Errorf("form %+v (want %+v), Save disabled %v, onSaved %d", v.values(), typed, v.saveB.Disabled(), len(*saved))
	}
	if got := svc.stored(t); got != core.DefaultPreferences() {
		t.Errorf("stored %+v after a refused save", got)
	}
	if _, forced := fyne.CurrentApp().Settings().Theme().(variantTheme); forced {
		t.Error("the Dark theme applied although the save failed")
	}

	svc.mu.Lock()
	svc.saveErr = nil
	svc.mu.Unlock()
	test.Tap(v.saveB)
	if got := svc.stored(t); v.status.Text != "Saved" || got.Refresh != 3*time.Second || got.Sync != 10*time.Minute || got.Theme != core.ThemeDark {
		t.Errorf("second save: status %q, stored %+v", v.status.Text, got)
	}
}

// Reset fills in the defaults without saving them.
func TestSettingsReset(t *testing.T) {
	svc := &prefsStore{DB: storetest.Open(t)}
	if err := svc.DB.SavePreferences(context.Background(), sampleSettings()); err != nil {
		t.Fatal(err)
	}
	v, _ := newTestSettings(t, svc)
	test.Tap(v.resetB)
	if v.values() != settingsValuesOf(core.DefaultPreferences()) || v.theme.Selected != "System" || v.refresh.Text != "5s" {
		t.Errorf("after Reset: %+v; want the defaults", v.values())
	}
	if !strings.Contains(v.status.Text, "Save to keep them") {
		t.Errorf("status %q", v.status.Text)
	}
	if got := svc.stored(t); got != sampleSettings() || svc.saves != 0 {
		t.Errorf("Reset saved: stored %+v, %d saves", got, svc.saves)
	}
	test.Tap(v.saveB)
	if got := svc.stored(t); got != core.DefaultPreferences() {
		t.Errorf("after Reset and Save: %+v", got)
	}
}

// A reload keeps unsaved changes; without them it shows the cache's
// values.
func TestSettingsReloadKeepsEdits(t *testing.T) {
	svc := &prefsStore{DB: storetest.Open(t)}
	v, _ := newTestSettings(t, svc)
	if err := svc.DB.SavePreferences(context.Background(), sampleSettings()); err != nil {
		t.Fatal(err)
	}
	v.reload()
	if v.values() != settingsValuesOf(sampleSettings()) {
		t.Fatalf("reload without edits: %+v; want the saved values", v.values())
	}
	v.refresh.SetText("7s")
	v.reload()
	if v.refresh.Text != "7s" || v.sync.Text != "1h" {
		t.Errorf("reload with an edit: refresh %q, sync %q; want 7s kept", v.refresh.Text, v.sync.Text)
	}
}

func TestSettingsHooks(t *testing.T) {
	test.NewTempApp(t)
	v := newSettingsView(test.NewTempWindow(t, nil), &prefsStore{DB: storetest.Open(t)}, nil)
	v.spawn = func(f func()) { f() }
	var geo, about int
	v.onGeo = func() { geo++ }
	v.onAbout = func() { about++ }
	v.reload()
	if v.more.Hidden || v.geoB.Hidden || v.aboutB.Hidden {
		t.Fatalf("hidden: card %v, geo %v, about %v", v.more.Hidden, v.geoB.Hidden, v.aboutB.Hidden)
	}
	test.Tap(v.geoB)
	test.Tap(v.aboutB)
	test.Tap(v.aboutB)
	if geo != 1 || about != 2 {
		t.Errorf("geo %d, about %d; want 1 and 2", geo, about)
	}
}

func TestSettingsSpanText(t *testing.T) {
	for d, want := range map[time.Duration]string{
		5 * time.Second: "5s", 90 * time.Second: "1m30s", 5 * time.Minute: "5m", time.Hour: "1h",
		90 * time.Minute: "1h30m", 168 * time.Hour: "168h", time.Hour + 5*time.Second: "1h0m5s", 1500 * time.Millisecond: "1.5s",
	} {
		got := core.FormatSpan(d)
		if got != want {
			t.Errorf("core.FormatSpan(%v) = %q; want %q", d, got, want)
		}
		if back, err := time.ParseDuration(got); err != nil || back != d {
			t.Errorf("%q reads back as %v, %v", got, back, err)
		}
	}
}
