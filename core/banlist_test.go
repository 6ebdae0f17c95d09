package core_test

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/bangui/bangui/core"
)

func TestParseBanList(t *testing.T) {
	text := "# header\n192.0.2.1\n\n192.0.2.1\n 198.51.100.0/24 , 2001:db8::5 ; 203.0.113.9\nnot-an-ip!\n999.1.1.1 # comment\n0.0.0.0/0\n::/0\n; comment\nfe80::1%eth0\n"
	l := core.ParseBanList(text)
	if got := strings.Join(l.Targets, ","); got != "192.0.2.1,198.51.100.0/24,2001:db8::5,203.0.113.9" {
		t.Fatalf("targets %s", got)
	}
	if l.Duplicate != 1 || l.Blank != 4 {
		t.Fatalf("dup %d blank %d", l.Duplicate, l.Blank)
	}
	want := map[int]string{6: "not an IP address", 7: "not an IP address", 8: "would ban every address", 9: "would ban every address", 11: "interface zone"}
	if len(l.Bad) != len(want) {
		t.Fatalf("bad %v", l.Bad)
	}
	for _, b := range l.Bad {
		if !strings.Contains(b.Error(), want[b.Line]) || !strings.HasPrefix(b.Error(), fmt.Sprintf("line %d ", b.Line)) {
			t.Errorf("line %d: %v", b.Line, b)
		}
	}
}

func TestParseBanList10000With3Bad(t *testing.T) {
	var b strings.Builder
	for i := range 10000 {
		switch i {
		case 17, 5000, 9999:
			fmt.Fprintf(&b, "bad-%d\n", i)
		default:
			fmt.Fprintf(&b, "2001:db8::%x\n", i)
		}
	}
	l := core.ParseBanList(b.String())
	if len(l.Targets) != 9997 || len(l.Bad) != 3 || l.Bad[0].Line != 18 || l.Bad[1].Line != 5001 || l.Bad[2].Line != 10000 {
		t.Fatalf("targets %d bad %v", len(l.Targets), l.Bad)
	}
}

func TestBanWarnings(t *testing.T) {
	own := []netip.Addr{netip.MustParseAddr("203.0.113.50")}
	path := []netip.Addr{netip.MustParseAddr("198.51.100.20")}
	w := core.BanWarnings([]string{"203.0.113.0/24", "198.51.100.20", "10.1.2.3", "192.0.0.0/8", "2001:db8::/32", "192.0.2.7", "100.64.1.1"}, own, path)
	kinds := map[string][]string{}
	for _, x := range w {
		kinds[x.Target] = append(kinds[x.Target], x.Kind)
		if x.Text == "" {
			t.Errorf("no text: %+v", x)
		}
	}
	check := func(target string, want ...string) {
		t.Helper()
		if strings.Join(kinds[target], ",") != strings.Join(want, ",") {
			t.Errorf("%s: %v, want %v", target, kinds[target], want)
		}
	}
	check("203.0.113.0/24", core.WarnOwnAddress)
	check("198.51.100.20", core.WarnPath)
	check("10.1.2.3", core.WarnPrivate)
	check("192.0.0.0/8", core.WarnBroad)
	check("2001:db8::/32", core.WarnBroad)
	check("192.0.2.7")
	check("100.64.1.1", core.WarnPrivate)
}
