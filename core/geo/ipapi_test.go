package geo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bangui/bangui/core"
)

// Every server in these tests is an httptest stand-in for ip-api.com on
// the loopback interface; nothing here reaches the real service.

// fakeClock replaces IPAPI's clock: sleep records the wait and moves the
// time on at once.
type fakeClock struct {
	mu      sync.Mutex
	t       time.Time
	sleeps  []time.Duration
	onSleep func(d time.Duration) // called before the time moves, when set
}

func (f *fakeClock) now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.t
}

func (f *fakeClock) sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if f.onSleep != nil {
		f.onSleep(d)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sleeps = append(f.sleeps, d)
	f.t = f.t.Add(d)
	return nil
}

func (f *fakeClock) waits() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.sleeps...)
}

// standIn starts a stand-in server and returns a client of it whose clock
// is fake.
func standIn(t *testing.T, h http.HandlerFunc) (*IPAPI, *fakeClock) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c := NewIPAPI(srv.URL+"/batch", srv.Client())
	clock := &fakeClock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	c.now = clock.now
	c.sleep = clock.sleep
	return c, clock
}

// writeJSON answers v as JSON with status 200.
func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}

// readAsked decodes the request body: the JSON array of addresses.
func readAsked(r *http.Request) []string {
	var asked []string
	_ = json.NewDecoder(r.Body).Decode(&asked)
	return asked
}

func successEntry(q string) map[string]any {
	return map[string]any{"status": "success", "countryCode": "FR", "as": "AS3215 Orange S.A.", "org": "Orange", "query": q}
}

// echo answers "success" (FR, AS3215) for every address asked.
func echo(w http.ResponseWriter, r *http.Request) {
	var out []map[string]any
	for _, a := range readAsked(r) {
		out = append(out, successEntry(a))
	}
	writeJSON(w, out)
}

func addrs(t *testing.T, ss ...string) []netip.Addr {
	t.Helper()
	out := make([]netip.Addr, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParseAddr(s)
	}
	return out
}

// manyAddrs returns n distinct public-looking IPv4 addresses.
func manyAddrs(n int) []netip.Addr {
	out := make([]netip.Addr, n)
	for i := range out {
		out[i] = netip.AddrFrom4([4]byte{81, 2, byte(i >> 8), byte(i)})
	}
	return out
}

var franceOrange = Info{Country: "FR", ASN: 3215, Org: "Orange", Source: "ip-api.com"}

