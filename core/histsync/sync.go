// Package histsync copies each server's ban history from fail2ban's own
// database into the local cache (core/store), incrementally and
// idempotently, so history outlives fail2ban's purge (dbpurgeage) and the
// deletes it does on unban.
//
// Per server and jail, a cursor (the newest time of ban copied) says where
// the last sync got to. A sync reads the jail's rows from a little before
// the cursor (Overlap: fail2ban writes rows asynchronously, up to a second
// late) in pages walked by (timeofban, rowid), and stores each page with its
// cursor in one cache transaction. The cache skips rows it holds already,
// so a page read twice is stored once, and a crash loses or doubles
// nothing. The cursor never moves past the time the sync started: a row
// dated in the future (a bad clock) cannot make it skip real rows.
//
// Reading and storing overlap: one goroutine reads the next page while the
// current one is written.
package histsync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"time"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/f2bdb"
	"github.com/bangui/bangui/core/store"
)

// Reader is a server's fail2ban database, open for reading (*f2bdb.DB
// locally; the remote package provides one over SSH).
type Reader interface {
	Jails(ctx context.Context) ([]string, error)
	BansAfter(ctx context.Context, jail string, after time.Time, afterRowID int64, limit int) ([]f2bdb.BanRecord, error)
	Close() error
}

// Target is one server to sync.
type Target struct {
	Server core.Server
	// Info asks the server where its database is ("get dbfile") and how
	// long fail2ban keeps rows ("get dbpurgeage"; 0 when unknown).
	Info func(ctx context.Context) (path string, purgeAge time.Duration, err error)
	// Open opens the database at path for reading.
	Open func(ctx context.Context, path string) (Reader, error)
}

// Defaults.
const (
	DefaultInterval = 5 * time.Minute
	DefaultOverlap  = 10 * time.Minute
	DefaultPageSize = f2bdb.MaxLimit
	DefaultRetries  = 6
	// DefaultBatchRows caps the rows stored in one cache transaction.
	DefaultBatchRows = 50_000
)

// BatchDelay is the longest a sync gathers pages before storing them: a
// slow read still reaches the cache (and a crash loses) no more than
// about this much work.
const BatchDelay = time.Second

// Syncer syncs servers into one cache. The zero values of its options
// mean the defaults above.
type Syncer struct {
	Store *store.DB
	// Interval is how often the sync runs; only used to warn when
	// fail2ban purges its rows sooner than the sync could catch them.
	Interval time.Duration
	Overlap  time.Duration
	PageSize int
	// BatchRows caps the rows of one cache transaction. Pages read while
	// the previous transaction ran are stored together, up to this many
	// rows: each transaction rewrites the index pages it touches
	// (the addresses' indexes are touched all over), so a sync that reads
	// faster than it stores commits less often; one that reads slowly
	// stores each page as it comes.
	BatchRows int
	// Retries is how many times a read of a locked database is tried
	// again (fail2ban writes hold it for short times; each try waits 5 s
	// for the lock first); Backoff is the first pause between tries,
	// doubled each time up to 10 s.
	Retries int
	Backoff time.Duration
	Now     func() time.Time
	Logger  *slog.Logger
	// Locator gives each new row its country as it is read (offline
	// sources only; the geo task asks the online service later). nil:
	// rows are stored not located yet.
	Locator core.Locator
}

// locate sets the rows' countries.
func (s *Syncer) locate(rows []core.HistoryBan) {
	if s.Locator == nil || len(rows) == 0 {
		return
	}
	ips := make([]string, len(rows))
	for i, b := range rows {
		ips[i] = b.IP
	}
	for i, c := range s.Locator.Countries(ips) {
		rows[i].Country = c
	}
}

// markBlocklist marks the manual bans among rows (a page of jail on
// server) that a blocklist import made: origin blocklist, Source the
// list's name. One look-up in the cache per page. Bans with failures stay
// auto: fail2ban's filter found them, whether or not a list holds the
// address too.
func (s *Syncer) markBlocklist(ctx context.Context, serverID int64, jail string, rows []core.HistoryBan) error {
	var ips []string
	for _, b := range rows {
		if b.Origin == core.OriginManual {
			ips = append(ips, b.IP)
		}
	}
	if len(ips) == 0 {
		return nil
	}
	names, err := s.Store.BlocklistOrigins(ctx, serverID, jail, ips)
	if err != nil {
		return core.Wrap(err, core.EINTERNAL, fmt.Sprintf("reading the blocklists' bans of jail %s from the cache failed", jail))
	}
	for i, b := range rows {
		if name, ok := names[b.IP]; ok && b.Origin == core.OriginManual {
			rows[i].Origin, rows[i].Source = core.OriginBlocklist, name
		}
	}
	return nil
}

// Result says what one sync of one server did.
type Result struct {
	Read    int // rows read from fail2ban's database (the overlap included)
	Copied  int // rows new to the cache
	Skipped int // rows without a usable IP address, not copied
	BadData int // rows whose data column could not be decoded (copied without failures and log lines)
	Jails   int
	Warning string
}

