package blocklist

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"math/bits"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/bangui/bangui/core"
)

// Limits of Parse.
const (
	// maxLineLen is the longest line Parse reads as an entry; a longer
	// one is refused without being held in memory.
	maxLineLen = 64 << 10
	// maxBad is how many refused lines Parsed.Bad keeps.
	maxBad = 10
	// maxBadText is how much of a refused line Parsed.Bad keeps.
	maxBadText = 100
)

// ParseOptions says which entries Parse keeps.
type ParseOptions struct {
	// CIDR accepts networks (198.51.100.0/24) as well as addresses. When
	// false, networks are refused as invalid: the jail's ban action may
	// not take them, and the importer knows which one it drives.
	CIDR bool
	// MaxEntries caps the entries kept (the first ones); the valid entries
	// past it are counted in Parsed.Skipped. Zero or less means
	// core.DefaultMaxEntries.
	MaxEntries int
	// AllowDocumentation lets the documentation ranges through (TEST-NET-1,
	// -2 and -3: 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24; and
	// 2001:db8::/32, 3fff::/20), which are otherwise refused as not
	// routable. It exists for tests against real servers, which ban only
	// documentation addresses; leave it false everywhere else.
	AllowDocumentation bool
}

// BadLine is a refused line of a list, kept to show the user why.
type BadLine struct {
	Line   int    // 1-based
	Text   string // the line, trimmed and cut to about 100 characters
	Reason string // why it was refused
}

// Parsed is what Parse read from a list. Every line is counted once:
// Lines = Comments + EntryLines, and EntryLines = Valid + Invalid +
// Reserved + Duplicates + Skipped.
type Parsed struct {
	// Entries holds the kept addresses and networks, canonical, without
	// duplicates, in list order; len(Entries) == Valid.
	Entries    []string
	Lines      int       // lines read
	Comments   int       // blank and comment lines
	EntryLines int       // lines that hold something other than a comment
	Valid      int       // entries kept
	Invalid    int       // lines that are not an address (or network) to ban
	Reserved   int       // addresses that never come from the internet: private, loopback, reserved, documentation…
	Duplicates int       // entries already kept
	Skipped    int       // valid entries past ParseOptions.MaxEntries, not kept (repeats among them are not told apart)
	Bad        []BadLine // the first few invalid and reserved lines
	Bytes      int64     // bytes read
}

// Parse reads a blocklist: one IPv4 or IPv6 address (or, with opt.CIDR, a
// network) per line. Blank lines and comments (# or ;, on their own line
// or after an entry) are skipped; spaces, tabs and CRLF line ends are
// trimmed. Each entry is validated and written in canonical form; entries
// that are not routable on the internet (core.IsRoutable) are refused and
// counted as Reserved, and duplicates are dropped.
//
// Parse streams: it holds one line at a time (lines longer than 64 KiB
// are refused without being read into memory whole), the kept entries and
// a few bad lines. A list whose first content starts with "<" is an HTML
// page, not a list: Parse stops with an EINVALID error. A list of only
// comments is not an error; Valid is 0 and the caller should warn.
//
// On a read error Parse returns what it read so far and the error (a
// *core.Error as is; others wrapped).
func Parse(r io.Reader, opt ParseOptions) (Parsed, error) {
	p := parser{opt: opt, max: opt.MaxEntries}
	if p.max <= 0 {
		p.max = core.DefaultMaxEntries
	}
	br := bufio.NewReaderSize(r, maxLineLen+2) // +2: room for "\r\n"
	for {
		line, err := br.ReadSlice('\n')
		p.out.Bytes += int64(len(line))
		if errors.Is(err, bufio.ErrBufferFull) {
			if err := p.longLine(br, line); err != nil {
				return p.done(), readError(err, p.out.Lines)
			}
			continue
		}
		if len(line) > 0 {
			if herr := p.line(line); herr != nil {
				return p.done(), herr
			}
		}
		if err == io.EOF {
			return p.done(), nil
		}
		if err != nil {
			return p.done(), readError(err, p.out.Lines)
		}
	}
}

