package ui

import (
	"cmp"
	"encoding/csv"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/geo"
	"github.com/bangui/bangui/ui/worldmap"
)

// countryRow is one line of the map's table.
type countryRow struct {
	Code  string
	Name  string
	Bans  int
	Share float64 // of all bans in range
}

// Sort keys of the map's table, by column.
var countrySortCols = []string{"code", "name", "bans", "bans"}

// mapView is the world map of where banned addresses come from, over the
// cached history (offline), with a table of the same numbers and the
// selected country's top addresses and recent bans beside it.
type mapView struct {
	w    fyne.Window
	r    core.History
	root fyne.CanvasObject
	now  func() time.Time
	viewWork
	*filterBar

	world    *worldmap.World
	m        *worldmap.Map
	table    *dataTable[countryRow]
	modeSel  *widget.RadioGroup
	body     *fyne.Container
	mapBox   fyne.CanvasObject
	state    *statePanel
	summary  *widget.Label
	status   *widget.Label
	csvB     *widget.Button
	sourcesB *widget.Button

	sideTitle *widget.Label
	sideInfo  *widget.Label
	topTable  *dataTable[core.NamedCount]
	recent    *dataTable[core.HistoryBan]
	side      fyne.CanvasObject

	gen      int
	filter   core.HistoryFilter
	rows     []countryRow // sorted as shown
	placed   int          // countries with bans: 0 leaves the map blank
	sortKey  string
	sortDesc bool
	selected string

	// onIP opens an address's timeline (the history view).
	onIP func(ip string)
	// onSources opens the geo sources dialog; onAbout the About dialog.
	onSources, onAbout func()
	// infos, when set, tells the network (AS) of the top addresses.
	infos    func(ips []string) []geo.Info
	networks map[string]string
}

const (
	modeMap   = "Map"
	modeTable = "Table"
)

