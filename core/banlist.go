package core

import (
	"fmt"
	"net/netip"
	"strings"
)

// LineError is a line of a pasted list that cannot be banned.
type LineError struct {
	Line int    // 1-based
	Text string // the line as pasted, trimmed
	Err  error
}

func (e LineError) Error() string {
	return fmt.Sprintf("line %d %q: %s", e.Line, e.Text, ErrorMessage(e.Err))
}

// BanList is a pasted list of addresses, checked line by line.
type BanList struct {
	Targets   []string    // valid IPs and networks, canonical, without duplicates, in order
	Bad       []LineError // lines that were refused; the rest can still be sent
	Blank     int         // empty and comment lines skipped
	Duplicate int         // valid lines already in Targets
}

// ParseBanList reads one address or CIDR network per line (commas,
// semicolons and spaces also separate entries); blank lines and comments
// (#, ;) are skipped. Each entry is validated like NormalizeTarget, and
// networks wider than everything (/0) are refused outright. Bad lines are
// named, good ones kept.
func ParseBanList(text string) BanList {
	var l BanList
	seen := map[string]struct{}{}
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if j := strings.IndexAny(line, "#"); j >= 0 {
			line = strings.TrimSpace(line[:j])
		}
		if line == "" || strings.HasPrefix(line, ";") {
			l.Blank++
			continue
		}
		for _, f := range strings.FieldsFunc(line, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\t' }) {
			t, err := NormalizeBanTarget(f)
			if err != nil {
				l.Bad = append(l.Bad, LineError{Line: i + 1, Text: f, Err: err})
				continue
			}
			if _, dup := seen[t]; dup {
				l.Duplicate++
				continue
			}
			seen[t] = struct{}{}
			l.Targets = append(l.Targets, t)
		}
	}
	return l
}

// NormalizeBanTarget is NormalizeTarget for something about to be banned:
// a /0 network (0.0.0.0/0, ::/0) would ban the whole internet, including
// the admin, and is refused.
func NormalizeBanTarget(s string) (string, error) {
	t, err := NormalizeTarget(s)
	if err != nil {
		return "", err
	}
	if p, err := netip.ParsePrefix(t); err == nil && p.Bits() == 0 {
		return "", Errorf(EINVALID, "%q would ban every address, yours included: ban a narrower network", s)
	}
	return t, nil
}

// Warning kinds for BanWarnings.
const (
	WarnOwnAddress = "own"     // an address of this workstation
	WarnPath       = "path"    // the address this app reaches the server from
	WarnPrivate    = "private" // private, loopback, link-local or otherwise not public
	WarnBroad      = "broad"   // wider than /16 (IPv4) or /48 (IPv6)
)

// BanWarning is a reason to think twice before banning a target.
type BanWarning struct {
	Target string
	Kind   string
	Text   string
}

// BanWarnings returns what the admin should confirm before banning targets:
// addresses of this workstation (own), the address the server sees this app
// come from (path, may be empty), private and special ranges, and networks
// broader than a /16 or /48. Targets must be normalized already.
func BanWarnings(targets []string, own []netip.Addr, path []netip.Addr) []BanWarning {
	var out []BanWarning
	for _, t := range targets {
		p, err := targetPrefix(t)
		if err != nil {
			continue
		}
		for _, a := range own {
			if p.Contains(a.Unmap()) {
				out = append(out, BanWarning{t, WarnOwnAddress, fmt.Sprintf("%s includes %s, an address of this computer", t, a.Unmap())})
				break
			}
		}
		for _, a := range path {
			if p.Contains(a.Unmap()) {
				out = append(out, BanWarning{t, WarnPath, fmt.Sprintf("%s includes %s, the address this app reaches the server from: you could lock yourself out", t, a.Unmap())})
				break
			}
		}
		if a := p.Addr(); a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsUnspecified() || a.IsMulticast() || isCGNAT(a) {
			out = append(out, BanWarning{t, WarnPrivate, fmt.Sprintf("%s is a private or special address, not one an attack on the internet comes from", t)})
		}
		if (p.Addr().Is4() && p.Bits() < 16) || (p.Addr().Is6() && p.Bits() < 48) {
			out = append(out, BanWarning{t, WarnBroad, fmt.Sprintf("%s is wider than a /%d: it covers %s addresses", t, map[bool]int{true: 16, false: 48}[p.Addr().Is4()], prefixSize(p))})
		}
	}
	return out
}

func targetPrefix(t string) (netip.Prefix, error) {
	if strings.Contains(t, "/") {
		return netip.ParsePrefix(t)
	}
	a, err := netip.ParseAddr(t)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

var cgnat = netip.MustParsePrefix("100.64.0.0/10")

func isCGNAT(a netip.Addr) bool { return cgnat.Contains(a) }

// prefixSize names how many addresses a prefix covers, roughly.
func prefixSize(p netip.Prefix) string {
	host := p.Addr().BitLen() - p.Bits()
	if host < 40 {
		return fmt.Sprintf("%d", uint64(1)<<host)
	}
	return fmt.Sprintf("2^%d", host)
}
