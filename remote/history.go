package remote

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/f2b"
	"github.com/bangui/bangui/core/f2bdb"
	"github.com/bangui/bangui/core/histsync"
)

// DefaultPython is the interpreter the history reader runs, the one
// HistorySudoersLine allows: python3 is fail2ban's only hard dependency,
// and its sqlite3 module comes with it.
const DefaultPython = "/usr/bin/python3"

// historyHello is the reader's first line; anything before it was printed
// by someone else (a login script).
const historyHello = "BANGUI-HISTORY 1"

// historyHeader holds the reader's imports and string constants: the code
// below (run through exec) cannot hold string literals of its own, see
// pyOneLine. The SQL mirrors core/f2bdb (rowSQL, BansAfter, currentSQL,
// Jails), with named parameters because ? is a sudoers wildcard.
var historyHeader = []string{
	"import sys,os,stat,time,json,sqlite3,urllib.parse,itertools",
	"I=sys.stdin.buffer",
	"O=sys.stdout.buffer",
	"LF=bytes((10,))",
	"E=bytes()",
	"SP=b\" \"",
	"D=b\"%d\"",
	"RH=b\"R %d %d %d %d %d %d %d %d\"+LF",
	"DF=b\"D %d\"+LF",
	"KE=b\"E\"",
	"KO=b\"O\"",
	"KJ=b\"J\"",
	"TP=b\"t\"",
	"CP=b\"c\"",
	"RP=\"replace\"",
	"EN=\"sqlite_errorname\"",
	"FU=\"file:\"",
	"MRO=chr(63)+\"mode=ro\"",
	"QO=\"PRAGMA query_only(1)\"",
	"QV=\"SELECT version FROM fail2banDb LIMIT 1\"",
	"QT=\"SELECT name FROM sqlite_master WHERE type = :t AND name IN (:a, :b)\"",
	"QP=\"SELECT name FROM pragma_table_info(:a)\"",
	"PT=dict(t=\"table\",a=\"bans\",b=\"bips\")",
	"QJ=\"WITH RECURSIVE j(name) AS (SELECT min(jail) FROM bans WHERE jail > char() UNION ALL SELECT (SELECT min(jail) FROM bans WHERE jail > j.name) FROM j WHERE j.name IS NOT NULL) SELECT name FROM jails UNION ALL SELECT name FROM j WHERE name IS NOT NULL\"",
	"S1=\"SELECT rowid, jail, ip, timeofban, \"",
	"S1M=\"SELECT max(rowid), jail, ip, timeofban, \"",
	"CM=\", \"",
	"S2=\", CASE WHEN length(data) > " + strconv.Itoa(f2bdb.MaxDataBytes) + " THEN NULL ELSE data END, length(data) FROM \"",
	"WB=\" WHERE jail = :j AND timeofban >= :t AND (timeofban > :t OR rowid > :r) ORDER BY timeofban, rowid LIMIT :n\"",
	"OJI=\" ORDER BY jail, ip\"",
	"GJI=\" GROUP BY jail, ip ORDER BY jail, ip\"",
	"BT=\"bantime\"",
	"BC=\"bancount\"",
	"M2=\"-2\"",
	"ONE=\"1\"",
	"BANS=\"bans\"",
	"BIPS=\"bips\"",
	"HELLO=b\"" + historyHello + "\"",
	"C=None",
	"NX=dict()",
	"FRESH=5",
}

