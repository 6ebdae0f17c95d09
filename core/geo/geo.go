// Package geo resolves IP addresses to countries (and, where a database
// has them, autonomous systems): an in-memory cache, then the geo_cache
// table of the local cache, then MaxMind DB files (the embedded default
// and the user's), then, only when the user turns it on, an online
// service. It imports neither fyne nor any SSH code.
package geo

import (
	"context"
	"net/netip"

	"github.com/bangui/bangui/core"
)

// Country codes that are not ISO alpha-2 (core's, repeated for brevity).
const (
	// Unknown: no source knows the address.
	Unknown = core.CountryUnknown
	// NotRoutable: a private, loopback, link-local, documentation or
	// otherwise reserved address; never looked up.
	NotRoutable = core.CountryNotRoutable
)

// Info is what the geo store knows about one address.
type Info struct {
	// Country is an ISO 3166-1 alpha-2 code ("FR"), Unknown or
	// NotRoutable.
	Country string
	ASN     uint32 // 0 when unknown
	Org     string // the AS's organisation, when known
	// Source names where the answer came from: a database's name, or an
	// online service's; "" for NotRoutable.
	Source string
}

// Online is an internet geolocation service; the chain uses it only when
// the user turned it on.
type Online interface {
	// Name names the service in the UI and in geo_cache.source.
	Name() string
	// BatchSize is the most addresses one Lookup takes.
	BatchSize() int
	// Lookup resolves addrs (at most BatchSize, all routable) and returns
	// one Info per address, in the same order. An address the service
	// does not know gets Country Unknown. Lookup waits as the service's
	// rate limit asks (or until ctx ends) and fails with an error that
	// says what the service did when its answer cannot be used.
	Lookup(ctx context.Context, addrs []netip.Addr) ([]Info, error)
}
