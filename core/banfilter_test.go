package core_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/bangui/bangui/core"
)

func sampleBans() []core.Ban {
	t0 := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	return []core.Ban{
		{Jail: "sshd", IP: "192.0.2.10", Start: t0, End: t0.Add(time.Hour)},
		{Jail: "sshd", IP: "192.0.2.9", Start: t0.Add(time.Minute), End: t0.Add(2 * time.Hour)},
		{Jail: "nginx", IP: "198.51.100.7", Start: t0.Add(2 * time.Minute), Permanent: true},
		{Jail: "nginx", IP: "2001:db8::1", Start: t0.Add(-time.Minute), End: t0.Add(30 * time.Minute)},
	}
}

func ips(bans []core.Ban) string {
	var s []string
	for _, b := range bans {
		s = append(s, b.IP)
	}
	return strings.Join(s, ",")
}

func TestFilterBans(t *testing.T) {
	b := sampleBans()
	cases := []struct {
		f    core.BanFilter
		want string
	}{
		{core.BanFilter{}, "192.0.2.10,192.0.2.9,198.51.100.7,2001:db8::1"},
		{core.BanFilter{Query: "192.0.2."}, "192.0.2.10,192.0.2.9"},
		{core.BanFilter{Query: "192.0.2.1"}, "192.0.2.10"},
		{core.BanFilter{Query: "192.0.2.0/24"}, "192.0.2.10,192.0.2.9"},
		{core.BanFilter{Query: "2001:DB8"}, "2001:db8::1"},
		{core.BanFilter{Query: "2001:db8::/32"}, "2001:db8::1"},
		{core.BanFilter{Query: "ngi"}, "198.51.100.7,2001:db8::1"},
		{core.BanFilter{Jail: "sshd"}, "192.0.2.10,192.0.2.9"},
		{core.BanFilter{Jail: "sshd", Query: "198."}, ""},
	}
	for _, c := range cases {
		if got := ips(core.FilterBans(b, c.f)); got != c.want {
			t.Errorf("%+v: %s, want %s", c.f, got, c.want)
		}
	}
}

func TestSortBans(t *testing.T) {
	cases := []struct {
		key  string
		desc bool
		want string
	}{
		{core.SortIP, false, "192.0.2.9,192.0.2.10,198.51.100.7,2001:db8::1"},
		{core.SortIP, true, "2001:db8::1,198.51.100.7,192.0.2.10,192.0.2.9"},
		{core.SortJail, false, "198.51.100.7,2001:db8::1,192.0.2.9,192.0.2.10"},
		{core.SortStart, false, "2001:db8::1,192.0.2.10,192.0.2.9,198.51.100.7"},
		{core.SortEnd, false, "2001:db8::1,192.0.2.10,192.0.2.9,198.51.100.7"},
		{core.SortEnd, true, "198.51.100.7,192.0.2.9,192.0.2.10,2001:db8::1"},
	}
	for _, c := range cases {
		b := sampleBans()
		core.SortBans(b, c.key, c.desc)
		if got := ips(b); got != c.want {
			t.Errorf("%s desc=%v: %s, want %s", c.key, c.desc, got, c.want)
		}
	}
}

// BenchmarkFilterBans50000 filters 50,000 bans by an IP prefix (issue 3:
// under 50 ms).
func BenchmarkFilterBans50000(b *testing.B) {
	bans := make([]core.Ban, 50000)
	for i := range bans {
		bans[i] = core.Ban{Jail: "sshd", IP: fmt.Sprintf("2001:db8::%x:%x", i/256, i%256)}
	}
	for b.Loop() {
		if n := len(core.FilterBans(bans, core.BanFilter{Query: "2001:db8::1"})); n == 0 {
			b.Fatal("no match")
		}
	}
}

// BenchmarkSortBans50000 sorts 50,000 bans by IP.
func BenchmarkSortBans50000(b *testing.B) {
	bans := make([]core.Ban, 50000)
	for i := range bans {
		bans[i] = core.Ban{Jail: "sshd", IP: fmt.Sprintf("2001:db8::%x:%x", (i*7919)%50000/256, i%256)}
	}
	work := make([]core.Ban, len(bans))
	for b.Loop() {
		copy(work, bans)
		core.SortBans(work, core.SortIP, false)
	}
}