// historyCode is the reader: it answers one request (a JSON array) per
// line of stdin with frames on stdout (see Frames below). Every query
// reads all its rows before the answer is written, so a slow connection
// never holds the read lock fail2ban's writes wait for. After a full page
// of bans it reads the next page while the client decodes this one, and
// serves it if asked for it within FRESH seconds. Lines are indented by
// at most one space and hold no quotes (pyOneLine).
const historyCode = `class NotRegular(Exception): pass
def tx(x): return x if type(x) is bytes else (E if x is None else repr(x).encode())
def fr(t,f): O.write(SP.join((t,D%len(f))+tuple(map(lambda x:D%len(x),f)))+LF+E.join(f))
def row(i,j,p,t,b,n,d,l): j=tx(j);p=tx(p);t=tx(t);b=tx(b);n=tx(n);d=tx(d);return RH%(i,len(j),len(p),len(t),len(b),len(n),len(d),l or 0)+j+p+t+b+n+d
def page(rows): O.writelines(itertools.starmap(row,rows)); O.write(DF%len(rows))
def first(r): return tx(r.__getitem__(0))
def opn(a):
 global C,QB,QC
 p,w=a
 m=os.stat(p).st_mode
 if stat.S_ISDIR(m): raise IsADirectoryError(p)
 if not stat.S_ISREG(m): raise NotRegular(p)
 os.close(os.open(p,os.O_RDONLY))
 C=sqlite3.connect(FU+urllib.parse.quote(p)+MRO,uri=True,timeout=w,isolation_level=None)
 C.text_factory=bytes
 C.execute(QO)
 v=C.execute(QV).fetchall()
 t=tuple(map(first,C.execute(QT,PT).fetchall()))
 c=tuple(map(first,C.execute(QP,PT).fetchall()))
 bt=BT if BT.encode() in c else M2
 bc=BC if BC.encode() in c else ONE
 QB=S1+bt+CM+bc+S2+BANS+WB
 QC=S1+BT+CM+BC+S2+BIPS+OJI if BIPS.encode() in t else S1M+bt+CM+bc+S2+BANS+GJI
 fr(KO,(D%len(v),first(v.__getitem__(0)) if v else E)+tuple(map(lambda x:TP+x,t))+tuple(map(lambda x:CP+x,c)))
def jails(a): fr(KJ,tuple(map(first,C.execute(QJ).fetchall())))
def bans(a):
 j,t,r,n=a
 x=NX.pop(tuple(a),None)
 rows=x.__getitem__(1) if x and time.monotonic()-x.__getitem__(0)<FRESH else C.execute(QB,dict(j=j,t=t,r=r,n=n)).fetchall()
 NX.clear()
 page(rows)
 O.flush()
 if len(rows)==n: pre(j,n,rows.__getitem__(-1))
def pre(j,n,last):
 i=last.__getitem__(0); t=last.__getitem__(3)
 try: NX.__setitem__((j,t,i,n),(time.monotonic(),C.execute(QB,dict(j=j,t=t,r=i,n=n)).fetchall())) if type(t) is int else None
 except Exception: NX.clear()
def cur(a): page(C.execute(QC).fetchall())
H=dict(open=opn,jails=jails,bans=bans,current=cur)
def serve(l):
 try: a=json.loads(l.decode()); H.get(a.pop(0))(a)
 except Exception as e: fr(KE,(type(e).__name__.encode(),str(e).encode(errors=RP),(getattr(e,EN,None) or E.decode()).encode()))
 O.flush()
O.write(HELLO+LF)
O.flush()
for l in iter(I.readline,E): serve(l)`

// historyScript is the one line passed to python3 -c: the header's
// statements, then exec of the code with each line as a string literal.
var historyScript = pyOneLine(historyHeader, historyCode)

// pyOneLine joins header statements with ';' and runs code through exec.
// The result must fit between single quotes in a shell line and in a
// sudoers rule, where sudo compares it word by word: no single quotes,
// backslashes, sudoers wildcards (* ? [ ]), comment marks (#), tabs,
// newlines or double spaces (TestHistoryScriptCharacters checks it).
// Python cannot put a block inside a one-line block, so the code is
// exec'd; each of its lines becomes a double-quoted string, so it holds
// no string literals of its own and takes them from the header.
func pyOneLine(header []string, code string) string {
	lines := strings.Split(code, "\n")
	for i, l := range lines {
		lines[i] = `"` + l + `"`
	}
	return strings.Join(header, ";") + ";exec(chr(10).join((" + strings.Join(lines, ",") + ")))"
}

// HistoryCommand is the fixed shell line that starts the history reader
// with python (DefaultPython when ""), under `sudo -n` when sudo is set.
// The database path and every request go to its stdin, never into the
// line, so a sudoers rule can pin it (HistorySudoersLine).
func HistoryCommand(python string, sudo bool) (string, error) {
	if python == "" {
		python = DefaultPython
	}
	if !socketRE.MatchString(python) {
		return "", core.Errorf(core.EINVALID, "%q is not a usable python3 path: it must be absolute and contain only letters, digits and . _ - + @ /", python)
	}
	cmd := python + " -I -c '" + historyScript + "'"
	if sudo {
		cmd = "sudo -n " + cmd
	}
	return cmd, nil
}

// HistorySudoersLine is the sudoers rule that lets user run the history
// reader as root without a password, and nothing else: a fixed python3
// script (isolated mode, -I, so nothing from the user's folder is
// imported) that opens the database path it reads on stdin read-only and
// answers fixed queries about fail2ban's tables. It lets user read any
// SQLite file shaped like fail2ban's, no more.
func HistorySudoersLine(user string) string {
	return historySudoersLine(user, DefaultPython)
}

func historySudoersLine(user, python string) string {
	return fmt.Sprintf("%s ALL=(root) NOPASSWD: %s -I -c %s", user, python, sudoersEscape(historyScript))
}

