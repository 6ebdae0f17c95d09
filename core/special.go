package core

import "net/netip"

// notRoutable4 and notRoutable6 list the IANA special-purpose blocks
// whose addresses never come from the public internet (RFC 6890 and its
// updates), beyond what netip's predicates already cover (private,
// loopback, link-local, multicast, unspecified).
var notRoutable4, notRoutable6 = func() (v4 []netip.Prefix, v6 []netip.Prefix) {
	for _, s := range []string{
		"0.0.0.0/8",       // "this network"
		"100.64.0.0/10",   // shared address space (carrier-grade NAT)
		"192.0.0.0/24",    // IETF protocol assignments
		"192.0.2.0/24",    // documentation (TEST-NET-1)
		"198.18.0.0/15",   // benchmarking
		"198.51.100.0/24", // documentation (TEST-NET-2)
		"203.0.113.0/24",  // documentation (TEST-NET-3)
		"240.0.0.0/4",     // reserved, and 255.255.255.255
		"100::/64",        // discard-only
		"2001:db8::/32",   // documentation
		"2001:2::/48",     // benchmarking
		"2001:10::/28",    // ORCHID
		"2001:20::/28",    // ORCHIDv2
		"3fff::/20",       // documentation (RFC 9637)
		"5f00::/16",       // segment routing SIDs
		"64:ff9b:1::/48",  // local-use IPv4/IPv6 translation
		"fec0::/10",       // site-local (deprecated, still seen in logs)
		"::/96",           // IPv4-compatible (deprecated)
	} {
		p := netip.MustParsePrefix(s)
		if p.Addr().Is4() {
			v4 = append(v4, p)
		} else {
			v6 = append(v6, p)
		}
	}
	return v4, v6
}()

// v4Masks holds notRoutable4 as (network, mask) pairs of uint32, for a
// check without netip's general code (IsRoutable runs on every lookup).
var v4Masks = func() (out [][2]uint32) {
	for _, p := range notRoutable4 {
		b := p.Addr().As4()
		mask := ^uint32(0) << (32 - p.Bits())
		out = append(out, [2]uint32{uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]), mask})
	}
	return out
}()

// IsRoutable reports whether a can be the address of a host on the public
// internet: false for private, loopback, link-local, multicast,
// unspecified, documentation (TEST-NET, 2001:db8::/32) and the other
// reserved blocks. IPv4-mapped IPv6 addresses are judged as IPv4.
func IsRoutable(a netip.Addr) bool {
	a = a.Unmap()
	if a.Is4() {
		b := a.As4()
		u := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
		switch b[0] {
		case 10, 127:
			return false // private, loopback
		}
		if u&0xfff00000 == 0xac100000 || u&0xffff0000 == 0xc0a80000 || u&0xffff0000 == 0xa9fe0000 || b[0] >= 224 {
			return false // 172.16/12, 192.168/16, 169.254/16, multicast and 240/4
		}
		for _, m := range v4Masks {
			if u&m[1] == m[0] {
				return false
			}
		}
		return true
	}
	if !a.IsValid() || a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() ||
		a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() {
		return false
	}
	for _, p := range notRoutable6 {
		if p.Contains(a) {
			return false
		}
	}
	// Tunnels that carry an IPv4 address: judged by it.
	b := a.As16()
	switch {
	case b[0] == 0x20 && b[1] == 0x02: // 6to4: 2002:AABB:CCDD::
		return IsRoutable(netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}))
	case b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0: // Teredo: the client's address, inverted
		return IsRoutable(netip.AddrFrom4([4]byte{^b[12], ^b[13], ^b[14], ^b[15]}))
	}
	return true
}