func TestIPAPIStandInSuccess(t *testing.T) {
	var gotMethod, gotPath, gotFields, gotType string
	var gotBody []byte
	c, clock := standIn(t, func(w http.ResponseWriter, r *http.Request) {
		gotMethod, gotPath, gotType = r.Method, r.URL.Path, r.Header.Get("Content-Type")
		gotFields = r.URL.Query().Get("fields")
		gotBody, _ = io.ReadAll(r.Body)
		w.Header().Set("X-Rl", "14")
		w.Header().Set("X-Ttl", "60")
		writeJSON(w, []map[string]any{
			successEntry("81.2.69.160"),
			// The same address written out in full: compared as addresses.
			{"status": "success", "countryCode": "DE", "as": "AS3320 Deutsche Telekom AG", "org": "", "query": "2003:0:0:0:0:0:0:1"},
			{"status": "fail", "message": "private range", "query": "10.0.0.1"},
			{"status": "success", "countryCode": "", "as": "", "org": "", "query": "198.51.100.7"},
			{"status": "fail", "message": "reserved range", "query": "2001:db8::1"},
			{"status": "success", "countryCode": "us", "as": "AS15169 Google LLC", "org": "Google Public DNS", "query": "8.8.8.8"},
		})
	})
	in := addrs(t, "81.2.69.160", "2003::1", "10.0.0.1", "198.51.100.7", "2001:db8::1", "::ffff:8.8.8.8")
	got, err := c.Lookup(context.Background(), in)
	if err != nil {
		t.Fatalf("Lookup: %v", err)
	}
	want := []Info{
		franceOrange,
		{Country: "DE", ASN: 3320, Org: "Deutsche Telekom AG", Source: "ip-api.com"},
		{Country: Unknown, Source: "ip-api.com"},
		{Country: Unknown, Source: "ip-api.com"},
		{Country: Unknown, Source: "ip-api.com"},
		{Country: "US", ASN: 15169, Org: "Google Public DNS", Source: "ip-api.com"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Lookup =\n%+v\nwant\n%+v", got, want)
	}
	if gotMethod != http.MethodPost || gotPath != "/batch" {
		t.Errorf("request %s %s, want POST /batch", gotMethod, gotPath)
	}
	if gotFields != "status,message,countryCode,as,org,query" {
		t.Errorf("fields = %q", gotFields)
	}
	if gotType != "application/json" {
		t.Errorf("Content-Type = %q", gotType)
	}
	var body []string
	if err := json.Unmarshal(gotBody, &body); err != nil {
		t.Fatalf("request body %q is not a JSON array of strings: %v", gotBody, err)
	}
	// The IPv4-mapped address is asked unmapped.
	wantBody := []string{"81.2.69.160", "2003::1", "10.0.0.1", "198.51.100.7", "2001:db8::1", "8.8.8.8"}
	if !reflect.DeepEqual(body, wantBody) {
		t.Errorf("request body = %q, want %q", body, wantBody)
	}
	if w := clock.waits(); len(w) != 0 {
		t.Errorf("waited %v with requests left", w)
	}
	if c.Name() != "ip-api.com" || c.BatchSize() != 100 {
		t.Errorf("Name, BatchSize = %q, %d", c.Name(), c.BatchSize())
	}
}

func TestIPAPIStandInNothingToAsk(t *testing.T) {
	var requests atomic.Int32
	c, _ := standIn(t, func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		echo(w, r)
	})
	got, err := c.Lookup(context.Background(), nil)
	if err != nil || len(got) != 0 {
		t.Errorf("Lookup(nil) = %v, %v", got, err)
	}
	_, err = c.Lookup(context.Background(), manyAddrs(101))
	if core.ErrorCode(err) != core.EINVALID || !strings.Contains(err.Error(), "at most 100") {
		t.Errorf("101 addresses: %v (code %s)", err, core.ErrorCode(err))
	}
	_, err = c.Lookup(context.Background(), []netip.Addr{netip.MustParseAddr("1.1.1.1"), {}})
	if core.ErrorCode(err) != core.EINVALID {
		t.Errorf("empty address: %v (code %s)", err, core.ErrorCode(err))
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("%d requests sent, want none", n)
	}
	got, err = c.Lookup(context.Background(), manyAddrs(100))
	if err != nil || len(got) != 100 || got[99] != franceOrange {
		t.Errorf("100 addresses: %d infos, %v", len(got), err)
	}
}

func TestIPAPIStandIn429ThenSuccess(t *testing.T) {
	var requests atomic.Int32
	c, clock := standIn(t, func(w http.ResponseWriter, r *http.Request) {
		if requests.Add(1) == 1 {
			w.Header().Set("X-Rl", "0")
			w.Header().Set("X-Ttl", "7")
			http.Error(w, "too many requests", http.StatusTooManyRequests)
			return
		}
		w.Header().Set("X-Rl", "14")
		w.Header().Set("X-Ttl", "60")
		echo(w, r)
	})
	got, err := c.Lookup(context.Background(), addrs(t, "81.2.69.160"))
	if err != nil {
		t.Fatalf("Lookup: %v", err)
	}
	if !reflect.DeepEqual(got, []Info{franceOrange}) {
		t.Errorf("Lookup = %+v", got)
	}
	if n := requests.Load(); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
	if w := clock.waits(); !reflect.DeepEqual(w, []time.Duration{7 * time.Second}) {
		t.Errorf("waits = %v, want [7s] (the X-Ttl of the 429)", w)
	}
	// The window is open again: the next Lookup does not wait.
	if _, err := c.Lookup(context.Background(), addrs(t, "81.2.69.160")); err != nil {
		t.Fatal(err)
	}
	if w := clock.waits(); len(w) != 1 {
		t.Errorf("waits = %v after a Lookup with requests left", w)
	}
}

