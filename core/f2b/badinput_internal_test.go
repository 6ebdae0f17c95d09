package f2b

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	pickle "github.com/kisielk/og-rek"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/internal/testenv"
)

// Every bad input the issue lists gets a clear error and sends nothing: the
// replay server counts dials, and none happens for refused input.
func TestBadInputSendsNothing(t *testing.T) {
	c, r := replayClient(t)
	ctx := context.Background()
	cases := []struct {
		name string
		call func() error
		want string // part of the user message
	}{
		{"ip not-an-ip!", func() error { _, err := c.BanIP(ctx, "app1", []string{"not-an-ip!"}, nil); return err }, `"not-an-ip!" is not an IP address`},
		{"ip 999.1.1.1", func() error { _, err := c.BanIP(ctx, "app1", []string{"999.1.1.1"}, nil); return err }, `"999.1.1.1" is not an IP address`},
		{"ip with zone", func() error { _, err := c.UnbanIP(ctx, "app1", []string{"fe80::1%eth0"}, nil); return err }, "interface zone"},
		{"bad ip in a list", func() error {
			_, err := c.BanIP(ctx, "app1", []string{"192.0.2.1", "192.0.2.300"}, nil)
			return err
		}, "entry 2:"},
		{"empty ip list", func() error { _, err := c.BanIP(ctx, "app1", nil, nil); return err }, "no IP addresses given"},
		{"empty unban", func() error { _, err := c.Unban(ctx); return err }, "no IP addresses given"},
		{"cidr host bits", func() error { _, err := c.BanIP(ctx, "app1", []string{"198.51.100.7/24"}, nil); return err }, "did you mean 198.51.100.0/24"},
		{"jail with space", func() error { _, err := c.JailStatus(ctx, "my jail"); return err }, "not a valid jail name"},
		{"jail with quote", func() error { _, err := c.JailStatus(ctx, `ss"hd`); return err }, "not a valid jail name"},
		{"jail ../", func() error { _, err := c.Bans(ctx, "../etc"); return err }, "not a valid jail name"},
		{"jail dots", func() error { _, err := c.Bans(ctx, "a..b"); return err }, "not a valid jail name"},
		{"jail end marker", func() error { _, err := c.SetBanTime(ctx, "x"+endMarker, "10m"); return err }, "not a valid jail name"},
		{"empty jail", func() error { return c.SetIdle(ctx, "", true) }, "not a valid jail name"},
		{"bantime abc", func() error { _, err := c.SetBanTime(ctx, "app1", "abc"); return err }, `"abc" is not a time`},
		{"bantime 1d;rm", func() error { _, err := c.SetBanTime(ctx, "app1", "1d;rm"); return err }, `"1d;rm" is not a time`},
		{"bantime empty", func() error { _, err := c.SetBanTime(ctx, "app1", " "); return err }, "is not a time"},
		{"findtime forever", func() error { _, err := c.SetFindTime(ctx, "app1", "-1"); return err }, "not allowed here"},
		{"maxretry 0", func() error { _, err := c.SetMaxRetry(ctx, "app1", 0); return err }, "out of range"},
		{"ignoreip garbage", func() error { _, err := c.AddIgnoreIP(ctx, "app1", "not an ip!"); return err }, "not an IP address, network or host name"},
		{"banned with bad ip", func() error { _, err := c.JailsOf(ctx, "1.2.3"); return err }, "is not an IP address"},
		{"raw with marker", func() error { _, err := c.Raw(ctx, "echo", closeMarker); return err }, "protocol marker"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if core.ErrorCode(err) != core.EINVALID {
				t.Fatalf("want invalid, got %v", err)
			}
			if msg := core.ErrorMessage(err); !strings.Contains(msg, tc.want) {
				t.Fatalf("message %q lacks %q", msg, tc.want)
			}
		})
	}
	if r.dialCount() != 0 {
		t.Fatalf("bad input reached the server: %d dials", r.dialCount())
	}
}

func TestDialErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "regular")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(dir, "stale.sock")
	l, err := net.Listen("unix", stale)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
	cases := []struct {
		path, code, want string
	}{
		{filepath.Join(dir, "missing.sock"), core.EUNAVAILABLE, "is fail2ban running?"},
		{file, core.EINVALID, "is not a socket but a regular file"},
		{dir, core.EINVALID, "is not a socket but a folder"},
		{stale, core.EUNAVAILABLE, "fail2ban is not running"},
	}
	for _, tc := range cases {
		c := New(UnixDialer{Path: tc.path}, Config{Timeout: 2 * time.Second})
		err := c.Ping(context.Background())
		if core.ErrorCode(err) != tc.code || !strings.Contains(core.ErrorMessage(err), tc.want) {
			t.Errorf("%s: %s / %q", tc.path, core.ErrorCode(err), core.ErrorMessage(err))
		}
		c.Close()
	}
}

// TestDialPermissionDenied dials a root-only socket as an unprivileged user:
// as root it re-runs this test binary under setpriv as nobody.
func TestDialPermissionDenied(t *testing.T) {
	if path := os.Getenv("BANGUI_DIAL_AS_NOBODY"); path != "" {
		err := New(UnixDialer{Path: path}, Config{Timeout: 2 * time.Second}).Ping(context.Background())
		if core.ErrorCode(err) != core.EPERMISSION || !strings.Contains(core.ErrorMessage(err), "root-only") {
			t.Fatalf("as uid %d: %s %q", os.Getuid(), core.ErrorCode(err), core.ErrorMessage(err))
		}
		return
	}
	dir := testenv.NobodyDir(t)
	sock := filepath.Join(dir, "f2b.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := os.Chmod(sock, 0o600); err != nil { // root-only, like fail2ban's
		t.Fatal(err)
	}
	if os.Getuid() != 0 {
		if err := os.Chmod(sock, 0); err != nil {
			t.Fatal(err)
		}
		err := New(UnixDialer{Path: sock}, Config{}).Ping(context.Background())
		if core.ErrorCode(err) != core.EPERMISSION {
			t.Fatalf("%v", err)
		}
		return
	}
	testenv.RunAsNobody(t, dir, "TestDialPermissionDenied", "BANGUI_DIAL_AS_NOBODY="+sock)
}

// A reply cut off mid-pickle is an error, and the client recovers on the
// next call with a fresh connection.
func TestReplyCutMidPickle(t *testing.T) {
	c, r := replayClient(t)
	full := recording(t, "status-app1")
	cut := true
	r.handle(func(args []string, conn net.Conn) bool {
		if cut && args[0] == "status" && len(args) == 2 {
			cut = false
			_, _ = conn.Write(full[:len(full)/2])
			conn.Close()
			return true
		}
		return false
	})
	ctx := context.Background()
	_, err := c.JailStatus(ctx, "app1")
	if core.ErrorCode(err) != core.EUNAVAILABLE || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("cut reply: %s %v", core.ErrorCode(err), err)
	}
	st, err := c.JailStatus(ctx, "app1")
	if err != nil || st.CurrentlyBanned != 3 {
		t.Fatalf("after recovery: %+v %v", st, err)
	}
	if r.dialCount() != 2 {
		t.Fatalf("dials %d, want 2", r.dialCount())
	}
}

