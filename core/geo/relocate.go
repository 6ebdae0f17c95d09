package geo

import (
	"context"
	"fmt"
	"net/netip"
)

// IPCountry is an address of the ban history and the country its bans are
// counted under ("" when not located yet, or when its rows disagree).
type IPCountry struct {
	IP, Country string
}

// Ledger is the history's record of where each address is (core/store
// implements it).
type Ledger interface {
	// IPsToLocate returns up to limit addresses after the address after,
	// in address order; with all false only those not located yet ("")
	// or unknown.
	IPsToLocate(ctx context.Context, after string, limit int, all bool) ([]IPCountry, error)
	// SetIPCountries moves every ban of each address to its country,
	// keeping the roll-ups exact, and returns how many ban rows moved.
	SetIPCountries(ctx context.Context, countries []IPCountry) (int, error)
}

// RelocateStats says what Relocate did.
type RelocateStats struct {
	Addresses int // addresses looked at
	Changed   int // addresses whose country changed
	Moved     int // ban rows moved to another country
	// OnlineErr is why the online service could not help (nil when it is
	// off or answered); the offline answers were used anyway.
	OnlineErr error
}

// relocatePage is how many addresses one step of Relocate handles.
const relocatePage = 1000

// Relocate gives the history's addresses the countries r finds for them:
// with all, every address (after the user changed the geo databases);
// otherwise only those not located yet or unknown (after a sync: the
// pre-warm, which is also when the online service, if on, is asked). It
// goes on with the offline answers when the online service fails.
// progress (may be nil) gets the addresses done.
func Relocate(ctx context.Context, r *Resolver, l Ledger, all bool, progress func(done int)) (RelocateStats, error) {
	var st RelocateStats
	after := ""
	online := true
	for {
		page, err := l.IPsToLocate(ctx, after, relocatePage, all)
		if err != nil {
			return st, err
		}
		if len(page) == 0 {
			return st, nil
		}
		after = page[len(page)-1].IP
		addrs := make([]netip.Addr, len(page))
		for i, p := range page {
			a, err := netip.ParseAddr(p.IP)
			if err != nil {
				a = netip.Addr{} // not an address: Unknown below
			}
			addrs[i] = a.WithZone("")
		}
		var infos []Info
		if online && r.OnlineEnabled() {
			infos, err = r.Resolve(ctx, addrs, nil)
			if err != nil {
				if ctx.Err() != nil {
					return st, ctx.Err()
				}
				st.OnlineErr, online = err, false
			}
		} else {
			infos = make([]Info, len(addrs))
			r.Locate(addrs, infos)
		}
		var changes []IPCountry
		for i, p := range page {
			c := infos[i].Country
			if !addrs[i].IsValid() {
				c = Unknown
			}
			if c != p.Country {
				changes = append(changes, IPCountry{IP: p.IP, Country: c})
			}
		}
		if len(changes) > 0 {
			n, err := l.SetIPCountries(ctx, changes)
			if err != nil {
				return st, fmt.Errorf("geo: relocate: %w", err)
			}
			st.Changed += len(changes)
			st.Moved += n
		}
		st.Addresses += len(page)
		if progress != nil {
			progress(st.Addresses)
		}
		if len(page) < relocatePage {
			return st, nil
		}
	}
}
