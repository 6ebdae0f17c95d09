package ui

import (
	"context"
	"fmt"
	"image/color"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/bangui/bangui/core"
)

// PreferencesService reads and saves the preferences (the cache; cmd
// applies side effects such as the sync interval).
type PreferencesService interface {
	// Preferences returns the saved preferences. An error of code
	// core.EINVALID that comes with them says some saved values were
	// unreadable and are replaced by their defaults: the view shows the
	// preferences and the message (saving replaces the bad values). Any
	// other error means nothing could be read.
	Preferences(ctx context.Context) (core.Preferences, error)
	// SavePreferences validates p (core.EINVALID naming the field, nothing
	// saved) and saves it.
	SavePreferences(ctx context.Context, p core.Preferences) error
}

// themeLabels are the theme choices as shown, parallel to core.Themes.
var themeLabels = []string{"System", "Light", "Dark"}

// settingsView edits the preferences: a form in sections, saved as a
// whole with Save.
type settingsView struct {
	viewWork // parent: set by the App; default context.Background()
	root     fyne.CanvasObject
	w        fyne.Window
	svc      PreferencesService
	onSaved  func(core.Preferences) // after a save, on the UI goroutine; may be nil
	// onGeo opens the geo sources dialog and onAbout the About dialog;
	// their buttons show only when set (before the first reload).
	onGeo, onAbout func()

	body  *fyne.Container // the form or the state panel
	state *statePanel
	form  fyne.CanvasObject
	more  *widget.Card // the geo and about buttons

	theme                              *widget.Select
	closeToTray                        *widget.Check
	refresh, poll, sync, retention     *widget.Entry
	serverDown, serverUp, importFailed *widget.Check
	banRate, banWindow, notifyGap      *widget.Entry
	geoB, aboutB, saveB, resetB        *widget.Button
	status                             *widget.Label
	inputs                             []settingInput

	shown  settingsValues // what was last loaded or saved
	loaded bool           // the form has been filled once
	gen    int            // the latest reload; older answers are dropped
}

// settingsValues is the form's content as typed (comparable: the form has
// unsaved changes when it differs from what was loaded).
type settingsValues struct {
	theme                              int
	closeToTray                        bool
	refresh, poll, sync, retention     string
	serverDown, serverUp, importFailed bool
	banRate, banWindow, notifyGap      string
}

// settingInput is a text field of the form: it reads its entry into p.
type settingInput struct {
	entry *widget.Entry
	read  func(p *core.Preferences) error
}

