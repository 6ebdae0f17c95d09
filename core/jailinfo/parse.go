package jailinfo

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// file is one config file as Python's configparser (under fail2ban's
// settings) reads it: the [DEFAULT] section apart, the other sections in
// the order they first appear. Keys are lower-cased; values are final
// (continuation lines joined with "\n"), not yet interpolated.
type file struct {
	defaults map[string]string
	order    []string
	sections map[string]map[string]string
}

// parse reads data the way fail2ban 1.0.2 does (configparser with
// inline_comment_prefixes=";" and its defaults otherwise), except that it
// never fails: where configparser stops with an error (a line that is
// neither a section, a setting nor a continuation, a setting before the
// first section, a section or key given twice in one file), fail2ban
// refuses the whole file, while parse skips the bad line or merges the
// repeat (the later key wins), so that the rest can still be shown. A
// UTF-8 byte-order mark, which fail2ban also refuses, is dropped.
//
// The rules it follows:
//   - a line whose first non-blank character is '#' or ';' is a comment;
//     ';' after a blank (or at the start of a line) starts an inline
//     comment, '#' does not;
//   - "[name]" opens a section: the name is everything between the first
//     '[' and the last ']', case-sensitive; [DEFAULT] holds the defaults;
//   - "key = value" or "key: value" is a setting, split at the first '='
//     or ':'; keys are lower-cased;
//   - a line indented deeper than the line of the current setting continues
//     its value; blank lines inside such a value are kept, comment lines are
//     dropped, and trailing blank lines are trimmed.
func parse(data []byte) *file {
	text := strings.TrimPrefix(string(data), "\ufeff")
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")

	f := &file{defaults: map[string]string{}, sections: map[string]map[string]string{}}
	raw := map[string]map[string][]string{} // section -> key -> lines; "\x00DEFAULT" for the defaults
	const defKey = "\x00DEFAULT"
	var (
		cur         map[string][]string // nil before the first section
		opt         string              // current setting, "" when none
		indentLevel int
	)
	for _, line := range strings.Split(text, "\n") {
		commentStart := inlineComment(line)
		if t := strings.TrimSpace(line); strings.HasPrefix(t, "#") || strings.HasPrefix(t, ";") {
			commentStart = 0
		}
		value := line
		if commentStart >= 0 {
			value = line[:commentStart]
		}
		value = strings.TrimSpace(value)
		if value == "" {
			// configparser keeps blank lines inside a value (not comment lines).
			if commentStart < 0 && cur != nil && opt != "" {
				cur[opt] = append(cur[opt], "")
			}
			continue
		}
		indent := strings.IndexFunc(line, func(r rune) bool { return !unicode.IsSpace(r) })
		if cur != nil && opt != "" && indent > indentLevel {
			cur[opt] = append(cur[opt], value)
			continue
		}
		indentLevel = indent
		if name, ok := sectionHeader(value); ok {
			key := name
			if name == "DEFAULT" {
				key = defKey
			}
			if raw[key] == nil {
				raw[key] = map[string][]string{}
				if key != defKey {
					f.order = append(f.order, name)
				}
			}
			cur, opt = raw[key], ""
			continue
		}
		if cur == nil {
			continue // a setting before the first section
		}
		j := strings.IndexAny(value, "=:")
		if j < 0 {
			continue // neither a section, a setting nor a continuation
		}
		key := strings.ToLower(strings.TrimRightFunc(value[:j], unicode.IsSpace))
		if key == "" {
			continue
		}
		opt = key
		cur[opt] = []string{strings.TrimSpace(value[j+1:])}
	}
	join := func(m map[string][]string) map[string]string {
		out := make(map[string]string, len(m))
		for k, lines := range m {
			out[k] = strings.TrimRightFunc(strings.Join(lines, "\n"), unicode.IsSpace)
		}
		return out
	}
	if d := raw[defKey]; d != nil {
		f.defaults = join(d)
	}
	for _, name := range f.order {
		f.sections[name] = join(raw[name])
	}
	return f
}

// inlineComment returns the index of the ';' that starts an inline comment
// in line (one at the start of the line or after a blank), or -1.
func inlineComment(line string) int {
	for i := 0; i < len(line); i++ {
		if line[i] != ';' {
			continue
		}
		if i == 0 {
			return 0
		}
		if r, _ := utf8.DecodeLastRuneInString(line[:i]); unicode.IsSpace(r) {
			return i
		}
	}
	return -1
}

// sectionHeader matches configparser's `\[(?P<header>.+)\]` at the start
// of value: the name runs from after the '[' to the last ']'.
func sectionHeader(value string) (string, bool) {
	if !strings.HasPrefix(value, "[") {
		return "", false
	}
	k := strings.LastIndexByte(value, ']')
	if k < 2 {
		return "", false
	}
	return value[1:k], true
}