type parser struct {
	opt        ParseOptions
	max        int
	out        Parsed
	seen4      set4                // IPv4 addresses kept
	seen       map[string]struct{} // other entries kept
	sawContent bool
	pending    []byte     // kept entries not yet in out.Entries, as text
	ends       []int      // where each of them ends in pending
	chunks     [][]string // kept entries, in order
}

// line handles one line, with its "\n" if it has one. It returns an error
// only when the list is an HTML page.
func (p *parser) line(b []byte) error {
	p.out.Lines++
	if p.out.Lines == 1 {
		b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")) // a UTF-8 byte order mark
	}
	b = trimSpace(b)
	if err := p.htmlCheck(b); err != nil {
		return err
	}
	for i, c := range b {
		if c == '#' || c == ';' {
			b = trimSpace(b[:i])
			break
		}
	}
	if len(b) == 0 {
		p.out.Comments++
		return nil
	}
	p.out.EntryLines++
	if a, ok := parse4(b); ok {
		p.addr4(a, b)
		return nil
	}
	p.slow(b)
	return nil
}

// htmlCheck fails when b, a trimmed line, is the list's first content and
// starts with "<".
func (p *parser) htmlCheck(b []byte) error {
	if len(b) == 0 || p.sawContent {
		return nil
	}
	p.sawContent = true
	if b[0] == '<' {
		return core.Errorf(core.EINVALID, "the list is an HTML page, not a list of addresses: check the URL (a login or error page?)")
	}
	return nil
}

// longLine counts a line longer than maxLineLen, whose first part is
// head: a comment, or else refused. It reads the rest in buffer-sized
// pieces, never holding it whole.
func (p *parser) longLine(br *bufio.Reader, head []byte) error {
	p.out.Lines++
	if p.out.Lines == 1 {
		head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	}
	head = trimSpace(head)
	if err := p.htmlCheck(head); err != nil {
		return err
	}
	if len(head) > 0 && (head[0] == '#' || head[0] == ';') {
		p.out.Comments++
	} else {
		p.out.EntryLines++
		p.refuse(head, "the line is longer than 64 KiB: a list holds one address per line", false)
	}
	for {
		rest, err := br.ReadSlice('\n')
		p.out.Bytes += int64(len(rest))
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err == io.EOF:
			return nil
		default:
			return err
		}
	}
}

// addr4 handles a plain IPv4 address; text is its canonical form.
func (p *parser) addr4(a [4]byte, text []byte) {
	ip := netip.AddrFrom4(a)
	if !p.routable(ip) {
		p.refuse(text, reasonReserved, true)
		return
	}
	key := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	slot, dup := p.seen4.find(key)
	if dup {
		p.out.Duplicates++
		return
	}
	if p.out.Valid >= p.max {
		p.out.Skipped++
		return
	}
	p.seen4.insert(slot, key)
	p.keep(text)
}

const reasonReserved = "not a public address (private, loopback, reserved or documentation): it cannot come from the internet"

