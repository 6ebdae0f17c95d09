package f2b

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	pickle "github.com/kisielk/og-rek"

	"github.com/bangui/bangui/core"
)

// replayServer answers requests with recorded replies, over net.Pipe.
type replayServer struct {
	t       testing.TB
	replies map[string][]byte // joined args -> raw reply bytes
	mu      sync.Mutex
	dials   int
	// onRequest, when set, may write its own reply (and return true).
	onRequest func(args []string, conn net.Conn) bool
}

func newReplay(t testing.TB) *replayServer {
	r := &replayServer{t: t, replies: map[string][]byte{}}
	for _, rec := range recordings {
		r.replies[strings.Join(rec.args, " ")] = recording(t, rec.name)
	}
	return r
}

func (r *replayServer) DialF2B(ctx context.Context) (net.Conn, error) {
	r.mu.Lock()
	r.dials++
	r.mu.Unlock()
	client, server := net.Pipe()
	go r.serve(server)
	return client, nil
}

func (r *replayServer) serve(conn net.Conn) {
	defer conn.Close()
	br := bufio.NewReader(conn)
	for {
		v, err := pickle.NewDecoder(br).Decode()
		if err != nil {
			return
		}
		var marker [len(endMarker)]byte
		if _, err := io.ReadFull(br, marker[:]); err != nil {
			return
		}
		list, _ := v.([]any)
		args := make([]string, len(list))
		for i, a := range list {
			args[i], _ = a.(string)
		}
		if h := r.handler(); h != nil && h(args, conn) {
			continue
		}
		reply, ok := r.replies[strings.Join(args, " ")]
		if !ok {
			reply = recording(r.t, "error-invalid-command")
		}
		if _, err := conn.Write(reply); err != nil {
			return
		}
	}
}

// handle sets (or, with nil, clears) the custom request handler.
func (r *replayServer) handle(f func(args []string, conn net.Conn) bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.onRequest = f
}

func (r *replayServer) handler() func(args []string, conn net.Conn) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.onRequest
}

func (r *replayServer) dialCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.dials
}

func replayClient(t *testing.T) (*Client, *replayServer) {
	r := newReplay(t)
	c := New(r, Config{Location: time.UTC, Timeout: 5 * time.Second})
	t.Cleanup(func() { c.Close() })
	return c, r
}

func TestEncodeRequestProtocol4(t *testing.T) {
	b, err := encodeRequest([]string{"echo", "grüße"})
	if err != nil {
		t.Fatal(err)
	}
	if b[0] != 0x80 || b[1] != 4 {
		t.Fatalf("want protocol 4 header, got % x", b[:2])
	}
	if !bytes.HasSuffix(b, []byte(endMarker)) {
		t.Fatal("no end marker")
	}
	// Non-ASCII must travel as unicode (SHORT_BINUNICODE 0x8c), not py2 str.
	if !bytes.Contains(b, append([]byte{0x8c, byte(len("grüße"))}, "grüße"...)) {
		t.Fatalf("grüße not encoded as unicode: % x", b)
	}
}

func TestRefuseMarkers(t *testing.T) {
	for _, a := range []string{"x" + endMarker, closeMarker, "a<F2B_END_COMMAND>b"} {
		_, err := encodeRequest([]string{"echo", a})
		if core.ErrorCode(err) != core.EINVALID {
			t.Errorf("%q: %v", a, err)
		}
	}
	if _, err := encodeRequest(nil); core.ErrorCode(err) != core.EINVALID {
		t.Errorf("empty: %v", err)
	}
}

