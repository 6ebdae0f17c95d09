package blocklist_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/blocklist"
)

// listSiteStandIn is a loopback HTTP server standing in for the sites that
// publish blocklists (blocklist.de, spamhaus, firehol…). Its lists hold only
// documentation addresses. Each path is one behaviour; hits counts requests.
type listSiteStandIn struct {
	*httptest.Server
	started chan struct{} // /hang got its request
	stop    chan struct{} // closed at cleanup: blocking handlers return

	mu   sync.Mutex
	hits map[string]int
	last *http.Request
}

const (
	goodList = "# stand-in list\n192.0.2.1\n198.51.100.2\n203.0.113.3\n2001:db8::4\n"
	goodETag = `"v1"`
	goodDate = "Fri, 27 Nov 2026 06:00:00 GMT"
)

func newListSiteStandIn(t *testing.T) *listSiteStandIn {
	t.Helper()
	s := &listSiteStandIn{started: make(chan struct{}, 1), stop: make(chan struct{}), hits: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	t.Cleanup(func() { close(s.stop) }) // runs first: lets blocking handlers return
	return s
}

func (s *listSiteStandIn) count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

func (s *listSiteStandIn) serve(w http.ResponseWriter, r *http.Request) {
	// A blocking handler must read the request first, or r.Context() is
	// never cancelled; every handler does, to be safe.
	_, _ = io.Copy(io.Discard, r.Body)
	s.mu.Lock()
	s.hits[r.URL.Path]++
	n := s.hits[r.URL.Path]
	s.last = r
	s.mu.Unlock()

	switch r.URL.Path {
	case "/good.txt":
		w.Header().Set("ETag", goodETag)
		w.Header().Set("Last-Modified", goodDate)
		if r.Header.Get("If-None-Match") == goodETag || r.Header.Get("If-Modified-Since") == goodDate {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, goodList)
	case "/mixed.txt":
		io.WriteString(w, "# comments, garbage, IPv6, networks, private addresses, duplicates\n"+
			"192.0.2.10\n2001:DB8::10\n198.51.100.0/24\n10.0.0.1\n192.168.1.1\ngarbage\n192.0.2.10\n")
	case "/busy.txt": // 429, then the list
		if n == 1 {
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		io.WriteString(w, goodList)
	case "/busy-date.txt": // 503 with a date, then the list
		if n == 1 {
			w.Header().Set("Retry-After", time.Now().Add(30*time.Second).UTC().Format(http.TimeFormat))
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, goodList)
	case "/busy-long.txt": // asks for a day, then the list
		if n == 1 {
			w.Header().Set("Retry-After", "86400")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		io.WriteString(w, goodList)
	case "/broken.txt":
		http.Error(w, "internal error", http.StatusInternalServerError)
	case "/missing.txt":
		http.NotFound(w, r)
	case "/login.txt":
		http.Error(w, "forbidden", http.StatusForbidden)
	case "/endless.txt":
		line := []byte(strings.Repeat("192.0.2.1\n", 400))
		for {
			if _, err := w.Write(line); err != nil {
				return
			}
			select {
			case <-r.Context().Done():
				return
			case <-s.stop:
				return
			default:
			}
		}
	case "/slow.txt": // one line, then nothing until the client gives up
		io.WriteString(w, "192.0.2.1\n")
		w.(http.Flusher).Flush()
		s.block(r)
	case "/hang": // no answer at all
		s.started <- struct{}{}
		s.block(r)
	case "/encoded.txt":
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			http.Error(w, "this stand-in serves gzip only", http.StatusNotAcceptable)
			return
		}
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(gzipped(goodList))
	case "/list.txt.gz":
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(gzipped(goodList))
	case "/bomb.txt.gz": // 3 MiB of lines, a few KiB on the wire
		w.Header().Set("Content-Type", "application/gzip")
		w.Write(gzipped(strings.Repeat("192.0.2.1\n", 3<<20/10)))
	case "/damaged.txt.gz":
		b := gzipped(goodList)
		b[len(b)-5] ^= 0xff // the checksum
		w.Write(b)
	case "/error.html":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, "<!DOCTYPE html><html><body>Please log in</body></html>")
	case "/html-as-text.txt":
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "\n<!DOCTYPE html><html><body>Rate limited</body></html>")
	case "/comments.txt":
		io.WriteString(w, "# this list is empty today\n;\n\n")
	case "/crlf.txt":
		io.WriteString(w, "192.0.2.1  \r\n198.51.100.2\t\r\n\r\n# comment\r\n203.0.113.3")
	case "/long-line.txt":
		io.WriteString(w, "192.0.2.1\n")
		w.Write(bytes.Repeat([]byte{'x'}, 1<<20))
		io.WriteString(w, "\n198.51.100.2\n")
	default:
		http.NotFound(w, r)
	}
}

