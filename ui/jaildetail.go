package ui

import (
	"context"
	"strconv"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/jailconf"
)

// JailReader reads one jail's runtime settings; f2b.Client provides it.
type JailReader interface {
	JailConfig(ctx context.Context, jail string) (core.JailConfig, error)
}

// JailEditor changes one jail's runtime settings; f2b.Client provides it.
// The changes last until fail2ban reloads. A jail fail2ban no longer knows
// gives an ENOTFOUND error.
type JailEditor interface {
	SetBanTime(ctx context.Context, jail, value string) (time.Duration, error)
	SetFindTime(ctx context.Context, jail, value string) (time.Duration, error)
	SetMaxRetry(ctx context.Context, jail string, n int) (int, error)
	AddIgnoreIP(ctx context.Context, jail, entry string) ([]string, error)
	DelIgnoreIP(ctx context.Context, jail, entry string) ([]string, error)
	SetIdle(ctx context.Context, jail string, on bool) error
	StopJail(ctx context.Context, jail string) error
}

// Permanent writes jail settings into the server's config files and
// reloads; a *jailconf.Editor provides it. Its calls block until
// fail2ban-client has finished.
type Permanent interface {
	Apply(ctx context.Context, jail string, changes []jailconf.Change) (jailconf.Result, error)
	Read(ctx context.Context, jail string) (map[string]string, error)
	ReloadJail(ctx context.Context, jail string) (jailconf.Output, error)
	ReloadServer(ctx context.Context) (jailconf.Output, error)
}

const (
	notice           = "Changes here apply at once but are lost when fail2ban reloads, unless you make them permanent."
	detailTimeout    = 30 * time.Second // a read or a runtime change
	permanentTimeout = 5 * time.Minute  // writing, checking and reloading
)

// jailDetail shows one jail's settings: the filter and actions read-only,
// the times, maxretry, ignore list and idle mode editable at runtime, and
// a section that makes the changes permanent.
type jailDetail struct {
	w     fyne.Window
	spawn func(func()) // runs blocking work off the UI goroutine; tests run it in place
	// parent is the app's context; cancelling it stops everything.
	parent context.Context
	// onChanged is called after a change, so the jails view can refresh
	// its counters.
	onChanged func()

	title    *widget.Label
	refreshB *widget.Button
	banner   *widget.Label // the jail is gone, or could not be read again
	state    *statePanel
	body     *fyne.Container // holds state or content
	content  fyne.CanvasObject
	root     fyne.CanvasObject

	banTime, findTime, maxRetry *detailField

	ignoreBox  *fyne.Container // one row per entry
	ignoreRows []*ignoreRow
	ignoreIn   *widget.Entry
	ignoreAdd  *widget.Button
	ignoreMsg  *widget.Label
	ignoreSelf *widget.Label
	idle       *widget.Check
	stopB      *widget.Button
	jailMsg    *widget.Label

	permNote      *widget.Label // says why there is no permanent section
	permBox       *fyne.Container
	saved         *widget.Label
	pending       *widget.Label
	permB         *widget.Button
	reloadJailB   *widget.Button
	reloadServerB *widget.Button
	// cancelB stops a permanent edit or reload going on (they may take
	// minutes); stopRun is its cancel, nil when none runs.
	cancelB *widget.Button
	stopRun context.CancelFunc
	permMsg *widget.Label

	logPaths, failRegex, ignoreRegex, datePattern, actions, useDNS, maxMatches *widget.Label

	// UI goroutine only.
	server  core.Server
	jail    string
	r       JailReader
	e       JailEditor
	p       Permanent
	loaded  bool              // a config has been shown
	gone    bool              // fail2ban no longer knows the jail
	busy    bool              // a call runs
	quiet   bool              // the idle check is being set by code
	changed map[string]string // runtime values set here, by jailconf key
	gen     int               // bumps on show; stale results are dropped
	ctx     context.Context
	cancel  context.CancelFunc
	work    sync.WaitGroup

	confirm *dialog.ConfirmDialog // the last question asked, for tests
}

