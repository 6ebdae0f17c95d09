package ui

import (
	"errors"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
)

// Time range choices of the dashboard and the history.
const (
	range24h    = "Last 24 hours"
	range7d     = "Last 7 days"
	range30d    = "Last 30 days"
	range365d   = "Last 365 days"
	rangeAll    = "All time"
	rangeCustom = "Custom…"
)

var rangeSpans = map[string]time.Duration{
	range24h:  24 * time.Hour,
	range7d:   7 * 24 * time.Hour,
	range30d:  30 * 24 * time.Hour,
	range365d: 365 * 24 * time.Hour,
}

// customLayouts are the forms a custom range's ends may take.
var customLayouts = []string{"2006-01-02 15:04", "2006-01-02"}

// rangePicker is a select of time ranges; "Custom…" asks for both ends.
type rangePicker struct {
	sel       *widget.Select
	w         fyne.Window
	now       func() time.Time
	from, to  time.Time // the custom range
	prev      string    // the choice before "Custom…", restored on cancel
	onChanged func()
	dialog    dialog.Dialog // the open custom-range form, for tests
	fromE     *dialogEntry
	toE       *dialogEntry
}

func newRangePicker(w fyne.Window, choices []string, initial string) *rangePicker {
	r := &rangePicker{w: w, now: time.Now, prev: initial}
	r.sel = widget.NewSelect(choices, nil)
	r.sel.SetSelected(initial)
	r.sel.OnChanged = r.changed
	return r
}

func (r *rangePicker) changed(choice string) {
	if choice == rangeCustom {
		r.askCustom()
		return
	}
	r.prev = choice
	if r.onChanged != nil {
		r.onChanged()
	}
}

// bounds returns the chosen range; zero ends are open.
func (r *rangePicker) bounds() (from, to time.Time) {
	switch c := r.sel.Selected; c {
	case rangeCustom:
		return r.from, r.to
	case rangeAll:
		return time.Time{}, time.Time{}
	default:
		span, ok := rangeSpans[c]
		if !ok {
			span = 24 * time.Hour
		}
		// The end is exclusive: a ban this very second counts.
		end := r.now().Truncate(time.Second).Add(time.Second)
		return end.Add(-span), end
	}
}

// describe names the chosen range for titles.
func (r *rangePicker) describe() string {
	if r.sel.Selected == rangeCustom {
		const minutes = "2006-01-02 15:04"
		return r.from.Local().Format(minutes) + " – " + r.to.Local().Format(minutes)
	}
	return strings.ToLower(r.sel.Selected[:1]) + r.sel.Selected[1:]
}

// parseRangeEnd reads one end of a custom range in local time.
func parseRangeEnd(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, l := range customLayouts {
		if t, err := time.ParseInLocation(l, s, time.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errors.New("write a date as 2026-11-27 or 2026-11-27 14:30")
}

// checkRange validates a custom range's two ends.
func checkRange(fromS, toS string) (time.Time, time.Time, error) {
	from, err := parseRangeEnd(fromS)
	if err != nil {
		return from, from, errors.New("From: " + err.Error())
	}
	to, err := parseRangeEnd(toS)
	if err != nil {
		return from, to, errors.New("To: " + err.Error())
	}
	if !from.Before(to) {
		return from, to, errors.New("the range is empty: From must be before To")
	}
	return from, to, nil
}

func (r *rangePicker) askCustom() {
	now := r.now()
	from, to := r.from, r.to
	if from.IsZero() {
		from, to = now.Add(-7*24*time.Hour), now
	}
	r.fromE, r.toE = newDialogEntry(), newDialogEntry()
	r.fromE.SetText(from.Local().Format(customLayouts[0]))
	r.toE.SetText(to.Local().Format(customLayouts[0]))
	r.fromE.Validator = func(s string) error { _, err := parseRangeEnd(s); return err }
	r.toE.Validator = func(s string) error {
		_, _, err := checkRange(r.fromE.Text, s)
		return err
	}
	items := []*widget.FormItem{
		{Text: "From", Widget: r.fromE, HintText: "2026-11-27 or 2026-11-27 14:30, local time"},
		{Text: "To", Widget: r.toE},
	}
	d := dialog.NewForm("Custom time range", "Show", "Cancel", items, func(ok bool) {
		r.dialog = nil
		if !ok {
			r.restore()
			return
		}
		f, t, err := checkRange(r.fromE.Text, r.toE.Text)
		if err != nil { // the form's validation stops this; kept for safety
			dialog.ShowError(err, r.w)
			r.restore()
			return
		}
		r.from, r.to, r.prev = f, t, rangeCustom
		if r.onChanged != nil {
			r.onChanged()
		}
	}, r.w)
	d.Resize(fyne.NewSize(420, 0))
	r.dialog = d
	d.Show()
}

// restore puts back the choice from before "Custom…" without reloading.
func (r *rangePicker) restore() {
	cb := r.sel.OnChanged
	r.sel.OnChanged = nil
	r.sel.SetSelected(r.prev)
	r.sel.OnChanged = cb
}
