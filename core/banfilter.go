package core

import (
	"cmp"
	"net/netip"
	"slices"
	"strings"
)

// BanFilter selects bans for a view. Query is an IP prefix ("192.0.2.",
// "2001:db8"), a CIDR network ("198.51.100.0/24"), or text matched against
// the jail name; Jail, when set, keeps one jail only.
type BanFilter struct {
	Query string
	Jail  string
}

// FilterBans returns the bans that match f, in their order, in a new
// slice (so the caller may sort it); the input is not changed.
func FilterBans(bans []Ban, f BanFilter) []Ban {
	q := strings.ToLower(strings.TrimSpace(f.Query))
	if q == "" && f.Jail == "" {
		return slices.Clone(bans)
	}
	var prefix netip.Prefix
	isNet := false
	if strings.Contains(q, "/") {
		if p, err := netip.ParsePrefix(q); err == nil {
			prefix, isNet = p.Masked(), true
		}
	}
	out := make([]Ban, 0, len(bans)/4)
	for _, b := range bans {
		if f.Jail != "" && b.Jail != f.Jail {
			continue
		}
		switch {
		case q == "":
		case isNet:
			a, err := netip.ParseAddr(b.IP)
			if err != nil || !prefix.Contains(a) {
				continue
			}
		case !strings.HasPrefix(b.IP, q) && !strings.Contains(strings.ToLower(b.Jail), q):
			continue
		}
		out = append(out, b)
	}
	return out
}

// Ban sort keys.
const (
	SortIP       = "ip"
	SortJail     = "jail"
	SortStart    = "start"
	SortEnd      = "end"
	SortFailures = "failures"
)

// SortBans sorts bans in place by key, ascending unless desc. IPs sort by
// address (IPv4 before IPv6, numerically), not as text; permanent bans end
// last. Ties keep a stable order by jail and IP. Addresses are parsed once
// per ban, not per comparison.
func SortBans(bans []Ban, key string, desc bool) {
	type row struct {
		b    Ban
		addr netip.Addr
		end  int64
	}
	rows := make([]row, len(bans))
	for i, b := range bans {
		rows[i].b = b
		rows[i].addr, _ = netip.ParseAddr(b.IP)
		rows[i].end = b.End.UnixNano()
		if b.Permanent {
			rows[i].end = 1<<63 - 1
		}
	}
	byKey := func(a, b *row) int {
		switch key {
		case SortIP:
			return a.addr.Compare(b.addr)
		case SortJail:
			return strings.Compare(a.b.Jail, b.b.Jail)
		case SortStart:
			return a.b.Start.Compare(b.b.Start)
		case SortEnd:
			return cmp.Compare(a.end, b.end)
		}
		return 0
	}
	slices.SortStableFunc(rows, func(a, b row) int {
		c := byKey(&a, &b)
		if desc {
			c = -c
		}
		if c != 0 {
			return c
		}
		if c = strings.Compare(a.b.Jail, b.b.Jail); c != 0 {
			return c
		}
		return a.addr.Compare(b.addr)
	})
	for i := range rows {
		bans[i] = rows[i].b
	}
}
