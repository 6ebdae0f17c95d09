package ui

import (
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/bangui/bangui/core/geo"
)

// fakeGeo is a GeoService with fixed sources.
type fakeGeo struct{ sources []GeoSourceInfo }

func (fakeGeo) Countries(ips []string) []string                    { return make([]string, len(ips)) }
func (fakeGeo) Infos(ips []string) []geo.Info                      { return make([]geo.Info, len(ips)) }
func (f fakeGeo) Sources() []GeoSourceInfo                         { return f.sources }
func (fakeGeo) Config(context.Context) (geo.Config, error)         { return geo.Config{}, nil }
func (fakeGeo) Apply(context.Context, geo.Config) ([]error, error) { return nil, nil }

var _ GeoService = fakeGeo{}

// overlayText is the text of the labels and rich texts of the topmost
// dialog of w.
func overlayText(t *testing.T, w fyne.Window) string {
	t.Helper()
	top := w.Canvas().Overlays().Top()
	if top == nil {
		t.Fatal("no dialog open")
	}
	var b strings.Builder
	for _, o := range test.LaidOutObjects(top) {
		switch x := o.(type) {
		case *widget.Label:
			b.WriteString(x.Text + "\n")
		case *widget.RichText:
			b.WriteString(x.String() + "\n")
		case *widget.Button:
			b.WriteString(x.Text + "\n")
		}
	}
	return b.String()
}

func TestAboutNamesEverySourceAndLicence(t *testing.T) {
	test.NewTempApp(t)
	w := test.NewTempWindow(t, widget.NewLabel("main"))
	w.Resize(fyne.NewSize(900, 700))
	bundled := bundledSources()
	if len(bundled) < 3 {
		t.Fatalf("sources.json has %d entries", len(bundled))
	}
	// What cmd's geo store reports: the built-in database (named by its
	// package), a user's file, the online service, and its own copies of
	// the outlines and names.
	g := fakeGeo{sources: []GeoSourceInfo{
		{Name: "iptoasn-country", Use: "IP address → country", Licence: "PDDL 1.0 (public domain)", Date: "built 2026-06-17",
			Detail: "iptoasn.com data compiled by ip-location-db (npm " + bundled[0].Package + ")."},
		{Name: "GeoLite2-ASN", Use: "IP address → network (AS)", Licence: "as its publisher states (GeoLite2: MaxMind's EULA)",
			Date: "built 2026-11-01", Detail: "/srv/geo/GeoLite2_ASN.mmdb (GeoLite2-ASN)"},
		{Name: "ip-api.com (online)", Use: "addresses no database knows", Licence: "ip-api.com's terms (free for non-commercial use)"},
		{Name: bundled[1].Name, Use: "the map and country names", Licence: bundled[1].Licence, Date: "published " + bundled[1].Published},
	}}
	showAboutInfo(w, AboutInfo{Version: "1.4.0", Website: "https://bangui.example.org"}, g)
	text := overlayText(t, w)

	for _, want := range []string{"BanGUI 1.4.0", "Licence: BSD 3-Clause", "https://bangui.example.org",
		"Fyne toolkit", "Go libraries", "go.mod", "Close",
		"Licence text: world outlines", "Licence text: country names"} {
		if !strings.Contains(text, want) {
			t.Errorf("no %q in the About text:\n%s", want, text)
		}
	}
	for _, s := range g.sources {
		if !strings.Contains(text, s.Name) || !strings.Contains(text, s.Licence) {
			t.Errorf("source %q or its licence %q missing", s.Name, s.Licence)
		}
	}
	for _, s := range g.sources[:2] {
		if !strings.Contains(text, s.Date) {
			t.Errorf("date %q of %s missing", s.Date, s.Name)
		}
	}
	for _, b := range bundled[1:] { // [0], the database, is the store's first
		if !strings.Contains(text, b.Name) || !strings.Contains(text, b.Licence) {
			t.Errorf("bundled %q or its licence %q missing", b.Name, b.Licence)
		}
		if !strings.Contains(text, "Published: "+b.Published) || !strings.Contains(text, b.URL) {
			t.Errorf("bundled %q: date %s or address %s missing", b.Name, b.Published, b.URL)
		}
		if n := strings.Count(text, b.Name); n != 1 {
			t.Errorf("%q listed %d times", b.Name, n)
		}
	}
	if strings.Contains(text, bundled[0].Name) || strings.Count(text, bundled[0].Package) != 1 {
		t.Errorf("the built-in database is not listed once")
	}
	if !strings.Contains(text, "/srv/geo/GeoLite2_ASN.mmdb") {
		t.Error("a path with underscores was mangled")
	}
}

func TestAboutWithoutGeoStore(t *testing.T) {
	test.NewTempApp(t)
	w := test.NewTempWindow(t, widget.NewLabel("main"))
	w.Resize(fyne.NewSize(900, 700))
	showAboutInfo(w, AboutInfo{}, nil)
	text := overlayText(t, w)
	if !strings.Contains(text, "BanGUI development build") || !strings.Contains(text, "Licence: BSD 3-Clause") {
		t.Errorf("head:\n%s", text)
	}
	for _, b := range bundledSources() { // all three, the database too
		if !strings.Contains(text, b.Name) || !strings.Contains(text, b.Licence) || !strings.Contains(text, b.Published) {
			t.Errorf("bundled %q missing", b.Name)
		}
	}
	if strings.Contains(text, "Geo sources in use") {
		t.Error("an empty geo section")
	}
	// Escape closes it as Close does.
	installEscape(w)
	pressKey(w.Canvas(), fyne.KeyEscape)
	if w.Canvas().Overlays().Top() != nil {
		t.Error("Escape left the About dialog open")
	}
}
