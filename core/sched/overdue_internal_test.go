package sched

import (
	"testing"
	"time"

	"github.com/bangui/bangui/core"
)

// A cron task is overdue when a time its expression names passed since it
// last started, not at every takeover.
func TestOverdueCron(t *testing.T) {
	last := core.TaskInfo{LastStart: time.Date(2026, 11, 27, 10, 0, 0, 0, time.Local), Status: core.StatusOK}
	every6h := "0 */6 * * *" // 00:00, 06:00, 12:00, 18:00
	if overdue(last, 0, every6h, last.LastStart.Add(time.Hour)) {
		t.Error("overdue at 11:00, before the 12:00 run")
	}
	if !overdue(last, 0, every6h, last.LastStart.Add(2*time.Hour+time.Minute)) {
		t.Error("not overdue at 12:01, after the 12:00 run was missed")
	}
	if !overdue(core.TaskInfo{}, 0, every6h, last.LastStart) {
		t.Error("a cron task that never ran is not overdue")
	}
	if overdue(last, time.Hour, "", last.LastStart.Add(30*time.Minute)) || !overdue(last, time.Hour, "", last.LastStart.Add(time.Hour)) {
		t.Error("intervals changed")
	}
}
