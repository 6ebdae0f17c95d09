package blocklist

import (
	"bufio"
	"compress/gzip"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/bangui/bangui/core"
)

// Defaults and limits of a Fetcher (see its fields).
const (
	defaultTimeout  = 60 * time.Second
	defaultMaxBytes = 64 << 20
	defaultRetries  = 3
	defaultBackoff  = 2 * time.Second
	// maxBackoff caps the doubling wait between retries.
	maxBackoff = 60 * time.Second
	// maxRetryAfter caps the wait a site asks for with Retry-After: a
	// longer one is cut to it, so a manual import never hangs for hours.
	maxRetryAfter = 5 * time.Minute
)

const userAgent = "BanGUI blocklist import (fail2ban)"

// Validators are the HTTP validators of a download; the next download
// sends them back so that an unchanged list costs a 304 and no body.
type Validators struct {
	ETag         string
	LastModified string
}

// Download is a list on its way. The caller reads Body (with Parse) and
// must Close it, even when Unchanged.
type Download struct {
	Status    int  // the HTTP status: 200 (or another 2xx) or 304
	Unchanged bool // 304: the list did not change since prev; Body is empty
	// Body is the list, gunzipped when it was gzipped (as a
	// Content-Encoding or as a .gz file) and capped at Fetcher.MaxBytes
	// after decompression. Its read errors are *core.Error: too large,
	// timed out, cancelled, broken off. Closing it ends the download.
	Body        io.ReadCloser
	Validators  Validators // to store and send with the next Fetch
	ContentType string
	// Bytes returns how many bytes of the body came over the network so
	// far (compressed, when the site compressed them).
	Bytes func() int64
}

// Fetcher downloads blocklists over http and https. The zero value is
// ready to use; its fields override the defaults. A Fetcher is safe for
// concurrent use as long as its fields are not changed.
type Fetcher struct {
	// Client sends the requests; nil means a client of its own.
	// Fetch asks for gzip itself and decodes it, so the transport's own
	// transparent decompression never applies and Bytes counts what
	// crossed the network.
	Client *http.Client
	// Timeout bounds one attempt, from the request to the end of the
	// body (60s when 0). Waits between retries are not part
	// of it; cancel ctx to bound the whole.
	Timeout time.Duration
	// MaxBytes caps the list after decompression (64 MiB when
	// 0); the compressed body is capped at the same size.
	MaxBytes int64
	// Retries is how many times a download answered with 429 or a 5xx
	// is tried again (3 when 0; none when negative).
	Retries int
	// Backoff is the first wait before a retry (2s when 0); it doubles up
	// to 60s. A Retry-After header (seconds or an HTTP date) replaces it,
	// cut to 5 minutes at most so that an import never hangs for hours.
	Backoff time.Duration
	// Sleep waits d or until ctx is done; nil means a timer. Tests set it
	// so that retries do not wait.
	Sleep func(ctx context.Context, d time.Duration) error
}

var defaultClient = &http.Client{Transport: http.DefaultTransport, CheckRedirect: checkRedirect}

// maxRedirects is how many redirects a download follows.
const maxRedirects = 5

// checkRedirect follows redirects to http and https only, never from
// https down to plain http (a list fetched over https must not become
// one anybody on the path can rewrite: its addresses get banned).
func checkRedirect(req *http.Request, via []*http.Request) error {
	switch {
	case len(via) >= maxRedirects:
		return core.Errorf(core.EINVALID, "the list site redirected more than %d times: check the URL", maxRedirects)
	case req.URL.Scheme != "http" && req.URL.Scheme != "https":
		return core.Errorf(core.EINVALID, "the list site redirected to %q: only http and https lists can be imported", req.URL.Scheme+":")
	case via[0].URL.Scheme == "https" && req.URL.Scheme == "http":
		return core.Errorf(core.EINVALID, "the list site redirected from https to plain http (%s): refused, since anybody on the way could then change the list; use the https URL it should serve", req.URL.Redacted())
	}
	return nil
}

