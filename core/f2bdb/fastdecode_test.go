package f2bdb

import (
	"bytes"
	"reflect"
	"testing"
)

// fastSamples are data columns of the shapes fail2ban writes, and some it
// does not: the one-pass decoder must either give exactly what the
// encoding/json path gives, or decline (ok false).
var fastSamples = []string{
	`{"matches": [["", "2026-11-27 02:42:29", " auth failure from 203.0.113.5"], "2026-11-27 02:42:29 auth failure from 203.0.113.5"], "failures": 2, "ip4": "203.0.113.5"}`,
	`{"matches": [], "failures": 0}`,
	`{}`,
	`{"failures": null, "matches": null}`,
	`{"failures": 3, "matches": "one line"}`,
	`{"failures": 3, "matches": [null, ["a", null, "b"]], "fid": 7, "dns": null}`,
	`{"matches": ["tab\there \"quoted\" back\\slash", "é ü 雪"], "failures": 1, "ip6": "2001:db8::1"}`,
	`{"matches": ["\u00e9 escaped"], "failures": 1}`,
	`{"matches": [["x", "y"]], "failures": 1.5}`,
	`{"matches": [1, 2], "failures": 1}`,
	`{"failures": 1, "failures": 2}`,
	`{"matches": ["a"], "failures": 1} trailing`,
	`{"matches": ["a"`,
	`{"matches": [true], "failures": 1}`,
	`{"nested": {"a": 1}, "failures": 4}`,
	"{\"matches\": [\"bad \xff utf8\"], \"failures\": 1}",
	`  {"failures": 12345678901234567890}  `,
}

func checkFastEquivalent(t *testing.T, doc []byte) {
	t.Helper()
	trimmed := bytes.TrimSpace(doc)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return
	}
	for _, full := range []bool{true, false} {
		var d fastDecoder
		f1, m1, e1, ok := d.decode(trimmed, full)
		if !ok {
			continue
		}
		f2, m2, e2, err := decodeJSON(trimmed, full)
		if err != nil {
			t.Fatalf("%q (full %v): the fast path accepted what encoding/json refuses: %v", doc, full, err)
		}
		if f1 != f2 || !reflect.DeepEqual(m1, m2) || !reflect.DeepEqual(e1, e2) {
			t.Fatalf("%q (full %v): fast %d %q %v, encoding/json %d %q %v", doc, full, f1, m1, e1, f2, m2, e2)
		}
	}
}

func TestFastDecoderMatchesEncodingJSON(t *testing.T) {
	fast := 0
	for _, s := range fastSamples {
		checkFastEquivalent(t, []byte(s))
		var d fastDecoder
		if _, _, _, ok := d.decode(bytes.TrimSpace([]byte(s)), true); ok {
			fast++
		}
	}
	if fast < 6 {
		t.Errorf("only %d samples took the fast path: fail2ban's own shapes must", fast)
	}
}

func FuzzFastDecoder(f *testing.F) {
	for _, s := range fastSamples {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) { checkFastEquivalent(t, doc) })
}
