// Package fleet works on many fail2ban servers at once: a Poller checks
// their health concurrently, and Actions bans or unbans addresses on all of
// them, each server's action recorded in the activity log.
//
// Both bound how many servers are worked on at the same time (Limit,
// default DefaultLimit) and run every server on its own, so one slow or
// dead server never stops or delays the others beyond its own slot. The
// methods block until every server is done, honour ctx, start no goroutine
// that outlives the call and are safe for concurrent use. Results come
// back per server, in a callback as each one finishes and as a slice in
// the order of the input at the end.
package fleet