func newJailDetail(w fyne.Window) *jailDetail {
	v := &jailDetail{w: w, parent: context.Background(), changed: map[string]string{}}
	v.spawn = func(f func()) {
		v.work.Add(1)
		go func() { defer v.work.Done(); f() }()
	}
	v.title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.title.SizeName = theme.SizeNameSubHeadingText
	v.refreshB = widget.NewButtonWithIcon("Refresh", theme.ViewRefreshIcon(), v.onRefresh)
	v.banner = messageLabel()
	v.state = newStatePanel()

	v.banTime = newDetailField("600, 10m, 1h30m, 1d; -1 bans forever", v.onBanTime)
	v.findTime = newDetailField("600, 10m, 1h", v.onFindTime)
	v.maxRetry = newDetailField("1 to 1000", v.onMaxRetry)
	v.ignoreBox = container.NewVBox()
	v.ignoreIn = widget.NewEntry()
	v.ignoreIn.SetPlaceHolder("192.0.2.7, 198.51.100.0/24 or vpn.example.org")
	v.ignoreIn.OnSubmitted = func(string) { v.onIgnoreAdd() }
	v.ignoreAdd = widget.NewButtonWithIcon("Add", theme.ContentAddIcon(), v.onIgnoreAdd)
	v.ignoreMsg = messageLabel()
	v.ignoreSelf = widget.NewLabel("")
	v.idle = widget.NewCheck("Idle (stop acting on failures)", v.onIdle)
	v.stopB = widget.NewButtonWithIcon("Stop jail…", theme.MediaStopIcon(), v.onStop)
	v.stopB.Importance = widget.DangerImportance
	v.jailMsg = messageLabel()

	v.permNote = widget.NewLabel("BanGUI cannot reach this server's fail2ban config files, so changes made here " +
		"cannot be made permanent: edit jail.local on the server, then reload fail2ban.")
	v.permNote.Wrapping = fyne.TextWrapWord
	v.saved = wrapped()
	v.pending = wrapped()
	v.permB = widget.NewButtonWithIcon("Make permanent", theme.DocumentSaveIcon(), v.onMakePermanent)
	v.permB.Importance = widget.HighImportance
	v.reloadJailB = widget.NewButtonWithIcon("Reload jail…", theme.ViewRefreshIcon(), v.onReloadJail)
	v.reloadServerB = widget.NewButtonWithIcon("Reload server…", theme.ViewRefreshIcon(), v.onReloadServer)
	v.permMsg = messageLabel()
	v.cancelB = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), func() {
		if v.stopRun != nil {
			v.cancelB.Disable()
			v.stopRun()
		}
	})
	v.cancelB.Hide()
	v.permBox = container.NewVBox(v.saved, v.pending,
		container.NewHBox(v.permB, v.reloadJailB, v.reloadServerB, v.cancelB), v.permMsg)

	v.logPaths, v.useDNS, v.maxMatches = readOnly(false), readOnly(false), readOnly(false)
	v.failRegex, v.ignoreRegex, v.datePattern, v.actions = readOnly(true), readOnly(true), readOnly(true), readOnly(false)

	v.content = container.NewVScroll(container.NewVBox(
		heading("Runtime settings"),
		container.New(layout.NewFormLayout(),
			widget.NewLabel("Ban time"), v.banTime.box,
			widget.NewLabel("Find time"), v.findTime.box,
			widget.NewLabel("Max retry"), v.maxRetry.box),
		heading("Ignored addresses"),
		v.ignoreBox,
		container.NewBorder(nil, nil, nil, v.ignoreAdd, v.ignoreIn),
		v.ignoreMsg,
		v.ignoreSelf,
		heading("Jail"),
		container.NewBorder(nil, nil, nil, v.stopB, v.idle),
		v.jailMsg,
		heading("Permanent"),
		v.permNote,
		v.permBox,
		heading("Filter and actions"),
		container.New(layout.NewFormLayout(),
			widget.NewLabel("Log files"), v.logPaths,
			widget.NewLabel("Fail regex"), v.failRegex,
			widget.NewLabel("Ignore regex"), v.ignoreRegex,
			widget.NewLabel("Date pattern"), v.datePattern,
			widget.NewLabel("Actions"), v.actions,
			widget.NewLabel("Use DNS"), v.useDNS,
			widget.NewLabel("Max matches"), v.maxMatches),
	))
	noticeL := widget.NewLabel(notice)
	noticeL.Wrapping = fyne.TextWrapWord
	header := container.NewBorder(nil, nil, nil, container.NewCenter(v.refreshB), v.title)
	v.body = container.NewStack(v.state)
	v.root = container.NewBorder(container.NewVBox(header, noticeL, v.banner), nil, nil, nil, v.body)
	v.state.empty("No jail selected", "Select a jail to see and change its settings.")
	v.syncInputs()
	return v
}

