package store

import (
	"database/sql/driver"
	"fmt"
	"net/netip"
	"strings"

	"modernc.org/sqlite"

	"github.com/bangui/bangui/core"
)

// inCIDRFunc is the SQL function the history uses to test an address
// against a CIDR block: in_cidr(ip, block) is 1 or 0.
const inCIDRFunc = "bangui_in_cidr"

func init() {
	sqlite.MustRegisterDeterministicScalarFunction(inCIDRFunc, 2, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		ip, _ := args[0].(string)
		block, _ := args[1].(string)
		p, err := netip.ParsePrefix(block)
		if err != nil {
			return int64(0), nil
		}
		a, err := netip.ParseAddr(ip)
		if err != nil || !p.Contains(a.Unmap()) {
			return int64(0), nil
		}
		return int64(1), nil
	})
}

// where is a WHERE clause under construction.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// historyWhere turns a filter into conditions on the bans table (aliased
// b). Bad input (an IP that is neither an address nor a CIDR block, an
// unknown origin) is a core.EINVALID error.
func historyWhere(f core.HistoryFilter) (*where, error) {
	w := &where{}
	if !f.From.IsZero() {
		w.add("b.time_of_ban >= ?", f.From.Unix())
	}
	if !f.To.IsZero() {
		w.add("b.time_of_ban < ?", f.To.Unix())
	}
	// "+" keeps SQLite (which has no statistics here) from walking
	// bans_server, every row of a server, instead of the time range.
	if err := serverCond(w, "+b.server_id", f.ServerIDs); err != nil {
		return nil, err
	}
	if f.Jail != "" {
		w.add("b.jail = ?", f.Jail)
	}
	if f.Origin != "" {
		if !validOrigin(f.Origin) {
			return nil, core.Errorf(core.EINVALID, "unknown ban origin %q: use %s", f.Origin, strings.Join(core.Origins, ", "))
		}
		w.add("b.origin = ?", f.Origin)
	}
	if ip := strings.TrimSpace(f.IP); ip != "" {
		if err := ipCond(w, ip); err != nil {
			return nil, err
		}
	}
	if err := countryCond(w, "b.country", f.Country); err != nil {
		return nil, err
	}
	return w, nil
}

// countryCond filters on a country code; CountryUnknown also selects
// addresses not located yet (”).
func countryCond(w *where, col, c string) error {
	switch {
	case c == "":
	case c == core.CountryUnknown:
		w.add(col + " IN ('', '?')")
	case c == core.CountryNotRoutable || validCountryCode(c):
		w.add(col+" = ?", c)
	default:
		return core.Errorf(core.EINVALID, "%q is not a country code: use two capital letters (FR), %q for unknown or %q for not routable", c, core.CountryUnknown, core.CountryNotRoutable)
	}
	return nil
}

func validCountryCode(c string) bool {
	return len(c) == 2 && c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z'
}

func serverCond(w *where, col string, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	w.add(col+" IN ("+marks(len(ids))+")", args...)
	return nil
}

// ipCond filters on one address (as fail2ban writes it: canonical form) or
// a CIDR block. A block becomes a range over the address text that the
// bans_ip index serves (the whole octets or the leading hextets the block
// fixes), refined by bangui_in_cidr.
func ipCond(w *where, s string) error {
	if a, err := netip.ParseAddr(s); err == nil {
		w.add("b.ip = ?", a.Unmap().String())
		return nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return core.Errorf(core.EINVALID, "%q is neither an IP address nor a CIDR block (such as 203.0.113.0/24 or 2001:db8::/32)", s)
	}
	p = p.Masked()
	if p.Bits() == 0 {
		return nil // every address of that family; the text range would not help
	}
	if lo := textPrefix(p); lo != "" {
		w.add("b.ip >= ? AND b.ip < ?", lo, lo[:len(lo)-1]+string(lo[len(lo)-1]+1))
	}
	w.add(inCIDRFunc+"(b.ip, ?) = 1", p.String())
	return nil
}

// textPrefix returns the text every address in p starts with when written
// in canonical form, ending with its separator ("203.0." for 203.0.0.0/16,
// "2001:db8:" for 2001:db8::/32), or "" when nothing is fixed.
func textPrefix(p netip.Prefix) string {
	a := p.Addr()
	if a.Is4() {
		n := p.Bits() / 8
		if n == 0 {
			return ""
		}
		b := a.As4()
		parts := make([]string, n)
		for i := range n {
			parts[i] = fmt.Sprint(b[i])
		}
		return strings.Join(parts, ".") + "."
	}
	b := a.As16()
	var parts []string
	for i := 0; i < p.Bits()/16; i++ {
		h := uint16(b[2*i])<<8 | uint16(b[2*i+1])
		if h == 0 {
			break // the canonical form may compress it away
		}
		parts = append(parts, fmt.Sprintf("%x", h))
	}
	if len(parts) == 0 {
		return ""
	}
	return strings.Join(parts, ":") + ":"
}