func TestIPAPIStandInNoRequestsLeftWaits(t *testing.T) {
	var requests atomic.Int32
	c, clock := standIn(t, func(w http.ResponseWriter, r *http.Request) {
		if requests.Add(1) == 1 {
			w.Header().Set("X-Rl", "0")
			w.Header().Set("X-Ttl", "42")
		} else {
			w.Header().Set("X-Rl", "14")
			w.Header().Set("X-Ttl", "60")
		}
		echo(w, r)
	})
	var sentBeforeWait int32 = -1
	clock.onSleep = func(time.Duration) { sentBeforeWait = requests.Load() }

	if _, err := c.Lookup(context.Background(), addrs(t, "81.2.69.160")); err != nil {
		t.Fatal(err)
	}
	if w := clock.waits(); len(w) != 0 {
		t.Fatalf("first Lookup waited %v", w)
	}
	if _, err := c.Lookup(context.Background(), addrs(t, "81.2.69.161")); err != nil {
		t.Fatal(err)
	}
	if w := clock.waits(); !reflect.DeepEqual(w, []time.Duration{42 * time.Second}) {
		t.Errorf("waits = %v, want [42s] (the X-Ttl of the answer with X-Rl 0)", w)
	}
	if sentBeforeWait != 1 {
		t.Errorf("%d requests sent before the wait, want 1 (the wait comes before sending)", sentBeforeWait)
	}
	if n := requests.Load(); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
}

func TestIPAPIStandInClientSideLimiter(t *testing.T) {
	var requests atomic.Int32
	c, clock := standIn(t, func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		echo(w, r) // no rate limit headers at all
	})
	for i := range 15 {
		if _, err := c.Lookup(context.Background(), addrs(t, "81.2.69.160")); err != nil {
			t.Fatalf("Lookup %d: %v", i+1, err)
		}
	}
	if w := clock.waits(); len(w) != 0 {
		t.Fatalf("the first 15 Lookups waited %v", w)
	}
	if _, err := c.Lookup(context.Background(), addrs(t, "81.2.69.160")); err != nil {
		t.Fatal(err)
	}
	if w := clock.waits(); !reflect.DeepEqual(w, []time.Duration{time.Minute}) {
		t.Errorf("16th Lookup: waits = %v, want [1m0s]", w)
	}
	// A minute on, the 15 early requests are out of the window.
	if _, err := c.Lookup(context.Background(), addrs(t, "81.2.69.160")); err != nil {
		t.Fatal(err)
	}
	if w := clock.waits(); len(w) != 1 {
		t.Errorf("17th Lookup: waits = %v, want no new wait", w)
	}
	if n := requests.Load(); n != 17 {
		t.Errorf("%d requests, want 17", n)
	}
}

func TestIPAPIStandIn429Forever(t *testing.T) {
	var requests atomic.Int32
	c, clock := standIn(t, func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		http.Error(w, "too many requests", http.StatusTooManyRequests) // no X-Ttl
	})
	got, err := c.Lookup(context.Background(), addrs(t, "81.2.69.160"))
	if err == nil || got != nil {
		t.Fatalf("Lookup = %v, %v; want an error and no Infos", got, err)
	}
	if !strings.Contains(err.Error(), "ip-api.com is rate limiting") {
		t.Errorf("error %q does not say the service is rate limiting", err)
	}
	if core.ErrorCode(err) != core.EUNAVAILABLE {
		t.Errorf("code %s, want %s", core.ErrorCode(err), core.EUNAVAILABLE)
	}
	if n := requests.Load(); n != 3 {
		t.Errorf("%d requests, want 3 (one and 2 retries)", n)
	}
	if w := clock.waits(); !reflect.DeepEqual(w, []time.Duration{time.Minute, time.Minute}) {
		t.Errorf("waits = %v, want [1m0s 1m0s] (60 s without X-Ttl)", w)
	}
}

func TestIPAPIStandInServerError(t *testing.T) {
	var requests atomic.Int32
	c, clock := standIn(t, func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		http.Error(w, "boom", http.StatusInternalServerError)
	})
	got, err := c.Lookup(context.Background(), addrs(t, "81.2.69.160"))
	if err == nil || got != nil {
		t.Fatalf("Lookup = %v, %v; want an error and no Infos", got, err)
	}
	if !strings.Contains(err.Error(), "ip-api.com answered HTTP 500") {
		t.Errorf("error %q does not name the service and the status", err)
	}
	if core.ErrorCode(err) != core.EUNAVAILABLE {
		t.Errorf("code %s, want %s", core.ErrorCode(err), core.EUNAVAILABLE)
	}
	if n := requests.Load(); n != 1 {
		t.Errorf("%d requests, want 1 (no retry)", n)
	}
	if w := clock.waits(); len(w) != 0 {
		t.Errorf("waited %v", w)
	}
}

func TestIPAPIStandInUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(echo))
	url := srv.URL
	srv.Close() // nothing listens there any more
	c := NewIPAPI(url+"/batch", nil)
	got, err := c.Lookup(context.Background(), addrs(t, "81.2.69.160"))
	if err == nil || got != nil {
		t.Fatalf("Lookup = %v, %v; want an error and no Infos", got, err)
	}
	if core.ErrorCode(err) != core.EUNAVAILABLE || !strings.Contains(err.Error(), "ip-api.com cannot be reached") {
		t.Errorf("error %q (code %s)", err, core.ErrorCode(err))
	}
	var ce *core.Error
	if !errors.As(err, &ce) || ce.Err == nil {
		t.Errorf("error %q does not keep the network error", err)
	}
}

func TestIPAPIStandInBadAnswers(t *testing.T) {
	const n = 100
	big := strings.Repeat(" ", ipapiMaxBody)
	tests := []struct {
		name string
		h    http.HandlerFunc
		want string // in the error
	}{
		{"malformed JSON", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `[{"status":"success","query":`)
		}, "JSON that this app cannot read"},
		{"99 entries for 100", func(w http.ResponseWriter, r *http.Request) {
			var out []map[string]any
			for _, a := range readAsked(r)[1:] {
				out = append(out, successEntry(a))
			}
			writeJSON(w, out)
		}, "answered 99 entries for 100 addresses"},
		{"101 entries for 100", func(w http.ResponseWriter, r *http.Request) {
			var out []map[string]any
			for _, a := range readAsked(r) {
				out = append(out, successEntry(a))
			}
			writeJSON(w, append(out, successEntry("1.1.1.1")))
		}, "answered 101 entries for 100 addresses"},
		{"entry for another address", func(w http.ResponseWriter, r *http.Request) {
			var out []map[string]any
			for _, a := range readAsked(r) {
				out = append(out, successEntry(a))
			}
			out[41]["query"] = "9.9.9.9"
			writeJSON(w, out)
		}, "answered entry 42 for 9.9.9.9, but entry 42 asked about 81.2.0.41"},
		{"entries in another order", func(w http.ResponseWriter, r *http.Request) {
			var out []map[string]any
			for _, a := range readAsked(r) {
				out = append(out, successEntry(a))
			}
			out[0], out[1] = out[1], out[0]
			writeJSON(w, out)
		}, "answered entry 1 for 81.2.0.1, but entry 1 asked about 81.2.0.0"},
		{"entry without query", func(w http.ResponseWriter, r *http.Request) {
			var out []map[string]any
			for _, a := range readAsked(r) {
				out = append(out, successEntry(a))
			}
			delete(out[3], "query")
			writeJSON(w, out)
		}, `answered entry 4 for "", not for 81.2.0.3`},
		{"unknown status", func(w http.ResponseWriter, r *http.Request) {
			var out []map[string]any
			for _, a := range readAsked(r) {
				out = append(out, successEntry(a))
			}
			out[5]["status"] = "maybe"
			writeJSON(w, out)
		}, `entry 6 (81.2.0.5) with status "maybe"`},
		{"country that is not a code", func(w http.ResponseWriter, r *http.Request) {
			var out []map[string]any
			for _, a := range readAsked(r) {
				out = append(out, successEntry(a))
			}
			out[7]["countryCode"] = "France"
			writeJSON(w, out)
		}, `country code "France"`},
		{"refusal of the whole request", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, map[string]any{"status": "fail", "message": "invalid query"})
		}, `refused the request: "invalid query"`},
		{"body over the cap, chunked", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, "["+big+"]")
		}, "more than the 1024 KiB"},
		{"body over the cap, Content-Length", func(w http.ResponseWriter, r *http.Request) {
			body := "[" + big + "]"
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			fmt.Fprint(w, body)
		}, "more than the 1024 KiB"},
		{"HTML with 200", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, "<html><body>Please log in to the hotel Wi-Fi</body></html>")
		}, "answered text/html instead of JSON"},
		{"no content type", func(w http.ResponseWriter, r *http.Request) {
			w.Header()["Content-Type"] = nil // keep net/http from sniffing one
			fmt.Fprint(w, "[]")
		}, "answered no content type instead of JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var requests atomic.Int32
			c, _ := standIn(t, func(w http.ResponseWriter, r *http.Request) {
				requests.Add(1)
				tt.h(w, r)
			})
			got, err := c.Lookup(context.Background(), manyAddrs(n))
			if err == nil {
				t.Fatalf("Lookup = %d Infos and no error", len(got))
			}
			if got != nil {
				t.Errorf("Lookup returned %d Infos with its error", len(got))
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "ip-api.com ") || !strings.Contains(msg, tt.want) ||
				!strings.Contains(msg, "nothing from this answer was used") {
				t.Errorf("error %q: want the service's name, %q and that nothing was used", msg, tt.want)
			}
			if core.ErrorCode(err) != core.EPROTOCOL {
				t.Errorf("code %s, want %s", core.ErrorCode(err), core.EPROTOCOL)
			}
			if k := requests.Load(); k != 1 {
				t.Errorf("%d requests, want 1", k)
			}
		})
	}
}

