package geo

import (
	"encoding/json"
	"sync"

	geodata "github.com/bangui/bangui/assets/geo"
	"github.com/bangui/bangui/core"
)

// names maps alpha-2 codes to English country names (i18n-iso-countries).
var names = sync.OnceValue(func() map[string]string {
	var doc struct {
		Countries map[string]json.RawMessage `json:"countries"`
	}
	out := map[string]string{}
	if err := json.Unmarshal(geodata.NamesJSON, &doc); err != nil {
		return out // the tests of this package catch a broken file
	}
	for code, raw := range doc.Countries {
		var one string
		if json.Unmarshal(raw, &one) == nil {
			out[code] = one
			continue
		}
		var many []string // ["United States of America", "United States", ...]
		if json.Unmarshal(raw, &many) == nil && len(many) > 0 {
			out[code] = many[0]
		}
	}
	out["XK"] = "Kosovo" // user-assigned code, not in ISO 3166-1
	return out
})

// Name returns the English name of a country code: "France" for "FR",
// "Unknown" for Unknown and "", "Not routable" for NotRoutable, and the
// code itself for a code it does not know.
func Name(code string) string {
	switch code {
	case "", core.CountryUnknown:
		return "Unknown"
	case core.CountryNotRoutable:
		return "Not routable"
	}
	if n, ok := names()[code]; ok {
		return n
	}
	return code
}

// Codes returns every alpha-2 code with a name.
func Codes() []string {
	out := make([]string, 0, len(names()))
	for c := range names() {
		out = append(out, c)
	}
	return out
}