// show switches the panel to jail on s and reads its settings in the
// background. p may be nil (untyped): the panel then says why changes
// cannot be made permanent.
func (v *jailDetail) show(s core.Server, jail string, r JailReader, e JailEditor, p Permanent) {
	v.stop()
	v.gen++
	v.server, v.jail, v.r, v.e, v.p = s, jail, r, e, p
	v.loaded, v.gone, v.busy = false, false, false
	if v.stopRun != nil {
		v.stopRun() // the run of the jail shown before
		v.stopRun = nil
	}
	v.cancelB.Hide()
	v.changed = map[string]string{}
	v.title.SetText("Jail " + jail + " on " + s.Name)
	for _, f := range []*detailField{v.banTime, v.findTime, v.maxRetry} {
		f.reset()
	}
	v.ignoreIn.SetText("")
	for _, l := range []*widget.Label{v.ignoreMsg, v.jailMsg, v.permMsg, v.banner} {
		tell(l, "", widget.MediumImportance)
	}
	v.showIdle(false)
	if p == nil {
		v.permBox.Hide()
		v.permNote.Show()
	} else {
		v.permNote.Hide()
		v.permBox.Show()
	}
	v.state.loading("Reading jail " + jail + "…")
	v.showBody(v.state)
	v.ctx, v.cancel = context.WithCancel(v.parent)
	v.syncInputs()
	v.fetch()
}

// showIdle sets the idle check without asking the server: fail2ban has no
// command that reads idle mode back, so the jails view passes what it knows
// (core.JailStatus.Idle).
func (v *jailDetail) showIdle(on bool) {
	v.quiet = true
	v.idle.SetChecked(on)
	v.quiet = false
}

// update reads and shows the jail, blocking; for tests.
func (v *jailDetail) update(ctx context.Context) {
	v.apply(v.gen, loadJail(ctx, v.r, v.p, v.jail))
}

// stop ends the running calls and waits for them (see jailsView.stop).
func (v *jailDetail) stop() {
	if v.cancel != nil {
		v.cancel()
		v.cancel = nil
	}
	v.work.Wait()
}

// jailLoad is one read of the jail.
type jailLoad struct {
	cfg      core.JailConfig
	err      error
	saved    map[string]string // what BanGUI's file holds for the jail
	savedErr error
}

// loadJail reads the jail's settings, and BanGUI's saved ones when p is
// set. It blocks; call it off the UI goroutine.
func loadJail(ctx context.Context, r JailReader, p Permanent, jail string) jailLoad {
	ctx, cancel := context.WithTimeout(ctx, detailTimeout)
	defer cancel()
	var d jailLoad
	if d.cfg, d.err = r.JailConfig(ctx, jail); d.err != nil || p == nil {
		return d
	}
	d.saved, d.savedErr = p.Read(ctx, jail)
	return d
}

// fetch reads the jail again in the background.
func (v *jailDetail) fetch() {
	if v.r == nil || v.ctx == nil {
		return
	}
	v.busy = true
	v.syncInputs()
	ctx, gen, r, p, jail := v.ctx, v.gen, v.r, v.p, v.jail
	v.spawn(func() {
		d := loadJail(ctx, r, p, jail)
		do(ctx, func() {
			if gen == v.gen {
				v.busy = false
				v.apply(gen, d)
			}
		})
	})
}

func (v *jailDetail) onRefresh() {
	if !v.loaded {
		v.state.loading("Reading jail " + v.jail + "…")
		v.showBody(v.state)
	}
	v.fetch()
}

