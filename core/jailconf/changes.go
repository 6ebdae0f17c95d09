package jailconf

import (
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/bangui/bangui/core"
)

// Change sets one jail option in BanGUI's file. Key is one of Keys; Value
// is what the user typed. Apply writes the value in a normalised form
// (time values as whole seconds, addresses in canonical form).
type Change struct {
	Key, Value string
}

// Keys lists the options Apply accepts:
//   - bantime: a fail2ban time value ("600", "10m", "1h30m", "1d"), or -1
//     for forever; written as whole seconds, at least 1;
//   - findtime: a time value as for bantime, without -1;
//   - maxretry: a whole number from 1 to 1000;
//   - ignoreip: addresses, networks and host names separated by spaces or
//     commas (empty: ignore nothing);
//   - ignoreself: true or false.
var Keys = []string{"bantime", "findtime", "maxretry", "ignoreip", "ignoreself"}

// normalizeJail refuses names fail2ban would not take as a jail: invalid
// names, and the DEFAULT and INCLUDES sections of jail config files.
func normalizeJail(jail string) error {
	if err := core.ValidateJailName(jail); err != nil {
		return err
	}
	if u := strings.ToUpper(jail); u == "DEFAULT" || u == "INCLUDES" {
		return core.Errorf(core.EINVALID, "%q is a section of fail2ban's jail files, not a jail: choose a jail such as sshd", jail)
	}
	return nil
}

// normalizeChanges validates every change and returns them with normalised
// keys and values, or an EINVALID error naming the first bad one. A key
// given twice and an empty list are refused.
func normalizeChanges(changes []Change) ([]Change, error) {
	if len(changes) == 0 {
		return nil, core.Errorf(core.EINVALID, "no settings to save: change at least one value")
	}
	out := make([]Change, 0, len(changes))
	seen := map[string]bool{}
	for _, c := range changes {
		n, err := normalizeChange(c)
		if err != nil {
			return nil, err
		}
		if seen[n.Key] {
			return nil, core.Errorf(core.EINVALID, "%s is given twice: keep one value", n.Key)
		}
		seen[n.Key] = true
		out = append(out, n)
	}
	return out, nil
}

// normalizeChange validates one change.
func normalizeChange(c Change) (Change, error) {
	key := strings.ToLower(strings.TrimSpace(c.Key))
	v := strings.TrimSpace(c.Value)
	bad := func(err error) (Change, error) {
		return Change{}, core.Errorf(core.EINVALID, "%s: %s", key, core.ErrorMessage(err))
	}
	switch key {
	case "bantime", "findtime":
		d, err := core.ParseTimeValue(v, key == "bantime")
		if err != nil {
			return bad(err)
		}
		if d == -time.Second {
			return Change{key, "-1"}, nil
		}
		if d < time.Second {
			return Change{}, core.Errorf(core.EINVALID, "%s %q is shorter than a second: use at least 1s (for example 10m)", key, c.Value)
		}
		return Change{key, strconv.FormatInt(int64(d/time.Second), 10)}, nil
	case "maxretry":
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return Change{}, core.Errorf(core.EINVALID, "maxretry %q is not allowed: use a whole number from 1 to 1000", c.Value)
		}
		return Change{key, strconv.Itoa(n)}, nil
	case "ignoreip":
		fields := strings.FieldsFunc(v, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })
		list := make([]string, 0, len(fields))
		seen := map[string]bool{}
		for i, f := range fields {
			e, err := core.NormalizeIgnoreEntry(f)
			if err != nil {
				if len(fields) > 1 {
					return Change{}, core.Errorf(core.EINVALID, "ignoreip entry %d: %s", i+1, core.ErrorMessage(err))
				}
				return bad(err)
			}
			if !seen[e] {
				seen[e] = true
				list = append(list, e)
			}
		}
		return Change{key, strings.Join(list, " ")}, nil
	case "ignoreself":
		switch strings.ToLower(v) {
		case "true", "false":
			return Change{key, strings.ToLower(v)}, nil
		}
		return Change{}, core.Errorf(core.EINVALID, "ignoreself %q is not allowed: use true or false", c.Value)
	}
	return Change{}, core.Errorf(core.EINVALID, "%q is not a setting BanGUI can save: use one of %s", c.Key, strings.Join(Keys, ", "))
}
