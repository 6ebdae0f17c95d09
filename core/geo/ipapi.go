package geo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/bangui/bangui/core"
)

// IPAPIEndpoint is ip-api.com's batch endpoint. The free service is
// offered over plain http only (https is for paying customers), so the
// addresses looked up travel unencrypted: ip-api.com and anyone on the
// path see which addresses this computer asks about, and from which
// address it asks. The free service is also for non-commercial use only.
const IPAPIEndpoint = "http://ip-api.com/batch"

const (
	ipapiName = "ip-api.com"
	// ipapiFields asks only for what Info keeps, plus what validation needs.
	ipapiFields = "fields=status,message,countryCode,as,org,query"
	// ipapiBatch is the most addresses the batch endpoint takes at once.
	ipapiBatch = 100
	// ipapiPerWindow requests per ipapiWindow: the batch endpoint's
	// documented limit per client address.
	ipapiPerWindow = 15
	ipapiWindow    = 60 * time.Second
	// ipapiRetries is how many times a request answered HTTP 429 is sent
	// again, after the wait the service asks for.
	ipapiRetries = 2
	// ipapiMaxTTL caps the wait an X-Ttl header can ask for: the window is
	// a minute, so anything much longer is a broken header, not a limit.
	ipapiMaxTTL = 2 * time.Minute
	// ipapiMaxBody caps the answer; 100 entries take about 15 KiB.
	ipapiMaxBody = 1 << 20
	// ipapiTimeout bounds one request when NewIPAPI is given no client.
	ipapiTimeout = 30 * time.Second
)

// IPAPI looks addresses up with ip-api.com's batch endpoint. It
// implements Online.
//
// It respects the service's rate limit: at most 15 requests per rolling
// minute counted on this side, plus the X-Rl (requests left in the
// current window) and X-Ttl (seconds until the window resets) headers of
// every answer; when X-Rl reaches 0, or the service answers HTTP 429, the
// next request waits X-Ttl seconds first. A request answered 429 is sent
// again at most twice.
//
// An IPAPI is safe for use by several goroutines. Their Lookups run one
// at a time: the limit is per client address, so sending side by side
// would gain nothing and would race on X-Rl.
type IPAPI struct {
	url    string // endpoint with the fields query
	client *http.Client

	// now and sleep are the clock; tests replace them. sleep returns
	// ctx's error when ctx ends first.
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error

	// turn is a one-slot semaphore held for a whole Lookup; holding it
	// guards sent and resumeAt. A channel rather than a sync.Mutex so that
	// waiting for it ends with ctx.
	turn chan struct{}
	// sent holds the send times of the requests of the last ipapiWindow,
	// oldest first.
	sent []time.Time
	// resumeAt is when the service lets requests through again (from X-Rl
	// 0 or an HTTP 429); the zero time when it did not say.
	resumeAt time.Time
}

var _ Online = (*IPAPI)(nil)

// NewIPAPI returns a client of the ip-api.com batch endpoint at endpoint
// (IPAPIEndpoint when ""), sending with client (a client with a 30 s
// timeout when nil).
func NewIPAPI(endpoint string, client *http.Client) *IPAPI {
	if endpoint == "" {
		endpoint = IPAPIEndpoint
	}
	sep := "?"
	if strings.Contains(endpoint, "?") {
		sep = "&"
	}
	if client == nil {
		client = &http.Client{Timeout: ipapiTimeout}
	}
	return &IPAPI{
		url:    endpoint + sep + ipapiFields,
		client: client,
		now:    time.Now,
		sleep:  sleepCtx,
		turn:   make(chan struct{}, 1),
	}
}

// Name returns "ip-api.com".
func (c *IPAPI) Name() string { return ipapiName }

// BatchSize returns 100, the most the batch endpoint takes.
func (c *IPAPI) BatchSize() int { return ipapiBatch }

// ipapiEntry is one element of the batch answer.
type ipapiEntry struct {
	Status      string `json:"status"`
	Message     string `json:"message"`
	CountryCode string `json:"countryCode"`
	AS          string `json:"as"`
	Org         string `json:"org"`
	Query       string `json:"query"`
}

