package core

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Version is a fail2ban version such as 1.0.2.
type Version struct {
	Major, Minor, Patch int
	Raw                 string // as the server sent it, e.g. "1.0.2" or "1.1.1.dev1"
}

// ParseVersion reads "X.Y.Z" with an optional suffix after the third number
// ("1.1.2.dev1", "0.11.2-rc1"). Missing parts count as 0.
func ParseVersion(s string) (Version, error) {
	v := Version{Raw: s}
	parts := strings.SplitN(strings.TrimSpace(s), ".", 4)
	nums := []*int{&v.Major, &v.Minor, &v.Patch}
	for i := 0; i < len(nums) && i < len(parts); i++ {
		digits := parts[i]
		if j := strings.IndexFunc(digits, func(r rune) bool { return r < '0' || r > '9' }); j >= 0 {
			digits = digits[:j]
		}
		n, err := strconv.Atoi(digits)
		if err != nil {
			if i == 0 {
				return Version{}, Errorf(EPROTOCOL, "fail2ban sent a version this app cannot read: %q", s)
			}
			break
		}
		*nums[i] = n
	}
	return v, nil
}

// AtLeast reports whether v >= major.minor.patch.
func (v Version) AtLeast(major, minor, patch int) bool {
	if v.Major != major {
		return v.Major > major
	}
	if v.Minor != minor {
		return v.Minor > minor
	}
	return v.Patch >= patch
}

func (v Version) String() string {
	if v.Raw != "" {
		return v.Raw
	}
	return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch)
}

// JailStatus is the answer to `status <jail>` (or `status <jail> short`, in
// which case BannedIPs is nil).
type JailStatus struct {
	Name            string
	CurrentlyFailed int
	TotalFailed     int
	CurrentlyBanned int
	TotalBanned     int
	Files           []string
	// Backend is what the jail reads: "files" (polling, pyinotify, auto)
	// or "systemd" (the journal), as its status reveals. fail2ban's socket
	// does not name the backend or the filter itself.
	Backend   string
	BannedIPs []string // nil for the short form
	// Idle is true when this app put the jail to idle. fail2ban (up to
	// 1.1) has no command that reads the idle state back.
	Idle bool
}

// Ban is one current ban as `get <jail> banip --with-time` reports it.
type Ban struct {
	// Server names the server the ban is on; set by views that list the
	// bans of several servers ("" otherwise).
	Server string
	Jail   string
	IP     string
	Start  time.Time // in the location the client was told the server runs in
	// BanTime is the ban's length; zero when Permanent.
	BanTime   time.Duration
	End       time.Time // zero when Permanent
	Permanent bool      // the server reports "+ -1 = 9999-12-31 23:59:59"
}

// Remaining returns how long the ban still runs at now; 0 once it has ended
// and -1 for a permanent ban.
func (b Ban) Remaining(now time.Time) time.Duration {
	if b.Permanent {
		return -1
	}
	if d := b.End.Sub(now); d > 0 {
		return d
	}
	return 0
}

// JailBans is one jail's list of banned IPs, as `banned` reports it.
type JailBans struct {
	Jail string
	IPs  []string
}

// DatePattern is a jail's date pattern: the pattern and fail2ban's
// human-readable name for it. Both are empty when the jail uses the default
// date detection.
type DatePattern struct {
	Pattern string
	Name    string
}

// JailConfig is the runtime configuration of one jail, read with `get`.
type JailConfig struct {
	Name        string
	BanTime     time.Duration // -1s means permanent
	FindTime    time.Duration
	MaxRetry    int
	MaxMatches  int
	IgnoreIP    []string
	IgnoreSelf  bool
	LogPaths    []string
	FailRegex   []string
	IgnoreRegex []string
	DatePattern DatePattern
	Actions     []string
	UseDNS      string
}

// BatchResult sums up a batched ban or unban.
type BatchResult struct {
	Requested int // addresses asked for, after de-duplication
	Changed   int // addresses the server actually banned or unbanned
	Batches   int // commands sent
}

// Unchanged returns the addresses that needed no change (already banned, or
// not banned when unbanning).
func (r BatchResult) Unchanged() int { return r.Requested - r.Changed }
