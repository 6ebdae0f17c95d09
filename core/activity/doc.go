// Package activity records every operator action in the activity log and
// exports the log.
//
// A Recorder writes an activity as running before its action starts and
// finishes it afterwards with the outcome, so nothing changes on a server
// without a trace: when the log cannot be written, the action does not run.
// A Service wraps each state-changing call of the fail2ban client (Jails)
// in a Recorder with a result in words. WriteCSV and WriteJSON export a
// list of activities.
//
// The package depends on core.ActivityLog, not on the cache: cmd wires
// core/store's *DB in. Everything blocks until done, honours ctx and is safe
// for concurrent use.
package activity
