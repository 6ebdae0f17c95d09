package core

import (
	"math/rand/v2"
	"net/netip"
	"testing"
)

// slowRoutable is IsRoutable written plainly with netip, to check the fast
// IPv4 path against.
func slowRoutable(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() ||
		a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() {
		return false
	}
	for _, p := range append(append([]netip.Prefix{}, notRoutable4...), notRoutable6...) {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

func TestIsRoutable(t *testing.T) {
	for s, want := range map[string]bool{
		"8.8.8.8": true, "1.1.1.1": true, "2001:4860:4860::8888": true, "::ffff:8.8.8.8": true,
		"10.0.0.1": false, "172.16.0.1": false, "172.31.255.255": false, "172.32.0.1": true,
		"192.168.1.1": false, "127.0.0.1": false, "169.254.1.1": false, "100.64.0.1": false, "100.128.0.1": true,
		"192.0.2.1": false, "198.51.100.1": false, "203.0.113.1": false, "198.18.0.1": false, "198.20.0.1": true,
		"224.0.0.1": false, "240.0.0.1": false, "255.255.255.255": false, "0.0.0.0": false, "0.1.2.3": false,
		"192.0.0.8": false, "192.0.1.1": true,
		"::1": false, "::": false, "fe80::1": false, "fc00::1": false, "fd12::1": false, "ff02::1": false,
		"2001:db8::1": false, "3fff::1": false, "100::1": false, "2001:2::1": false, "2a00:1450::1": true,
		"fec0::1": false, "::10.0.0.1": false,
		"2002:c0a8:0101::1": false, "2002:0808:0808::1": true, // 6to4 of 192.168.1.1, of 8.8.8.8
		"2001:0:4136:e378:8000:63bf:f5ff:fffe": false, // Teredo, client 10.0.0.1
		"2001:0:4136:e378:8000:63bf:f7f7:f7f7": true,  // Teredo, client 8.8.8.8
	} {
		if got := IsRoutable(netip.MustParseAddr(s)); got != want {
			t.Errorf("IsRoutable(%s) = %v, want %v", s, got, want)
		}
	}
	if IsRoutable(netip.Addr{}) {
		t.Error("the zero address is routable")
	}
	r := rand.New(rand.NewPCG(5, 6))
	for range 200_000 {
		var b [4]byte
		for i := range b {
			b[i] = byte(r.UintN(256))
		}
		a := netip.AddrFrom4(b)
		if IsRoutable(a) != slowRoutable(a) {
			t.Fatalf("%s: fast %v, plain %v", a, IsRoutable(a), slowRoutable(a))
		}
	}
}
