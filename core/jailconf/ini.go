package jailconf

import (
	"fmt"
	"strings"
)

// header opens every file BanGUI writes. headerMark finds it again, so a
// file whose top comments lost it gets it back.
const (
	header = "# This file is managed by BanGUI. It holds the jail settings made permanent\n" +
		"# in the app. fail2ban reads it after jail.conf and jail.local; other\n" +
		"# jail.d/*.local files that sort after it override it. Hand edits may be\n" +
		"# overwritten the next time BanGUI saves here.\n"
	headerMark = "managed by BanGUI"
)

// iniFile is bangui.local, read by a deliberately small parser that knows
// only the subset BanGUI writes: comment lines (# or ;), [section] lines and
// "key = value" lines. It is never used on fail2ban's own files.
type iniFile struct {
	top      []string // comment and blank lines before the first section, verbatim
	sections []*iniSection
}

// iniSection is one [name] section: its comment lines and settings in order.
type iniSection struct {
	name  string
	lines []iniLine
}

// iniLine is a setting, or a comment line when key is "" (text in value).
type iniLine struct {
	key, value string
}

// parseINI reads data. Blank lines inside sections are dropped (format puts
// one between sections); everything else must be a comment, a section or a
// key = value line, or parseINI fails naming the line, so that BanGUI never
// rewrites a file it does not understand. Keys are lower-cased, as fail2ban
// does; a section that appears twice is merged into the first.
func parseINI(data []byte) (*iniFile, error) {
	f := &iniFile{}
	var cur *iniSection
	for i, raw := range strings.Split(string(data), "\n") {
		line := strings.TrimRight(raw, " \t\r")
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "":
			if cur == nil {
				f.top = append(f.top, "")
			}
		case trimmed[0] == '#' || trimmed[0] == ';':
			if cur == nil {
				f.top = append(f.top, line)
			} else {
				cur.lines = append(cur.lines, iniLine{value: trimmed})
			}
		case line[0] == ' ' || line[0] == '\t':
			return nil, fmt.Errorf("line %d: indented line (a continued value), which BanGUI does not write", i+1)
		case line[0] == '[':
			name := strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(line, "["), "]"))
			if !strings.HasSuffix(line, "]") || name == "" || strings.ContainsAny(name, "[]") {
				return nil, fmt.Errorf("line %d: bad section header %q", i+1, line)
			}
			if cur = f.section(name); cur == nil {
				cur = &iniSection{name: name}
				f.sections = append(f.sections, cur)
			}
		default:
			if cur == nil {
				return nil, fmt.Errorf("line %d: setting before the first [section]", i+1)
			}
			j := strings.IndexAny(line, "=:")
			if j < 0 {
				return nil, fmt.Errorf("line %d: %q is not a key = value line", i+1, line)
			}
			key := strings.ToLower(strings.TrimSpace(line[:j]))
			if key == "" || strings.ContainsAny(key, " \t") {
				return nil, fmt.Errorf("line %d: bad key in %q", i+1, line)
			}
			cur.set(key, strings.TrimSpace(line[j+1:]))
		}
	}
	for len(f.top) > 0 && f.top[len(f.top)-1] == "" {
		f.top = f.top[:len(f.top)-1]
	}
	for len(f.top) > 0 && f.top[0] == "" {
		f.top = f.top[1:]
	}
	return f, nil
}

// section returns the section called name, or nil.
func (f *iniFile) section(name string) *iniSection {
	for _, s := range f.sections {
		if s.name == name {
			return s
		}
	}
	return nil
}

// set sets key in section name, adding the section at the end if needed.
func (f *iniFile) set(name, key, value string) {
	s := f.section(name)
	if s == nil {
		s = &iniSection{name: name}
		f.sections = append(f.sections, s)
	}
	s.set(key, value)
}

// values returns the settings of section name (empty when there is none).
func (f *iniFile) values(name string) map[string]string {
	m := map[string]string{}
	if s := f.section(name); s != nil {
		for _, l := range s.lines {
			if l.key != "" {
				m[l.key] = l.value
			}
		}
	}
	return m
}

// set replaces the first line with key and drops any later ones, or
// appends the setting when the key is new.
func (s *iniSection) set(key, value string) {
	found := false
	kept := s.lines[:0]
	for _, l := range s.lines {
		if l.key == key {
			if found {
				continue
			}
			found = true
			l.value = value
		}
		kept = append(kept, l)
	}
	s.lines = kept
	if !found {
		s.lines = append(s.lines, iniLine{key: key, value: value})
	}
}

// bytes formats the file: the top comments (BanGUI's header first if they
// lack it), then each section after a blank line, one "key = value" per
// line. An empty value is written as "key =".
func (f *iniFile) bytes() []byte {
	var b strings.Builder
	top := strings.Join(f.top, "\n")
	if !strings.Contains(top, headerMark) {
		b.WriteString(header)
	}
	if top != "" {
		b.WriteString(top)
		b.WriteByte('\n')
	}
	for _, s := range f.sections {
		fmt.Fprintf(&b, "\n[%s]\n", s.name)
		for _, l := range s.lines {
			switch {
			case l.key == "":
				b.WriteString(l.value)
			case l.value == "":
				b.WriteString(l.key + " =")
			default:
				b.WriteString(l.key + " = " + l.value)
			}
			b.WriteByte('\n')
		}
	}
	return []byte(b.String())
}