// Fetch downloads the list at rawURL, an http or https URL (anything else
// is refused before any I/O), sending prev so that an unchanged list
// answers 304 (Download.Unchanged). It retries on 429 and 5xx with
// backoff, honouring Retry-After, and does not retry other failures. A
// 200 with an HTML page is refused: it is a login or error page. Errors
// are *core.Error: EINVALID (bad URL, HTML, too large), ENOTFOUND (404),
// EPERMISSION (401, 403), EUNAVAILABLE (network, timeout, busy site) and
// ECANCELED (ctx).
func (f *Fetcher) Fetch(ctx context.Context, rawURL string, prev Validators) (*Download, error) {
	if err := core.ValidateBlocklistURL(rawURL); err != nil {
		return nil, err
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, core.Wrap(err, core.EINVALID, "the blocklist URL cannot be read")
	}
	retries := f.Retries
	switch {
	case retries == 0:
		retries = defaultRetries
	case retries < 0:
		retries = 0
	}
	wait := f.Backoff
	if wait <= 0 {
		wait = defaultBackoff
	}
	for attempt := 1; ; attempt++ {
		d, err := f.try(ctx, u, prev)
		var busy *busyError
		if err == nil || !errors.As(err, &busy) {
			return d, err
		}
		if attempt > retries {
			return nil, busy.final(u.Host, attempt)
		}
		d2 := wait
		if busy.hasAfter {
			d2 = min(busy.after, maxRetryAfter)
		}
		if err := f.sleep(ctx, d2); err != nil {
			return nil, core.Wrap(err, core.ECANCELED, "the download of the list was cancelled")
		}
		wait = min(wait*2, maxBackoff)
	}
}

// busyError is a 429 or 5xx answer, worth another try.
type busyError struct {
	status   string
	code     int
	after    time.Duration
	hasAfter bool
}

func (e *busyError) Error() string { return e.status }

func (e *busyError) final(host string, tries int) error {
	if e.code == http.StatusTooManyRequests {
		return core.Wrap(e, core.EUNAVAILABLE, fmt.Sprintf(
			"the list site %s still answered %s after %d tries: it limits downloads; import less often or try later", host, e.status, tries))
	}
	return core.Wrap(e, core.EUNAVAILABLE, fmt.Sprintf(
		"the list site %s answered %s %d times (%d retries): it is down or broken; try later", host, e.status, tries, tries-1))
}

// try makes one attempt.
func (f *Fetcher) try(ctx context.Context, u *url.URL, prev Validators) (*Download, error) {
	timeout := f.Timeout
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	actx, cancel := context.WithTimeout(ctx, timeout)
	req, err := http.NewRequestWithContext(actx, http.MethodGet, u.String(), nil)
	if err != nil {
		cancel()
		return nil, core.Wrap(err, core.EINVALID, "the blocklist URL cannot be requested")
	}
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("Accept-Encoding", "gzip")
	if prev.ETag != "" {
		req.Header.Set("If-None-Match", prev.ETag)
	}
	if prev.LastModified != "" {
		req.Header.Set("If-Modified-Since", prev.LastModified)
	}
	client := f.Client
	if client == nil {
		client = defaultClient
	} else if client.CheckRedirect == nil {
		c := *client
		c.CheckRedirect = checkRedirect
		client = &c
	}
	resp, err := client.Do(req)
	if err != nil {
		cancel()
		return nil, netError(ctx, actx, u.Host, timeout, err)
	}
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		return f.body(ctx, actx, cancel, u.Host, timeout, resp)
	}
	_, _ = io.CopyN(io.Discard, resp.Body, 64<<10) // lets the connection be reused
	resp.Body.Close()
	cancel()
	return statusAnswer(u.Host, prev, resp)
}

