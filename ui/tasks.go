package ui

import (
	"context"
	"fmt"
	"image/color"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/bangui/bangui/core"
)

// tasksPanel shows which running copy of BanGUI does the background work
// (history sync, retention) and the tasks: last run, result, next run, and
// "run now".
type tasksPanel struct {
	t      core.Tasks
	root   fyne.CanvasObject
	holder *widget.Label
	table  *dataTable[core.TaskInfo]
	runB   *widget.Button
	// cancelB stops the runs runMatching started (shown while waiting).
	cancelB *widget.Button
	note    *widget.Label
	list    []core.TaskInfo
	sel     int
	now     func() time.Time
	ctx     context.Context
	spawn   func(func())
	// waiting is true while runMatching polls for the end of its runs;
	// running names them; onWaiting hears when waiting starts and ends.
	waiting   bool
	running   []string
	onWaiting func(on bool)
}

func newTasksPanel(t core.Tasks) *tasksPanel {
	p := &tasksPanel{t: t, sel: -1, now: time.Now}
	p.holder = widget.NewLabel("")
	p.holder.Wrapping = fyne.TextWrapWord
	p.note = widget.NewLabel("")
	p.note.Wrapping = fyne.TextWrapWord
	p.table = newDataTable([]column[core.TaskInfo]{
		{title: "Task", width: 200, text: func(i core.TaskInfo) string { return i.Title }},
		{title: "Last run", width: 150, fixed: true, text: func(i core.TaskInfo) string { return formatClock(i.LastStart) }},
		{title: "Status", width: 80, fixed: true, text: func(i core.TaskInfo) string { return dashIfEmpty(i.Status) }},
		{title: "Result", width: 260, text: func(i core.TaskInfo) string { return i.Result }},
		{title: "Next run", width: 150, fixed: true, text: func(i core.TaskInfo) string { return p.nextText(i) }},
	})
	p.table.onSelected = func(i int) {
		p.sel = i
		p.runB.Enable()
	}
	p.runB = widget.NewButtonWithIcon("Run selected now", theme.MediaPlayIcon(), p.runSelected)
	p.runB.Disable()
	p.cancelB = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), p.cancel)
	p.cancelB.Hide()
	head := container.NewBorder(nil, nil, nil, container.NewHBox(p.cancelB, p.runB), p.holder)
	// The table fills the width and shows about three rows.
	room := canvas.NewRectangle(color.Transparent)
	room.SetMinSize(fyne.NewSize(0, 150))
	body := container.NewBorder(head, p.note, nil, nil, container.NewStack(room, p.table))
	if t == nil {
		p.holder.SetText("Background tasks are off in this window.")
		p.runB.Hide()
	}
	acc := widget.NewAccordion(widget.NewAccordionItem("Background tasks", body))
	p.root = acc
	return p
}

func (p *tasksPanel) nextText(i core.TaskInfo) string {
	switch {
	case i.Running:
		return "running now"
	case i.NextRun.IsZero():
		return "on demand"
	}
	return formatClock(i.NextRun)
}

// refresh reloads the holder and the task list.
func (p *tasksPanel) refresh(ctx context.Context, spawn func(func())) {
	p.ctx, p.spawn = ctx, spawn
	if p.t == nil {
		return
	}
	spawn(func() {
		h, herr := p.t.Holder(ctx)
		list, lerr := p.t.Tasks(ctx)
		do(ctx, func() { p.apply(h, herr, list, lerr) })
	})
}

func (p *tasksPanel) apply(h core.LockHolder, herr error, list []core.TaskInfo, lerr error) {
	switch {
	case herr != nil:
		p.holder.SetText("Cannot tell which copy runs background work: " + core.ErrorMessage(herr))
	default:
		p.holder.SetText(holderText(h, p.now()))
	}
	if lerr != nil {
		p.note.SetText("Cannot list the tasks: " + core.ErrorMessage(lerr))
		return
	}
	p.note.SetText("")
	p.list = list
	p.table.set(list)
}

// holderText says who runs the background tasks.
func holderText(h core.LockHolder, now time.Time) string {
	switch {
	case h.Instance == "":
		return "No copy of BanGUI runs background tasks right now; this window takes over within a minute."
	case h.Self:
		return "This window runs the background tasks (history sync, retention)."
	case h.Stale:
		return fmt.Sprintf("Another BanGUI (pid %d on %s) held the background tasks but stopped answering %s ago; this window takes over shortly.",
			h.PID, h.Hostname, formatAge(now.Sub(h.HeartbeatAt)))
	}
	return fmt.Sprintf("Another BanGUI runs the background tasks: pid %d on %s, last heartbeat %s ago. \"Run now\" still works here.",
		h.PID, h.Hostname, formatAge(now.Sub(h.HeartbeatAt)))
}

func (p *tasksPanel) runSelected() {
	if p.sel < 0 || p.sel >= len(p.list) {
		return
	}
	name := p.list[p.sel].Name
	p.runMatching(name, nil)
}

// runMatching runs every task whose name starts with prefix now, then
// polls until they finish and calls after.
func (p *tasksPanel) runMatching(prefix string, after func()) {
	if p.t == nil {
		p.note.SetText("Background tasks are off in this window.")
		return
	}
	var started []string
	var errs []string
	for _, i := range p.list {
		if !strings.HasPrefix(i.Name, prefix) {
			continue
		}
		if err := p.t.RunNow(i.Name); err != nil {
			errs = append(errs, i.Title+": "+core.ErrorMessage(err))
			continue
		}
		started = append(started, i.Name)
	}
	switch {
	case len(errs) > 0:
		p.note.SetText(strings.Join(errs, "; "))
	case len(started) == 0:
		p.note.SetText("No task to run yet: add a server first.")
	default:
		p.note.SetText("Running " + plural(len(started), "task", "tasks") + "…")
	}
	if len(started) == 0 || p.ctx == nil || p.waiting {
		return
	}
	p.setWaiting(true, started)
	ctx := p.ctx
	p.spawn(func() {
		defer do(ctx, func() { p.setWaiting(false, nil) })
		for {
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
			list, err := p.t.Tasks(ctx)
			if err != nil {
				continue
			}
			running := false
			for _, i := range list {
				if i.Running && strings.HasPrefix(i.Name, prefix) {
					running = true
				}
			}
			if !running {
				do(ctx, func() {
					p.note.SetText("")
					if after != nil {
						after()
					}
					p.refresh(ctx, p.spawn)
				})
				return
			}
		}
	})
}

// setWaiting shows (or hides) Cancel while the runs of runMatching go on.
func (p *tasksPanel) setWaiting(on bool, names []string) {
	p.waiting, p.running = on, names
	if on {
		p.cancelB.Enable()
		p.cancelB.Show()
	} else {
		p.cancelB.Hide()
	}
	if p.onWaiting != nil {
		p.onWaiting(on)
	}
}

// cancel stops the runs runMatching started; they record "Cancelled".
func (p *tasksPanel) cancel() {
	if !p.waiting || p.t == nil {
		return
	}
	var errs []string
	for _, name := range p.running {
		if err := p.t.Cancel(name); err != nil && core.ErrorCode(err) != core.ECONFLICT {
			errs = append(errs, core.ErrorMessage(err)) // ECONFLICT: it had ended already
		}
	}
	p.cancelB.Disable()
	if len(errs) > 0 {
		p.note.SetText("Cannot cancel: " + strings.Join(errs, "; "))
		return
	}
	p.note.SetText("Cancelling…")
}
