package core

import (
	"context"
	"time"
)

// ServerStatus is one server's health as a fleet poll found it
// (core/fleet's Poller).
type ServerStatus struct {
	Server Server
	// Online is true when the server answered. Err may still be set then:
	// it answered, but reading its jails failed.
	Online bool
	// Err says why the server is offline, or what failed after it
	// answered; nil when all went well. A *Error with a user message; its
	// code is ECANCELED when the poll itself was cancelled, in which case
	// Online and OfflineSince say nothing about the server.
	Err       error
	Version   Version // zero when it could not be read
	Jails     int     // number of jails
	Banned    int     // addresses banned now, summed over the jails
	Took      time.Duration
	CheckedAt time.Time // when the check started
	// OfflineSince is when the server was first found offline after it was
	// last online (or since the poller's first look at it); zero while
	// online.
	OfflineSince time.Time
	// BackOnline is true at the first poll that finds the server online
	// after one that found it offline.
	BackOnline bool
}

// FleetResult is what a ban or unban across many servers did on one of
// them (core/fleet's Actions).
type FleetResult struct {
	Server Server
	// Requested is how many addresses were sent, after de-duplication.
	Requested int
	// Changed counts the addresses banned (ban) or, for an unban
	// everywhere, the bans lifted: an address banned in two jails counts
	// twice. After an error, it counts what the server confirmed before.
	Changed int
	// Already counts the addresses that were banned already (ban). It
	// stays 0 after an error (unknown then) and for an unban everywhere,
	// which cannot tell.
	Already int
	// Err is why the action failed on this server (a *Error); nil when it
	// succeeded. Code ENOTFOUND means the server has no such jail.
	Err  error
	Took time.Duration
}

// IPSighting is one (server, jail) that banned an address, as the history
// cache holds it.
type IPSighting struct {
	ServerID int64
	Server   string // the server's name now; "" once deleted
	Jail     string
	First    time.Time // the earliest cached ban
	Last     time.Time // the latest cached ban
	Count    int       // cached bans
}

// IPSightings tells where an address was banned (core/store implements it
// on the history cache). Safe for concurrent use.
type IPSightings interface {
	// IPSeen returns every (server, jail) whose cached history bans ip (an
	// address, or a CIDR block for every address in it), latest ban first.
	// An address that was never banned gives an empty list; text that is
	// neither an address nor a block gives an EINVALID error.
	IPSeen(ctx context.Context, ip string) ([]IPSighting, error)
}
