package core

import (
	"context"
	"time"
)

// Ban origins: how a cached ban came to be.
const (
	OriginAuto      = "auto"      // found by a filter (fail2ban counted failures)
	OriginManual    = "manual"    // banned by hand ("set <jail> banip")
	OriginBlocklist = "blocklist" // imported from a blocklist (Source names it)
)

// Origins lists the ban origins in display order.
var Origins = []string{OriginAuto, OriginManual, OriginBlocklist}

// HistoryBan is one ban kept in the local history cache.
type HistoryBan struct {
	ServerID  int64
	Server    string // the server's name when the row was read
	Jail      string
	IP        string
	TimeOfBan time.Time
	// BanTime is the ban's length: -1s permanent, -2s unknown (databases
	// of fail2ban 0.9 and 0.10).
	BanTime  time.Duration
	BanCount int
	Failures int
	// Matches are the matched log lines (empty for manual bans). Pages of
	// the history table leave them out; IPTimeline fills them.
	Matches []string
	Origin  string
	Source  string // the blocklist's name for OriginBlocklist
	// Country is where the address is: an ISO 3166-1 alpha-2 code,
	// CountryUnknown, CountryNotRoutable, or "" when not located yet.
	Country string
}

// HistoryFilter selects cached bans. Zero fields select everything.
type HistoryFilter struct {
	From, To  time.Time // TimeOfBan in [From, To); zero = open
	ServerIDs []int64   // empty = every server
	Jail      string
	IP        string // one address, or a CIDR block
	Origin    string
	// Country: an alpha-2 code, CountryNotRoutable, or CountryUnknown
	// (which also selects addresses not located yet).
	Country string
}

// HistoryKey is a ban's position in the history's order (newest first):
// the key of the last row of a page, to ask for the next one.
type HistoryKey struct {
	TimeOfBan int64 // unix seconds
	ServerID  int64
	Jail      string
	IP        string
}

// Key returns b's position in the history's order.
func (b HistoryBan) Key() HistoryKey {
	return HistoryKey{TimeOfBan: b.TimeOfBan.Unix(), ServerID: b.ServerID, Jail: b.Jail, IP: b.IP}
}

// Bucket is one bar of a ban trend.
type Bucket struct {
	Start time.Time
	Count int
}

// NamedCount is one bar of a "by X" chart.
type NamedCount struct {
	Name  string
	Count int
}

// Dashboard holds the numbers of the dashboard for one time range.
type Dashboard struct {
	From, To time.Time
	// Step is the width of Trend's buckets: an hour for ranges up to a
	// week, a UTC day up to 90 days, a week (7 UTC days) beyond.
	Step    time.Duration
	Trend   []Bucket
	ByJail  []NamedCount // most bans first
	TopIPs  []NamedCount // most bans first, at most TopIPLimit
	Origins []NamedCount // in Origins' order, zero counts left out
	Total   int
}

// TopIPLimit is how many addresses Dashboard.TopIPs holds at most.
const TopIPLimit = 10

// SyncStatus is how the last history sync of one server went.
type SyncStatus struct {
	ServerID    int64
	AttemptedAt time.Time // zero: never tried
	SyncedAt    time.Time // the last sync that succeeded; zero: never
	DBPath      string    // fail2ban's database file on that server
	Copied      int       // rows copied by the last successful sync
	Error       string    // why the last attempt failed; "" when it did not
	Warning     string    // something the admin should know (dbpurgeage, ...)
}

// History reads the history cache (core/store implements it).
type History interface {
	Dashboard(ctx context.Context, f HistoryFilter) (Dashboard, error)
	// HistoryPage returns up to limit bans matching f, newest first,
	// after the position after (nil: from the newest).
	HistoryPage(ctx context.Context, f HistoryFilter, after *HistoryKey, limit int) ([]HistoryBan, error)
	// HistorySeek returns the position skip rows after the position after
	// (nil: before the newest), so a table can jump deep into the
	// history without reading the rows in between; nil when fewer rows
	// follow.
	HistorySeek(ctx context.Context, f HistoryFilter, after *HistoryKey, skip int) (*HistoryKey, error)
	// HistoryJails returns the jail names in the history, sorted.
	HistoryJails(ctx context.Context) ([]string, error)
	// CountHistory counts the bans matching f.
	CountHistory(ctx context.Context, f HistoryFilter) (int, error)
	// IPTimeline returns every cached ban of ip, newest first, with its
	// matched log lines.
	IPTimeline(ctx context.Context, ip string) ([]HistoryBan, error)
	// SyncStates returns the last sync of every server that has one.
	SyncStates(ctx context.Context) ([]SyncStatus, error)
	// Newest returns the time of the newest cached ban (zero when none).
	Newest(ctx context.Context) (time.Time, error)
	// CountryCounts counts the bans matching f by country code, most
	// first, over f's range (default: the last 24 hours). Addresses not
	// located yet count as CountryUnknown.
	CountryCounts(ctx context.Context, f HistoryFilter) ([]NamedCount, error)
	// TopIPs returns the addresses banned most among the bans matching f
	// (range as CountryCounts), most first, at most TopIPLimit.
	TopIPs(ctx context.Context, f HistoryFilter) ([]NamedCount, error)
}

// Country codes that are not ISO 3166-1 alpha-2.
const (
	// CountryUnknown: no geo source knows the address.
	CountryUnknown = "?"
	// CountryNotRoutable: a private, loopback, documentation or otherwise
	// reserved address, never looked up.
	CountryNotRoutable = "-"
)

// Locator gives addresses their country codes from offline sources, fast
// enough for every row of a sync (core/geo implements it).
type Locator interface {
	// Countries returns the country code of each address: alpha-2,
	// CountryUnknown (also for text that is not an address) or
	// CountryNotRoutable.
	Countries(ips []string) []string
}
