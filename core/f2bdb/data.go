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
	var d fastDecoder
	return d.column(data, full)
}

// column is decode with d's buffers, which one decoder reuses from row to
// row.
func (d *fastDecoder) column(data []byte, full bool) (failures int, matches []string, extra map[string]string, err error) {
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
	// The column as fail2ban writes it takes the fast path; anything it
	// does not handle (see fastDecoder) goes through encoding/json.
	if failures, matches, extra, ok := d.decode(trimmed, full); ok {
		return failures, matches, extra, nil
	}
	return decodeJSON(trimmed, full)
}

// decodeJSON is decode's general path, with encoding/json, for a trimmed
// column that starts with '{'.
func decodeJSON(trimmed []byte, full bool) (failures int, matches []string, extra map[string]string, err error) {
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

// fastDecoder decodes the data column in one pass, without reflection or
// intermediate values, for the documents fail2ban writes: an object with
// plain ASCII keys whose "failures" is an integer or null, whose "matches"
// is null, a string, or a list of at most MaxMatches elements that are
// strings, nulls, or lists of strings and nulls, and whose other values are
// strings, integers or null; strings are ASCII or valid UTF-8 with
// one-character escapes only. For such a document it gives exactly what the
// encoding/json path of decode gives. Anything else (other value types,
// \u escapes, invalid UTF-8, more matches, and every invalid document) makes
// ok false, and decode takes the encoding/json path.
type fastDecoder struct {
	data  []byte
	pos   int
	buf   []byte // an unescaped string (valid until the next one)
	lines []byte // the matches of the list being read, back to back
	ends  []int  // where each of them ends in lines
}

func (d *fastDecoder) decode(data []byte, full bool) (failures int, matches []string, extra map[string]string, ok bool) {
	d.data, d.pos = data, 0
	if !d.consume('{') {
		return 0, nil, nil, false
	}
	d.ws()
	if d.peek() == '}' {
		d.pos++
		return 0, nil, nil, d.end()
	}
	for {
		d.ws()
		key, ok := d.key()
		if !ok {
			return 0, nil, nil, false
		}
		d.ws()
		if !d.consume(':') {
			return 0, nil, nil, false
		}
		d.ws()
		switch string(key) {
		case "failures":
			if failures, ok = d.count(); !ok {
				return 0, nil, nil, false
			}
		case "matches":
			if matches, ok = d.matches(full); !ok {
				return 0, nil, nil, false
			}
		default:
			v, null, ok := d.extraValue(full)
			if !ok {
				return 0, nil, nil, false
			}
			switch {
			case !full:
			case null: // as if absent; the last of repeated keys counts
				delete(extra, string(key))
			default:
				if extra == nil {
					extra = make(map[string]string, 2)
				}
				extra[string(key)] = capText(v, maxExtraBytes)
			}
		}
		d.ws()
		switch d.next() {
		case ',':
		case '}':
			if len(extra) == 0 {
				extra = nil
			}
			if !d.end() {
				return 0, nil, nil, false
			}
			return failures, matches, extra, true
		default:
			return 0, nil, nil, false
		}
	}
}

func (d *fastDecoder) peek() byte {
	if d.pos < len(d.data) {
		return d.data[d.pos]
	}
	return 0
}

func (d *fastDecoder) next() byte {
	c := d.peek()
	d.pos++
	return c
}

func (d *fastDecoder) consume(c byte) bool {
	if d.peek() != c {
		return false
	}
	d.pos++
	return true
}

// ws skips JSON whitespace.
func (d *fastDecoder) ws() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// end reports whether only whitespace follows.
func (d *fastDecoder) end() bool {
	d.ws()
	return d.pos == len(d.data)
}

func (d *fastDecoder) null() bool {
	if !bytes.HasPrefix(d.data[d.pos:], []byte("null")) {
		return false
	}
	d.pos += 4
	return true
}

// key reads an object key of printable ASCII without escapes.
func (d *fastDecoder) key() ([]byte, bool) {
	if !d.consume('"') {
		return nil, false
	}
	start := d.pos
	for ; d.pos < len(d.data); d.pos++ {
		switch c := d.data[d.pos]; {
		case c == '"':
			d.pos++
			return d.data[start : d.pos-1], true
		case c < 0x20 || c > 0x7e || c == '\\':
			return nil, false
		}
	}
	return nil, false
}

// str reads a string and returns its content: a slice of data when it has
// no escapes, else of d.buf.
func (d *fastDecoder) str() ([]byte, bool) {
	if !d.consume('"') {
		return nil, false
	}
	start := d.pos
	nonASCII := false
	for i := start; i < len(d.data); i++ {
		switch c := d.data[i]; {
		case c == '"':
			s := d.data[start:i]
			if nonASCII && !utf8.Valid(s) {
				return nil, false
			}
			d.pos = i + 1
			return s, true
		case c == '\\':
			return d.escaped(start, i, nonASCII)
		case c < 0x20:
			return nil, false
		case c >= utf8.RuneSelf:
			nonASCII = true
		}
	}
	return nil, false
}

// escaped finishes str for a string whose first escape is at i.
func (d *fastDecoder) escaped(start, i int, nonASCII bool) ([]byte, bool) {
	b := append(d.buf[:0], d.data[start:i]...)
	for i < len(d.data) {
		c := d.data[i]
		switch {
		case c == '"':
			// Escapes give ASCII only, so b is valid UTF-8 exactly when
			// the raw text between them is.
			if nonASCII && !utf8.Valid(b) {
				return nil, false
			}
			d.buf, d.pos = b, i+1
			return b, true
		case c == '\\':
			if i+1 >= len(d.data) {
				return nil, false
			}
			switch d.data[i+1] {
			case '"', '\\', '/':
				b = append(b, d.data[i+1])
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			default: // \u, or not JSON
				return nil, false
			}
			i += 2
		case c < 0x20:
			return nil, false
		default:
			if c >= utf8.RuneSelf {
				nonASCII = true
			}
			b = append(b, c)
			i++
		}
	}
	return nil, false
}

// integer reads -?(0|[1-9][0-9]*) of at most 18 digits; a fraction or
// exponent after it is left for the caller's next check, which fails.
func (d *fastDecoder) integer() (int64, bool) {
	i := d.pos
	neg := i < len(d.data) && d.data[i] == '-'
	if neg {
		i++
	}
	start := i
	if i < len(d.data) && d.data[i] == '0' {
		i++
	} else {
		for i < len(d.data) && d.data[i] >= '0' && d.data[i] <= '9' {
			i++
		}
	}
	if i == start || i-start > 18 {
		return 0, false
	}
	var n int64
	for _, c := range d.data[start:i] {
		n = n*10 + int64(c-'0')
	}
	d.pos = i
	if neg {
		n = -n
	}
	return n, true
}

// count reads "failures": toCount for an integer or null.
func (d *fastDecoder) count() (int, bool) {
	if d.peek() == 'n' {
		return 0, d.null()
	}
	n, ok := d.integer()
	if !ok {
		return 0, false
	}
	return clampCount(float64(n)), true
}

// extraValue reads another key's value: its text as rawText gives it, or
// null.
func (d *fastDecoder) extraValue(full bool) (v string, null, ok bool) {
	switch c := d.peek(); {
	case c == 'n':
		return "", true, d.null()
	case c == '"':
		s, ok := d.str()
		if !ok || !full {
			return "", false, ok
		}
		return string(s), false, true
	case c == '-' || c >= '0' && c <= '9':
		start := d.pos
		if _, ok := d.integer(); !ok || !full {
			return "", false, ok
		}
		return string(d.data[start:d.pos]), false, true
	}
	return "", false, false
}

// matches reads "matches" as decodeMatches does. The lines share one
// string.
func (d *fastDecoder) matches(full bool) ([]string, bool) {
	switch d.peek() {
	case 'n':
		return nil, d.null()
	case '"': // not a list: no matches
		_, ok := d.str()
		return nil, ok
	case '[':
		d.pos++
	default:
		return nil, false
	}
	d.lines, d.ends = d.lines[:0], d.ends[:0]
	d.ws()
	if d.peek() == ']' {
		d.pos++
		return nil, true
	}
	for n := 1; ; n++ {
		if n > MaxMatches {
			return nil, false
		}
		d.ws()
		switch d.peek() {
		case '"':
			s, ok := d.str()
			if !ok {
				return nil, false
			}
			if full {
				d.lines = appendCapped(d.lines, s, MaxMatchBytes)
				d.ends = append(d.ends, len(d.lines))
			}
		case 'n':
			if !d.null() {
				return nil, false
			}
		case '[':
			if !d.joined(full) {
				return nil, false
			}
		default:
			return nil, false
		}
		d.ws()
		switch d.next() {
		case ',':
		case ']':
			if len(d.ends) == 0 {
				return nil, true
			}
			all := string(d.lines)
			out := make([]string, len(d.ends))
			from := 0
			for i, end := range d.ends {
				out[i], from = all[from:end], end
			}
			return out, true
		default:
			return nil, false
		}
	}
}

// joined reads a [prefix, date, rest] element and adds the joined line,
// as matchLine does.
func (d *fastDecoder) joined(full bool) bool {
	d.pos++ // '['
	start := len(d.lines)
	cut := false // over MaxMatchBytes: later parts are only checked
	d.ws()
	if d.peek() == ']' {
		d.pos++
	} else {
		for done := false; !done; {
			d.ws()
			var s []byte
			switch d.peek() {
			case '"':
				var ok bool
				if s, ok = d.str(); !ok {
					return false
				}
			case 'n': // adds nothing
				if !d.null() {
					return false
				}
			default:
				return false
			}
			if full && !cut {
				if n := len(d.lines) - start + len(s); n > MaxMatchBytes {
					d.lines = append(d.lines, s[:min(len(s), MaxMatchBytes+1)]...)
					cut = true
				} else {
					d.lines = append(d.lines, s...)
				}
			}
			d.ws()
			switch d.next() {
			case ',':
			case ']':
				done = true
			default:
				return false
			}
		}
	}
	if full {
		if len(d.lines)-start > MaxMatchBytes {
			line := capText(string(d.lines[start:]), MaxMatchBytes)
			d.lines = append(d.lines[:start], line...)
		}
		d.ends = append(d.ends, len(d.lines))
	}
	return true
}

// appendCapped appends capText(s, max).
func appendCapped(dst, s []byte, max int) []byte {
	if len(s) <= max {
		return append(dst, s...)
	}
	return append(dst, capText(string(s), max)...)
}
