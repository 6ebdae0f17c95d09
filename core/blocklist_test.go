package core

import (
	"strings"
	"testing"
	"time"
)

func TestValidateBlocklist(t *testing.T) {
	good := BlocklistSource{Name: "  blocklist.de   ssh ", URL: " https://lists.blocklist.de/lists/ssh.txt ", Jail: "sshd", Schedule: "6h"}
	s, err := ValidateBlocklist(good)
	if err != nil || s.Name != "blocklist.de ssh" || s.URL != "https://lists.blocklist.de/lists/ssh.txt" || s.MaxEntries != DefaultMaxEntries {
		t.Fatalf("good: %+v %v", s, err)
	}
	for _, ok := range []BlocklistSource{
		{Name: "a", URL: "http://127.0.0.1:8080/x.txt", Jail: "sshd", Target: "group:web", Schedule: "0 */6 * * *"},
		{Name: "b", URL: "https://example.org/l.gz", Jail: "nginx-http-auth", Target: "server:3", Schedule: "30 2 * * mon-fri", MaxEntries: 5},
		{Name: "c", URL: "https://example.org/l", Jail: "sshd"},
	} {
		if _, err := ValidateBlocklist(ok); err != nil {
			t.Errorf("%+v: %v", ok, err)
		}
	}
	for _, c := range []struct {
		s    BlocklistSource
		says string
	}{
		{BlocklistSource{URL: "https://x.org/l", Jail: "sshd"}, "needs a name"},
		{BlocklistSource{Name: strings.Repeat("n", 65), URL: "https://x.org/l", Jail: "sshd"}, "too long"},
		{BlocklistSource{Name: "a\x1b[2Jb", URL: "https://x.org/l", Jail: "sshd"}, "control characters"},
		{BlocklistSource{Name: "a", Jail: "sshd"}, "needs a URL"},
		{BlocklistSource{Name: "a", URL: "file:///etc/passwd", Jail: "sshd"}, `not "file:"`},
		{BlocklistSource{Name: "a", URL: "ftp://x.org/l", Jail: "sshd"}, `not "ftp:"`},
		{BlocklistSource{Name: "a", URL: "https:///l", Jail: "sshd"}, "no host name"},
		{BlocklistSource{Name: "a", URL: "https://u:p@x.org/l", Jail: "sshd"}, "credentials"},
		{BlocklistSource{Name: "a", URL: "https://x.org/l", Jail: "ssh d"}, "jail"},
		{BlocklistSource{Name: "a", URL: "https://x.org/l", Jail: "sshd", Target: "rack:3"}, "unknown target"},
		{BlocklistSource{Name: "a", URL: "https://x.org/l", Jail: "sshd", Target: "server:x"}, "unknown target"},
		{BlocklistSource{Name: "a", URL: "https://x.org/l", Jail: "sshd", Schedule: "1m"}, "too often"},
		{BlocklistSource{Name: "a", URL: "https://x.org/l", Jail: "sshd", Schedule: "hourly"}, "neither an interval"},
		{BlocklistSource{Name: "a", URL: "https://x.org/l", Jail: "sshd", Schedule: "0 * * * $(id)"}, "may hold only"},
		{BlocklistSource{Name: "a", URL: "https://x.org/l", Jail: "sshd", MaxEntries: -1}, "out of range"},
	} {
		_, err := ValidateBlocklist(c.s)
		if ErrorCode(err) != EINVALID || !strings.Contains(ErrorMessage(err), c.says) {
			t.Errorf("%+v: %v, want %q", c.s, err, c.says)
		}
	}
}

func TestParseScheduleAndTargets(t *testing.T) {
	if d, c, err := ParseSchedule("6h"); d != 6*time.Hour || c != "" || err != nil {
		t.Errorf("6h: %v %q %v", d, c, err)
	}
	if d, c, err := ParseSchedule("0 */6 * * *"); d != 0 || c != "0 */6 * * *" || err != nil {
		t.Errorf("cron: %v %q %v", d, c, err)
	}
	list := []Server{{ID: 1, Name: "a"}, {ID: 2, Name: "b", Group: "web"}, {ID: 3, Name: "c", Group: "web"}}
	for target, want := range map[string]string{"": "a b c", "group:web": "b c", "server:1": "a", "server:9": "", "group:db": ""} {
		var names []string
		for _, s := range TargetServers(target, list) {
			names = append(names, s.Name)
		}
		if strings.Join(names, " ") != want {
			t.Errorf("%q: %v, want %q", target, names, want)
		}
	}
}
