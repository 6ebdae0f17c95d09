// Package blocklist downloads a list of bad addresses published on the web
// and reads it into canonical ban targets.
//
// Fetcher.Fetch downloads one list over http or https: it sends the
// validators of the last download (so an unchanged list costs a 304),
// retries with backoff when the site is busy (429, 5xx), gunzips, and caps
// the size and the time. Parse reads what it returns line by line, in
// bounded memory, and keeps only the valid, routable, canonical entries
// plus a few refused lines to show the user.
//
// Both are blocking and take a context; neither starts a goroutine. Every
// error is a *core.Error whose message says what went wrong and what to do.
// The package imports neither fyne.io nor golang.org/x/crypto/ssh.
package blocklist
