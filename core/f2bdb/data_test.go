package f2bdb

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestDecodeData(t *testing.T) {
	long := strings.Repeat("é", 3000) // 6,000 bytes
	many := make([]string, 150)
	for i := range many {
		many[i] = fmt.Sprintf("line %d", i)
	}
	manyJSON, _ := json.Marshal(map[string]any{"failures": 150, "matches": many})

	tests := []struct {
		name     string
		in       string
		failures int
		matches  []string
		extra    map[string]string
		wantErr  bool
	}{
		{name: "real, detected by the filter",
			in:       `{"matches": [["", "2026-11-27 02:42:29", " auth failure from 203.0.113.5"], "2026-11-27 02:42:29 auth failure from 203.0.113.5"], "failures": 2, "ip4": "203.0.113.5"}`,
			failures: 2,
			matches:  []string{"2026-11-27 02:42:29 auth failure from 203.0.113.5", "2026-11-27 02:42:29 auth failure from 203.0.113.5"},
			extra:    map[string]string{"ip4": "203.0.113.5"}},
		{name: "real, manual ban", in: `{"matches": [], "failures": 0}`},
		{name: "prefix kept", in: `{"matches": [["Nov 27 host sshd[1]: ", "Nov 27 02:42:29", " fail"]]}`,
			matches: []string{"Nov 27 host sshd[1]: Nov 27 02:42:29 fail"}},
		{name: "list of other lengths and types", in: `{"matches": [["a"], ["a", 1, null, true, "b"], [], null, 7, {"x": 1}]}`,
			matches: []string{"a", "a1trueb", "", "7", `{"x":1}`}},
		{name: "empty object", in: `{}`},
		{name: "empty column", in: ``},
		{name: "null", in: ` null `},
		{name: "missing failures", in: `{"matches": ["x"]}`, matches: []string{"x"}},
		{name: "missing matches", in: `{"failures": 5}`, failures: 5},
		{name: "matches not a list", in: `{"failures": 1, "matches": "x"}`, failures: 1},
		{name: "float", in: `{"failures": 3.0}`, failures: 3},
		{name: "float truncated", in: `{"failures": 2.9}`, failures: 2},
		{name: "exponent", in: `{"failures": 1e2}`, failures: 100},
		{name: "huge", in: `{"failures": 1e300}`, failures: 1<<31 - 1},
		{name: "negative", in: `{"failures": -4}`, failures: 0},
		{name: "numeric string", in: `{"failures": "7"}`, failures: 7},
		{name: "not a number", in: `{"failures": "many"}`, failures: 0},
		{name: "failures null", in: `{"failures": null}`, failures: 0},
		{name: "extra of all kinds", in: `{"ip6": "2001:db8::1", "fid": 12, "dns": null, "x": [1, 2], "b": false}`,
			extra: map[string]string{"ip6": "2001:db8::1", "fid": "12", "x": "[1,2]", "b": "false"}},
		{name: "non-ASCII", in: `{"matches": ["Benutzer \u00fcber", ["", "d", " ü"]]}`,
			matches: []string{"Benutzer über", "d ü"}},
		{name: "long line cut", in: `{"matches": ["` + long + `", ["", "", "` + long + `"]]}`,
			matches: []string{long[:4092] + "…", long[:4092] + "…"}},
		{name: "more than MaxMatches keeps the last", in: string(manyJSON), failures: 150, matches: many[50:]},
		{name: "garbage", in: `this is not json`, wantErr: true},
		{name: "truncated", in: `{"failures": 2, "matches": [`, wantErr: true},
		{name: "array", in: `[1, 2]`, wantErr: true},
		{name: "number", in: `2`, wantErr: true},
		{name: "python NaN", in: `{"failures": NaN}`, wantErr: true},
		{name: "binary", in: "\x00\xff\xfe{", wantErr: true},
		{name: "too large", in: `{"x": "` + strings.Repeat("a", MaxDataBytes) + `"}`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			failures, matches, extra, err := decodeData([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if failures != tt.failures {
				t.Errorf("failures = %d, want %d", failures, tt.failures)
			}
			if !reflect.DeepEqual(matches, tt.matches) {
				t.Errorf("matches = %q\nwant      %q", matches, tt.matches)
			}
			if !reflect.DeepEqual(extra, tt.extra) {
				t.Errorf("extra = %q, want %q", extra, tt.extra)
			}
			if n, err2 := decodeFailures([]byte(tt.in)); n != failures || (err2 != nil) != (err != nil) {
				t.Errorf("decodeFailures = %d, %v; decodeData gave %d, %v", n, err2, failures, err)
			}
		})
	}
}

func TestCapText(t *testing.T) {
	for _, tt := range []struct {
		in   string
		max  int
		want string
	}{
		{"abc", 3, "abc"},
		{"abcd", 3, "…"},
		{"abcdefgh", 6, "abc…"},
		{"aéé", 5, "aéé"},
		{"aéééé", 6, "aé…"}, // cut falls inside the second é
	} {
		if got := capText(tt.in, tt.max); got != tt.want || len(got) > tt.max {
			t.Errorf("capText(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
}

func FuzzDecodeData(f *testing.F) {
	for _, s := range []string{
		`{"matches": [["", "2026-11-27 02:42:29", " auth failure from 203.0.113.5"], "2026-11-27 02:42:29 auth failure from 203.0.113.5"], "failures": 2, "ip4": "203.0.113.5"}`,
		`{"matches": [], "failures": 0}`,
		`{"failures": 3.5, "matches": [null, 1, [null, "x"]], "fid": {"a": [1]}}`,
		`{"failures": "12", "ip6": "2001:db8::1"}`,
		`{"matches": ["\ud800", "` + strings.Repeat("x", 5000) + `"]}`,
		`null`, ``, `[]`, `{`, "{\"a\":\"\xff\"}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		failures, matches, extra, err := decodeData(data)
		if err != nil {
			if failures != 0 || matches != nil || extra != nil {
				t.Fatalf("error %v with results %d %q %q", err, failures, matches, extra)
			}
			return
		}
		if failures < 0 {
			t.Fatalf("failures %d", failures)
		}
		if len(matches) > MaxMatches {
			t.Fatalf("%d matches", len(matches))
		}
		for _, m := range matches {
			if len(m) > MaxMatchBytes || !utf8.ValidString(m) {
				t.Fatalf("match of %d bytes, valid UTF-8 %v", len(m), utf8.ValidString(m))
			}
		}
		for k, v := range extra {
			if k == "failures" || k == "matches" || len(v) > maxExtraBytes || !utf8.ValidString(v) {
				t.Fatalf("extra %q = %d bytes", k, len(v))
			}
		}
		if n, err := decodeFailures(data); n != failures || err != nil {
			t.Fatalf("decodeFailures = %d, %v; decodeData gave %d", n, err, failures)
		}
	})
}