func TestDecodeRecordedReplies(t *testing.T) {
	decode := func(name string) (any, error) {
		v, err := readReply(bufio.NewReader(bytes.NewReader(recording(t, name))))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return decodeResult(v)
	}
	if v, err := decode("ping"); err != nil || v != "pong" {
		t.Errorf("ping %v %v", v, err)
	}
	if v, err := decode("echo-unicode"); err != nil || !slices.Equal(must(asStrings(v)), []string{"grüße", "日本"}) {
		t.Errorf("echo %v %v", v, err)
	}
	var se *ServerError
	_, err := decode("error-unknown-jail")
	if !errors.As(err, &se) || !se.IsUnknownJail() || se.Class != "fail2ban.exceptions.UnknownJailException" || se.Args[0] != "nojail" {
		t.Errorf("unknown jail %#v", err)
	}
	_, err = decode("error-invalid-command")
	if !errors.As(err, &se) || !se.IsInvalidCommand() {
		t.Errorf("invalid command %#v", err)
	}
	_, err = decode("error-not-banned")
	if !errors.As(err, &se) || se.Class != "builtins.ValueError" || !strings.Contains(se.Args[0], "203.0.113.77") {
		t.Errorf("not banned %#v", err)
	}
	_, err = decode("error-name-abc")
	if !errors.As(err, &se) || se.Class != "builtins.NameError" {
		t.Errorf("name error %#v", err)
	}
	var pe *ProtocolError
	_, err = decode("error-garbage-request")
	if !errors.As(err, &pe) || !strings.Contains(pe.Msg, "ERROR: ") {
		t.Errorf("garbage %#v", err)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestTypedCommandsOnRecordings(t *testing.T) {
	c, _ := replayClient(t)
	ctx := context.Background()
	if err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	v, err := c.Version(ctx)
	if err != nil || v.Major != 1 || v.Minor != 0 || v.Patch != 2 {
		t.Fatalf("version %v %v", v, err)
	}
	jails, err := c.Jails(ctx)
	if err != nil || !slices.Equal(jails, []string{"app1", "app2"}) {
		t.Fatalf("jails %v %v", jails, err)
	}
	st, err := c.JailStatus(ctx, "app1")
	if err != nil || st.CurrentlyBanned != 3 || len(st.BannedIPs) != 3 || !slices.Contains(st.BannedIPs, "2001:db8::10") || len(st.Files) != 1 || st.Backend != "files" {
		t.Fatalf("status %+v %v", st, err)
	}
	short, err := c.JailStatusShort(ctx, "app1")
	if err != nil || short.BannedIPs != nil || short.CurrentlyBanned != 3 || short.TotalFailed < 2 {
		t.Fatalf("short %+v %v", short, err)
	}
	bans, err := c.Bans(ctx, "app1")
	if err != nil || len(bans) != 3 {
		t.Fatalf("bans %+v %v", bans, err)
	}
	for _, b := range bans {
		if b.Permanent || b.BanTime != 10*time.Minute || b.End.Sub(b.Start) != b.BanTime || b.Start.Location() != time.UTC {
			t.Fatalf("ban %+v", b)
		}
	}
	perm, err := c.Bans(ctx, "app2")
	if err != nil || len(perm) != 1 || !perm[0].Permanent || perm[0].IP != "203.0.113.5" || !perm[0].End.IsZero() {
		t.Fatalf("permanent %+v %v", perm, err)
	}
	all, err := c.Banned(ctx)
	if err != nil || len(all) != 2 {
		t.Fatalf("banned %+v %v", all, err)
	}
	two, err := c.JailsOf(ctx, "192.0.2.10", "203.0.113.99")
	if err != nil || !slices.Equal(two["192.0.2.10"], []string{"app1"}) || len(two["203.0.113.99"]) != 0 {
		t.Fatalf("banned two %v %v", two, err)
	}
	one, err := c.JailsOf(ctx, "2001:db8::10")
	if err != nil || !slices.Equal(one["2001:db8::10"], []string{"app1"}) {
		t.Fatalf("banned one %v %v", one, err)
	}
	dp, err := c.datePattern(ctx, "app1")
	if err != nil || !strings.Contains(dp.Pattern, "%Y-%m-%d") || dp.Name == "" {
		t.Fatalf("datepattern %+v %v", dp, err)
	}
	db, ok, err := c.DBFile(ctx)
	if err != nil || !ok || !strings.HasSuffix(db, ".sqlite3") {
		t.Fatalf("dbfile %q %v %v", db, ok, err)
	}
	_, err = c.JailStatus(ctx, "nojail")
	if core.ErrorCode(err) != core.ENOTFOUND || !strings.Contains(core.ErrorMessage(err), `no jail "nojail"`) {
		t.Fatalf("unknown jail: %v", err)
	}
}

func TestParseBanLine(t *testing.T) {
	loc := time.FixedZone("server", 3600)
	b, err := parseBanLine("192.0.2.10 \t2026-11-27 02:42:29 + 600 = 2026-11-27 02:52:29", loc)
	if err != nil || b.IP != "192.0.2.10" || b.BanTime != 10*time.Minute || b.Start.Format(time.RFC3339) != "2026-11-27T02:42:29+01:00" || b.End.Sub(b.Start) != 10*time.Minute {
		t.Fatalf("%+v %v", b, err)
	}
	p, err := parseBanLine("2001:db8::1 \t2026-11-27 02:42:29 + -1 = 9999-12-31 23:59:59", loc)
	if err != nil || !p.Permanent || !p.End.IsZero() || p.BanTime != 0 {
		t.Fatalf("%+v %v", p, err)
	}
	for _, bad := range []string{"", "192.0.2.1", "192.0.2.1 \t2026-13-45 02:42:29 + 600 = 2026-11-27 02:52:29", "x \tnot a date + 1 = y"} {
		if _, err := parseBanLine(bad, loc); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestVersionGating(t *testing.T) {
	c, r := replayClient(t)
	// Serve version "0.11.1" (Ubuntu 20.04's), the rest from recordings.
	r.handle(func(args []string, conn net.Conn) bool {
		if len(args) == 1 && args[0] == "version" {
			var buf bytes.Buffer
			_ = pickle.NewEncoderWithConfig(&buf, &pickle.EncoderConfig{Protocol: 4}).Encode(pickle.Tuple{int64(0), "0.11.1"})
			buf.WriteString(endMarker)
			_, _ = conn.Write(buf.Bytes())
			return true
		}
		return false
	})
	ctx := context.Background()
	_, err := c.Banned(ctx)
	var ve *VersionError
	if core.ErrorCode(err) != core.EUNSUPPORTED || !errors.As(err, &ve) ||
		core.ErrorMessage(err) != "banned needs fail2ban 0.10.6 (or 0.11.2) or newer, server has 0.11.1: upgrade fail2ban on that server" {
		t.Fatalf("banned on 0.11.1: %v", err)
	}
	if _, err := c.JailStatusShort(ctx, "app1"); core.ErrorCode(err) != core.EUNSUPPORTED {
		t.Fatalf("short on 0.11.1: %v", err)
	}
	// --with-time exists since 0.11.1.
	if _, err := c.Bans(ctx, "app1"); err != nil {
		t.Fatalf("with-time on 0.11.1: %v", err)
	}
	// Overview falls back to the full status form.
	if ov, err := c.Overview(ctx); err != nil || len(ov) != 2 || ov[0].CurrentlyBanned != 3 {
		t.Fatalf("overview on 0.11.1: %+v %v", ov, err)
	}
}

func TestFeatureSupports(t *testing.T) {
	cases := []struct {
		v    string
		f    feature
		want bool
	}{
		{"0.10.5", featBanned, false}, {"0.10.6", featBanned, true}, {"0.11.1", featBanned, false},
		{"0.11.2", featBanned, true}, {"0.9.7", featBanned, false}, {"1.0.2", featBanned, true},
		{"1.1.1.dev1", featBanned, true}, {"0.11.0", featWithTime, false}, {"0.11.1", featWithTime, true},
		{"0.10.6", featWithTime, false}, {"1.0.2", featWithTime, true},
	}
	for _, c := range cases {
		v, err := core.ParseVersion(c.v)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.f.supports(v); got != c.want {
			t.Errorf("%s %s: got %v", c.f.name, c.v, got)
		}
	}
}

// A systemd jail reports "Journal matches" instead of a file list.
func TestDecodeJournalStatus(t *testing.T) {
	v := []any{
		pickle.Tuple{"Filter", []any{
			pickle.Tuple{"Currently failed", int64(1)}, pickle.Tuple{"Total failed", int64(7)},
			pickle.Tuple{"Journal matches", []any{"_SYSTEMD_UNIT=sshd.service + _COMM=sshd"}},
		}},
		pickle.Tuple{"Actions", []any{
			pickle.Tuple{"Currently banned", int64(2)}, pickle.Tuple{"Total banned", int64(5)},
			pickle.Tuple{"Banned IP list", []any{"192.0.2.1", "192.0.2.2"}},
		}},
	}
	st, err := decodeJailStatus(v, true)
	if err != nil || st.Backend != "systemd" || st.Files != nil || st.TotalFailed != 7 || len(st.BannedIPs) != 2 {
		t.Fatalf("%+v %v", st, err)
	}
}