// slow handles every entry that is not a plain, canonical IPv4 address.
func (p *parser) slow(b []byte) {
	if bytes.ContainsAny(b, " \t") {
		p.refuse(b, "more than one field: a list holds one address per line", false)
		return
	}
	s := string(b)
	var canon string
	if strings.Contains(s, "/") {
		pf, err := netip.ParsePrefix(s)
		switch {
		case !p.opt.CIDR && err == nil:
			p.refuse(b, "a network: this import takes single addresses only (the jail's ban action may not accept networks)", false)
			return
		case err != nil:
			p.refuse(b, "not an IP network: write it as address/length, such as 198.51.100.0/24", false)
			return
		case pf.Addr().Zone() != "":
			p.refuse(b, "has an interface zone: a list holds internet addresses", false)
			return
		case pf.Masked() != pf:
			p.refuse(b, "host bits set: did you mean "+pf.Masked().String()+"?", false)
			return
		case pf.Bits() == 0:
			p.refuse(b, "would ban every address, yours included", false)
			return
		}
		if pf.Addr().Is4In6() && pf.Bits() >= 96 {
			pf = netip.PrefixFrom(pf.Addr().Unmap(), pf.Bits()-96)
		}
		// A network is public when both its ends are: 0.0.0.0/1 is not.
		if !p.routable(pf.Addr()) || !p.routable(lastAddr(pf)) {
			p.refuse(b, reasonReserved, true)
			return
		}
		canon = pf.String()
	} else {
		a, err := netip.ParseAddr(s)
		switch {
		case err != nil:
			p.refuse(b, "not an IP address: a list holds one IPv4 or IPv6 address per line", false)
			return
		case a.Zone() != "":
			p.refuse(b, "has an interface zone: a list holds internet addresses", false)
			return
		}
		a = a.Unmap()
		if !p.routable(a) {
			p.refuse(b, reasonReserved, true)
			return
		}
		if a.Is4() {
			p.addr4(a.As4(), []byte(a.String()))
			return
		}
		canon = a.String()
	}
	if _, dup := p.seen[canon]; dup {
		p.out.Duplicates++
		return
	}
	if p.out.Valid >= p.max {
		p.out.Skipped++
		return
	}
	if p.seen == nil {
		p.seen = make(map[string]struct{})
	}
	p.seen[canon] = struct{}{}
	p.pending = append(p.pending, canon...)
	p.added()
}

// keep adds an entry. Entries are gathered as text in pending and turned
// into strings a chunk at a time (flush): one allocation per chunk rather
// than one per entry.
func (p *parser) keep(text []byte) {
	p.pending = append(p.pending, text...)
	p.added()
}

// added records the entry just appended to pending.
func (p *parser) added() {
	p.ends = append(p.ends, len(p.pending))
	p.out.Valid++
	if len(p.pending) >= chunkSize {
		p.flush()
	}
}

const chunkSize = 32 << 10

// flush turns pending into strings, appended to the last of p.chunks.
// Entries are gathered in fixed-size chunks and copied once, at the end,
// into a slice of the exact size: growing one slice by append would copy
// it over and over (by a quarter at a time, past 256 entries).
func (p *parser) flush() {
	s, start := string(p.pending), 0
	for _, end := range p.ends {
		if len(p.chunks) == 0 || len(p.chunks[len(p.chunks)-1]) == entryChunk {
			p.chunks = append(p.chunks, make([]string, 0, entryChunk))
		}
		last := &p.chunks[len(p.chunks)-1]
		*last = append(*last, s[start:end])
		start = end
	}
	p.pending, p.ends = p.pending[:0], p.ends[:0]
}

const entryChunk = 8192

// done returns the result, with every kept entry in Entries.
func (p *parser) done() Parsed {
	if len(p.ends) > 0 {
		p.flush()
	}
	switch len(p.chunks) {
	case 0:
	case 1:
		p.out.Entries = slices.Clip(p.chunks[0])
	default:
		p.out.Entries = slices.Concat(p.chunks...)
	}
	p.chunks = nil
	return p.out
}

// set4 is a set of IPv4 addresses (as uint32) by open addressing with
// linear probing: smaller and, at a million entries, several times faster
// than a map. 0 marks a free slot; 0.0.0.0 is never routable, so never
// added.
type set4 struct {
	slots []uint32 // len is 0 or a power of two
	shift uint     // 32 - log2(len(slots))
	n     int
}

// find returns k's slot and whether k is there; when it is not, the slot
// is where insert puts it.
func (s *set4) find(k uint32) (int, bool) {
	if 2*(s.n+1) > len(s.slots) {
		s.grow()
	}
	mask := len(s.slots) - 1
	for i := int((k * 0x9e3779b1) >> s.shift); ; i = (i + 1) & mask {
		switch s.slots[i] {
		case k:
			return i, true
		case 0:
			return i, false
		}
	}
}

func (s *set4) insert(slot int, k uint32) {
	s.slots[slot] = k
	s.n++
}