// HistoryOptions tune OpenHistory. The zero value runs DefaultPython as
// the SSH user.
type HistoryOptions struct {
	// Sudo runs the reader under `sudo -n`: set it when the SSH user is
	// not root (fail2ban's database is root-only), and add
	// HistorySudoersLine on the host.
	Sudo bool
	// Python is the interpreter's absolute path; "" = DefaultPython.
	Python string
	// BusyTimeout is how long a query waits while fail2ban writes;
	// 0 = 5 s (fail2ban's own writes wait as long for readers).
	BusyTimeout time.Duration
}

// HistoryReader reads fail2ban's database on an SSH host: one remote
// python3 process (see HistoryCommand) per reader, which opens the file
// read-only and answers the queries core/f2bdb runs locally; the rows are
// decoded here by f2bdb.Record, so they equal the local ones. It
// implements histsync.Reader.
//
// It is safe for concurrent use; requests run one at a time. A request
// whose ctx ends closes the remote process, as does a lost connection
// (EUNAVAILABLE); the next request starts a new one. Errors are
// *core.Error values.
type HistoryReader struct {
	src    ClientSource
	path   string
	opts   HistoryOptions
	target Target // set by start, under sem

	sem     chan struct{} // held by the running request
	mu      sync.Mutex
	proc    *historyProc // nil when none runs
	closed  bool
	version int
}

var _ histsync.Reader = (*HistoryReader)(nil)

// OpenHistory starts the reader on src's host and opens fail2ban's
// database at path there (the path "get dbfile" gives). Errors:
// ENOTFOUND (no such file, or no dbfile), EPERMISSION (the user may not
// read it, or sudo refused: the message has the sudoers line),
// EUNAVAILABLE (python3 missing, connection lost, database locked),
// EINVALID (not fail2ban's database), EUNSUPPORTED and ECONFLICT (layout
// versions, as f2bdb.Open), EPROTOCOL (a login script printed something
// first), ECANCELED.
func OpenHistory(ctx context.Context, src ClientSource, path string, opts HistoryOptions) (*HistoryReader, error) {
	if path == "" || path == ":memory:" {
		return nil, core.Errorf(core.ENOTFOUND,
			"fail2ban keeps no database file (dbfile = %q), so there is no ban history or failure count to read: set dbfile in fail2ban.local (Debian: /var/lib/fail2ban/fail2ban.sqlite3)", path)
	}
	if !strings.HasPrefix(path, "/") {
		return nil, core.Errorf(core.EINVALID, "fail2ban gives a relative database path %q: set an absolute dbfile in fail2ban.local", path)
	}
	if _, err := HistoryCommand(opts.Python, opts.Sudo); err != nil {
		return nil, err
	}
	if opts.BusyTimeout <= 0 {
		opts.BusyTimeout = 5 * time.Second
	}
	r := &HistoryReader{src: src, path: path, opts: opts, sem: make(chan struct{}, 1)}
	r.sem <- struct{}{}
	defer func() { <-r.sem }()
	p, err := r.start(ctx)
	if err != nil {
		return nil, err
	}
	r.proc = p
	return r, nil
}

// Path is the database's path on the host.
func (r *HistoryReader) Path() string { return r.path }

// Version is the layout version found in fail2banDb.
func (r *HistoryReader) Version() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.version
}

// Close ends the remote process.
func (r *HistoryReader) Close() error {
	r.mu.Lock()
	p := r.proc
	r.proc, r.closed = nil, true
	r.mu.Unlock()
	if p != nil {
		p.kill()
	}
	return nil
}

