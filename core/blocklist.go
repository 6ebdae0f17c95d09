package core

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// BlocklistSource is a list of bad addresses published on the web that
// BanGUI imports into a jail on some servers, by hand or on a schedule.
type BlocklistSource struct {
	ID   int64
	Name string // unique; shown in the history as the bans' origin
	URL  string // http or https
	Jail string // the jail the addresses are banned in
	// Target is which servers get the bans: TargetAll (""), "group:NAME"
	// or "server:ID".
	Target string
	// Schedule is when the list is imported: "" (by hand only), an
	// interval ("6h", "30m"; at least MinBlocklistInterval) or a cron
	// expression of five fields ("0 */6 * * *").
	Schedule string
	// MaxEntries caps the addresses taken from the list (the first ones).
	MaxEntries int
	// UnbanDropped unbans the addresses that left the list since the last
	// import, among those this source banned (never others).
	UnbanDropped bool
	Enabled      bool
	// ETag and LastModified are the HTTP validators of the last download:
	// the next one asks with If-None-Match / If-Modified-Since.
	ETag, LastModified string
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// Blocklist targets.
const (
	TargetAll          = ""
	TargetGroupPrefix  = "group:"
	TargetServerPrefix = "server:"
)

// Limits of a blocklist source.
const (
	MaxBlocklistNameLen  = 64
	DefaultMaxEntries    = 100_000
	MaxMaxEntries        = 10_000_000
	MinBlocklistInterval = 5 * time.Minute
	// IPSetLimit is the default maxelem of an ipset (and of the sets
	// fail2ban's ipset actions create): a bigger list does not fit.
	IPSetLimit = 65_536
)

// BlocklistRun statuses.
const (
	RunOK        = "ok"        // imported (possibly with bad lines)
	RunUnchanged = "unchanged" // the server said the list did not change
	RunFailed    = "failed"    // stopped by an error; counts say how far it got
	RunCancelled = "cancelled" // stopped by the user
)

// BlocklistRun is what one import of a source did on one server (or, with
// ServerID 0, the download and parse shared by all its servers).
type BlocklistRun struct {
	ID       int64
	SourceID int64
	Source   string // the source's name at the time
	ServerID int64  // 0: the download itself
	Server   string // the server's name at the time
	Started  time.Time
	Duration time.Duration
	Bytes    int64 // downloaded
	Entries  int   // lines that hold an entry (not blank, not comments)
	Valid    int
	Invalid  int
	NewBans  int
	Already  int // banned already (by fail2ban or an earlier import)
	Unbanned int // dropped from the list and unbanned
	Status   string
	Error    string   // why it failed ("" when it did not)
	BadLines []string // the first few refused lines, with why
}

// BlocklistRunFilter selects import runs, newest first.
type BlocklistRunFilter struct {
	SourceID int64 // 0: every source
	ServerID int64 // 0: every server (and the downloads)
	Status   string
	Since    time.Time
	Limit    int // 0: 500
}

// BlocklistStore keeps the sources, what each banned where, and the import
// log (core/store implements it).
type BlocklistStore interface {
	Blocklists(ctx context.Context) ([]BlocklistSource, error)
	Blocklist(ctx context.Context, id int64) (BlocklistSource, error)
	AddBlocklist(ctx context.Context, s BlocklistSource) (BlocklistSource, error)
	UpdateBlocklist(ctx context.Context, s BlocklistSource) (BlocklistSource, error)
	DeleteBlocklist(ctx context.Context, id int64) error
	SetBlocklistValidators(ctx context.Context, id int64, etag, lastModified string) error

	// BlocklistEntries lists the addresses source banned in jail on server.
	BlocklistEntries(ctx context.Context, sourceID, serverID int64, jail string) ([]string, error)
	AddBlocklistEntries(ctx context.Context, sourceID, serverID int64, jail string, ips []string, at time.Time) error
	DeleteBlocklistEntries(ctx context.Context, sourceID, serverID int64, jail string, ips []string) error

	AddBlocklistRun(ctx context.Context, r BlocklistRun) (int64, error)
	BlocklistRuns(ctx context.Context, f BlocklistRunFilter) ([]BlocklistRun, error)
}

// ValidateBlocklist checks a source before it is saved and normalises its
// text; errors are EINVALID and say what is allowed.
func ValidateBlocklist(s BlocklistSource) (BlocklistSource, error) {
	s.Name = strings.Join(strings.Fields(s.Name), " ")
	s.URL = strings.TrimSpace(s.URL)
	s.Jail = strings.TrimSpace(s.Jail)
	s.Target = strings.TrimSpace(s.Target)
	s.Schedule = strings.Join(strings.Fields(s.Schedule), " ")
	if err := checkName("blocklist name", s.Name, "the blocklist needs a name: enter one, such as blocklist.de ssh", MaxBlocklistNameLen); err != nil {
		return s, err
	}
	if err := ValidateBlocklistURL(s.URL); err != nil {
		return s, err
	}
	if err := ValidateJailName(s.Jail); err != nil {
		return s, err
	}
	if err := validTarget(s.Target); err != nil {
		return s, err
	}
	if _, _, err := ParseSchedule(s.Schedule); err != nil {
		return s, err
	}
	if s.MaxEntries == 0 {
		s.MaxEntries = DefaultMaxEntries
	}
	if s.MaxEntries < 1 || s.MaxEntries > MaxMaxEntries {
		return s, Errorf(EINVALID, "maximum entries %d is out of range: use 1 to %d", s.MaxEntries, MaxMaxEntries)
	}
	return s, nil
}

// ValidateBlocklistURL accepts absolute http and https URLs with a host.
func ValidateBlocklistURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case raw == "":
		return Errorf(EINVALID, "the blocklist needs a URL, such as https://lists.blocklist.de/lists/ssh.txt")
	case err != nil:
		return Errorf(EINVALID, "%q is not a URL: %v", raw, err)
	case u.Scheme != "http" && u.Scheme != "https":
		return Errorf(EINVALID, "%q: only http and https lists can be imported, not %q", raw, u.Scheme+":")
	case u.Host == "":
		return Errorf(EINVALID, "%q has no host name: write it in full, such as https://example.org/list.txt", raw)
	case u.User != nil:
		return Errorf(EINVALID, "%q holds a user name or password: BanGUI does not store credentials; use a URL without them", raw)
	}
	return nil
}