// statusAnswer reads an answer other than 2xx, whose body is closed.
func statusAnswer(host string, prev Validators, resp *http.Response) (*Download, error) {
	code := resp.StatusCode
	switch {
	case code == http.StatusNotModified:
		v := Validators{ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified")}
		if v.ETag == "" {
			v.ETag = prev.ETag
		}
		if v.LastModified == "" {
			v.LastModified = prev.LastModified
		}
		return &Download{Status: code, Unchanged: true, Body: http.NoBody, Validators: v, Bytes: func() int64 { return 0 }}, nil
	case code == http.StatusTooManyRequests || code >= 500:
		after, ok := retryAfter(resp.Header.Get("Retry-After"))
		return nil, &busyError{status: resp.Status, code: code, after: after, hasAfter: ok}
	case code == http.StatusNotFound || code == http.StatusGone:
		return nil, core.Errorf(core.ENOTFOUND, "the list site %s answered %s: not found; check the URL", host, resp.Status)
	case code == http.StatusUnauthorized || code == http.StatusForbidden || code == http.StatusProxyAuthRequired:
		return nil, core.Errorf(core.EPERMISSION, "the list site %s answered %s: refused; the list needs a login BanGUI does not do (use a public list URL)", host, resp.Status)
	case code >= 400:
		return nil, core.Errorf(core.EINVALID, "the list site %s answered %s: it refused the request; check the URL", host, resp.Status)
	}
	return nil, core.Errorf(core.EPROTOCOL, "the list site %s answered %s, which is not a list: check the URL", host, resp.Status)
}

// body wraps a 2xx answer's body: counted, gunzipped, capped, with its
// errors translated. cancel ends the attempt; closing the body calls it.
func (f *Fetcher) body(ctx, actx context.Context, cancel context.CancelFunc, host string, timeout time.Duration, resp *http.Response) (*Download, error) {
	limit := f.MaxBytes
	if limit <= 0 {
		limit = defaultMaxBytes
	}
	fail := func(err error) (*Download, error) {
		resp.Body.Close()
		cancel()
		return nil, err
	}
	ct := resp.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err == nil && (mt == "text/html" || mt == "application/xhtml+xml") {
		return fail(core.Errorf(core.EINVALID, "the list is an HTML page, not a list of addresses: check the URL (a login or error page?)"))
	}
	raw := &capReader{r: resp.Body, max: limit}
	mapErr := func(err error) error { return readErr(ctx, actx, host, timeout, limit, err) }
	var r io.Reader = raw
	switch enc := strings.ToLower(strings.TrimSpace(resp.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(r)
		if err != nil {
			return fail(mapErr(err))
		}
		r = zr
	default:
		return fail(core.Errorf(core.EUNSUPPORTED, "the list site %s sent the list encoded as %q, which BanGUI cannot read: it was asked for gzip or plain text", host, enc))
	}
	// A .gz file served as is (application/octet-stream, application/gzip):
	// known by its magic number.
	br := bufio.NewReader(r)
	if magic, err := br.Peek(2); err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fail(mapErr(err))
		}
		r = zr
	} else if err != nil && err != io.EOF {
		return fail(mapErr(err))
	} else {
		r = br
	}
	b := &bodyReader{r: &capReader{r: r, max: limit}, close: resp.Body.Close, cancel: cancel, mapErr: mapErr}
	v := Validators{ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified")}
	return &Download{Status: resp.StatusCode, Body: b, Validators: v, ContentType: ct, Bytes: raw.count}, nil
}

// capReader passes at most max bytes on, and fails once the source has
// more. count may be called from another goroutine.
type capReader struct {
	r    io.Reader
	max  int64
	n    atomic.Int64 // bytes passed on
	full bool         // the source had more than max
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.full {
		return 0, errTooLarge
	}
	left := c.max - c.n.Load()
	if int64(len(p)) > left+1 {
		p = p[:left+1] // one byte more than allowed tells a list that is too large
	}
	n, err := c.r.Read(p)
	if int64(n) > left {
		c.full = true
		c.n.Add(left)
		return int(left), errTooLarge
	}
	c.n.Add(int64(n))
	return n, err
}

func (c *capReader) count() int64 { return c.n.Load() }

var errTooLarge = errors.New("size cap reached")

// bodyReader translates read errors and ends the attempt on Close.
type bodyReader struct {
	r      io.Reader
	close  func() error
	cancel context.CancelFunc
	mapErr func(error) error
	err    error // sticky: the first error
}

func (b *bodyReader) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	n, err := b.r.Read(p)
	if err != nil {
		if err != io.EOF {
			err = b.mapErr(err)
		}
		b.err = err
	}
	return n, err
}