func newSettingsView(w fyne.Window, svc PreferencesService, onSaved func(core.Preferences)) *settingsView {
	v := &settingsView{w: w, svc: svc, onSaved: onSaved, state: newStatePanel()}
	v.initWork()

	v.theme = widget.NewSelect(themeLabels, nil)
	v.closeToTray = widget.NewCheck("Close to the system tray: closing the window keeps BanGUI running", nil)
	v.refresh = durationEntry(core.MinRefresh)
	v.poll = durationEntry(core.MinPoll)
	v.sync = durationEntry(core.MinSync)
	v.retention = widget.NewEntry()
	v.retention.SetPlaceHolder("0")
	v.serverDown = widget.NewCheck("A server stopped answering", nil)
	v.serverUp = widget.NewCheck("A server answers again", nil)
	v.importFailed = widget.NewCheck("A blocklist import failed", nil)
	v.banRate = widget.NewEntry()
	v.banRate.SetPlaceHolder("0: off")
	v.banWindow = durationEntry(core.MinBanWindow)
	v.notifyGap = durationEntry(core.MinNotifyGap)
	v.inputs = []settingInput{
		spanInput("the refresh interval", v.refresh, func(p *core.Preferences) *time.Duration { return &p.Refresh }),
		spanInput("the server check interval", v.poll, func(p *core.Preferences) *time.Duration { return &p.Poll }),
		spanInput("the history sync interval", v.sync, func(p *core.Preferences) *time.Duration { return &p.Sync }),
		numberInput(v.retention, func(p *core.Preferences) *int { return &p.RetentionDays }, func(text string) error {
			return core.Errorf(core.EINVALID, "the retention %q is not a number of days: give 0 (keep every ban) up to %d", text, core.MaxRetentionDays)
		}),
		numberInput(v.banRate, func(p *core.Preferences) *int { return &p.Notify.BanRate }, func(text string) error {
			return core.Errorf(core.EINVALID, "the ban rate %q is not a number: give a number of bans, or 0 to turn it off", text)
		}),
		spanInput("the ban rate's time window", v.banWindow, func(p *core.Preferences) *time.Duration { return &p.Notify.BanWindow }),
		spanInput("the time between two notifications", v.notifyGap, func(p *core.Preferences) *time.Duration { return &p.Notify.MinInterval }),
	}

	v.geoB = widget.NewButtonWithIcon("Geo databases…", theme.SettingsIcon(), v.onGeoTapped)
	v.aboutB = widget.NewButtonWithIcon("About BanGUI", theme.InfoIcon(), v.onAboutTapped)
	v.saveB = widget.NewButtonWithIcon("Save", theme.DocumentSaveIcon(), v.onSave)
	v.saveB.Importance = widget.HighImportance
	v.resetB = widget.NewButtonWithIcon("Reset to defaults", theme.ContentUndoIcon(), v.onReset)
	v.status = widget.NewLabel("")
	v.status.Wrapping = fyne.TextWrapWord

	span := func(lo, hi time.Duration) string { return core.FormatSpan(lo) + " to " + core.FormatSpan(hi) }
	appearance := widget.NewCard("Appearance", "", widget.NewForm(
		&widget.FormItem{Text: "Theme", Widget: v.theme, HintText: "System follows the desktop's light or dark setting"},
		&widget.FormItem{Widget: v.closeToTray},
	))
	refresh := widget.NewCard("Refresh", "Write durations like 5s, 2m or 1h", widget.NewForm(
		&widget.FormItem{Text: "Views", Widget: v.refresh,
			HintText: "How often the jails and bans views ask the shown server: " + span(core.MinRefresh, core.MaxRefresh)},
		&widget.FormItem{Text: "Server checks", Widget: v.poll,
			HintText: "How often every server is checked (server list, dashboard, notifications): " + span(core.MinPoll, core.MaxPoll)},
		&widget.FormItem{Text: "History sync", Widget: v.sync,
			HintText: "How often each server's ban history is copied to this computer: " + span(core.MinSync, core.MaxSync)},
	))
	history := widget.NewCard("History", "", widget.NewForm(
		&widget.FormItem{Text: "Keep bans (days)", Widget: v.retention,
			HintText: fmt.Sprintf("Cached bans older than this are deleted; 0 keeps every ban (up to %d)", core.MaxRetentionDays)},
	))
	notify := widget.NewCard("Notifications", "Desktop notifications are off until you turn them on", widget.NewForm(
		&widget.FormItem{Text: "Notify when", Widget: container.NewVBox(v.serverDown, v.serverUp, v.importFailed)},
		&widget.FormItem{Text: "More than (bans)", Widget: v.banRate,
			HintText: "Notify when more new bans than this arrive within the time below; 0 turns it off"},
		&widget.FormItem{Text: "Within", Widget: v.banWindow, HintText: span(core.MinBanWindow, core.MaxBanWindow)},
		&widget.FormItem{Text: "At most every", Widget: v.notifyGap,
			HintText: "The least time between two notifications of one kind: " + span(core.MinNotifyGap, core.MaxNotifyGap)},
	))
	v.more = widget.NewCard("Geo and About", "", container.NewHBox(v.geoB, v.aboutB))
	sections := container.NewVBox(appearance, refresh, history, notify, v.more)
	actions := container.NewBorder(nil, nil, nil, container.NewHBox(v.resetB, v.saveB), v.status)
	narrow := container.New(settingsWidth{}, sections) // durations need no 1,500-pixel entries
	v.form = container.NewBorder(nil, container.NewPadded(actions), nil, nil, container.NewVScroll(container.NewPadded(narrow)))
	v.body = container.NewStack(v.state)
	v.root = v.body
	return v
}

// settingsWidth lays out its one object at most 760 wide, on the left.
type settingsWidth struct{}

func (settingsWidth) MinSize(objs []fyne.CanvasObject) fyne.Size { return objs[0].MinSize() }

func (settingsWidth) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	objs[0].Move(fyne.NewPos(0, 0))
	objs[0].Resize(fyne.NewSize(min(size.Width, max(760, objs[0].MinSize().Width)), size.Height))
}

// durationEntry is an entry for a duration, its minimum as placeholder.
func durationEntry(lo time.Duration) *widget.Entry {
	e := widget.NewEntry()
	e.SetPlaceHolder(core.FormatSpan(lo))
	return e
}

