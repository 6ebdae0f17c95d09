package blocklist_test

import (
	"errors"
	"io"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/blocklist"
)

// testOpt is how these tests parse: they use only documentation addresses
// (TEST-NET, 2001:db8::/32), which a real import refuses.
var testOpt = blocklist.ParseOptions{AllowDocumentation: true}

// mustParse parses text and checks that every line was counted once.
func mustParse(t *testing.T, text string, opt blocklist.ParseOptions) blocklist.Parsed {
	t.Helper()
	p, err := blocklist.Parse(strings.NewReader(text), opt)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	checkCounts(t, p)
	if p.Bytes != int64(len(text)) {
		t.Errorf("Bytes = %d, want %d", p.Bytes, len(text))
	}
	return p
}

func checkCounts(t *testing.T, p blocklist.Parsed) {
	t.Helper()
	if p.Lines != p.Comments+p.EntryLines {
		t.Errorf("Lines %d != Comments %d + EntryLines %d", p.Lines, p.Comments, p.EntryLines)
	}
	if sum := p.Valid + p.Invalid + p.Reserved + p.Duplicates + p.Skipped; p.EntryLines != sum {
		t.Errorf("EntryLines %d != Valid+Invalid+Reserved+Duplicates+Skipped %d (%+v)", p.EntryLines, sum, p)
	}
	if p.Valid != len(p.Entries) {
		t.Errorf("Valid %d != len(Entries) %d", p.Valid, len(p.Entries))
	}
}

func TestParseGoodList(t *testing.T) {
	p := mustParse(t, "192.0.2.1\n198.51.100.2\n203.0.113.3\n2001:db8::4\n", testOpt)
	want := []string{"192.0.2.1", "198.51.100.2", "203.0.113.3", "2001:db8::4"}
	if !reflect.DeepEqual(p.Entries, want) || p.Lines != 4 || p.EntryLines != 4 || len(p.Bad) != 0 {
		t.Fatalf("got %+v, want entries %v", p, want)
	}
}

func TestParseMixedList(t *testing.T) {
	text := strings.Join([]string{
		"# blocklist.de export, stand-in", // 1 comment
		"; another comment style",         // 2 comment
		"",                                // 3 blank
		"192.0.2.10",                      // 4 valid
		"192.0.2.11 # seen on 2026-11-27", // 5 valid, trailing comment
		"192.0.2.12 ; SBL000",             // 6 valid, trailing ; comment
		"2001:DB8:0:0::0A",                // 7 valid, canonicalised
		"::ffff:198.51.100.20",            // 8 valid, unmapped
		"198.51.100.0/24",                 // 9 network: refused without CIDR
		"10.1.2.3",                        // 10 private
		"127.0.0.1",                       // 11 loopback
		"fe80::1",                         // 12 link-local
		"192.0.2.10",                      // 13 duplicate
		"198.51.100.20",                   // 14 duplicate of line 8
		"not-an-address",                  // 15 invalid
		"192.0.2.256",                     // 16 invalid
		"192.0.2.010",                     // 17 invalid: leading zero
		"192.0.2.1 192.0.2.2",             // 18 invalid: two fields
		"fe80::1%eth0",                    // 19 invalid: zone
	}, "\n")
	p := mustParse(t, text, testOpt)
	want := []string{"192.0.2.10", "192.0.2.11", "192.0.2.12", "2001:db8::a", "198.51.100.20"}
	if !reflect.DeepEqual(p.Entries, want) {
		t.Errorf("Entries = %q, want %q", p.Entries, want)
	}
	if p.Lines != 19 || p.Comments != 3 || p.Valid != 5 || p.Invalid != 6 || p.Reserved != 3 || p.Duplicates != 2 {
		t.Errorf("counts = %+v", p)
	}
	if len(p.Bad) != 9 {
		t.Fatalf("Bad = %+v, want 9 lines", p.Bad)
	}
	if b := p.Bad[0]; b.Line != 9 || b.Text != "198.51.100.0/24" || !strings.Contains(b.Reason, "single addresses only") {
		t.Errorf("Bad[0] = %+v", b)
	}
	if b := p.Bad[1]; b.Line != 10 || !strings.Contains(b.Reason, "not a public address") {
		t.Errorf("Bad[1] = %+v", b)
	}
	if b := p.Bad[7]; b.Line != 18 || !strings.Contains(b.Reason, "one address per line") {
		t.Errorf("Bad[7] = %+v", b)
	}
}

