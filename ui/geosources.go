package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/widget"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/geo"
)

// GeoSourceInfo describes one data source for the About and geo sources
// dialogs.
type GeoSourceInfo struct {
	Name    string
	Use     string // what the app uses it for
	Licence string
	Date    string // the data's date with what it is ("built 2026-06-17"), or ""
	Detail  string // a path, a package version, a warning
}

// GeoService is the geo store as the window sees it (cmd wires core/geo).
type GeoService interface {
	core.Locator
	// Infos returns what the offline sources know of each address
	// (country, and network where a database has it).
	Infos(ips []string) []geo.Info
	// Sources describes each data source in use: databases, outlines,
	// country names, and the online service when on.
	Sources() []GeoSourceInfo
	// Config returns the user's geo choices.
	Config(ctx context.Context) (geo.Config, error)
	// Apply saves cfg and rebuilds the chain; problems name files that
	// were left out (and why). The history's countries are updated in the
	// background.
	Apply(ctx context.Context, cfg geo.Config) (problems []error, err error)
}

// onlineWarning is shown beside the online lookup switch.
const onlineWarning = "This sends the banned IP addresses that no database knows to ip-api.com, a third party, " +
	"over the internet and unencrypted (the free service has no HTTPS). Off by default. " +
	"Answers are kept in the local cache, so each address is asked about once."

// sourcesText renders the sources as a list for a dialog.
func sourcesText(list []GeoSourceInfo) string {
	var b strings.Builder
	for _, s := range list {
		fmt.Fprintf(&b, "• %s — %s\n    Licence: %s", s.Name, s.Use, s.Licence)
		if s.Date != "" {
			fmt.Fprintf(&b, " · %s", s.Date)
		}
		if s.Detail != "" {
			fmt.Fprintf(&b, "\n    %s", s.Detail)
		}
		b.WriteString("\n")
	}
	return strings.TrimSpace(b.String())
}

// showGeoSources opens the geo settings: the user's MaxMind DB files and
// the online lookup switch, with every source in use listed.
func showGeoSources(w fyne.Window, g GeoService, parent context.Context, spawn func(func())) {
	if g == nil {
		dialog.ShowInformation("Geo sources", "This window has no geo store.", w)
		return
	}
	files := newDialogMultiLineEntry()
	files.SetPlaceHolder("/path/to/GeoLite2-City.mmdb\n/path/to/GeoLite2-ASN.mmdb")
	files.SetMinRowsVisible(3)
	online := widget.NewCheck("Look up unknown addresses online (ip-api.com)", nil)
	warn := widget.NewLabel(onlineWarning)
	warn.Wrapping = fyne.TextWrapWord
	status := widget.NewLabel("Reading the settings…")
	status.Wrapping = fyne.TextWrapWord
	sources := widget.NewLabel(sourcesText(g.Sources()))
	sources.Wrapping = fyne.TextWrapWord
	add := widget.NewButton("Add a file…", func() {
		d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
			if err != nil || r == nil {
				return
			}
			path := r.URI().Path()
			r.Close()
			text := strings.TrimRight(files.Text, "\n")
			if text != "" {
				text += "\n"
			}
			files.SetText(text + path)
		}, w)
		d.SetFilter(storage.NewExtensionFileFilter([]string{".mmdb"}))
		d.Show()
	})
	var save *widget.Button
	save = widget.NewButton("Save", func() {
		cfg := geo.Config{Databases: geo.ParseDatabases(files.Text), Online: online.Checked}
		save.Disable()
		status.SetText("Opening the databases…")
		spawn(func() {
			ctx, cancel := context.WithTimeout(parent, 30*time.Second)
			defer cancel()
			problems, err := g.Apply(ctx, cfg)
			do(parent, func() {
				save.Enable()
				switch {
				case err != nil:
					status.SetText("Not saved: " + core.ErrorMessage(err))
				case len(problems) > 0:
					var msgs []string
					for _, p := range problems {
						msgs = append(msgs, core.ErrorMessage(p))
					}
					status.SetText("Saved, but these files are left out:\n" + strings.Join(msgs, "\n"))
				default:
					status.SetText("Saved. The history's countries are being updated in the background.")
				}
				sources.SetText(sourcesText(g.Sources()))
			})
		})
	})
	save.Importance = widget.HighImportance
	save.Disable()
	spawn(func() {
		ctx, cancel := context.WithTimeout(parent, 10*time.Second)
		defer cancel()
		cfg, err := g.Config(ctx)
		do(parent, func() {
			if err != nil {
				status.SetText("Could not read the settings: " + core.ErrorMessage(err))
				return
			}
			files.SetText(strings.Join(cfg.Databases, "\n"))
			online.SetChecked(cfg.Online)
			status.SetText("Files are tried in order, before the built-in database; the first that knows an address wins.")
			save.Enable()
		})
	})
	form := container.NewVBox(
		widget.NewLabelWithStyle("Your MaxMind DB files (one per line)", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		files, container.NewHBox(add),
		widget.NewSeparator(), online, warn,
		widget.NewSeparator(), status, container.NewHBox(save),
		widget.NewSeparator(),
		widget.NewLabelWithStyle("Sources in use", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), sources,
	)
	scroll := container.NewVScroll(form)
	scroll.SetMinSize(fyne.NewSize(640, 480))
	dialog.ShowCustom("Geo sources", "Close", scroll, w)
}
