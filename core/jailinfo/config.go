package jailinfo

import (
	"fmt"
	"maps"
	"regexp"
	"strings"
)

// maxDepth is how deeply %(name)s references may nest, as in Python's
// configparser (MAX_INTERPOLATION_DEPTH): a value that refers to itself,
// directly or through others, fails after that many steps.
const maxDepth = 10

// config is the merge of several files, later ones overriding earlier ones
// key by key, as fail2ban's SafeConfigParserWithIncludes.read does.
type config struct {
	defaults map[string]string
	order    []string
	sections map[string]map[string]string
	// known keeps, per section, the values that later files overrode: what
	// %(known/key)s refers to.
	known map[string]map[string]string
}

func newConfig() *config {
	return &config{
		defaults: map[string]string{},
		sections: map[string]map[string]string{},
		known:    map[string]map[string]string{},
	}
}

// conditional matches fail2ban's conditional section names such as
// "Init?family=inet6": their keys are merged into the base section with the
// condition appended ("port?family=inet6"). Python's \w also takes non-ASCII
// letters and digits.
var conditional = regexp.MustCompile(`^([\p{L}\p{N}_]+)(\?.+)$`)

// merge adds f on top of c.
func (c *config) merge(f *file) {
	maps.Copy(c.defaults, f.defaults)
	for _, name := range f.order {
		s := f.sections[name]
		if m := conditional.FindStringSubmatch(name); m != nil {
			cs := make(map[string]string, len(s))
			for k, v := range s {
				cs[k+m[2]] = v
			}
			name, s = m[1], cs
		}
		prev, ok := c.sections[name]
		if !ok {
			c.sections[name] = maps.Clone(s)
			c.order = append(c.order, name)
			continue
		}
		for k, v := range s {
			if old, ok := prev[k]; ok {
				if c.known[name] == nil {
					c.known[name] = map[string]string{}
				}
				c.known[name][k] = old
			}
			prev[k] = v
		}
	}
}

// get returns the raw value of key in section, or from [DEFAULT].
func (c *config) get(section, key string) (string, bool) {
	if v, ok := c.sections[section][key]; ok {
		return v, true
	}
	v, ok := c.defaults[key]
	return v, ok
}

// interpError says why a value could not be interpolated.
type interpError struct {
	key, raw, msg string
}

func (e *interpError) Error() string {
	return fmt.Sprintf("cannot resolve %s = %s: %s", e.key, e.raw, e.msg)
}

// interpolate expands the %(name)s references in the value raw of key in
// section, as Python's BasicInterpolation extended by fail2ban does:
//   - %% is a literal %;
//   - %(name)s is the value of name (case-insensitive) in the section, else
//     in [DEFAULT], itself interpolated in the same section; %(__name__)s
//     is the section's name;
//   - %(default/name)s is name in [DEFAULT], %(other/name)s is name in the
//     section other (else in [DEFAULT]), %(known/name)s is the value of name
//     in this section before a later file overrode it (else in [DEFAULT]).
//     These are looked up only when written in lower case, like fail2ban
//     (which lower-cases the reference before the look-up).
//
// Any other use of %, a name that is defined nowhere, and references that
// nest deeper than maxDepth (a value that refers to itself) are errors.
func (c *config) interpolate(section, key, raw string) (string, error) {
	var b strings.Builder
	if err := c.interpolateSome(section, key, raw, raw, &b, 1); err != nil {
		return "", err
	}
	return b.String(), nil
}

// reference matches a %(name)s reference at the start of a string.
var reference = regexp.MustCompile(`^%\(([^)]+)\)s`)

func (c *config) interpolateSome(section, key, raw, rest string, b *strings.Builder, depth int) error {
	fail := func(format string, args ...any) error {
		return &interpError{key: key, raw: raw, msg: fmt.Sprintf(format, args...)}
	}
	if depth > maxDepth {
		return fail("its %%(name)s references nest more than %d levels deep (a value refers to itself, directly or through others)", maxDepth)
	}
	for rest != "" {
		p := strings.IndexByte(rest, '%')
		if p < 0 {
			b.WriteString(rest)
			return nil
		}
		b.WriteString(rest[:p])
		rest = rest[p:]
		switch {
		case strings.HasPrefix(rest, "%%"):
			b.WriteByte('%')
			rest = rest[2:]
		case strings.HasPrefix(rest, "%("):
			m := reference.FindStringSubmatch(rest)
			if m == nil {
				return fail("bad reference %q: write %%(name)s, or %%%% for a literal %%", rest)
			}
			rest = rest[len(m[0]):]
			v, ok := c.lookup(section, m[1])
			if !ok && strings.Contains(m[1], "/") {
				return fail("%s refers to nothing defined (fail2ban looks section references up in lower case)", m[0])
			}
			if !ok {
				return fail("%s is not defined in [%s] or [DEFAULT]", m[0], section)
			}
			if !strings.Contains(v, "%") {
				b.WriteString(v)
				continue
			}
			if err := c.interpolateSome(section, key, raw, v, b, depth+1); err != nil {
				return err
			}
		default:
			return fail("'%%' must be followed by '%%' or '(' but the value has %q", rest)
		}
	}
	return nil
}

// sectionOption matches fail2ban's "section/option" references.
var sectionOption = regexp.MustCompile(`^([\p{L}\p{N}_-]+)/(.+)$`)

// lookup returns the raw value name refers to from section.
func (c *config) lookup(section, name string) (string, bool) {
	key := strings.ToLower(name)
	if key == "__name__" {
		return section, true
	}
	if v, ok := c.get(section, key); ok {
		return v, true
	}
	m := sectionOption.FindStringSubmatch(name)
	if m == nil || key != name {
		return "", false
	}
	sec, opt := m[1], m[2]
	switch sec {
	case "default":
	case "known":
		if v, ok := c.known[section][opt]; ok {
			return v, true
		}
	default:
		s, ok := c.sections[sec]
		if !ok {
			return "", false
		}
		if v, ok := s[opt]; ok {
			return v, true
		}
	}
	v, ok := c.defaults[opt]
	return v, ok
}
