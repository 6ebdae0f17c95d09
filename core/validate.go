package core

import (
	"math"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// NormalizeIP checks that s is a single IPv4 or IPv6 address and returns its
// canonical text. Zones (fe80::1%eth0), CIDRs, host names and anything else
// the server would "ban" as a raw string are refused: fail2ban itself
// accepts garbage as an IP.
func NormalizeIP(s string) (string, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return "", Errorf(EINVALID, "empty IP address: enter an IPv4 or IPv6 address such as 192.0.2.10")
	}
	a, err := netip.ParseAddr(t)
	if err != nil {
		return "", Errorf(EINVALID, "%q is not an IP address: enter an IPv4 or IPv6 address such as 192.0.2.10 or 2001:db8::10", s)
	}
	if a.Zone() != "" {
		return "", Errorf(EINVALID, "%q has an interface zone (%%%s): fail2ban bans addresses, not links; drop the zone", s, a.Zone())
	}
	return a.Unmap().String(), nil
}

// NormalizeTarget accepts an IP address or a CIDR network (192.0.2.0/24) and
// returns its canonical text. A CIDR with host bits set is refused, because
// the user probably mistyped it.
func NormalizeTarget(s string) (string, error) {
	t := strings.TrimSpace(s)
	if !strings.Contains(t, "/") {
		return NormalizeIP(s)
	}
	p, err := netip.ParsePrefix(t)
	if err != nil {
		return "", Errorf(EINVALID, "%q is not a network: write it as address/length, such as 198.51.100.0/24", s)
	}
	if p.Addr().Zone() != "" {
		return "", Errorf(EINVALID, "%q has an interface zone: drop it", s)
	}
	if p.Masked() != p {
		return "", Errorf(EINVALID, "%q has host bits set: did you mean %s?", s, p.Masked())
	}
	return p.String(), nil
}

// NormalizeIPs validates a list of IPs (or, with cidr true, IPs and networks),
// drops duplicates while keeping the order, and refuses an empty list. The
// first bad entry is reported with its position, and nothing is returned, so
// a caller never sends half a list.
func NormalizeIPs(list []string, cidr bool) ([]string, error) {
	if len(list) == 0 {
		return nil, Errorf(EINVALID, "no IP addresses given: enter at least one address")
	}
	seen := make(map[string]struct{}, len(list))
	out := make([]string, 0, len(list))
	for i, s := range list {
		var n string
		var err error
		if cidr {
			n, err = NormalizeTarget(s)
		} else {
			n, err = NormalizeIP(s)
		}
		if err != nil {
			e := err.(*Error)
			if len(list) > 1 {
				return nil, Errorf(e.Code, "entry %d: %s", i+1, e.Message)
			}
			return nil, err
		}
		if _, dup := seen[n]; dup {
			continue
		}
		seen[n] = struct{}{}
		out = append(out, n)
	}
	return out, nil
}

var jailNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,63}$`)

// ValidateJailName checks a jail name before it is sent: letters, digits and
// _ . @ + - only, starting with a letter or digit, at most 64 characters.
// fail2ban's own jail names (sshd, nginx-http-auth, apache-badbots…) all fit.
func ValidateJailName(name string) error {
	if !jailNameRE.MatchString(name) || strings.Contains(name, "..") {
		return Errorf(EINVALID, "%q is not a valid jail name: use letters, digits and _ . @ + - (for example sshd or nginx-http-auth)", name)
	}
	return nil
}

// fail2ban time units (MyTime.str2seconds), longest first so "mo" wins over "m".
var timeUnits = []struct {
	names []string
	secs  float64
}{
	{[]string{"years", "year", "yea", "ye", "y"}, 365.25 * 86400},
	{[]string{"months", "month", "mon", "mo"}, 365.25 * 86400 / 12},
	{[]string{"weeks", "week", "wee", "we", "w"}, 7 * 86400},
	{[]string{"days", "day", "da", "dd", "d"}, 86400},
	{[]string{"hours", "hour", "hou", "ho", "hh", "h"}, 3600},
	{[]string{"minutes", "minute", "min", "mi", "mm", "m"}, 60},
	{[]string{"seconds", "second", "sec", "se", "ss", "s"}, 1},
}

var timeTokenRE = regexp.MustCompile(`^(\d+(?:\.\d+)?)\s*([a-z]*)`)

// ParseTimeValue reads a fail2ban time value: a number of seconds ("600"),
// -1 for "forever" (only when allowForever), or number-and-unit groups such
// as "10m", "1h30m", "1d", "2w", "1.5h". It returns whole seconds. The server
// *evaluates* time strings, so nothing else may reach it.
func ParseTimeValue(s string, allowForever bool) (time.Duration, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	bad := func() (time.Duration, error) {
		return 0, Errorf(EINVALID, "%q is not a time: use seconds (600) or units such as 10m, 1h30m, 1d, 2w", s)
	}
	if t == "" {
		return bad()
	}
	if t == "-1" {
		if allowForever {
			return -time.Second, nil
		}
		return 0, Errorf(EINVALID, "%q: -1 (forever) is not allowed here", s)
	}
	total := 0.0
	for t != "" {
		m := timeTokenRE.FindStringSubmatch(t)
		if m == nil {
			return bad()
		}
		n, err := strconv.ParseFloat(m[1], 64)
		if err != nil {
			return bad()
		}
		mult := 0.0
		if m[2] == "" {
			mult = 1
		}
	units:
		for _, u := range timeUnits {
			for _, name := range u.names {
				if m[2] == name {
					mult = u.secs
					break units
				}
			}
		}
		if mult == 0 {
			return bad()
		}
		total += n * mult
		t = strings.TrimSpace(t[len(m[0]):])
	}
	if total > math.MaxInt32 {
		return 0, Errorf(EINVALID, "%q is too long: the largest time fail2ban handles is about 68 years; use -1 for forever", s)
	}
	return time.Duration(math.Round(total)) * time.Second, nil
}

var hostnameRE = regexp.MustCompile(`^(?i)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$`)

// NormalizeIgnoreEntry checks an ignoreip entry: an IP address, a CIDR
// network or a host name (fail2ban resolves names itself).
func NormalizeIgnoreEntry(s string) (string, error) {
	t := strings.TrimSpace(s)
	if n, err := NormalizeTarget(t); err == nil {
		return n, nil
	}
	if len(t) <= 253 && hostnameRE.MatchString(t) && strings.ContainsAny(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
		return strings.ToLower(strings.TrimSuffix(t, ".")), nil
	}
	return "", Errorf(EINVALID, "%q is not an IP address, network or host name: use for example 192.0.2.7, 198.51.100.0/24 or vpn.example.org", s)
}
