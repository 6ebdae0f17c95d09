package f2b

import (
	"bufio"
	"bytes"
	"testing"
	"time"
)

// FuzzReadReply feeds hostile bytes to the reply decoder and the typed
// decoders behind it: no panic, and no read past the cap. Seeds are the
// recorded replies of a real server.
func FuzzReadReply(f *testing.F) {
	for _, r := range recordings {
		f.Add(recording(f, r.name))
	}
	f.Add([]byte("\x80\x04X\xff\xff\xff\xff"))   // 4 GB string header, no data
	f.Add([]byte("\x80\x04(((((((((((((((((((")) // marks, no end
	f.Add([]byte("garbage<F2B_END_COMMAND>"))
	f.Fuzz(func(t *testing.T, data []byte) {
		const budget = 1 << 16
		cr := &capReader{r: bytes.NewReader(data), budget: budget}
		v, err := readReply(bufio.NewReaderSize(cr, 4096))
		if cr.budget < 0 {
			t.Fatalf("read %d bytes past the cap", -cr.budget)
		}
		if err != nil {
			return
		}
		res, err := decodeResult(v)
		if err != nil {
			_ = err.Error()
			return
		}
		_, _ = decodeJailStatus(res, true)
		_, _ = decodeBanned(res)
		_, _ = asPairs(res)
		_, _ = asStrings(res)
		if s, ok := res.(string); ok {
			_, _ = parseBanLine(s, time.UTC)
		}
		_ = describe(res)
	})
}

// FuzzParseBanLine checks the --with-time parser on arbitrary text.
func FuzzParseBanLine(f *testing.F) {
	f.Add("192.0.2.10 \t2026-11-27 02:42:29 + 600 = 2026-11-27 02:52:29")
	f.Add("2001:db8::1 \t2026-11-27 02:42:29 + -1 = 9999-12-31 23:59:59")
	f.Fuzz(func(t *testing.T, s string) {
		b, err := parseBanLine(s, time.UTC)
		if err == nil && !b.Permanent && b.End.IsZero() {
			t.Fatalf("%q: a timed ban without an end", s)
		}
	})
}