func TestParseCIDR(t *testing.T) {
	opt := testOpt
	opt.CIDR = true
	text := "198.51.100.0/24\n2001:DB8::/48\n192.0.2.7/32\n198.51.100.1/24\n0.0.0.0/0\n10.0.0.0/8\n0.0.0.0/1\n198.51.100.0/24\n::ffff:203.0.113.0/120\n"
	p := mustParse(t, text, opt)
	want := []string{"198.51.100.0/24", "2001:db8::/48", "192.0.2.7/32", "203.0.113.0/24"}
	if !reflect.DeepEqual(p.Entries, want) {
		t.Errorf("Entries = %q, want %q", p.Entries, want)
	}
	if p.Invalid != 2 || p.Reserved != 2 || p.Duplicates != 1 {
		t.Errorf("counts = %+v", p)
	}
	if !strings.Contains(p.Bad[0].Reason, "did you mean 198.51.100.0/24?") || !strings.Contains(p.Bad[1].Reason, "every address") {
		t.Errorf("Bad = %+v", p.Bad)
	}
}

func TestParseDocumentationRefusedByDefault(t *testing.T) {
	p := mustParse(t, "192.0.2.1\n198.51.100.1\n203.0.113.1\n2001:db8::1\n", blocklist.ParseOptions{})
	if p.Valid != 0 || p.Reserved != 4 {
		t.Errorf("counts = %+v, want all 4 reserved", p)
	}
	p = mustParse(t, "10.0.0.1\n192.168.1.1\n::1\n100.64.0.1\n", testOpt)
	if p.Valid != 0 || p.Reserved != 4 {
		t.Errorf("AllowDocumentation let through more than documentation: %+v", p)
	}
}

func TestParseOnlyComments(t *testing.T) {
	p := mustParse(t, "# nothing today\n\n; really nothing\n   \n", testOpt)
	if p.Valid != 0 || p.Comments != 4 || p.EntryLines != 0 || p.Entries != nil {
		t.Errorf("got %+v", p)
	}
	p = mustParse(t, "", testOpt)
	if p.Lines != 0 || p.Valid != 0 {
		t.Errorf("empty list: %+v", p)
	}
}

func TestParseSpacesAndCRLF(t *testing.T) {
	text := "\xef\xbb\xbf192.0.2.1 \r\n\t198.51.100.2\t\t\r\n203.0.113.3   # comment\r\n\r\n2001:db8::5\r\n192.0.2.9"
	p := mustParse(t, text, testOpt)
	want := []string{"192.0.2.1", "198.51.100.2", "203.0.113.3", "2001:db8::5", "192.0.2.9"}
	if !reflect.DeepEqual(p.Entries, want) || p.Lines != 6 || p.Comments != 1 {
		t.Errorf("got %+v, want %q", p, want)
	}
}

func TestParseHTML(t *testing.T) {
	for _, text := range []string{
		"<!DOCTYPE html>\n<html><body>Please log in</body></html>\n",
		"\r\n\n   <html>\n<head><title>502 Bad Gateway</title></head>\n",
		"<!DOCTYPE html><html><body>" + strings.Repeat("<p>minified</p>", 10000) + "</body></html>", // one line of 150 KB
	} {
		_, err := blocklist.Parse(strings.NewReader(text), testOpt)
		if core.ErrorCode(err) != core.EINVALID || !strings.Contains(core.ErrorMessage(err), "HTML page") {
			t.Errorf("Parse(%q) = %v, want the HTML error", text[:10], err)
		}
	}
}

func TestParseMaxEntries(t *testing.T) {
	opt := testOpt
	opt.MaxEntries = 2
	p := mustParse(t, "192.0.2.1\n192.0.2.2\n192.0.2.1\n192.0.2.3\n2001:db8::1\n", opt)
	if !reflect.DeepEqual(p.Entries, []string{"192.0.2.1", "192.0.2.2"}) || p.Skipped != 2 || p.Duplicates != 1 {
		t.Errorf("got %+v", p)
	}
}