func (r Result) String() string {
	s := fmt.Sprintf("%d new bans copied (%d rows read from %d jails)", r.Copied, r.Read, r.Jails)
	if r.Skipped > 0 {
		s += fmt.Sprintf("; %d rows without a valid IP skipped", r.Skipped)
	}
	if r.BadData > 0 {
		s += fmt.Sprintf("; %d rows with unreadable data", r.BadData)
	}
	return s
}

func (s *Syncer) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Syncer) log() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

func orDefault[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// Sync copies t's new history rows into the cache and records how it went
// (store.SetSyncStatus), also when it fails. Errors are *core.Error values
// that say what to do.
func (s *Syncer) Sync(ctx context.Context, t Target) (Result, error) {
	started := s.now()
	res, path, err := s.sync(ctx, t, started)
	// StoreBans grew the writer's page cache for the sync.
	if rerr := s.Store.ReleaseWriteCache(context.WithoutCancel(ctx)); rerr != nil {
		s.log().Warn("history sync: releasing the write cache failed", "err", rerr)
	}
	status := core.SyncStatus{ServerID: t.Server.ID, AttemptedAt: started, DBPath: path, Warning: res.Warning}
	if err != nil {
		status.Error = core.ErrorMessage(err)
	} else {
		status.SyncedAt, status.Copied = started, res.Copied
	}
	// Recorded even when ctx ended: the status must say so.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if serr := s.Store.SetSyncStatus(rctx, status); serr != nil {
		err = errors.Join(err, serr)
	}
	if err != nil {
		s.log().Warn("history sync failed", "server", t.Server.Name, "err", err)
	} else {
		s.log().Info("history sync", "server", t.Server.Name, "result", res.String(), "took", s.now().Sub(started).Round(time.Millisecond))
	}
	return res, err
}

func (s *Syncer) sync(ctx context.Context, t Target, started time.Time) (Result, string, error) {
	var res Result
	path, purgeAge, err := t.Info(ctx)
	if err != nil {
		return res, "", err
	}
	res.Warning = s.purgeWarning(ctx, t.Server.ID, purgeAge, started)
	var db Reader
	err = s.retry(ctx, func() error {
		var err error
		db, err = t.Open(ctx, path)
		return err
	})
	if err != nil {
		return res, path, err
	}
	defer db.Close()

	var jails []string
	if err := s.retry(ctx, func() error {
		var err error
		jails, err = db.Jails(ctx)
		return err
	}); err != nil {
		return res, path, err
	}
	cursors, err := s.Store.SyncCursors(ctx, t.Server.ID)
	if err != nil {
		return res, path, err
	}
	for _, jail := range jails {
		if err := s.syncJail(ctx, t.Server.ID, db, jail, cursors[jail], started, &res); err != nil {
			return res, path, err
		}
		res.Jails++
	}
	return res, path, nil
}

// page is one page read from fail2ban's database, ready to store.
type page struct {
	rows             []core.HistoryBan
	cursor           store.SyncCursor
	read             int
	skipped, badData int
	err              error
}