func (s *listSiteStandIn) block(r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-s.stop:
	}
}

func gzipped(s string) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	io.WriteString(zw, s)
	zw.Close()
	return b.Bytes()
}

// sleeps records the waits between retries instead of waiting.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, d)
	return ctx.Err()
}

func newFetcher(site *listSiteStandIn) (*blocklist.Fetcher, *sleeps) {
	s := &sleeps{}
	return &blocklist.Fetcher{Client: site.Client(), Sleep: s.sleep}, s
}

// fetchParse downloads path from the site and parses it.
func fetchParse(t *testing.T, f *blocklist.Fetcher, url string, prev blocklist.Validators) (*blocklist.Download, blocklist.Parsed, error) {
	t.Helper()
	d, err := f.Fetch(context.Background(), url, prev)
	if err != nil {
		return nil, blocklist.Parsed{}, err
	}
	defer d.Body.Close()
	p, err := blocklist.Parse(d.Body, testOpt)
	return d, p, err
}

func wantCode(t *testing.T, err error, code, msg string) {
	t.Helper()
	if core.ErrorCode(err) != code || !strings.Contains(core.ErrorMessage(err), msg) {
		t.Errorf("error = %v (code %s), want code %s and a message with %q", err, core.ErrorCode(err), code, msg)
	}
}

