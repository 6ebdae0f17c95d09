package ui

import (
	"log/slog"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/bangui/bangui/core"
)

// statePanel shows a view's loading, empty or error state in place of its
// content: an icon, a title, the message, and an optional action.
type statePanel struct {
	widget.BaseWidget
	icon    *widget.Icon
	title   *widget.Label
	message *widget.Label
	action  *widget.Button
	spinner *widget.ProgressBarInfinite
}

func newStatePanel() *statePanel {
	p := &statePanel{
		icon:    widget.NewIcon(nil),
		title:   widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Bold: true}),
		message: widget.NewLabel(""),
		action:  widget.NewButton("", nil),
		spinner: widget.NewProgressBarInfinite(),
	}
	p.message.Wrapping = fyne.TextWrapWord
	p.message.Alignment = fyne.TextAlignCenter
	p.ExtendBaseWidget(p)
	return p
}

func (p *statePanel) CreateRenderer() fyne.WidgetRenderer {
	iconBox := container.NewGridWrap(fyne.NewSize(48, 48), p.icon)
	box := container.NewVBox(
		container.NewCenter(iconBox),
		p.title,
		p.message,
		container.NewCenter(container.NewGridWrap(fyne.NewSize(220, p.spinner.MinSize().Height), p.spinner)),
		container.NewCenter(p.action),
	)
	// Keep the message to a readable width in the middle of the view.
	return widget.NewSimpleRenderer(container.NewCenter(container.NewGridWrap(fyne.NewSize(460, 240), box)))
}

// loading shows a spinner and what is being waited for.
func (p *statePanel) loading(title string) {
	p.icon.SetResource(theme.ViewRefreshIcon())
	p.title.SetText(title)
	p.message.SetText("")
	p.message.Hide()
	p.spinner.Show()
	p.spinner.Start()
	p.action.Hide()
}

// empty says there is nothing to show and what to do next.
func (p *statePanel) empty(title, message string) {
	p.show(theme.InfoIcon(), title, message, "", nil, nil)
}

// emptyWith is empty with a button that does the next step (Add…, Sync
// now); without onAction it is plain empty.
func (p *statePanel) emptyWith(title, message, action string, icon fyne.Resource, onAction func()) {
	p.show(theme.InfoIcon(), title, message, action, icon, onAction)
}

// The words every view uses when BanGUI knows no server at all.
const (
	noServerTitle   = "No fail2ban server yet"
	noServerMessage = "Start fail2ban on this machine (systemctl start fail2ban), or add a server over SSH with Add… in the server list."
)

// The words every view of the cached history uses while the cache is empty.
const (
	noHistoryTitle = "No ban history yet"
	historySyncs   = "BanGUI copies each server's bans from fail2ban's database every few minutes"
)

// noServer says there is no server at all, and how to get one.
func (p *statePanel) noServer() { p.empty(noServerTitle, noServerMessage) }

// failed shows err's user message, with a retry action when given.
func (p *statePanel) failed(title string, err error, retry func()) {
	slog.Warn(title, "err", err)
	icon := theme.ErrorIcon()
	if core.ErrorCode(err) == core.EPERMISSION {
		icon = theme.WarningIcon()
	}
	label := ""
	if retry != nil {
		label = "Retry"
	}
	p.show(icon, title, core.ErrorMessage(err), label, theme.ViewRefreshIcon(), retry)
}

func (p *statePanel) show(icon fyne.Resource, title, message, action string, actionIcon fyne.Resource, onAction func()) {
	p.spinner.Stop()
	p.spinner.Hide()
	p.icon.SetResource(icon)
	p.title.SetText(title)
	p.message.SetText(message)
	p.message.Show()
	if onAction == nil {
		p.action.Hide()
		return
	}
	p.action.SetText(action)
	p.action.SetIcon(actionIcon)
	p.action.OnTapped = onAction
	p.action.Show()
}