// Lookup implements Online. It returns either one Info per address or an
// error, never both: an answer that fails any check (status, content
// type, size, JSON, number of entries, each entry's address) is not used
// at all. Errors are *core.Error: EINVALID for addrs this client refuses
// (nothing is sent), EUNAVAILABLE when the service cannot be reached,
// answers an HTTP error or keeps rate limiting, EPROTOCOL when its answer
// cannot be used; when ctx ends, ctx's error itself.
func (c *IPAPI) Lookup(ctx context.Context, addrs []netip.Addr) ([]Info, error) {
	if len(addrs) == 0 {
		return []Info{}, nil
	}
	if len(addrs) > ipapiBatch {
		return nil, core.Errorf(core.EINVALID, "%s takes at most %d addresses at a time, not %d", ipapiName, ipapiBatch, len(addrs))
	}
	asked := make([]netip.Addr, len(addrs))
	strs := make([]string, len(addrs))
	for i, a := range addrs {
		if !a.IsValid() {
			return nil, core.Errorf(core.EINVALID, "address %d of %d is empty; nothing was sent to %s", i+1, len(addrs), ipapiName)
		}
		asked[i] = a.Unmap().WithZone("")
		strs[i] = asked[i].String()
	}
	body, err := json.Marshal(strs)
	if err != nil {
		return nil, core.Wrap(err, core.EINTERNAL, "could not encode the addresses for "+ipapiName)
	}

	select {
	case c.turn <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-c.turn }()

	for attempt := 0; ; attempt++ {
		if err := c.wait(ctx); err != nil {
			return nil, err
		}
		infos, limited, err := c.send(ctx, body, asked)
		if !limited {
			return infos, err
		}
		if attempt == ipapiRetries {
			return nil, core.Errorf(core.EUNAVAILABLE,
				"%s is rate limiting this computer: it answered HTTP 429 (too many requests) %d times in a row; nothing was looked up, try again in %d s",
				ipapiName, attempt+1, int(c.resumeAt.Sub(c.now()).Round(time.Second)/time.Second))
		}
	}
}

// wait sleeps until the rate limit lets one more request through, then
// counts it as sent. The caller holds the turn.
func (c *IPAPI) wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	now := c.now()
	c.prune(now)
	at := now
	if c.resumeAt.After(at) {
		at = c.resumeAt
	}
	if n := len(c.sent); n >= ipapiPerWindow {
		if t := c.sent[n-ipapiPerWindow].Add(ipapiWindow); t.After(at) {
			at = t
		}
	}
	if d := at.Sub(now); d > 0 {
		if err := c.sleep(ctx, d); err != nil {
			return err
		}
		now = c.now()
		c.prune(now)
	}
	c.sent = append(c.sent, now)
	return nil
}

// prune forgets the requests sent ipapiWindow or more before now.
func (c *IPAPI) prune(now time.Time) {
	cut := now.Add(-ipapiWindow)
	i := 0
	for i < len(c.sent) && !c.sent[i].After(cut) {
		i++
	}
	if i > 0 {
		c.sent = append(c.sent[:0], c.sent[i:]...)
	}
}

// observe keeps what an answer's headers say about the rate limit. The
// caller holds the turn.
func (c *IPAPI) observe(status int, h http.Header) {
	rl, rlOK := headerInt(h, "X-Rl")
	ttl, ttlOK := headerInt(h, "X-Ttl")
	var wait time.Duration
	switch {
	case status == http.StatusTooManyRequests:
		wait = ipapiWindow
		if ttlOK {
			wait = max(time.Duration(ttl)*time.Second, time.Second)
		}
	case rlOK && rl == 0:
		wait = ipapiWindow
		if ttlOK {
			wait = time.Duration(ttl) * time.Second
		}
	default:
		return
	}
	wait = min(wait, ipapiMaxTTL)
	if t := c.now().Add(wait); t.After(c.resumeAt) {
		c.resumeAt = t
	}
}

// headerInt returns header name as a non-negative integer; false when it
// is absent or not one.
func headerInt(h http.Header, name string) (int, bool) {
	v := strings.TrimSpace(h.Get(name))
	if v == "" {
		return 0, false
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// send posts one batch. limited reports an HTTP 429, which Lookup may
// retry; otherwise it returns the Infos or an error.
func (c *IPAPI) send(ctx context.Context, body []byte, asked []netip.Addr) (infos []Info, limited bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return nil, false, core.Wrap(err, core.EINVALID, "the "+ipapiName+" address is not usable")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, false, ctx.Err()
		}
		return nil, false, core.Wrap(err, core.EUNAVAILABLE, ipapiName+" cannot be reached")
	}
	defer func() {
		// Drain a little so the connection can be reused.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
	}()
	c.observe(resp.StatusCode, resp.Header)

	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusTooManyRequests:
		return nil, true, nil
	default:
		return nil, false, core.Errorf(core.EUNAVAILABLE, "%s answered HTTP %s; nothing from this answer was used", ipapiName, statusText(resp))
	}
	infos, err = c.decode(ctx, resp, asked)
	return infos, false, err
}

// statusText returns "500 Internal Server Error", or the bare code when the
// server sent no reason phrase.
func statusText(resp *http.Response) string {
	if s := strings.TrimSpace(resp.Status); s != "" {
		return s
	}
	return strconv.Itoa(resp.StatusCode)
}