// spanInput reads a duration entry; what names the field as Validate does.
func spanInput(what string, e *widget.Entry, field func(*core.Preferences) *time.Duration) settingInput {
	return settingInput{entry: e, read: func(p *core.Preferences) error {
		text := strings.TrimSpace(e.Text)
		if text == "" {
			return core.Errorf(core.EINVALID, "%s is empty: write it like 5s, 2m or 1h", what)
		}
		d, err := time.ParseDuration(text)
		if err != nil {
			return core.Errorf(core.EINVALID, "%s %q is not a duration: write it like 5s, 2m or 1h", what, text)
		}
		*field(p) = d
		return nil
	}}
}

// numberInput reads a whole number entry (empty is 0); bad makes the
// error for text that is not a number.
func numberInput(e *widget.Entry, field func(*core.Preferences) *int, bad func(text string) error) settingInput {
	return settingInput{entry: e, read: func(p *core.Preferences) error {
		n, ok := optionalNumber(e.Text)
		if !ok {
			return bad(strings.TrimSpace(e.Text))
		}
		*field(p) = n
		return nil
	}}
}

// settingsValuesOf is how the form shows p.
func settingsValuesOf(p core.Preferences) settingsValues {
	th := 0
	for i, t := range core.Themes {
		if t == p.Theme {
			th = i
		}
	}
	n := p.Notify
	return settingsValues{
		theme: th, closeToTray: p.CloseToTray,
		refresh: core.FormatSpan(p.Refresh), poll: core.FormatSpan(p.Poll), sync: core.FormatSpan(p.Sync),
		retention:  strconv.Itoa(p.RetentionDays),
		serverDown: n.ServerDown, serverUp: n.ServerUp, importFailed: n.ImportFailed,
		banRate: strconv.Itoa(n.BanRate), banWindow: core.FormatSpan(n.BanWindow), notifyGap: core.FormatSpan(n.MinInterval),
	}
}

// values returns what the form holds now.
func (v *settingsView) values() settingsValues {
	return settingsValues{
		theme: v.theme.SelectedIndex(), closeToTray: v.closeToTray.Checked,
		refresh: v.refresh.Text, poll: v.poll.Text, sync: v.sync.Text, retention: v.retention.Text,
		serverDown: v.serverDown.Checked, serverUp: v.serverUp.Checked, importFailed: v.importFailed.Checked,
		banRate: v.banRate.Text, banWindow: v.banWindow.Text, notifyGap: v.notifyGap.Text,
	}
}

// fill puts s in the form.
func (v *settingsView) fill(s settingsValues) {
	v.theme.SetSelectedIndex(s.theme)
	v.closeToTray.SetChecked(s.closeToTray)
	v.refresh.SetText(s.refresh)
	v.poll.SetText(s.poll)
	v.sync.SetText(s.sync)
	v.retention.SetText(s.retention)
	v.serverDown.SetChecked(s.serverDown)
	v.serverUp.SetChecked(s.serverUp)
	v.importFailed.SetChecked(s.importFailed)
	v.banRate.SetText(s.banRate)
	v.banWindow.SetText(s.banWindow)
	v.notifyGap.SetText(s.notifyGap)
}

// read parses and validates the form. On error it also returns the entry
// at fault (nil when it is not a text field).
func (v *settingsView) read() (core.Preferences, *widget.Entry, error) {
	p := core.DefaultPreferences()
	p.Theme = core.Themes[max(v.theme.SelectedIndex(), 0)]
	p.CloseToTray = v.closeToTray.Checked
	p.Notify.ServerDown, p.Notify.ServerUp, p.Notify.ImportFailed = v.serverDown.Checked, v.serverUp.Checked, v.importFailed.Checked
	for _, in := range v.inputs {
		if err := in.read(&p); err != nil {
			return p, in.entry, err
		}
	}
	err := p.Validate()
	if err == nil {
		return p, nil, nil
	}
	// Find the field at fault: the one that is invalid on its own.
	for _, in := range v.inputs {
		one := core.DefaultPreferences()
		_ = in.read(&one) // it parsed above
		if one.Validate() != nil {
			return p, in.entry, err
		}
	}
	return p, nil, err
}

