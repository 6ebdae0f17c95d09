package ui

import (
	"fmt"
	"sort"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/geo"
)

// allCountries is the country filter's "no filter" choice.
const allCountries = "All countries"

// filterBar holds the filters the history and the map share: time range,
// server, jail, origin and country. onChanged runs when one changes.
type filterBar struct {
	servers    []core.Server
	rng        *rangePicker
	serverSel  *widget.Select
	jailSel    *widget.Select
	originSel  *widget.Select
	countrySel *widget.Select
	// countryCodes[i] is the code of countrySel.Options[i+1].
	countryCodes []string
	onChanged    func()
}

func newFilterBar(w fyne.Window, ranges []string, def string) *filterBar {
	fb := &filterBar{rng: newRangePicker(w, ranges, def)}
	changed := func(string) {
		if fb.onChanged != nil {
			fb.onChanged()
		}
	}
	fb.rng.onChanged = func() { changed("") }
	fb.serverSel = widget.NewSelect([]string{allServers}, nil)
	fb.serverSel.SetSelected(allServers)
	fb.jailSel = widget.NewSelect([]string{allJails}, nil)
	fb.jailSel.SetSelected(allJails)
	origins := []string{allOrigins}
	for _, o := range core.Origins {
		origins = append(origins, originText(o))
	}
	fb.originSel = widget.NewSelect(origins, nil)
	fb.originSel.SetSelected(allOrigins)
	fb.countrySel = widget.NewSelect([]string{allCountries}, nil)
	fb.countrySel.SetSelected(allCountries)
	fb.setCountries(nil)
	for _, s := range []*widget.Select{fb.serverSel, fb.jailSel, fb.originSel, fb.countrySel} {
		s.OnChanged = changed
	}
	return fb
}

// objects are the filter widgets, in display order.
func (fb *filterBar) objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{fb.rng.sel, fb.serverSel, fb.jailSel, fb.originSel, fb.countrySel}
}

func (fb *filterBar) setServers(list []core.Server) {
	fb.servers = list
	fb.serverSel.Options = scopeOptions(list)
	fb.serverSel.Refresh()
}

// groupPrefix marks a group in a server scope select.
const groupPrefix = "Group: "

// scopeOptions are the choices of a server scope select: every server,
// each group, each server.
func scopeOptions(list []core.Server) []string {
	opts := []string{allServers}
	for _, g := range serverGroups(list) {
		opts = append(opts, groupPrefix+g)
	}
	for _, s := range list {
		opts = append(opts, s.Name)
	}
	return opts
}

// scopeIDs are the server IDs a scope choice selects: nil for every
// server, the members of a group, or one server.
func scopeIDs(list []core.Server, choice string) []int64 {
	var ids []int64
	for _, s := range list {
		if s.Name == choice || (s.Group != "" && groupPrefix+s.Group == choice) {
			ids = append(ids, s.ID)
		}
	}
	if ids == nil && choice != allServers && choice != "" {
		return []int64{-1} // a server or group that is gone: nothing
	}
	return ids
}

func (fb *filterBar) setJails(jails []string) {
	fb.jailSel.Options = append([]string{allJails}, jails...)
	fb.jailSel.Refresh()
}

// countryChoice is how the country filter shows a code.
func countryChoice(code string) string {
	switch code {
	case core.CountryUnknown, core.CountryNotRoutable:
		return geo.Name(code)
	}
	return fmt.Sprintf("%s (%s)", geo.Name(code), code)
}

// setCountries offers codes (nil: every country) in the country filter,
// sorted by name, with unknown and not routable at the end.
func (fb *filterBar) setCountries(codes []string) {
	if codes == nil {
		codes = geo.Codes()
	}
	var list []string
	for _, c := range codes {
		if c != core.CountryUnknown && c != core.CountryNotRoutable {
			list = append(list, c)
		}
	}
	sort.Slice(list, func(i, j int) bool { return geo.Name(list[i]) < geo.Name(list[j]) })
	list = append(list, core.CountryUnknown, core.CountryNotRoutable)
	fb.countryCodes = list
	opts := []string{allCountries}
	for _, c := range list {
		opts = append(opts, countryChoice(c))
	}
	fb.countrySel.Options = opts
	fb.countrySel.Refresh()
}

// selectCountry sets the country filter to code ("" for all countries)
// without running onChanged.
func (fb *filterBar) selectCountry(code string) {
	f := fb.onChanged
	fb.onChanged = nil
	defer func() { fb.onChanged = f }()
	if code == "" {
		fb.countrySel.SetSelected(allCountries)
		return
	}
	fb.countrySel.SetSelected(countryChoice(code))
}

// read sets f's range, server, jail, origin and country from the widgets.
func (fb *filterBar) read(f *core.HistoryFilter) {
	f.From, f.To = fb.rng.bounds()
	f.ServerIDs = scopeIDs(fb.servers, fb.serverSel.Selected)
	f.Jail = ""
	if j := fb.jailSel.Selected; j != allJails {
		f.Jail = j
	}
	f.Origin = ""
	for o, words := range originWords {
		if words == fb.originSel.Selected {
			f.Origin = o
		}
	}
	f.Country = ""
	if i := fb.countrySel.SelectedIndex(); i > 0 && i-1 < len(fb.countryCodes) {
		f.Country = fb.countryCodes[i-1]
	}
}

// countryCell is a table cell for a country code: the code, "–" when not
// located yet, "?" unknown, "n/r" not routable.
func countryCell(code string) string {
	switch code {
	case "":
		return "–"
	case core.CountryNotRoutable:
		return "n/r"
	}
	return code
}
