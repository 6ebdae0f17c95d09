package ui

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/bangui/bangui/core"
)

// timelineLimit is how many bans the timeline panel lists.
const timelineLimit = 500

// timelinePanel lists every cached ban of one address, newest first:
// when, where, how long, how many failures, and the log lines that matched.
type timelinePanel struct {
	root    fyne.CanvasObject
	title   *widget.Label
	summary *widget.Label
	list    *fyne.Container
	scroll  *container.Scroll
	ip      string
}

func newTimelinePanel(onClose func()) *timelinePanel {
	p := &timelinePanel{title: widget.NewLabel(""), summary: widget.NewLabel("")}
	p.title.TextStyle = fyne.TextStyle{Bold: true}
	p.summary.Wrapping = fyne.TextWrapWord
	p.list = container.NewVBox()
	p.scroll = container.NewVScroll(p.list)
	closeB := widget.NewButtonWithIcon("", theme.CancelIcon(), onClose)
	closeB.Importance = widget.LowImportance
	head := container.NewBorder(nil, nil, nil, closeB, p.title)
	p.root = container.NewBorder(container.NewVBox(head, p.summary, widget.NewSeparator()), nil, nil, nil, p.scroll)
	return p
}

func (p *timelinePanel) loading(ip string) {
	p.ip = ip
	p.title.SetText("Timeline of " + ip)
	p.summary.SetText("Reading…")
	p.list.Objects = nil
	p.list.Refresh()
}

// show fills the panel, unless the user asked for another address since.
// seen is where the address was banned, per server and jail (may be nil).
func (p *timelinePanel) show(ip string, bans []core.HistoryBan, seen []core.IPSighting, err error) {
	if ip != p.ip {
		return
	}
	if err != nil {
		p.summary.SetText("Could not read the timeline: " + core.ErrorMessage(err))
		return
	}
	p.summary.SetText(timelineSummary(bans) + seenText(seen))
	objs := make([]fyne.CanvasObject, 0, min(len(bans), timelineLimit))
	for _, b := range bans[:min(len(bans), timelineLimit)] {
		objs = append(objs, timelineEntry(b))
	}
	if len(bans) > timelineLimit {
		objs = append(objs, widget.NewLabel(fmt.Sprintf("… and %s older bans (export the history to see them all)", formatCount(len(bans)-timelineLimit))))
	}
	p.list.Objects = objs
	p.list.Refresh()
	p.scroll.ScrollToTop()
}

// timelineSummary says how often, where and over what time an address was
// banned.
func timelineSummary(bans []core.HistoryBan) string {
	if len(bans) == 0 {
		return "No cached ban of this address."
	}
	places := map[string]bool{}
	for _, b := range bans {
		places[b.Server+" / "+b.Jail] = true
	}
	first, last := bans[len(bans)-1].TimeOfBan, bans[0].TimeOfBan
	return fmt.Sprintf("%s in %s, first %s, last %s.", plural(len(bans), "ban", "bans"),
		plural(len(places), "jail", "jails"), formatClock(first), formatClock(last))
}

// seenText lists where an address was banned: each server and jail with
// its count and first and last ban, latest first ("" for none).
func seenText(seen []core.IPSighting) string {
	if len(seen) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("\nSeen on:")
	for _, s := range seen {
		name := s.Server
		if name == "" {
			name = fmt.Sprintf("server #%d (removed)", s.ServerID)
		}
		if s.Count == 1 {
			fmt.Fprintf(&b, "\n  %s · %s: 1 ban, %s", name, s.Jail, formatClock(s.Last))
			continue
		}
		fmt.Fprintf(&b, "\n  %s · %s: %s, first %s, last %s", name, s.Jail, plural(s.Count, "ban", "bans"), formatClock(s.First), formatClock(s.Last))
	}
	return b.String()
}

// timelineEntry is one ban: a heading line and its matched log lines.
func timelineEntry(b core.HistoryBan) fyne.CanvasObject {
	head := widget.NewLabel(fmt.Sprintf("%s · %s · %s · %s · %s", formatClock(b.TimeOfBan), b.Server, b.Jail,
		banLength(b.BanTime), timelineCause(b)))
	head.TextStyle = fyne.TextStyle{Bold: true}
	head.Truncation = fyne.TextTruncateEllipsis
	objs := []fyne.CanvasObject{head}
	if len(b.Matches) > 0 {
		lines := widget.NewLabel(strings.Join(b.Matches, "\n"))
		lines.TextStyle = fyne.TextStyle{Monospace: true}
		lines.Wrapping = fyne.TextWrapWord
		objs = append(objs, lines)
	}
	return container.NewVBox(objs...)
}

func timelineCause(b core.HistoryBan) string {
	switch b.Origin {
	case core.OriginManual:
		return "banned by hand"
	case core.OriginBlocklist:
		if b.Source != "" {
			return "from blocklist " + b.Source
		}
		return "from a blocklist"
	}
	return plural(b.Failures, "failure", "failures")
}