// apply shows a read of the jail; it runs on the UI goroutine.
func (v *jailDetail) apply(gen int, d jailLoad) {
	if gen != v.gen {
		return
	}
	defer v.syncInputs()
	switch {
	case d.err == nil:
	case core.ErrorCode(d.err) == core.ENOTFOUND:
		v.vanish(v.goneText())
		return
	case !v.loaded:
		v.state.failed("Cannot read jail "+v.jail+" on "+v.server.Name, d.err, v.onRefresh)
		v.showBody(v.state)
		return
	default:
		tell(v.banner, "Could not read jail "+v.jail+" again: "+core.ErrorMessage(d.err), widget.WarningImportance)
		return
	}
	v.loaded, v.gone = true, false
	tell(v.banner, "", widget.MediumImportance)
	v.showBody(v.content)
	c := d.cfg
	v.banTime.set(secondsText(c.BanTime), formatTimeValue(c.BanTime))
	v.findTime.set(secondsText(c.FindTime), formatTimeValue(c.FindTime))
	v.maxRetry.set(strconv.Itoa(c.MaxRetry), strconv.Itoa(c.MaxRetry))
	v.showIgnoreList(c.IgnoreIP)
	self := "no: fail2ban may ban this server's own addresses"
	if c.IgnoreSelf {
		self = "yes: fail2ban never bans this server's own addresses"
	}
	v.ignoreSelf.SetText("Ignore self: " + self)
	v.logPaths.SetText(lines(c.LogPaths, "none"))
	v.failRegex.SetText(lines(c.FailRegex, "none"))
	v.ignoreRegex.SetText(lines(c.IgnoreRegex, "none"))
	v.datePattern.SetText(datePatternText(c.DatePattern))
	v.actions.SetText(lines(c.Actions, "none"))
	v.useDNS.SetText(c.UseDNS)
	v.maxMatches.SetText(strconv.Itoa(c.MaxMatches))
	switch {
	case d.savedErr != nil:
		v.saved.SetText("Cannot read BanGUI's file: " + core.ErrorMessage(d.savedErr))
	case len(d.saved) == 0:
		v.saved.SetText("BanGUI's file holds nothing for " + v.jail + ": its settings come from fail2ban's own files.")
	default:
		v.saved.SetText("BanGUI's file holds for " + v.jail + ": " + settingsText(d.saved))
	}
}

func (v *jailDetail) showBody(o fyne.CanvasObject) {
	if len(v.body.Objects) == 1 && v.body.Objects[0] == o {
		return
	}
	v.body.Objects = []fyne.CanvasObject{o}
	v.body.Refresh()
}

func (v *jailDetail) showIgnoreList(list []string) {
	v.ignoreRows = v.ignoreRows[:0]
	objs := make([]fyne.CanvasObject, 0, len(list)+1)
	for _, e := range list {
		row := &ignoreRow{entry: e}
		l := widget.NewLabelWithStyle(e, fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
		l.Selectable = true
		row.remove = widget.NewButtonWithIcon("", theme.ContentRemoveIcon(), func() { v.onIgnoreRemove(e) })
		row.box = container.NewBorder(nil, nil, nil, row.remove, l)
		v.ignoreRows = append(v.ignoreRows, row)
		objs = append(objs, row.box)
	}
	if len(list) == 0 {
		objs = append(objs, widget.NewLabel("No addresses are ignored."))
	}
	v.ignoreBox.Objects = objs
	v.ignoreBox.Refresh()
}

// vanish shows that the jail is gone (text says why) and disables what
// would change it; the reload buttons stay.
func (v *jailDetail) vanish(text string) {
	v.gone = true
	tell(v.banner, text, widget.DangerImportance)
	if !v.loaded {
		v.state.empty("Jail "+v.jail+" is gone", text)
		v.showBody(v.state)
	}
	v.syncInputs()
}

func (v *jailDetail) goneText() string {
	return "This jail no longer exists on " + v.server.Name + ": it was stopped or removed. Refresh the jail list."
}

// syncInputs enables what can be used now: nothing while a call runs, and
// only the reload buttons once the jail is gone.
func (v *jailDetail) syncInputs() {
	live := v.loaded && !v.gone && !v.busy
	for _, f := range []*detailField{v.banTime, v.findTime, v.maxRetry} {
		enableIf(live, f.entry, f.apply)
	}
	enableIf(live, v.ignoreIn, v.ignoreAdd, v.idle, v.stopB)
	for _, r := range v.ignoreRows {
		enableIf(live, r.remove)
	}
	enableIf(live && v.p != nil && len(v.changed) > 0, v.permB)
	enableIf(v.loaded && !v.busy && v.p != nil, v.reloadJailB, v.reloadServerB)
	enableIf(!v.busy && v.r != nil, v.refreshB)
	if len(v.changed) == 0 {
		v.pending.SetText("Nothing changed here yet.")
	} else {
		v.pending.SetText("Not permanent yet: " + settingsText(v.changed))
	}
}