func TestFetchGoodList(t *testing.T) {
	site := newListSiteStandIn(t)
	f, _ := newFetcher(site)
	d, p, err := fetchParse(t, f, site.URL+"/good.txt", blocklist.Validators{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != 200 || d.Unchanged || p.Valid != 4 || d.Validators != (blocklist.Validators{ETag: goodETag, LastModified: goodDate}) {
		t.Errorf("got %+v, %+v", d, p)
	}
	if d.Bytes() != int64(len(goodList)) || p.Bytes != int64(len(goodList)) || !strings.HasPrefix(d.ContentType, "text/plain") {
		t.Errorf("Bytes = %d, parsed %d, ContentType %q", d.Bytes(), p.Bytes, d.ContentType)
	}
	if ua := site.last.Header.Get("User-Agent"); !strings.Contains(ua, "BanGUI") {
		t.Errorf("User-Agent = %q", ua)
	}
}

func TestFetchMixedList(t *testing.T) {
	site := newListSiteStandIn(t)
	f, _ := newFetcher(site)
	_, p, err := fetchParse(t, f, site.URL+"/mixed.txt", blocklist.Validators{})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(p.Entries, " ") != "192.0.2.10 2001:db8::10" || p.Invalid != 2 || p.Reserved != 2 || p.Duplicates != 1 || p.Comments != 1 {
		t.Errorf("got %+v", p)
	}
}

func TestFetchUnchanged(t *testing.T) {
	site := newListSiteStandIn(t)
	f, _ := newFetcher(site)
	for _, prev := range []blocklist.Validators{{ETag: goodETag}, {LastModified: goodDate}} {
		d, err := f.Fetch(context.Background(), site.URL+"/good.txt", prev)
		if err != nil {
			t.Fatal(err)
		}
		if d.Status != 304 || !d.Unchanged || d.Validators.ETag != goodETag || d.Validators.LastModified != goodDate {
			t.Errorf("prev %+v: got %+v", prev, d)
		}
		if n, _ := io.Copy(io.Discard, d.Body); n != 0 || d.Body.Close() != nil || d.Bytes() != 0 {
			t.Errorf("an unchanged list has a body of %d bytes", n)
		}
	}
}

func TestFetchRetryAfter(t *testing.T) {
	for _, tc := range []struct {
		path     string
		min, max time.Duration
	}{
		{"/busy.txt", 7 * time.Second, 7 * time.Second},
		{"/busy-date.txt", 20 * time.Second, 30 * time.Second}, // an HTTP date, read against the clock
		{"/busy-long.txt", 5 * time.Minute, 5 * time.Minute},   // a day, cut to 5 minutes
	} {
		site := newListSiteStandIn(t)
		f, s := newFetcher(site)
		_, p, err := fetchParse(t, f, site.URL+tc.path, blocklist.Validators{})
		if err != nil || p.Valid != 4 || site.count(tc.path) != 2 {
			t.Errorf("%s: %v, %+v, %d requests", tc.path, err, p, site.count(tc.path))
			continue
		}
		if len(s.d) != 1 || s.d[0] < tc.min || s.d[0] > tc.max {
			t.Errorf("%s: waited %v, want one wait in [%v, %v]", tc.path, s.d, tc.min, tc.max)
		}
	}
}

func TestFetchServerErrorRetries(t *testing.T) {
	site := newListSiteStandIn(t)
	f, s := newFetcher(site)
	_, err := f.Fetch(context.Background(), site.URL+"/broken.txt", blocklist.Validators{})
	wantCode(t, err, core.EUNAVAILABLE, "answered 500 Internal Server Error 4 times (3 retries)")
	if site.count("/broken.txt") != 4 {
		t.Errorf("%d requests, want 1 + 3 retries", site.count("/broken.txt"))
	}
	if fmt.Sprint(s.d) != "[2s 4s 8s]" {
		t.Errorf("waits = %v, want 2s 4s 8s", s.d)
	}

	f.Retries = -1
	_, err = f.Fetch(context.Background(), site.URL+"/broken.txt", blocklist.Validators{})
	wantCode(t, err, core.EUNAVAILABLE, "1 times (0 retries)")
}

func TestFetchRetryCancelled(t *testing.T) {
	site := newListSiteStandIn(t)
	f := &blocklist.Fetcher{Client: site.Client(), Sleep: func(context.Context, time.Duration) error { return context.Canceled }}
	_, err := f.Fetch(context.Background(), site.URL+"/broken.txt", blocklist.Validators{})
	wantCode(t, err, core.ECANCELED, "cancelled")
}

func TestFetchClientErrorsNoRetry(t *testing.T) {
	site := newListSiteStandIn(t)
	f, s := newFetcher(site)
	_, err := f.Fetch(context.Background(), site.URL+"/missing.txt", blocklist.Validators{})
	wantCode(t, err, core.ENOTFOUND, "not found; check the URL")
	_, err = f.Fetch(context.Background(), site.URL+"/login.txt", blocklist.Validators{})
	wantCode(t, err, core.EPERMISSION, "needs a login BanGUI does not do")
	if site.count("/missing.txt") != 1 || site.count("/login.txt") != 1 || len(s.d) != 0 {
		t.Errorf("4xx retried: %v, waits %v", site.hits, s.d)
	}
}

func TestFetchEndlessList(t *testing.T) {
	site := newListSiteStandIn(t)
	f, _ := newFetcher(site)
	f.MaxBytes = 1 << 20
	_, p, err := fetchParse(t, f, site.URL+"/endless.txt", blocklist.Validators{})
	wantCode(t, err, core.EINVALID, "the list is larger than 1 MiB")
	if p.Bytes > 1<<20 {
		t.Errorf("read %d bytes past the cap", p.Bytes)
	}
}

func TestFetchCapCountsDecompressedBytes(t *testing.T) {
	site := newListSiteStandIn(t)
	f, _ := newFetcher(site)
	f.MaxBytes = 1 << 20
	d, _, err := fetchParse(t, f, site.URL+"/bomb.txt.gz", blocklist.Validators{})
	wantCode(t, err, core.EINVALID, "the list is larger than 1 MiB")
	if d == nil || d.Bytes() >= 1<<20 {
		t.Errorf("the compressed list should be small, and stopped after decompression")
	}
}

func TestFetchSlowList(t *testing.T) {
	site := newListSiteStandIn(t)
	f, _ := newFetcher(site)
	f.Timeout = 50 * time.Millisecond
	_, p, err := fetchParse(t, f, site.URL+"/slow.txt", blocklist.Validators{})
	wantCode(t, err, core.EUNAVAILABLE, "did not arrive within 50ms")
	if p.Valid != 1 {
		t.Errorf("the line before the stall was lost: %+v", p)
	}
	_, err = f.Fetch(context.Background(), site.URL+"/hang", blocklist.Validators{})
	wantCode(t, err, core.EUNAVAILABLE, "did not answer within 50ms")
}

func TestFetchCancel(t *testing.T) {
	site := newListSiteStandIn(t)
	f, _ := newFetcher(site)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-site.started
		cancel()
	}()
	_, err := f.Fetch(ctx, site.URL+"/hang", blocklist.Validators{})
	wantCode(t, err, core.ECANCELED, "cancelled")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("the cause is lost: %v", err)
	}

	// While the list arrives: cancelled after its first line.
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	d, err := f.Fetch(ctx, site.URL+"/slow.txt", blocklist.Validators{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Body.Close()
	p, err := blocklist.Parse(&cancelAfterRead{r: d.Body, cancel: cancel}, testOpt)
	wantCode(t, err, core.ECANCELED, "cancelled")
	if p.Valid != 1 {
		t.Errorf("the line before the cancel was lost: %+v", p)
	}
}

// cancelAfterRead cancels a context once a read has returned data.
type cancelAfterRead struct {
	r      io.Reader
	cancel context.CancelFunc
}

func (c *cancelAfterRead) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if n > 0 {
		c.cancel()
	}
	return n, err
}

func TestFetchGzip(t *testing.T) {
	site := newListSiteStandIn(t)
	f, _ := newFetcher(site)
	for _, path := range []string{"/encoded.txt", "/list.txt.gz"} {
		d, p, err := fetchParse(t, f, site.URL+path, blocklist.Validators{})
		if err != nil || p.Valid != 4 || p.Bytes != int64(len(goodList)) {
			t.Errorf("%s: %v, %+v", path, err, p)
			continue
		}
		if d.Bytes() != int64(len(gzipped(goodList))) {
			t.Errorf("%s: Bytes = %d, want the compressed size %d", path, d.Bytes(), len(gzipped(goodList)))
		}
	}
	_, _, err := fetchParse(t, f, site.URL+"/damaged.txt.gz", blocklist.Validators{})
	wantCode(t, err, core.EINVALID, "damaged gzip")
}

func TestFetchHTML(t *testing.T) {
	site := newListSiteStandIn(t)
	f, _ := newFetcher(site)
	for _, path := range []string{"/error.html", "/html-as-text.txt"} {
		_, _, err := fetchParse(t, f, site.URL+path, blocklist.Validators{})
		wantCode(t, err, core.EINVALID, "the list is an HTML page, not a list of addresses: check the URL")
	}
}

func TestFetchOnlyComments(t *testing.T) {
	site := newListSiteStandIn(t)
	f, _ := newFetcher(site)
	_, p, err := fetchParse(t, f, site.URL+"/comments.txt", blocklist.Validators{})
	if err != nil || p.Valid != 0 || p.Comments != 3 {
		t.Errorf("got %+v, %v", p, err)
	}
}

func TestFetchCRLF(t *testing.T) {
	site := newListSiteStandIn(t)
	f, _ := newFetcher(site)
	_, p, err := fetchParse(t, f, site.URL+"/crlf.txt", blocklist.Validators{})
	if err != nil || strings.Join(p.Entries, " ") != "192.0.2.1 198.51.100.2 203.0.113.3" || p.Comments != 2 {
		t.Errorf("got %+v, %v", p, err)
	}
}

func TestFetchLongLine(t *testing.T) {
	site := newListSiteStandIn(t)
	f, _ := newFetcher(site)
	_, p, err := fetchParse(t, f, site.URL+"/long-line.txt", blocklist.Validators{})
	if err != nil || p.Valid != 2 || p.Invalid != 1 || p.Bad[0].Line != 2 {
		t.Errorf("got %+v, %v", p, err)
	}
}

// noNetwork fails the test if a request is ever sent.
type noNetwork struct{ t *testing.T }

func (n noNetwork) RoundTrip(r *http.Request) (*http.Response, error) {
	n.t.Errorf("a request was sent to %s", r.URL)
	return nil, errors.New("no network in this test")
}

func TestFetchBadURLs(t *testing.T) {
	f := &blocklist.Fetcher{Client: &http.Client{Transport: noNetwork{t}}}
	for _, u := range []string{"file:///etc/passwd", "ftp://lists.example.org/ssh.txt", "", "https://user:pw@lists.example.org/x", "lists.example.org/ssh.txt"} {
		_, err := f.Fetch(context.Background(), u, blocklist.Validators{})
		if core.ErrorCode(err) != core.EINVALID {
			t.Errorf("Fetch(%q) = %v, want EINVALID", u, err)
		}
	}
}

func TestFetchConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	f := &blocklist.Fetcher{Sleep: func(context.Context, time.Duration) error {
		t.Error("a refused connection was retried")
		return nil
	}}
	_, err = f.Fetch(context.Background(), "http://"+addr+"/list.txt", blocklist.Validators{})
	wantCode(t, err, core.EUNAVAILABLE, "the list site "+addr+" refused the connection: check the URL")
}

