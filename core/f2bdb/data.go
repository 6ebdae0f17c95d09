package f2bdb

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits applied while decoding the data column. fail2ban keeps at most
// dbmaxmatches (default 10) matches per ban, but nothing bounds the length
// of a log line, and the column is whatever the server (or a user with
// sqlite3) wrote.
const (
	// MaxMatchBytes caps one match line, in bytes; a longer line is cut at
	// a character boundary and ends with "…".
	MaxMatchBytes = 4096
	// MaxMatches caps the matches kept per ban; the most recent (last) ones
	// are kept, as fail2ban itself does.
	MaxMatches = 100
	// MaxDataBytes is the largest data column decoded; a larger one is
	// reported in BanRecord.DataErr and not read.
	MaxDataBytes = 1 << 20
)

// maxExtraBytes caps one value in BanRecord.Extra.
const maxExtraBytes = 4096

// ellipsis marks a cut line.
const ellipsis = "…"

// decodeData reads fail2ban's data column: UTF-8 JSON text such as
//
//	{"matches": [["", "2026-11-27 02:42:29", " auth failure from 203.0.113.5"],
//	             "2026-11-27 02:42:29 auth failure from 203.0.113.5"],
//	 "failures": 2, "ip4": "203.0.113.5"}
//
// failures is the "failures" count (0 if missing or not a number; a float
// is truncated, negative values count as 0). Each element of "matches" is a
// string or a list of strings ([prefix, date, rest]) joined back into the
// log line; see MaxMatches and MaxMatchBytes. extra holds the other keys:
// strings as they are, other values as compact JSON, null values left out;
// it is nil when there are none. An empty column or JSON null gives zeros
// and no error. err is set only when data is not a JSON object (or is
// larger than MaxDataBytes); it never panics.
func decodeData(data []byte) (failures int, matches []string, extra map[string]string, err error) {
	return decode(data, true)
}

// decodeFailures is decodeData for callers that need only the count.
func decodeFailures(data []byte) (int, error) {
	n, _, _, err := decode(data, false)
	return n, err
}

// decode does the work of decodeData; full=false skips matches and extra.
func decode(data []byte, full bool) (failures int, matches []string, extra map[string]string, err error) {
	if len(data) > MaxDataBytes {
		return 0, nil, nil, fmt.Errorf("data is %d bytes, more than %d: not decoded", len(data), MaxDataBytes)
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 || bytes.Equal(trimmed, []byte("null")) {
		return 0, nil, nil, nil
	}
	if trimmed[0] != '{' {
		return 0, nil, nil, errors.New("data is not a JSON object")
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &obj); err != nil {
		return 0, nil, nil, fmt.Errorf("data is not valid JSON: %w", err)
	}
	failures = toCount(obj["failures"])
	if !full {
		return failures, nil, nil, nil
	}
	matches = decodeMatches(obj["matches"])
	for k, v := range obj {
		if k == "failures" || k == "matches" {
			continue
		}
		s, ok := rawText(v)
		if !ok {
			continue
		}
		if extra == nil {
			extra = make(map[string]string)
		}
		extra[k] = capText(s, maxExtraBytes)
	}
	return failures, matches, extra, nil
}

// toCount reads a JSON number (or a string holding one) as a count >= 0.
func toCount(raw json.RawMessage) int {
	s := strings.TrimSpace(string(raw))
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(raw, &s); err != nil {
			return 0
		}
		s = strings.TrimSpace(s)
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return clampCount(float64(n))
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) {
		return 0
	}
	return clampCount(math.Trunc(f))
}

// clampCount limits f to 0..MaxInt32.
func clampCount(f float64) int {
	switch {
	case f <= 0:
		return 0
	case f >= math.MaxInt32:
		return math.MaxInt32
	}
	return int(f)
}

// decodeMatches turns the "matches" value into log lines. A value that is
// not a list gives none; null elements are skipped.
func decodeMatches(raw json.RawMessage) []string {
	var elems []json.RawMessage
	if len(raw) == 0 || json.Unmarshal(raw, &elems) != nil {
		return nil
	}
	if len(elems) > MaxMatches {
		elems = elems[len(elems)-MaxMatches:]
	}
	var out []string
	for _, e := range elems {
		line, ok := matchLine(e)
		if !ok {
			continue
		}
		out = append(out, capText(line, MaxMatchBytes))
	}
	return out
}

// matchLine joins one element of "matches": a string as it is, a list by
// concatenating its parts (each as rawText renders it), anything else as
// compact JSON. ok is false for null.
func matchLine(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '[' {
		return rawText(raw)
	}
	var parts []json.RawMessage
	if json.Unmarshal(raw, &parts) != nil {
		return rawText(raw)
	}
	var b strings.Builder
	for _, p := range parts {
		s, _ := rawText(p)
		if b.Len()+len(s) > MaxMatchBytes {
			// Over the cap: enough for capText to cut, without building
			// megabytes first.
			b.WriteString(s[:min(len(s), MaxMatchBytes+1)])
			break
		}
		b.WriteString(s)
	}
	return b.String(), true
}

// rawText renders one JSON value as text: a string as its content, null as
// not ok, anything else as compact JSON with invalid UTF-8 replaced.
func rawText(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return "", false
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s, true
		}
	}
	var buf bytes.Buffer
	if json.Compact(&buf, raw) == nil {
		raw = buf.Bytes()
	}
	return strings.ToValidUTF8(string(raw), "\uFFFD"), true
}

// capText cuts s to at most max bytes, at a character boundary, ending
// with "…" when it was cut.
func capText(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max - len(ellipsis)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ellipsis
}