// Jails returns the names of every jail with history rows or in the jails
// table, sorted (as f2bdb.DB.Jails).
func (r *HistoryReader) Jails(ctx context.Context) ([]string, error) {
	seen := map[string]bool{}
	err := r.call(ctx, "reading the jails of", []any{"jails"}, func(p *historyProc) error {
		f, err := p.fieldFrame('J')
		for _, name := range f {
			seen[string(name)] = true
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return slices.Sorted(maps.Keys(seen)), nil
}

// BansAfter returns up to limit rows of jail's history after (afterTime,
// afterRowID), as f2bdb.DB.BansAfter does.
func (r *HistoryReader) BansAfter(ctx context.Context, jail string, afterTime time.Time, afterRowID int64, limit int) ([]f2bdb.BanRecord, error) {
	if limit <= 0 || limit > f2bdb.MaxLimit {
		limit = f2bdb.MaxLimit
	}
	var out []f2bdb.BanRecord
	err := r.call(ctx, "reading the ban history from", []any{"bans", jail, afterTime.Unix(), afterRowID, limit}, func(p *historyProc) error {
		out = make([]f2bdb.BanRecord, 0, limit)
		return p.rows(func(rec f2bdb.BanRecord) { out = append(out, rec) })
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Failures returns the failure count of the current/last ban of every
// (jail, IP) pair, keyed by f2bdb.Key, as f2bdb.DB.Failures does.
func (r *HistoryReader) Failures(ctx context.Context) (map[string]int, error) {
	out := map[string]int{}
	err := r.call(ctx, "reading the failure counts from", []any{"current"}, func(p *historyProc) error {
		return p.rows(func(rec f2bdb.BanRecord) { out[f2bdb.Key(rec.Jail, rec.IP)] = rec.Failures })
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// call sends req to the running process (starting one if needed) and
// reads the answer with read, one request at a time.
func (r *HistoryReader) call(ctx context.Context, what string, req []any, read func(*historyProc) error) error {
	select {
	case r.sem <- struct{}{}:
	case <-ctx.Done():
		return core.Wrap(ctx.Err(), core.ECANCELED, r.msg(what)+" was cancelled")
	}
	defer func() { <-r.sem }()
	r.mu.Lock()
	p, closed := r.proc, r.closed
	r.mu.Unlock()
	if closed {
		return core.Errorf(core.EINVALID, "%s: the reader is closed", r.msg(what))
	}
	if p == nil {
		var err error
		if p, err = r.start(ctx); err != nil {
			return err
		}
		r.mu.Lock()
		if r.closed {
			r.mu.Unlock()
			p.kill()
			return core.Errorf(core.EINVALID, "%s: the reader is closed", r.msg(what))
		}
		r.proc = p
		r.mu.Unlock()
	}
	err := p.roundTrip(ctx, req, read)
	var re *replyError
	if errors.As(err, &re) {
		return r.replyError(re, what)
	}
	if err != nil {
		r.mu.Lock()
		if r.proc == p {
			r.proc = nil
		}
		r.mu.Unlock()
		err = p.failure(ctx, err, r.msg(what)) // before kill: it waits for the exit status
		p.kill()
		return err
	}
	return nil
}

// msg completes "<what> fail2ban's database PATH on HOST".
func (r *HistoryReader) msg(what string) string {
	return fmt.Sprintf("%s fail2ban's database %s on %s", what, r.path, r.target.HostName)
}

// start runs a new process, checks its greeting and opens the database.
func (r *HistoryReader) start(ctx context.Context) (*historyProc, error) {
	cmd, err := HistoryCommand(r.opts.Python, r.opts.Sudo)
	if err != nil {
		return nil, err
	}
	c, err := r.src.SSHClient(ctx)
	if err != nil {
		return nil, err
	}
	r.target = c.target
	pp, err := c.startPiped(ctx, cmd, "the history reader")
	if err != nil {
		return nil, err
	}
	sess, stdin, stdout, stderr := pp.sess, pp.stdin, pp.stdout, pp.stderr
	// The stream's Close ends a blocked read at once: closing the session
	// alone waits for the remote process to let go of its output. (Not
	// stdin.Close: x/crypto's CloseWrite races with a Write under way.
	// sshd closes the script's stdin with the channel.)
	conn := newStreamConn(stdout, stdin, sess.Close, sshAddr("ssh-history:"+c.target.Addr()), nil, nil)
	p := &historyProc{
		client: c, sess: sess, conn: conn,
		out:    bufio.NewReaderSize(conn, 64<<10),
		stderr: stderr,
		exited: make(chan error, 1),
		python: r.pythonPath(), sudo: r.opts.Sudo,
	}
	go func() { p.exited <- sess.Wait() }()
	what := "opening"
	err = func() error {
		stop := context.AfterFunc(ctx, p.kill)
		defer stop()
		return p.hello()
	}()
	if err != nil {
		err = p.failure(ctx, err, r.msg(what))
		p.kill()
		return nil, err
	}
	var fields [][]byte
	err = p.roundTrip(ctx, []any{"open", r.path, r.opts.BusyTimeout.Seconds()}, func(p *historyProc) error {
		var err error
		fields, err = p.fieldFrame('O')
		return err
	})
	var re *replyError
	switch {
	case errors.As(err, &re):
		p.kill()
		return nil, r.replyError(re, what)
	case err != nil:
		err = p.failure(ctx, err, r.msg(what))
		p.kill()
		return nil, err
	}
	if err := r.checkLayout(fields); err != nil {
		p.kill()
		return nil, err
	}
	return p, nil
}

// checkLayout checks the open answer: the number of fail2banDb rows, the
// version, then "t"+table and "c"+column names (as f2bdb.Open).
func (r *HistoryReader) checkLayout(f [][]byte) error {
	where := fmt.Sprintf("%s on %s", r.path, r.target.HostName)
	if len(f) < 2 {
		return core.Errorf(core.EPROTOCOL, "the history reader on %s gave a short answer to open", r.target.HostName)
	}
	if string(f[0]) == "0" {
		return core.Errorf(core.EINVALID, "%s is not fail2ban's database: its fail2banDb table is empty", where)
	}
	n, ok := parseSQLInt(string(f[1]))
	if !ok {
		return core.Errorf(core.EINVALID, "%s is not fail2ban's database: its layout version is %q", where, f[1])
	}
	r.mu.Lock()
	r.version = int(n)
	r.mu.Unlock()
	if n < f2bdb.MinVersion {
		return core.Errorf(core.EUNSUPPORTED,
			"fail2ban's database %s has layout version %d, from a fail2ban older than 0.9; BanGUI reads versions %d to %d: restart fail2ban once to upgrade it",
			where, n, f2bdb.MinVersion, f2bdb.MaxVersion)
	}
	if n > f2bdb.MaxVersion {
		return core.Errorf(core.ECONFLICT,
			"fail2ban's database %s has layout version %d; this BanGUI reads versions %d to %d (fail2ban 0.9 to 1.1): update BanGUI",
			where, n, f2bdb.MinVersion, f2bdb.MaxVersion)
	}
	seen := map[string]bool{}
	for _, s := range f[2:] {
		seen[string(s)] = true
	}
	for _, need := range []string{"tbans", "cjail", "cip", "ctimeofban", "cdata"} {
		if !seen[need] {
			what := "table bans"
			if need[0] == 'c' {
				what = "bans " + need[1:]
			}
			return core.Errorf(core.EINVALID, "fail2ban's database %s (layout version %d) lacks %s", where, n, what)
		}
	}
	return nil
}

// parseSQLInt reads an SQLite value's text as f2bdb does: an integer, or
// a number rounded.
func parseSQLInt(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) {
		return 0, false
	}
	return int64(max(min(math.Round(f), math.MaxInt64/2), math.MinInt64/2)), true
}

// replyError is an error the reader reported for one request: the
// Python exception's class, message and SQLite error name (Python 3.11+).
type replyError struct {
	kind, msg, sqlite string
}

func (e *replyError) Error() string {
	return fmt.Sprintf("%s: %s", e.kind, e.msg)
}

// replyError maps a reported error to a *core.Error that says what to do.
func (r *HistoryReader) replyError(e *replyError, what string) error {
	msg := r.msg(what)
	host := r.target.HostName
	lower := strings.ToLower(e.msg)
	sq := strings.ToUpper(e.sqlite)
	has := func(s ...string) bool {
		for _, x := range s {
			if strings.Contains(lower, x) || strings.HasPrefix(sq, strings.ToUpper(x)) {
				return true
			}
		}
		return false
	}
	switch {
	case e.kind == "FileNotFoundError" || e.kind == "NotADirectoryError":
		return core.Wrap(e, core.ENOTFOUND, fmt.Sprintf("fail2ban's database %s does not exist on %s: is dbfile set? (fail2ban-client get dbfile)", r.path, host))
	case e.kind == "PermissionError":
		if r.opts.Sudo {
			return core.Wrap(e, core.EPERMISSION, fmt.Sprintf("%s failed: root may not read it either (SELinux or AppArmor?)", msg))
		}
		return core.Wrap(e, core.EPERMISSION, fmt.Sprintf(
			"%s is root-only on %s, so %s cannot read fail2ban's ban history: connect as root, let BanGUI use sudo with this sudoers line (add it with visudo, e.g. in /etc/sudoers.d/bangui-history): %s, or give %s read access (sudo setfacl -m u:%s:r %s)",
			r.path, host, r.target.User, historySudoersLine(r.target.User, r.pythonPath()), r.target.User, r.target.User, r.path))
	case e.kind == "IsADirectoryError":
		return core.Wrap(e, core.EINVALID, fmt.Sprintf("%s on %s is a folder, not fail2ban's database", r.path, host))
	case e.kind == "NotRegular":
		return core.Wrap(e, core.EINVALID, fmt.Sprintf("%s on %s is not a regular file, so not fail2ban's database", r.path, host))
	case has("sqlite_busy", "sqlite_locked", "database is locked", "database table is locked"):
		return core.Wrap(e, core.EUNAVAILABLE, msg+" failed: fail2ban kept it locked for more than "+core.FormatDuration(r.opts.BusyTimeout)+"; try again")
	case has("sqlite_notadb", "file is not a database", "file is encrypted"):
		return core.Wrap(e, core.EINVALID, msg+" failed: it is not an SQLite database")
	case has("sqlite_corrupt", "malformed", "corrupt"):
		return core.Wrap(e, core.EINVALID, msg+" failed: the file is damaged")
	case strings.Contains(lower, "no such table: fail2bandb"):
		return core.Wrap(e, core.EINVALID, fmt.Sprintf("%s on %s is not fail2ban's database (it has no fail2banDb table)", r.path, host))
	case has("no such table", "no such column"):
		return core.Wrap(e, core.EINVALID, msg+" failed: it is not fail2ban's database, or a layout this BanGUI does not know")
	case has("sqlite_perm", "sqlite_auth", "sqlite_readonly", "access permission denied", "not authorized"):
		return core.Wrap(e, core.EPERMISSION, msg+" failed: permission denied")
	case has("sqlite_cantopen", "sqlite_ioerr", "unable to open", "disk i/o error"):
		return core.Wrap(e, core.EUNAVAILABLE, msg+" failed: cannot read the file")
	}
	return core.Wrap(e, core.EINTERNAL, msg+" failed")
}

func (r *HistoryReader) pythonPath() string {
	if r.opts.Python == "" {
		return DefaultPython
	}
	return r.opts.Python
}

// historyProc is one running reader process.
type historyProc struct {
	client *Client
	sess   *ssh.Session
	conn   *streamConn // the session's stdout and stdin
	out    *bufio.Reader
	stderr *capBuffer
	exited chan error // sess.Wait's result, put back after reading
	python string
	sudo   bool
	buf    []byte // a row's fields, reused
}

// kill closes the session and ends a blocked read at once. The script
// ends at the end of its input, or when it next writes.
func (p *historyProc) kill() { _ = p.conn.Close() }

// roundTrip sends req and reads its answer with read; ctx ending kills
// the process. A *replyError is the reader's own answer.
func (p *historyProc) roundTrip(ctx context.Context, req []any, read func(*historyProc) error) error {
	line, err := json.Marshal(req)
	if err != nil {
		return core.Wrap(err, core.EINTERNAL, "encoding a history request")
	}
	stop := context.AfterFunc(ctx, p.kill)
	defer stop()
	if _, err := p.conn.Write(append(line, '\n')); err != nil {
		return err
	}
	return read(p)
}

// hello reads up to the greeting; text before it came from a login script.
func (p *historyProc) hello() error {
	var garbage []byte
	for {
		line, err := p.out.ReadSlice('\n')
		if err == nil && bytes.HasSuffix(line, []byte(historyHello+"\n")) {
			garbage = append(garbage, line[:len(line)-len(historyHello)-1]...)
			if len(garbage) > 0 {
				return garbageError(garbage, p.client.target)
			}
			return nil
		}
		garbage = append(garbage, line...)
		switch {
		case errors.Is(err, bufio.ErrBufferFull) || len(garbage) > 4096:
			return garbageError(garbage, p.client.target)
		case err != nil && len(garbage) > 0:
			// The process ended: what sudo or the shell said matters more.
			return &earlyEnd{garbage: garbage, err: err}
		case err != nil:
			return err
		}
	}
}

// earlyEnd is output that was not the greeting, then the end of it.
type earlyEnd struct {
	garbage []byte
	err     error
}

func (e *earlyEnd) Error() string { return fmt.Sprintf("output %q, then %v", e.garbage, e.err) }

func garbageError(text []byte, t Target) error {
	if len(text) > 200 {
		text = text[:200]
	}
	return core.Errorf(core.EPROTOCOL,
		"the history reader on %s printed %q before its greeting: a login script of %s (~/.ssh/rc, ~/.bashrc, ~/.profile, /etc/bash.bashrc) writes to standard output "+
			"even in non-interactive sessions. Make it print only on a terminal (test [ -t 1 ] or $- for i)", t.HostName, string(text), t.User)
}

// failure turns a broken request into a *core.Error: cancelled, the
// connection lost, or why the process ended (its stderr).
func (p *historyProc) failure(ctx context.Context, err error, what string) error {
	var ce *core.Error
	switch {
	case ctx.Err() != nil:
		return core.Wrap(ctx.Err(), core.ECANCELED, strings.ToUpper(what[:1])+what[1:]+" was cancelled")
	case p.client.Err() != nil:
		return core.Wrap(p.client.Err(), core.EUNAVAILABLE, fmt.Sprintf("the SSH connection to %s was lost while %s; the next try connects again", p.client.target.Addr(), what))
	case errors.As(err, &ce):
		return err
	}
	var werr error
	select {
	case werr = <-p.exited:
		p.exited <- werr
	case <-time.After(2 * time.Second):
	}
	if p.client.Err() != nil {
		return core.Wrap(p.client.Err(), core.EUNAVAILABLE, fmt.Sprintf("the SSH connection to %s was lost while %s; the next try connects again", p.client.target.Addr(), what))
	}
	status := -1
	var ee *ssh.ExitError
	if errors.As(werr, &ee) {
		status = ee.ExitStatus()
	}
	if cerr := classifyHistoryStderr(p.stderr.String(), status, p.client.target, p.python, p.sudo); cerr != nil {
		return cerr
	}
	var early *earlyEnd
	if errors.As(err, &early) {
		return garbageError(early.garbage, p.client.target)
	}
	if status > 0 {
		return core.Wrap(err, core.EUNAVAILABLE, fmt.Sprintf("the history reader on %s stopped with status %d while %s", p.client.target.HostName, status, what))
	}
	return core.Wrap(err, core.EUNAVAILABLE, fmt.Sprintf("the history reader on %s stopped while %s", p.client.target.HostName, what))
}

// classifyHistoryStderr says why the reader could not run, from what
// sudo, the shell or python wrote and the exit status (-1 unknown); nil
// when none of it is known.
func classifyHistoryStderr(stderr string, status int, t Target, python string, sudo bool) error {
	s := strings.TrimSpace(stderr)
	first := s
	if i := strings.IndexByte(first, '\n'); i >= 0 {
		first = first[:i]
	}
	lower := strings.ToLower(s)
	switch {
	case sudo && (strings.Contains(lower, "a password is required") || strings.Contains(lower, "not allowed to execute") ||
		strings.Contains(lower, "is not in the sudoers file") || strings.Contains(lower, "may not run sudo") ||
		strings.Contains(lower, "a terminal is required")):
		return core.Errorf(core.EPERMISSION,
			"%s may not run BanGUI's history reader with sudo without a password on %s (sudo said: %q). Ask an admin to add this line with visudo (e.g. in /etc/sudoers.d/bangui-history): %s "+
				"— it lets %s read fail2ban's database and nothing else; or connect as root",
			t.User, t.HostName, first, historySudoersLine(t.User, python), t.User)
	case sudo && (strings.Contains(lower, "sudo: not found") || strings.Contains(lower, "sudo: command not found")) && !strings.Contains(lower, python):
		return core.Errorf(core.ENOTFOUND, "sudo is not installed on %s: install it (apt install sudo) or connect as root", t.HostName)
	case strings.Contains(lower, strings.ToLower(python)) && (strings.Contains(lower, "not found") || strings.Contains(lower, "no such file")),
		status == 127:
		// ENOTFOUND, not EUNAVAILABLE: trying again cannot help.
		return core.Errorf(core.ENOTFOUND,
			"%s is missing on %s: BanGUI reads fail2ban's ban history with it. Install python3 there (apt install python3, or dnf install python3); fail2ban itself needs it, so check that fail2ban is installed",
			python, t.HostName)
	case strings.Contains(s, "No module named") && strings.Contains(s, "sqlite3"):
		return core.Errorf(core.ENOTFOUND, "python3 on %s lacks its sqlite3 module: install it (apt install libpython3-stdlib, or dnf install python3-libs)", t.HostName)
	case s != "":
		return core.Errorf(core.EUNAVAILABLE, "the history reader on %s failed: %q", t.HostName, first)
	}
	return nil
}

// Frames. Every answer is a header line and a payload:
//
//	H... greeting: the line historyHello (once, first)
//	O n l1..ln\n fields   open: fail2banDb rows, version, "t"/"c" names
//	J n l1..ln\n fields   jails: the names
//	E n l1..ln\n fields   error: class, message, SQLite error name
//	R rowid lj lp lt lb ln ld dlen\n jail ip timeofban bantime bancount data
//	D count\n             end of rows
//
// Lengths are decimal byte counts; values are SQLite's text of the column
// (Python's repr for numbers, empty for NULL).

// maxFieldBytes bounds one field (a data column is at most
// f2bdb.MaxDataBytes characters, up to 4 bytes each).
const maxFieldBytes = 4*f2bdb.MaxDataBytes + 1<<20

// header reads one header line, without its newline.
func (p *historyProc) header() ([]byte, error) {
	line, err := p.out.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		return nil, core.Errorf(core.EPROTOCOL, "the history reader on %s sent a header line longer than %d bytes", p.client.target.HostName, p.out.Size())
	}
	if err != nil {
		return nil, err
	}
	return line[:len(line)-1], nil
}

// fieldFrame reads a frame of fields whose tag must be want (or E).
func (p *historyProc) fieldFrame(want byte) ([][]byte, error) {
	line, err := p.header()
	if err != nil {
		return nil, err
	}
	return p.fields(line, want)
}

// fields reads the payload of the O, J or E frame whose header is line.
func (p *historyProc) fields(line []byte, want byte) ([][]byte, error) {
	parts := strings.Fields(string(line))
	if len(parts) < 2 || len(parts[0]) != 1 || (parts[0][0] != want && parts[0][0] != 'E') {
		return nil, p.protocolError(line)
	}
	n, err := strconv.Atoi(parts[1])
	if err != nil || n < 0 || n != len(parts)-2 {
		return nil, p.protocolError(line)
	}
	out := make([][]byte, n)
	for i := range out {
		l, err := strconv.Atoi(parts[i+2])
		if err != nil || l < 0 || l > maxFieldBytes {
			return nil, p.protocolError(line)
		}
		out[i] = make([]byte, l)
		if _, err := io.ReadFull(p.out, out[i]); err != nil {
			return nil, unexpected(err)
		}
	}
	if parts[0][0] == 'E' {
		e := &replyError{kind: "Error"}
		if len(out) > 0 {
			e.kind = string(out[0])
		}
		if len(out) > 1 {
			e.msg = string(out[1])
		}
		if len(out) > 2 {
			e.sqlite = string(out[2])
		}
		return nil, e
	}
	return out, nil
}

// rows reads R frames up to the D frame, giving each record to add.
func (p *historyProc) rows(add func(f2bdb.BanRecord)) error {
	var want int64 = -1
	got := int64(0)
	for want < 0 {
		line, err := p.header()
		if err != nil {
			return err
		}
		switch {
		case len(line) > 2 && line[0] == 'R' && line[1] == ' ':
			var h [8]int64
			if !parseInts(line[2:], h[:]) {
				return p.protocolError(line)
			}
			total := int64(0)
			for _, l := range h[1:7] {
				if l < 0 || l > maxFieldBytes {
					return p.protocolError(line)
				}
				total += l
			}
			if int64(cap(p.buf)) < total {
				p.buf = make([]byte, total)
			}
			b := p.buf[:total]
			if _, err := io.ReadFull(p.out, b); err != nil {
				return unexpected(err)
			}
			var f [6][]byte
			for i := range f {
				f[i], b = b[:h[i+1]], b[h[i+1]:]
			}
			data := f[5]
			if len(data) == 0 {
				data = nil
			}
			add(f2bdb.Record(h[0], string(f[0]), string(f[1]), f[2], f[3], f[4], data, h[7]))
			got++
		case len(line) > 2 && line[0] == 'D' && line[1] == ' ':
			var h [1]int64
			if !parseInts(line[2:], h[:]) || h[0] != got {
				return p.protocolError(line)
			}
			want = h[0]
		default:
			_, err := p.fields(line, 'R')
			if err == nil {
				err = p.protocolError(line)
			}
			return err
		}
	}
	return nil
}

// parseInts reads len(out) space-separated decimal integers (a leading
// minus allowed) that make up all of b.
func parseInts(b []byte, out []int64) bool {
	for i := range out {
		if i > 0 {
			if len(b) == 0 || b[0] != ' ' {
				return false
			}
			b = b[1:]
		}
		neg := len(b) > 0 && b[0] == '-'
		if neg {
			b = b[1:]
		}
		n, digits := int64(0), 0
		for len(b) > 0 && b[0] >= '0' && b[0] <= '9' {
			if digits >= 18 {
				return false
			}
			n = n*10 + int64(b[0]-'0')
			b, digits = b[1:], digits+1
		}
		if digits == 0 {
			return false
		}
		if neg {
			n = -n
		}
		out[i] = n
	}
	return len(b) == 0
}

func (p *historyProc) protocolError(line []byte) error {
	if len(line) > 200 {
		line = line[:200]
	}
	return core.Errorf(core.EPROTOCOL, "the history reader on %s sent %q, which is not part of its protocol", p.client.target.HostName, line)
}

// unexpected turns an EOF inside a frame into io.ErrUnexpectedEOF.
func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// HistoryTarget syncs an SSH server: the f2b client (over SSH) asks
// fail2ban where its database is and how long it keeps rows, as
// histsync.LocalTarget does, and Open runs the history reader through
// src, under sudo when sudo is set (an SSH user other than root).
func HistoryTarget(s core.Server, fc *f2b.Client, src ClientSource, sudo bool) histsync.Target {
	t := histsync.LocalTarget(s, fc)
	t.Open = func(ctx context.Context, path string) (histsync.Reader, error) {
		r, err := OpenHistory(ctx, src, path, HistoryOptions{Sudo: sudo})
		if err != nil {
			return nil, err // not a typed nil in the interface
		}
		return r, nil
	}
	return t
}

// FailureCounts reads the failure counts of an SSH server's current bans
// (HistoryReader.Failures) from the database fail2ban names: one reader
// started and closed.
func FailureCounts(ctx context.Context, src ClientSource, fc *f2b.Client, sudo bool) (map[string]int, error) {
	path, _, err := fc.DBFile(ctx)
	if err != nil {
		return nil, err
	}
	r, err := OpenHistory(ctx, src, path, HistoryOptions{Sudo: sudo})
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return r.Failures(ctx)
}