func (s *Syncer) syncJail(ctx context.Context, serverID int64, db Reader, jail string, cur store.SyncCursor, started time.Time, res *Result) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	limit := orDefault(s.BatchRows, DefaultBatchRows)
	// The reader keeps up to a batch of pages ready while one is stored.
	pages := make(chan page, max(1, limit/orDefault(s.PageSize, DefaultPageSize)))
	go s.readJail(ctx, db, jail, cur, started, pages)
	var batch []core.HistoryBan
	var next store.SyncCursor
	flush := func() error {
		n, err := s.Store.StoreBans(ctx, serverID, batch, []store.SyncCursor{next})
		if err != nil {
			return core.Wrap(err, core.EINTERNAL, fmt.Sprintf("storing the history of jail %s in the cache failed", jail))
		}
		res.Copied += n
		batch = batch[:0]
		return nil
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	for p := range pages {
		// Gather pages into one transaction: up to limit rows, for at most
		// BatchDelay, or until the jail is read.
		timer.Reset(BatchDelay)
		for open := true; open; {
			if p.err == nil {
				p.err = s.markBlocklist(ctx, serverID, jail, p.rows)
			}
			if p.err != nil {
				if len(batch) > 0 && ctx.Err() == nil {
					if err := flush(); err != nil {
						return errors.Join(p.err, err)
					}
				}
				return p.err
			}
			res.Read += p.read
			res.Skipped += p.skipped
			res.BadData += p.badData
			batch = append(batch, p.rows...)
			next = p.cursor
			if len(batch) >= limit {
				break
			}
			select {
			case p, open = <-pages:
			case <-timer.C:
				open = false
			}
		}
		if !timer.Stop() {
			select { // drained, for the next Reset (Go < 1.23 timers)
			case <-timer.C:
			default:
			}
		}
		if err := flush(); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// readJail reads jail's rows after its cursor, page by page, into pages,
// and closes it.
func (s *Syncer) readJail(ctx context.Context, db Reader, jail string, cur store.SyncCursor, started time.Time, pages chan<- page) {
	defer close(pages)
	after := time.Unix(0, 0)
	if cur.TimeOfBan > 0 {
		after = time.Unix(cur.TimeOfBan, 0).Add(-orDefault(s.Overlap, DefaultOverlap))
	}
	afterRow := int64(-1 << 62)
	limit := orDefault(s.PageSize, DefaultPageSize)
	next := cur
	next.Jail = jail
	for {
		var recs []f2bdb.BanRecord
		err := s.retry(ctx, func() error {
			var err error
			recs, err = db.BansAfter(ctx, jail, after, afterRow, limit)
			return err
		})
		if err != nil {
			select {
			case pages <- page{err: err}:
			case <-ctx.Done():
			}
			return
		}
		if len(recs) == 0 {
			return
		}
		p := page{read: len(recs), rows: make([]core.HistoryBan, 0, len(recs))}
		for _, r := range recs {
			b, ok := convert(r)
			if !ok {
				p.skipped++
				continue
			}
			if r.DataErr != nil {
				p.badData++
			}
			p.rows = append(p.rows, b)
			// The cursor follows the rows, but never past the sync's start.
			if ts := r.TimeOfBan.Unix(); ts > next.TimeOfBan && ts <= started.Unix() {
				next.TimeOfBan, next.RowID = ts, r.RowID
			}
		}
		s.locate(p.rows)
		p.cursor = next
		last := recs[len(recs)-1]
		after, afterRow = last.TimeOfBan, last.RowID
		select {
		case pages <- p:
		case <-ctx.Done():
			return
		}
		if len(recs) < limit {
			return
		}
	}
}

// convert turns a fail2ban row into a cache row; false for a row without a
// usable IP address.
func convert(r f2bdb.BanRecord) (core.HistoryBan, bool) {
	a, err := netip.ParseAddr(r.IP)
	if err != nil || r.Jail == "" {
		return core.HistoryBan{}, false
	}
	ip := r.IP // ParseAddr takes IPv4 only in the dotted form String gives
	if !a.Is4() {
		ip = a.Unmap().String()
	}
	b := core.HistoryBan{
		Jail:      r.Jail,
		IP:        ip,
		TimeOfBan: r.TimeOfBan,
		BanTime:   r.BanTime,
		BanCount:  r.BanCount,
		Failures:  r.Failures,
		Matches:   r.Matches,
		Origin:    core.OriginAuto,
	}
	if r.DataErr == nil && r.Failures == 0 && len(r.Matches) == 0 {
		b.Origin = core.OriginManual
	}
	return b, true
}

// retry runs f until it succeeds, fails for a reason retrying cannot fix,
// or s.Retries tries failed. Only EUNAVAILABLE errors (a locked or
// momentarily unreadable database) are tried again.
func (s *Syncer) retry(ctx context.Context, f func() error) error {
	wait := orDefault(s.Backoff, time.Second)
	tries := orDefault(s.Retries, DefaultRetries)
	for i := 1; ; i++ {
		err := f()
		if err == nil || core.ErrorCode(err) != core.EUNAVAILABLE || i >= tries {
			return err
		}
		s.log().Info("fail2ban's database is busy; trying again", "try", i, "wait", wait, "err", err)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return core.Wrap(ctx.Err(), core.ECANCELED, "the history sync was cancelled")
		}
		wait = min(wait*2, 10*time.Second)
	}
}

// purgeWarning explains when fail2ban deletes rows sooner than the sync can
// copy them: dbpurgeage shorter than two sync intervals, or a last sync
// longer ago than dbpurgeage.
func (s *Syncer) purgeWarning(ctx context.Context, serverID int64, purgeAge time.Duration, now time.Time) string {
	if purgeAge <= 0 {
		return ""
	}
	interval := orDefault(s.Interval, DefaultInterval)
	if purgeAge < 2*interval {
		return fmt.Sprintf("fail2ban keeps its ban history only %s (dbpurgeage) and the sync runs every %s: bans may be purged before they are copied. Set dbpurgeage to 7d or more in fail2ban.local, or sync more often.",
			core.FormatDuration(purgeAge), core.FormatDuration(interval))
	}
	states, err := s.Store.SyncStates(ctx)
	if err != nil {
		return ""
	}
	for _, st := range states {
		if st.ServerID == serverID && !st.SyncedAt.IsZero() && now.Sub(st.SyncedAt) > purgeAge {
			return fmt.Sprintf("The last sync was %s ago, longer than fail2ban keeps its history (dbpurgeage %s): bans from that gap may be missing. Raise dbpurgeage in fail2ban.local to cover the times BanGUI is not running.",
				core.FormatDuration(now.Sub(st.SyncedAt).Round(time.Minute)), core.FormatDuration(purgeAge))
		}
	}
	return ""
}
