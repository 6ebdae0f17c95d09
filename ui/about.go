package ui

import (
	"encoding/json"
	"net/url"
	"runtime"
	"runtime/debug"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	geodata "github.com/bangui/bangui/assets/geo"
)

// AboutInfo is what the About dialog says of the app itself (cmd fills
// it).
type AboutInfo struct {
	Version string // "" shows "development build"
	Licence string // BanGUI's own licence; "" shows BSD 3-Clause
	Website string // "" leaves the line out
}

// appLicence is BanGUI's licence (the LICENSE file).
const appLicence = "BSD 3-Clause"

// bundledSource is one entry of assets/geo/sources.json: data shipped
// inside the app.
type bundledSource struct {
	Name, Package, File, Licence, Published, URL string
}

// bundledSources reads assets/geo/sources.json.
func bundledSources() []bundledSource {
	var list []bundledSource
	if err := json.Unmarshal(geodata.SourcesJSON, &list); err != nil {
		fyne.LogError("assets/geo/sources.json", err)
		return nil
	}
	return list
}

// showAbout opens the About dialog with the version from the app's
// metadata. Kept for the callers not yet moved to showAboutInfo.
func showAbout(w fyne.Window, g GeoService) {
	showAboutInfo(w, AboutInfo{Version: fyne.CurrentApp().Metadata().Version}, g)
}

// showAboutInfo opens the About dialog: the app, its licence and website,
// the geo sources in use, every data file shipped inside the app with its
// licence and date, and the libraries.
func showAboutInfo(w fyne.Window, info AboutInfo, g GeoService) {
	var inUse []GeoSourceInfo
	if g != nil {
		inUse = g.Sources()
	}
	text := widget.NewRichText(aboutSegments(info, inUse, bundledSources())...)
	text.Wrapping = fyne.TextWrapWord
	licences := container.NewHBox(
		licenceButton(w, "Licence text: world outlines", "world-atlas licence", geodata.LicenceWorldAtlas),
		licenceButton(w, "Licence text: country names", "i18n-iso-countries licence", geodata.LicenceCountryCodes),
	)
	scroll := container.NewVScroll(container.NewVBox(text, licences))
	scroll.SetMinSize(fyne.NewSize(640, 440))
	dialog.ShowCustom("About BanGUI", "Close", scroll, w)
}

// licenceButton opens a licence text that the bundled data asks to ship.
func licenceButton(w fyne.Window, label, title, body string) *widget.Button {
	return widget.NewButton(label, func() {
		l := widget.NewLabel(strings.TrimSpace(body))
		l.Wrapping = fyne.TextWrapWord
		s := container.NewVScroll(l)
		s.SetMinSize(fyne.NewSize(560, 320))
		dialog.ShowCustom(title, "Close", s, w)
	})
}

// aboutSegments is the About dialog's text. inUse are the geo sources
// the geo store reports (nil without one); bundled the entries of
// sources.json. A bundled file the store already lists (the built-in
// database, named by its package) is not repeated, and the store's own
// copies of the other bundled entries give way to the fuller ones here.
func aboutSegments(info AboutInfo, inUse []GeoSourceInfo, bundled []bundledSource) []widget.RichTextSegment {
	version := info.Version
	if version == "" {
		version = "development build"
	}
	licence := info.Licence
	if licence == "" {
		licence = appLicence
	}
	segs := []widget.RichTextSegment{
		segHeading("BanGUI " + version),
		segPara("Watch and manage fail2ban on many servers from one window: on this computer, or over SSH."),
		segPara("Licence: " + licence),
	}
	if info.Website != "" {
		segs = append(segs, segLink("Website: ", info.Website)...)
	}

	bundledName := map[string]bool{}
	for _, b := range bundled {
		bundledName[b.Name] = true
	}
	var geo []GeoSourceInfo
	for _, s := range inUse {
		if !bundledName[s.Name] {
			geo = append(geo, s)
		}
	}
	if len(geo) > 0 {
		segs = append(segs, segSub("Geo sources in use"))
		for _, s := range geo {
			lines := []string{"Used for: " + s.Use, "Licence: " + s.Licence}
			if s.Date != "" {
				lines = append(lines, "Date: "+s.Date)
			}
			if s.Detail != "" {
				lines = append(lines, s.Detail)
			}
			segs = append(segs, segStrong(s.Name), segPara(strings.Join(lines, "\n")))
		}
	}

	var shipped []bundledSource
	for _, b := range bundled {
		listed := false
		for _, s := range geo {
			listed = listed || (b.Package != "" && strings.Contains(s.Detail, b.Package))
		}
		if !listed {
			shipped = append(shipped, b)
		}
	}
	if len(shipped) > 0 {
		segs = append(segs, segSub("Data shipped with BanGUI"))
		for _, b := range shipped {
			lines := []string{"Licence: " + b.Licence, "Published: " + b.Published}
			if b.Package != "" {
				lines = append(lines, "Package: "+b.Package+", file "+b.File)
			}
			segs = append(segs, segStrong(b.Name), segPara(strings.Join(lines, "\n")))
			if b.URL != "" {
				segs = append(segs, segLink("", b.URL)...)
			}
		}
	}

	segs = append(segs,
		segSub("Software"),
		segStrong("Fyne toolkit"+moduleVersion("fyne.io/fyne/v2")),
		segPara("Licence: BSD 3-Clause · https://fyne.io"),
		segStrong("Go libraries"),
		segPara("See go.mod; licences in each module. Built with "+runtime.Version()+"."),
	)
	return segs
}

// moduleVersion is " vX.Y.Z" of a module the binary was built with, or "".
func moduleVersion(path string) string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	for _, m := range bi.Deps {
		if m.Path == path {
			return " " + m.Version
		}
	}
	return ""
}

func segHeading(s string) widget.RichTextSegment {
	return &widget.TextSegment{Style: widget.RichTextStyleHeading, Text: s}
}

func segSub(s string) widget.RichTextSegment {
	return &widget.TextSegment{Style: widget.RichTextStyleSubHeading, Text: s}
}

func segPara(s string) widget.RichTextSegment {
	return &widget.TextSegment{Style: widget.RichTextStyleParagraph, Text: s}
}

// segStrong is a bold line of its own.
func segStrong(s string) widget.RichTextSegment {
	st := widget.RichTextStyleParagraph
	st.TextStyle = fyne.TextStyle{Bold: true}
	return &widget.TextSegment{Style: st, Text: s}
}

// segLink is label followed by a link to address on a line of their own
// (the address as text when it does not parse).
func segLink(label, address string) []widget.RichTextSegment {
	u, err := url.Parse(address)
	if err != nil || u.Scheme == "" {
		return []widget.RichTextSegment{segPara(label + address)}
	}
	var segs []widget.RichTextSegment
	if label != "" {
		segs = append(segs, &widget.TextSegment{Style: widget.RichTextStyleInline, Text: label})
	}
	// The empty paragraph ends the line (a block ends the inline segments before it).
	return append(segs, &widget.HyperlinkSegment{Text: address, URL: u}, segPara(""))
}