// reload reads the preferences in the background: the loading state the
// first time, then the form (or the error state with Retry). Unsaved
// changes in the form are kept.
func (v *settingsView) reload() {
	v.gen++
	gen := v.gen
	if !v.loaded {
		v.state.loading("Loading the settings…")
		showIn(v.body, v.state)
	}
	ctx := v.viewCtx()
	v.spawn(func() {
		p, err := v.svc.Preferences(ctx)
		do(ctx, func() {
			if gen == v.gen {
				v.show(p, err)
			}
		})
	})
}

// show puts loaded preferences in the form, unless it has unsaved
// changes, or shows why they could not be read.
func (v *settingsView) show(p core.Preferences, err error) {
	if err != nil && core.ErrorCode(err) != core.EINVALID {
		if !v.loaded {
			v.state.failed("Cannot read the settings", err, v.reload)
			showIn(v.body, v.state)
		} else {
			v.setStatus("Cannot read the settings again: "+core.ErrorMessage(err), widget.DangerImportance)
		}
		return
	}
	edited := v.loaded && v.values() != v.shown
	v.shown, v.loaded = settingsValuesOf(p), true
	if !edited {
		v.fill(v.shown)
		if err != nil {
			v.setStatus(core.ErrorMessage(err), widget.WarningImportance)
		} else {
			v.setStatus("", widget.MediumImportance)
		}
	}
	showIf(v.geoB, v.onGeo != nil)
	showIf(v.aboutB, v.onAbout != nil)
	showIf(v.more, v.onGeo != nil || v.onAbout != nil)
	showIn(v.body, v.form)
}

// onSave validates the form and saves it in the background. Whatever
// happens, the form keeps what was typed.
func (v *settingsView) onSave() {
	p, bad, err := v.read()
	if err != nil {
		v.setStatus(core.ErrorMessage(err), widget.DangerImportance)
		if bad != nil {
			v.w.Canvas().Focus(bad)
		}
		return
	}
	sent := v.values()
	v.gen++ // a load in flight may have read the cache before this save
	v.saveB.Disable()
	v.setStatus("Saving…", widget.MediumImportance)
	ctx := v.viewCtx()
	v.spawn(func() {
		err := v.svc.SavePreferences(ctx, p)
		do(ctx, func() {
			v.saveB.Enable()
			if err != nil {
				v.setStatus("The settings were not saved: "+core.ErrorMessage(err), widget.DangerImportance)
				return
			}
			v.shown = settingsValuesOf(p)
			if v.values() == sent { // nothing typed meanwhile: show the saved form ("300s" as "5m")
				v.fill(v.shown)
			}
			ApplyTheme(p.Theme)
			v.setStatus("Saved", widget.SuccessImportance)
			if v.onSaved != nil {
				v.onSaved(p)
			}
		})
	})
}

// onReset fills the form with the defaults; nothing is saved yet.
func (v *settingsView) onReset() {
	v.fill(settingsValuesOf(core.DefaultPreferences()))
	v.setStatus("The defaults are filled in: Save to keep them", widget.MediumImportance)
}

func (v *settingsView) onGeoTapped() {
	if v.onGeo != nil {
		v.onGeo()
	}
}

func (v *settingsView) onAboutTapped() {
	if v.onAbout != nil {
		v.onAbout()
	}
}

// showIf shows o when on, else hides it.
func showIf(o fyne.CanvasObject, on bool) {
	if on {
		o.Show()
	} else {
		o.Hide()
	}
}

func (v *settingsView) setStatus(text string, imp widget.Importance) {
	v.status.Importance = imp
	v.status.SetText(text)
}

// stop cancels loading and saving, and waits for them.
func (v *settingsView) stop() { v.stopWork() }

// ApplyTheme makes name (core.ThemeSystem, ThemeLight or ThemeDark) the
// app's theme; an unknown name is the system theme. Call it on the UI
// goroutine (or before the app runs).
func ApplyTheme(name string) {
	fyne.CurrentApp().Settings().SetTheme(themeFor(name))
}

// themeFor returns the theme called name.
func themeFor(name string) fyne.Theme {
	switch name {
	case core.ThemeLight:
		return variantTheme{theme.DefaultTheme(), theme.VariantLight}
	case core.ThemeDark:
		return variantTheme{theme.DefaultTheme(), theme.VariantDark}
	}
	return theme.DefaultTheme()
}

// variantTheme is the default theme in one variant, whatever the desktop
// prefers.
type variantTheme struct {
	fyne.Theme
	variant fyne.ThemeVariant
}

func (t variantTheme) Color(n fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	return t.Theme.Color(n, t.variant)
}