func (s *set4) grow() {
	old := s.slots
	size := max(2*len(old), 1024)
	s.slots, s.shift = make([]uint32, size), uint(32-bits.TrailingZeros(uint(size)))
	mask := size - 1
	for _, k := range old {
		if k == 0 {
			continue
		}
		i := int((k * 0x9e3779b1) >> s.shift)
		for s.slots[i] != 0 {
			i = (i + 1) & mask
		}
		s.slots[i] = k
	}
}

// refuse counts a refused entry and keeps it among the first bad lines.
func (p *parser) refuse(text []byte, reason string, reserved bool) {
	if reserved {
		p.out.Reserved++
	} else {
		p.out.Invalid++
	}
	if len(p.out.Bad) < maxBad {
		p.out.Bad = append(p.out.Bad, BadLine{Line: p.out.Lines, Text: shortText(text), Reason: reason})
	}
}

// docRanges are the documentation ranges ParseOptions.AllowDocumentation
// lets through.
var docRanges = []netip.Prefix{
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("2001:db8::/32"),
	netip.MustParsePrefix("3fff::/20"),
}

func (p *parser) routable(a netip.Addr) bool {
	if core.IsRoutable(a) {
		return true
	}
	if p.opt.AllowDocumentation {
		for _, d := range docRanges {
			if d.Contains(a) {
				return true
			}
		}
	}
	return false
}

// lastAddr returns the highest address of p, which must be masked.
func lastAddr(p netip.Prefix) netip.Addr {
	if p.Addr().Is4() {
		b := p.Addr().As4()
		for i := p.Bits(); i < 32; i++ {
			b[i/8] |= 0x80 >> (i % 8)
		}
		return netip.AddrFrom4(b)
	}
	b := p.Addr().As16()
	for i := p.Bits(); i < 128; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	return netip.AddrFrom16(b)
}

// parse4 reads a plain IPv4 address in canonical form (four decimal
// numbers up to 255, without leading zeros), without allocating.
func parse4(b []byte) (a [4]byte, ok bool) {
	part, digits, val := 0, 0, 0
	for i, c := range b {
		switch {
		case c >= '0' && c <= '9':
			if digits == 1 && b[i-1] == '0' {
				return a, false // a leading zero: netip refuses it, and so do we
			}
			val = val*10 + int(c-'0')
			digits++
			if val > 255 {
				return a, false
			}
		case c == '.' && digits > 0 && part < 3:
			a[part] = byte(val)
			part, digits, val = part+1, 0, 0
		default:
			return a, false
		}
	}
	if part != 3 || digits == 0 {
		return a, false
	}
	a[3] = byte(val)
	return a, true
}

// trimSpace trims ASCII spaces, tabs, CR and LF at both ends.
func trimSpace(b []byte) []byte {
	i, j := 0, len(b)
	for i < j && isSpace(b[i]) {
		i++
	}
	for j > i && isSpace(b[j-1]) {
		j--
	}
	return b[i:j]
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'
}

// shortText makes a refused line fit to show: trimmed, valid UTF-8 with
// control characters replaced, and cut to about maxBadText bytes.
func shortText(b []byte) string {
	b = trimSpace(b)
	cut := len(b) > maxBadText
	if cut {
		n := maxBadText
		for n > 0 && !utf8.RuneStart(b[n]) {
			n--
		}
		b = b[:n]
	}
	s := strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '?'
		}
		return r
	}, strings.ToValidUTF8(string(b), "?"))
	if cut {
		s += "…"
	}
	return s
}

// readError turns a failed read into a *core.Error.
func readError(err error, lines int) error {
	var ce *core.Error
	switch {
	case errors.As(err, &ce):
		return err
	case errors.Is(err, context.Canceled):
		return core.Wrap(err, core.ECANCELED, "reading the list was cancelled")
	}
	return core.Wrap(err, core.EUNAVAILABLE, "reading the list failed after "+strconv.Itoa(lines)+" lines: try again later")
}
