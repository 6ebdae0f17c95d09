package core

import (
	"context"
	"time"
)

// Actions an operator can take, as recorded in the activity log.
const (
	ActionBan             = "ban"              // ban addresses in one jail
	ActionUnban           = "unban"            // lift bans in one jail
	ActionUnbanEverywhere = "unban_everywhere" // lift bans of addresses in every jail
	ActionUnbanAll        = "unban_all"        // lift every ban in every jail
	ActionSetBanTime      = "set_bantime"      // change a jail's bantime
	ActionSetFindTime     = "set_findtime"     // change a jail's findtime
	ActionSetMaxRetry     = "set_maxretry"     // change a jail's maxretry
	ActionAddIgnoreIP     = "add_ignoreip"     // add an entry to a jail's ignore list
	ActionDelIgnoreIP     = "del_ignoreip"     // remove an entry from a jail's ignore list
	ActionIdle            = "idle"             // turn a jail's idle mode on or off
	ActionStopJail        = "stop_jail"        // stop a jail until the next reload
	ActionReloadJail      = "reload_jail"      // reload one jail's configuration
	ActionReloadServer    = "reload_server"    // reload the whole server's configuration
	ActionPermanentEdit   = "permanent_edit"   // change a jail's configuration files
)

// Statuses of an activity. An activity is StatusRunning from just before its
// action starts until it is finished with one of the others.
const (
	StatusRunning   = "running"   // started, not finished yet
	StatusOK        = "ok"        // the action succeeded
	StatusFailed    = "failed"    // the action returned an error
	StatusCancelled = "cancelled" // the user (or a shutdown) cancelled it
	// StatusInterrupted marks an activity that was still running when
	// BanGUI stopped (a crash, a kill): whether the action took effect is
	// unknown.
	StatusInterrupted = "interrupted"
)

// Activity is one operator action in the activity log. It never holds
// secrets.
type Activity struct {
	ID       int64
	Started  time.Time
	Finished time.Time // zero while running, and for interrupted activities
	ServerID int64     // 0 when the server has since been deleted
	// ServerName is kept when the server is deleted.
	ServerName string
	Jail       string // empty for server-wide actions
	Action     string // one of the Action constants
	// Args are the action's arguments as the user gave them (addresses,
	// the new value...). A store may shorten a very long list; see its
	// documentation.
	Args   []string
	Status string // one of the Status constants
	Result string // what the action did, in words ("banned 3, already banned 1")
	Error  string // the user message of the error, for failed and cancelled activities
}

// ActivityFilter selects activities. Zero fields do not filter.
type ActivityFilter struct {
	ServerID int64
	Jail     string
	Action   string
	Status   string
	// Text matches, case-insensitively for ASCII, a part of any argument,
	// the result, the error or the jail name. It is plain text, not a
	// pattern: % and _ match themselves.
	Text string
	// Since and Until bound the start time: Since <= Started < Until.
	Since, Until time.Time
	// Limit caps the number of activities returned; 0 means the store's
	// default.
	Limit int
}

// ActivityLog records operator actions (core/store implements it on the
// cache). Implementations are safe for concurrent use and honour ctx.
type ActivityLog interface {
	// Begin records a as running and returns its id. a.ID and a.Status
	// are ignored; a zero a.Started means now.
	Begin(ctx context.Context, a Activity) (int64, error)
	// Finish records the outcome of the running activity id: status (not
	// StatusRunning), the result in words and the error's user message.
	// An unknown id is an error matching ErrNotFound.
	Finish(ctx context.Context, id int64, status, result, errText string) error
	// Activities returns the activities that match f, newest first.
	Activities(ctx context.Context, f ActivityFilter) ([]Activity, error)
}