func newMapView(w fyne.Window, r core.History) *mapView {
	v := &mapView{w: w, r: r, now: time.Now, sortKey: "bans", sortDesc: true}
	v.initWork()
	v.filterBar = newFilterBar(w, []string{range24h, range7d, range30d, range365d, rangeCustom}, range30d)
	v.countrySel.Hide() // the map selects the country
	v.filterBar.onChanged = v.reload
	v.state = newStatePanel()
	v.summary = widget.NewLabel("")
	v.summary.Truncation = fyne.TextTruncateEllipsis // never widens the view
	v.status = widget.NewLabel("")
	v.status.Wrapping = fyne.TextWrapWord

	world, err := worldmap.Default()
	if err != nil {
		// The outlines are built in: only a broken build lands here.
		v.state.failed("The world map cannot be drawn", err, nil)
	} else {
		v.world = world
		v.m = worldmap.NewMap(world)
		v.m.SetNames(geo.Name)
		v.m.OnTapped = v.selectCountry
		v.mapBox = container.NewBorder(nil, container.NewHBox(v.m.Legend()), nil, nil, v.m)
	}

	v.table = newDataTable([]column[countryRow]{
		{title: "Code", width: 50, fixed: true, text: func(c countryRow) string { return countryCell(c.Code) }},
		{title: "Country", width: 180, text: func(c countryRow) string { return c.Name }},
		{title: "Bans", width: 80, fixed: true, align: fyne.TextAlignTrailing, text: func(c countryRow) string { return formatCount(c.Bans) }},
		{title: "Share", width: 70, fixed: true, align: fyne.TextAlignTrailing, text: func(c countryRow) string { return fmt.Sprintf("%.1f %%", 100*c.Share) }},
	})
	v.table.onHeader = v.onSort
	v.table.sortCol, v.table.sortDesc = 2, true
	v.table.onSelected = func(i int) {
		if c, ok := v.table.row(i); ok {
			v.selectCountry(c.Code)
		}
	}

	v.sideTitle = widget.NewLabelWithStyle("No country selected", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.sideInfo = widget.NewLabel("Click a country on the map (or a row of the table) to see its top addresses and recent bans.")
	v.sideInfo.Wrapping = fyne.TextWrapWord
	v.topTable = newDataTable([]column[core.NamedCount]{
		{title: "Top address", width: 130, text: func(c core.NamedCount) string { return c.Name }},
		{title: "Bans", width: 50, fixed: true, align: fyne.TextAlignTrailing, text: func(c core.NamedCount) string { return formatCount(c.Count) }},
		{title: "Network", width: 90, text: func(c core.NamedCount) string {
			if n := v.networks[c.Name]; n != "" {
				return n
			}
			return "–"
		}},
	})
	v.topTable.onSelected = func(i int) {
		if c, ok := v.topTable.row(i); ok && v.onIP != nil {
			v.onIP(c.Name)
		}
	}
	v.recent = newDataTable([]column[core.HistoryBan]{
		{title: "Recent ban", width: 95, fixed: true, text: func(b core.HistoryBan) string { return b.TimeOfBan.Local().Format("01-02 15:04") }},
		{title: "Address", width: 120, text: func(b core.HistoryBan) string { return b.IP }},
	})
	v.recent.onSelected = func(i int) {
		if b, ok := v.recent.row(i); ok && v.onIP != nil {
			v.onIP(b.IP)
		}
	}
	lists := container.NewGridWithRows(2, v.topTable, v.recent)
	v.side = container.NewBorder(container.NewVBox(v.sideTitle, v.sideInfo), nil, nil, nil, lists)

	v.modeSel = widget.NewRadioGroup([]string{modeMap, modeTable}, func(string) { v.showMode() })
	v.modeSel.Horizontal = true
	v.modeSel.Required = true
	v.modeSel.SetSelected(modeMap)
	v.csvB = widget.NewButtonWithIcon("Export CSV…", theme.DocumentSaveIcon(), v.onExport)
	v.csvB.Disable()
	v.sourcesB = widget.NewButtonWithIcon("Geo sources…", theme.SettingsIcon(), func() {
		if v.onSources != nil {
			v.onSources()
		}
	})
	refreshB := widget.NewButtonWithIcon("Refresh", theme.ViewRefreshIcon(), v.reload)
	aboutB := widget.NewButtonWithIcon("", theme.InfoIcon(), func() {
		if v.onAbout != nil {
			v.onAbout()
		}
	})

	// Two rows that fit beside the server list: the filters and the
	// map/table switch; the summary (it gives way) and the actions.
	filters := container.NewBorder(nil, nil, container.NewHBox(v.filterBar.objects()...), v.modeSel)
	bar := container.NewBorder(nil, nil, nil, container.NewHBox(refreshB, v.csvB, v.sourcesB, aboutB), v.summary)
	v.body = container.NewStack(v.state)
	split := container.NewHSplit(v.body, v.side)
	split.Offset = 0.68
	v.root = container.NewBorder(container.NewVBox(filters, bar, widget.NewSeparator()), v.status, nil, nil, split)
	v.state.loading("Counting bans by country…")
	return v
}

func (v *mapView) stop() { v.stopWork() }

// showMode shows the map or the table.
func (v *mapView) showMode() {
	if v.body == nil || len(v.rows) == 0 {
		return
	}
	switch {
	case v.modeSel.Selected == modeTable || v.m == nil:
		showIn(v.body, v.table)
	case v.placed == 0:
		showIn(v.body, v.state) // says why the map is blank
	default:
		showIn(v.body, v.mapBox)
	}
}

// reload counts the bans of the current filter by country.
func (v *mapView) reload() {
	v.gen++
	gen := v.gen
	var f core.HistoryFilter
	v.filterBar.read(&f)
	f.Country = ""
	v.filter = f
	ctx := v.viewCtx()
	v.spawn(func() {
		counts, err := v.r.CountryCounts(ctx, f)
		var newest time.Time
		if err == nil && len(counts) == 0 {
			newest, _ = v.r.Newest(ctx) // is the cache empty, or only this range?
		}
		jails, jerr := v.r.HistoryJails(ctx)
		do(ctx, func() {
			if gen != v.gen {
				return
			}
			if jerr == nil {
				v.setJails(jails)
			}
			v.apply(counts, newest, err)
		})
	})
}

// apply shows the counts by country; newest is the newest cached ban,
// read when there are none in range (zero: the cache is empty).
func (v *mapView) apply(counts []core.NamedCount, newest time.Time, err error) {
	if err != nil {
		v.rows, v.placed = nil, 0
		v.csvB.Disable()
		v.summary.SetText("")
		title := "Could not count the bans by country"
		if core.ErrorCode(err) == core.EINVALID {
			title = "Check the filter"
		}
		v.state.failed(title, err, v.reload)
		showIn(v.body, v.state)
		return
	}
	total, located, unknown, unroutable := 0, map[string]int{}, 0, 0
	for _, c := range counts {
		total += c.Count
		switch c.Name {
		case core.CountryUnknown:
			unknown += c.Count
		case core.CountryNotRoutable:
			unroutable += c.Count
		default:
			located[c.Name] = c.Count
		}
	}
	v.rows, v.placed = v.rows[:0], len(located)
	for _, c := range counts {
		v.rows = append(v.rows, countryRow{Code: c.Name, Name: geo.Name(c.Name), Bans: c.Count, Share: float64(c.Count) / float64(max(total, 1))})
	}
	v.sortRows()
	v.summary.SetText(fmt.Sprintf("%s from %s · unknown %s · not routable %s",
		plural(total, "ban", "bans"), plural(len(located), "country", "countries"), formatCount(unknown), formatCount(unroutable)))
	if v.m != nil {
		v.m.SetCounts(located)
	}
	switch {
	case total == 0 && newest.IsZero():
		v.csvB.Disable()
		v.state.empty(noHistoryTitle, historySyncs+"; the map fills after the first sync (Sync now on the Dashboard).")
		showIn(v.body, v.state)
	case total == 0:
		v.csvB.Disable()
		v.state.empty("No bans in this range", "No cached ban matches the time range and filters: widen the range or clear a filter.")
		showIn(v.body, v.state)
	case unknown > 0 && len(located) == 0:
		v.csvB.Enable()
		msg := fmt.Sprintf("BanGUI cannot place the %s in this range: no geo source knows their addresses.", plural(total, "ban", "bans"))
		if v.onSources != nil {
			v.state.emptyWith("No country known", msg+" Add or update one with Geo sources…, then Refresh.", "Geo sources…", theme.SettingsIcon(), v.onSources)
		} else {
			v.state.empty("No country known", msg+" Add or update a geo source, then Refresh.")
		}
		v.showMode()
	case len(located) == 0:
		v.csvB.Enable()
		v.state.empty("Only private addresses", fmt.Sprintf("The %s in this range are of private or reserved addresses, which have no country: see them in the Table.", plural(total, "ban", "bans")))
		v.showMode()
	default:
		v.csvB.Enable()
		v.showMode()
	}
	if v.selected != "" {
		v.loadCountry(v.selected)
	}
}

// selectCountry shows code's top addresses and recent bans beside the map.
func (v *mapView) selectCountry(code string) {
	v.selected = code
	if v.m != nil {
		v.m.SetSelected(code)
	}
	if code == "" {
		v.sideTitle.SetText("No country selected")
		v.sideInfo.SetText("Click a country on the map (or a row of the table) to see its top addresses and recent bans.")
		v.topTable.set(nil)
		v.recent.set(nil)
		return
	}
	v.loadCountry(code)
}

// recentLimit is how many recent bans the side panel lists.
const recentLimit = 50

func (v *mapView) loadCountry(code string) {
	v.sideTitle.SetText(countryChoice(code))
	v.sideInfo.SetText("Reading…")
	f := v.filter
	f.Country = code
	gen, ctx := v.gen, v.viewCtx()
	v.spawn(func() {
		top, err := v.r.TopIPs(ctx, f)
		var recent []core.HistoryBan
		if err == nil {
			recent, err = v.r.HistoryPage(ctx, f, nil, recentLimit)
		}
		networks := map[string]string{}
		if v.infos != nil && len(top) > 0 {
			ips := make([]string, len(top))
			for i, c := range top {
				ips[i] = c.Name
			}
			for i, in := range v.infos(ips) {
				networks[ips[i]] = networkText(in)
			}
		}
		do(ctx, func() {
			if gen != v.gen || code != v.selected {
				return
			}
			if err != nil {
				v.sideInfo.SetText("Could not read this country's bans: " + core.ErrorMessage(err))
				return
			}
			n := 0
			for _, r := range v.rows {
				if r.Code == code {
					n = r.Bans
				}
			}
			if n == 0 {
				v.sideInfo.SetText("No bans from here in this range.")
			} else {
				v.sideInfo.SetText(plural(n, "ban", "bans") + " in this range. Click an address to open its timeline.")
			}
			v.networks = networks
			v.topTable.set(top)
			v.recent.set(recent)
		})
	})
}

func (v *mapView) onSort(col int) {
	if col >= len(countrySortCols) {
		return
	}
	key := countrySortCols[col]
	if key == v.sortKey {
		v.sortDesc = !v.sortDesc
	} else {
		v.sortKey, v.sortDesc = key, key == "bans"
	}
	v.table.sortCol, v.table.sortDesc = col, v.sortDesc
	v.sortRows()
}

func (v *mapView) sortRows() {
	slices.SortStableFunc(v.rows, func(a, b countryRow) int {
		var c int
		switch v.sortKey {
		case "code":
			c = cmp.Compare(a.Code, b.Code)
		case "name":
			c = cmp.Compare(a.Name, b.Name)
		default:
			c = cmp.Compare(a.Bans, b.Bans)
		}
		if v.sortDesc {
			c = -c
		}
		if c == 0 {
			c = cmp.Compare(a.Name, b.Name)
		}
		return c
	})
	v.table.set(slices.Clone(v.rows))
}

// onExport saves the table as CSV.
func (v *mapView) onExport() {
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil {
			v.status.SetText("Export failed: " + core.ErrorMessage(err))
			return
		}
		if w == nil {
			return
		}
		uri := w.URI()
		rows := slices.Clone(v.rows)
		ctx := v.viewCtx()
		v.spawn(func() {
			closeQuietly(w)
			if uri.Scheme() != "file" {
				do(ctx, func() { v.status.SetText("Export failed: choose a file on this computer") })
				return
			}
			err := replaceFile(uri.Path(), func(out io.Writer) error { return writeCountryCSV(out, rows) })
			do(ctx, func() {
				if err != nil {
					slog.Warn("export countries", "path", uri.Path(), "err", err)
					v.status.SetText("Export failed: " + core.ErrorMessage(exportFileError(uri.Path(), err)))
					return
				}
				v.status.SetText(fmt.Sprintf("Exported %s to %s", plural(len(rows), "country", "countries"), uri.Path()))
			})
		})
	}, v.w)
	d.SetFileName("bangui-countries-" + v.now().Format("2006-01-02") + ".csv")
	d.SetFilter(storage.NewExtensionFileFilter([]string{".csv"}))
	d.Show()
}

// writeCountryCSV writes the map's numbers: code, country, bans, share.
func writeCountryCSV(w io.Writer, rows []countryRow) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"code", "country", "bans", "share"})
	for _, r := range rows {
		cw.Write([]string{r.Code, r.Name, strconv.Itoa(r.Bans), strconv.FormatFloat(r.Share, 'f', 4, 64)})
	}
	cw.Flush()
	return cw.Error()
}

// networkText names an address's network: "AS15169 GOOGLE", "" when no
// source knows it.
func networkText(in geo.Info) string {
	switch {
	case in.ASN == 0:
		return ""
	case in.Org == "":
		return fmt.Sprintf("AS%d", in.ASN)
	}
	return fmt.Sprintf("AS%d %s", in.ASN, in.Org)
}