// A reply larger than the cap is refused without reading it into memory:
// what the decoder allocates depends on the cap, not on the reply's size.
func TestReplyOf100MB(t *testing.T) {
	r := newReplay(t)
	const maxReply = 1 << 20
	c := New(r, Config{MaxReply: maxReply})
	defer c.Close()
	const size = 100 << 20
	r.handle(func(args []string, conn net.Conn) bool {
		if args[0] != "status" {
			return false
		}
		// (0, "xxxx…") with a BINUNICODE of 100 MB, streamed.
		hdr := []byte{0x80, 4, 'K', 0, 'X'}
		hdr = binary.LittleEndian.AppendUint32(hdr, size)
		if _, err := conn.Write(hdr); err != nil {
			return true
		}
		chunk := bytes.Repeat([]byte("x"), 1<<20)
		for range size >> 20 {
			if _, err := conn.Write(chunk); err != nil {
				return true // the client hung up, as it should
			}
		}
		return true
	})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := c.Jails(context.Background())
	runtime.ReadMemStats(&after)
	if core.ErrorCode(err) != core.EPROTOCOL || !strings.Contains(core.ErrorMessage(err), "larger than this app accepts") {
		t.Fatalf("100 MB reply: %s %v", core.ErrorCode(err), err)
	}
	// og-rek appends BINUNICODE bytes one at a time, so allocations total
	// a few times the cap; 100 MB would show as far more.
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 16*maxReply {
		t.Fatalf("allocated %d MB for a refused reply", grew>>20)
	}
	r.handle(nil)
	if _, err := c.Jails(context.Background()); err != nil {
		t.Fatalf("after a refused reply: %v", err)
	}
}

// A cancelled context interrupts a call that waits on a silent server.
func TestCancelInterruptsCall(t *testing.T) {
	c, r := replayClient(t)
	r.handle(func(args []string, conn net.Conn) bool { return args[0] == "ping" }) // never answers ping
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Ping(ctx) }()
	time.Sleep(50 * time.Millisecond)
	cancel()
	err := <-done
	if core.ErrorCode(err) != core.ECANCELED {
		t.Fatalf("cancel: %s %v", core.ErrorCode(err), err)
	}
	r.handle(nil)
	if err := c.Ping(context.Background()); err != nil {
		t.Fatalf("after cancel: %v", err)
	}
}

// A deadline on a silent server is a timeout error that says what to do.
func TestDeadline(t *testing.T) {
	c, r := replayClient(t)
	r.handle(func(args []string, conn net.Conn) bool { return true })
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := c.Ping(ctx)
	if core.ErrorCode(err) != core.EUNAVAILABLE || !strings.Contains(core.ErrorMessage(err), "did not answer") {
		t.Fatalf("deadline: %s %q", core.ErrorCode(err), core.ErrorMessage(err))
	}
}

func TestClosedClient(t *testing.T) {
	c, _ := replayClient(t)
	if err := c.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if err := c.Ping(context.Background()); err == nil {
		t.Fatal("call after Close worked")
	}
}

// A batch that gets no answer in time says how far the job got, and that
// the server may still be applying it.
func TestBatchTimeoutSaysHowFar(t *testing.T) {
	r := newReplay(t)
	c := New(r, Config{BatchSize: 2, PerIP: time.Millisecond, Timeout: 200 * time.Millisecond})
	defer c.Close()
	batches := 0
	r.handle(func(args []string, conn net.Conn) bool {
		if len(args) < 3 || args[2] != "banip" {
			return false
		}
		batches++
		if batches > 1 {
			return true // the second batch is never answered
		}
		var buf bytes.Buffer
		_ = pickle.NewEncoderWithConfig(&buf, &pickle.EncoderConfig{Protocol: 4}).Encode(pickle.Tuple{int64(0), int64(len(args) - 3)})
		buf.WriteString(endMarker)
		_, _ = conn.Write(buf.Bytes())
		return true
	})
	res, err := c.BanIP(context.Background(), "app1", []string{"192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4", "192.0.2.5"}, nil)
	if res.Changed != 2 || res.Batches != 1 || res.Requested != 5 {
		t.Fatalf("result %+v", res)
	}
	msg := core.ErrorMessage(err)
	if core.ErrorCode(err) != core.EUNAVAILABLE || !strings.Contains(msg, "2 of 5 addresses were confirmed") || !strings.Contains(msg, "may still be applying the next 2") {
		t.Fatalf("%s %q", core.ErrorCode(err), msg)
	}
}