func validTarget(t string) error {
	switch {
	case t == TargetAll:
		return nil
	case strings.HasPrefix(t, TargetGroupPrefix) && strings.TrimSpace(t[len(TargetGroupPrefix):]) != "":
		return nil
	case strings.HasPrefix(t, TargetServerPrefix):
		if id, err := strconv.ParseInt(t[len(TargetServerPrefix):], 10, 64); err == nil && id > 0 {
			return nil
		}
	}
	return Errorf(EINVALID, "unknown target %q: choose every server, a group or one server", t)
}

// TargetServers returns the servers of list that target t names.
func TargetServers(t string, list []Server) []Server {
	var out []Server
	for _, s := range list {
		switch {
		case t == TargetAll,
			strings.HasPrefix(t, TargetGroupPrefix) && s.Group == t[len(TargetGroupPrefix):],
			t == TargetServerPrefix+strconv.FormatInt(s.ID, 10):
			out = append(out, s)
		}
	}
	return out
}

// ParseSchedule reads a schedule: "" (by hand), an interval (Go syntax,
// at least MinBlocklistInterval) or a five-field cron expression (checked
// for shape here; the scheduler parses it fully).
func ParseSchedule(s string) (every time.Duration, cron string, err error) {
	if s == "" {
		return 0, "", nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		if d < MinBlocklistInterval {
			return 0, "", Errorf(EINVALID, "every %s is too often: lists change a few times a day at most; use %s or more", s, MinBlocklistInterval)
		}
		return d, "", nil
	}
	fields := strings.Fields(s)
	if len(fields) != 5 {
		return 0, "", Errorf(EINVALID, "%q is neither an interval (6h, 30m) nor a cron expression of five fields (minute hour day month weekday, such as \"0 */6 * * *\")", s)
	}
	for _, f := range fields {
		if strings.Trim(f, "0123456789*/,-") != "" && !isCronName(f) {
			return 0, "", Errorf(EINVALID, "%q: the cron field %q may hold only digits, * / , - and day or month names", s, f)
		}
	}
	return 0, s, nil
}

func isCronName(f string) bool {
	for _, part := range strings.FieldsFunc(f, func(r rune) bool { return r == ',' || r == '-' }) {
		if len(part) != 3 || strings.IndexFunc(part, func(r rune) bool { return !unicode.IsLetter(r) }) >= 0 {
			return false
		}
	}
	return true
}

// String names a source in messages: its name and URL.
func (s BlocklistSource) String() string { return fmt.Sprintf("%s (%s)", s.Name, s.URL) }