func (b *bodyReader) Close() error {
	err := b.close()
	b.cancel()
	return err
}

// readErr explains why reading the body failed.
func readErr(ctx, actx context.Context, host string, timeout time.Duration, limit int64, err error) error {
	var ce *core.Error
	switch {
	case errors.As(err, &ce):
		return err
	case errors.Is(err, errTooLarge):
		return core.Errorf(core.EINVALID, "the list is larger than %s: BanGUI stops there; check that the URL is a list of addresses, or pick a smaller list", sizeText(limit))
	case ctx.Err() != nil:
		return core.Wrap(err, core.ECANCELED, "the download of the list was cancelled")
	case errors.Is(actx.Err(), context.DeadlineExceeded):
		return core.Wrap(err, core.EUNAVAILABLE, fmt.Sprintf("the list from %s did not arrive within %s: the site is slow or stalled; try later", host, timeout))
	case errors.Is(err, gzip.ErrHeader), errors.Is(err, gzip.ErrChecksum), isFlateError(err):
		return core.Wrap(err, core.EINVALID, fmt.Sprintf("the list from %s is a damaged gzip file: check the URL, or try later", host))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return core.Wrap(err, core.EUNAVAILABLE, fmt.Sprintf("the download from %s broke off: try again later", host))
	}
	return core.Wrap(err, core.EUNAVAILABLE, fmt.Sprintf("reading the list from %s failed: check the network and try again", host))
}

func isFlateError(err error) bool {
	return strings.HasPrefix(err.Error(), "flate: ")
}

// netError explains why a request got no answer.
func netError(ctx, actx context.Context, host string, timeout time.Duration, err error) error {
	var dns *net.DNSError
	var cert *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var badHost x509.HostnameError
	var refused *core.Error // a redirect checkRedirect refused
	switch {
	case ctx.Err() != nil:
		return core.Wrap(err, core.ECANCELED, "the download of the list was cancelled")
	case errors.As(err, &refused):
		return refused
	case errors.Is(actx.Err(), context.DeadlineExceeded) || isTimeout(err):
		return core.Wrap(err, core.EUNAVAILABLE, fmt.Sprintf("the list site %s did not answer within %s: check the URL and the network, or try later", host, timeout))
	case errors.As(err, &dns) && dns.IsNotFound:
		return core.Wrap(err, core.EUNAVAILABLE, fmt.Sprintf("the list site %s does not exist (no such host): check the URL's spelling", host))
	case errors.As(err, &dns):
		return core.Wrap(err, core.EUNAVAILABLE, fmt.Sprintf("cannot look up the list site %s: check this computer's network and DNS", host))
	case errors.Is(err, syscall.ECONNREFUSED):
		return core.Wrap(err, core.EUNAVAILABLE, fmt.Sprintf("the list site %s refused the connection: check the URL (and its port) and that the site is up", host))
	case errors.As(err, &cert), errors.As(err, &unknownCA), errors.As(err, &badHost):
		return core.Wrap(err, core.EUNAVAILABLE, fmt.Sprintf("the certificate of the list site %s is not valid: check the URL; BanGUI does not download lists over an unchecked connection", host))
	}
	return core.Wrap(err, core.EUNAVAILABLE, fmt.Sprintf("cannot reach the list site %s: check the URL and this computer's network (proxy, firewall)", host))
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(v string) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil && s >= 0 {
		if s > int64(maxRetryAfter/time.Second) {
			return maxRetryAfter, true
		}
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0), true
	}
	return 0, false
}

func (f *Fetcher) sleep(ctx context.Context, d time.Duration) error {
	if f.Sleep != nil {
		if err := f.Sleep(ctx, d); err != nil {
			return err
		}
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// sizeText writes a byte count for people: "64 MiB", "512 KiB", "1000 bytes".
func sizeText(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}