// A list served over https that redirects to plain http is refused (it
// could then be rewritten on the way); http to https is followed. The
// servers are loopback stand-ins for list sites.
func TestFetchRedirectDowngradeRefused(t *testing.T) {
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "192.0.2.90\n")
	}))
	defer plain.Close()
	secure := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/down" {
			http.Redirect(w, r, plain.URL+"/list.txt", http.StatusFound)
			return
		}
		fmt.Fprint(w, "192.0.2.91\n")
	}))
	defer secure.Close()
	f := &blocklist.Fetcher{Client: secure.Client()}
	ctx := context.Background()
	_, err := f.Fetch(ctx, secure.URL+"/down", blocklist.Validators{})
	if core.ErrorCode(err) != core.EINVALID || !strings.Contains(core.ErrorMessage(err), "from https to plain http") {
		t.Fatalf("downgrade: %v", err)
	}
	// The same client may follow an http list to https.
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, secure.URL+"/list.txt", http.StatusMovedPermanently)
	}))
	defer up.Close()
	d, err := f.Fetch(ctx, up.URL+"/list.txt", blocklist.Validators{})
	if err != nil {
		t.Fatalf("upgrade: %v", err)
	}
	defer d.Body.Close()
	if b, _ := io.ReadAll(d.Body); string(b) != "192.0.2.91\n" {
		t.Errorf("body %q", b)
	}
}