func TestParseBadLinesKept(t *testing.T) {
	text := strings.Repeat("garbage\n", 25) + "x" + strings.Repeat("é", 200) + "\n"
	p := mustParse(t, text, testOpt)
	if p.Invalid != 26 || len(p.Bad) != 10 || p.Bad[9].Line != 10 {
		t.Errorf("got %d invalid, Bad %+v", p.Invalid, p.Bad)
	}
	p = mustParse(t, "x"+strings.Repeat("é", 200)+"\x01\n", testOpt)
	if b := p.Bad[0].Text; len(b) > 104 || !strings.HasSuffix(b, "…") || !strings.HasPrefix(b, "xéé") {
		t.Errorf("long bad text not cut cleanly: %q (%d bytes)", b, len(b))
	}
}

// repeatReader gives n bytes of c without holding them.
type repeatReader struct {
	c byte
	n int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, io.EOF
	}
	p = p[:min(len(p), r.n)]
	for i := range p {
		p[i] = r.c
	}
	r.n -= len(p)
	return len(p), nil
}

func TestParseLineOfOneMegabyte(t *testing.T) {
	const mb = 1 << 20
	list := func(tail string) io.Reader {
		return io.MultiReader(strings.NewReader("192.0.2.1\n"), &repeatReader{c: '7', n: mb}, strings.NewReader(tail))
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	p, err := blocklist.Parse(list("\n198.51.100.7\n"), testOpt)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	checkCounts(t, p)
	if !reflect.DeepEqual(p.Entries, []string{"192.0.2.1", "198.51.100.7"}) || p.Invalid != 1 || p.Lines != 3 || p.Bytes != mb+24 {
		t.Errorf("got %+v", p)
	}
	if b := p.Bad[0]; b.Line != 2 || !strings.Contains(b.Reason, "longer than 64 KiB") || len(b.Text) > 104 {
		t.Errorf("Bad = %+v", b)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > mb/2 {
		t.Errorf("parsing a 1 MB line allocated %d bytes, want well under 1 MB", got)
	}

	// A long comment is a comment.
	p, err = blocklist.Parse(io.MultiReader(strings.NewReader("# "), &repeatReader{c: '-', n: mb}, strings.NewReader("\n192.0.2.1")), testOpt)
	if err != nil || p.Valid != 1 || p.Invalid != 0 || p.Comments != 1 {
		t.Errorf("long comment: %+v, %v", p, err)
	}

	// At the end of the list, without a newline.
	p, err = blocklist.Parse(list(""), testOpt)
	if err != nil || p.Valid != 1 || p.Invalid != 1 || p.Lines != 2 {
		t.Errorf("got %+v, %v", p, err)
	}
}

// failingReader gives its text, then an error.
type failingReader struct {
	text string
	err  error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if r.text == "" {
		return 0, r.err
	}
	n := copy(p, r.text)
	r.text = r.text[n:]
	return n, nil
}

func TestParseReadError(t *testing.T) {
	cause := errors.New("connection reset by peer")
	p, err := blocklist.Parse(&failingReader{text: "192.0.2.1\n192.0.2.2\n", err: cause}, testOpt)
	if core.ErrorCode(err) != core.EUNAVAILABLE || !errors.Is(err, cause) || p.Valid != 2 {
		t.Errorf("got %+v, %v", p, err)
	}
	tooBig := core.Errorf(core.EINVALID, "the list is larger than 1 MiB")
	_, err = blocklist.Parse(&failingReader{text: "192.0.2.1\n", err: tooBig}, testOpt)
	if err != tooBig {
		t.Errorf("a *core.Error from the reader came back as %v", err)
	}
}

// FuzzParse checks that no input panics, every line is counted once, and
// every kept entry is canonical and parses back to itself.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		goodList, "192.0.2.1 # x\r\n;\n", "2001:DB8::1\n198.51.100.0/24\n", "<html>", "0.0.0.0\n1.2.3\n01.2.3.4\n",
		"::ffff:192.0.2.1\n192.0.2.1\n", "\xef\xbb\xbf203.0.113.9", "fe80::1%eth0\n", "192.0.2.1\t192.0.2.2\n",
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, text string, cidr bool) {
		p, err := blocklist.Parse(strings.NewReader(text), blocklist.ParseOptions{CIDR: cidr, AllowDocumentation: true})
		if err != nil {
			return // only the HTML check fails on a reader that does not
		}
		checkCounts(t, p)
		seen := map[string]bool{}
		for _, e := range p.Entries {
			n, err := core.NormalizeBanTarget(e)
			if err != nil || n != e || seen[e] || (!cidr && strings.Contains(e, "/")) {
				t.Fatalf("entry %q: normalizes to %q, %v (seen %v)", e, n, err, seen[e])
			}
			seen[e] = true
		}
	})
}