func TestIPAPIStandInCancelWhileWaiting(t *testing.T) {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("X-Rl", "0")
		w.Header().Set("X-Ttl", "60")
		echo(w, r)
	}))
	defer srv.Close()
	c := NewIPAPI(srv.URL+"/batch", srv.Client()) // the real clock
	if _, err := c.Lookup(context.Background(), addrs(t, "81.2.69.160")); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	got, err := c.Lookup(ctx, addrs(t, "81.2.69.160"))
	if !errors.Is(err, context.Canceled) || got != nil {
		t.Errorf("Lookup = %v, %v; want context.Canceled", got, err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Lookup took %v to see the cancellation", d)
	}
	if n := requests.Load(); n != 1 {
		t.Errorf("%d requests, want 1 (nothing sent while waiting)", n)
	}

	// A Lookup waiting for its turn behind a waiting one ends with its ctx too.
	ctx1, cancel1 := context.WithCancel(context.Background())
	defer cancel1()
	first := make(chan error, 1)
	go func() {
		_, err := c.Lookup(ctx1, addrs(t, "81.2.69.160"))
		first <- err
	}()
	ctx2, cancel2 := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel2()
	time.Sleep(20 * time.Millisecond)
	if _, err := c.Lookup(ctx2, addrs(t, "81.2.69.161")); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("second Lookup: %v, want context.DeadlineExceeded", err)
	}
	cancel1()
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Errorf("first Lookup: %v, want context.Canceled", err)
	}
	if n := requests.Load(); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

func TestIPAPIStandInConcurrent(t *testing.T) {
	var requests atomic.Int32
	c, clock := standIn(t, func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		echo(w, r)
	})
	const workers, each = 8, 3
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for g := range workers {
		wg.Go(func() {
			for i := range each {
				a := netip.AddrFrom4([4]byte{81, 2, byte(g), byte(i)})
				got, err := c.Lookup(context.Background(), []netip.Addr{a})
				if err != nil {
					errs <- err
				} else if len(got) != 1 || got[0] != franceOrange {
					errs <- fmt.Errorf("Lookup(%s) = %+v", a, got)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := requests.Load(); n != workers*each {
		t.Errorf("%d requests, want %d", n, workers*each)
	}
	// 24 requests: 15 at once, a minute's wait, then the other 9.
	if w := clock.waits(); !reflect.DeepEqual(w, []time.Duration{time.Minute}) {
		t.Errorf("waits = %v, want [1m0s]", w)
	}
}

func TestIPAPIParseAS(t *testing.T) {
	tests := []struct {
		in   string
		asn  uint32
		name string
	}{
		{"AS3215 Orange S.A.", 3215, "Orange S.A."},
		{"AS15169 Google LLC", 15169, "Google LLC"},
		{"AS3215", 3215, ""},
		{"  AS3215   Orange  ", 3215, "Orange"},
		{"as3215 Orange", 3215, "Orange"},
		{"AS4294967295 Last", 4294967295, "Last"},
		{"AS4294967296 Too big", 0, ""},
		{"", 0, ""},
		{"AS", 0, ""},
		{"ASX", 0, ""},
		{"AS-1 Negative", 0, ""},
		{"3215 Orange", 0, ""},
		{"Orange S.A.", 0, ""},
	}
	for _, tt := range tests {
		asn, name := parseIPAPIAS(tt.in)
		if asn != tt.asn || name != tt.name {
			t.Errorf("parseIPAPIAS(%q) = %d, %q; want %d, %q", tt.in, asn, name, tt.asn, tt.name)
		}
	}
}