// badAnswer is the error for an answer that cannot be used.
func badAnswer(format string, args ...any) *core.Error {
	return core.Errorf(core.EPROTOCOL, ipapiName+" "+format+"; nothing from this answer was used", args...)
}

// decode checks a 200 answer and turns it into Infos.
func (c *IPAPI) decode(ctx context.Context, resp *http.Response, asked []netip.Addr) ([]Info, error) {
	if mt, ok := jsonMediaType(resp.Header.Get("Content-Type")); !ok {
		if mt == "" {
			mt = "no content type"
		}
		return nil, badAnswer("answered %s instead of JSON (a proxy or captive portal in the way?)", mt)
	}
	if resp.ContentLength > ipapiMaxBody {
		return nil, badAnswer("answered %d bytes, more than the %d KiB this app accepts", resp.ContentLength, ipapiMaxBody>>10)
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, ipapiMaxBody+1))
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, core.Wrap(err, core.EUNAVAILABLE, ipapiName+"'s answer was cut off; nothing from it was used")
	}
	if len(raw) > ipapiMaxBody {
		return nil, badAnswer("answered more than the %d KiB this app accepts", ipapiMaxBody>>10)
	}
	var entries []ipapiEntry
	if err := json.Unmarshal(raw, &entries); err != nil {
		// A refusal of the whole request is one object, not an array.
		var one ipapiEntry
		if bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{")) && json.Unmarshal(raw, &one) == nil && one.Status == "fail" {
			return nil, badAnswer("refused the request: %q", one.Message)
		}
		return nil, core.Wrap(err, core.EPROTOCOL, ipapiName+" answered JSON that this app cannot read; nothing from this answer was used")
	}
	if len(entries) != len(asked) {
		return nil, badAnswer("answered %d entries for %d addresses", len(entries), len(asked))
	}
	infos := make([]Info, len(entries))
	for i, e := range entries {
		q, err := netip.ParseAddr(strings.TrimSpace(e.Query))
		if err != nil {
			return nil, badAnswer("answered entry %d for %q, not for %s", i+1, e.Query, asked[i])
		}
		if q.Unmap().WithZone("") != asked[i] {
			return nil, badAnswer("answered entry %d for %s, but entry %d asked about %s", i+1, q, i+1, asked[i])
		}
		switch e.Status {
		case "success":
			info, err := successInfo(e)
			if err != nil {
				return nil, badAnswer("answered entry %d (%s) with %v", i+1, asked[i], err)
			}
			infos[i] = info
		case "fail":
			// "private range", "reserved range", "invalid query": the
			// service does not know the address.
			infos[i] = Info{Country: Unknown, Source: ipapiName}
		default:
			return nil, badAnswer("answered entry %d (%s) with status %q", i+1, asked[i], e.Status)
		}
	}
	return infos, nil
}

// successInfo maps a "success" entry.
func successInfo(e ipapiEntry) (Info, error) {
	info := Info{Country: Unknown, Source: ipapiName}
	if cc := strings.ToUpper(strings.TrimSpace(e.CountryCode)); cc != "" {
		if !isAlpha2(cc) {
			return Info{}, fmt.Errorf("country code %q, not an ISO 3166-1 alpha-2 code", e.CountryCode)
		}
		info.Country = cc
	}
	var asName string
	info.ASN, asName = parseIPAPIAS(e.AS)
	info.Org = strings.TrimSpace(e.Org)
	if info.Org == "" {
		info.Org = asName
	}
	return info, nil
}

// parseIPAPIAS splits ip-api's "as" field, "AS3215 Orange S.A.", into the
// number and the name after it. It returns 0 and "" when the field does
// not start with "AS" and a number that fits 32 bits.
func parseIPAPIAS(s string) (uint32, string) {
	s = strings.TrimSpace(s)
	if len(s) < 3 || !strings.EqualFold(s[:2], "AS") {
		return 0, ""
	}
	num, name, _ := strings.Cut(s[2:], " ")
	n, err := strconv.ParseUint(num, 10, 32)
	if err != nil {
		return 0, ""
	}
	return uint32(n), strings.TrimSpace(name)
}

func isAlpha2(s string) bool {
	return len(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z'
}

// jsonMediaType returns the media type of a Content-Type header (the
// header quoted when it does not parse) and whether it names JSON:
// application/json, text/json or any +json type.
func jsonMediaType(ct string) (string, bool) {
	ct = strings.TrimSpace(ct)
	if ct == "" {
		return "", false
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return strconv.Quote(ct), false
	}
	return mt, mt == "application/json" || mt == "text/json" || strings.HasSuffix(mt, "+json")
}

// sleepCtx waits d, or less when ctx ends first.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
