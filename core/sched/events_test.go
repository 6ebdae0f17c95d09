//go:build unix

package sched_test

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// event is one line of the event file.
type event struct {
	kind string // start, end, ready, exit (children); killing, killed (parent)
	pid  int
	task string // start, end: the task; exit: the rest of the line
}

type eventLog []event

// read parses the complete lines of the event file.
func (f *family) read() eventLog {
	f.t.Helper()
	b, err := os.ReadFile(f.events)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		f.t.Fatal(err)
	}
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		b = b[:i+1] // a line being written is not complete yet
	} else {
		return nil
	}
	var log eventLog
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		fields := strings.SplitN(sc.Text(), " ", 3)
		if len(fields) < 2 {
			f.t.Fatalf("bad event line %q", sc.Text())
		}
		pid, err := strconv.Atoi(fields[1])
		if err != nil {
			f.t.Fatalf("bad event line %q", sc.Text())
		}
		e := event{kind: fields[0], pid: pid}
		if len(fields) == 3 {
			e.task = fields[2]
		}
		log = append(log, e)
	}
	return log
}

// pids returns the pids of the events of kind, in order, without repeats.
func (l eventLog) pids(kind string) []int {
	var pids []int
	for _, e := range l {
		if e.kind == kind && !slices.Contains(pids, e.pid) {
			pids = append(pids, e.pid)
		}
	}
	return pids
}

// index returns the position of the first event of kind by pid, or -1.
func (l eventLog) index(kind string, pid int) int {
	return slices.IndexFunc(l, func(e event) bool { return e.kind == kind && e.pid == pid })
}

// endsAfter counts pid's finished runs after position i.
func (l eventLog) endsAfter(i, pid int) int {
	n := 0
	for _, e := range l[i+1:] {
		if e.kind == "end" && e.pid == pid {
			n++
		}
	}
	return n
}

// firstStartAfter returns the pid of the first run started after position
// i, and its position; -1 when there is none.
func (l eventLog) firstStartAfter(i int) (pid, at int) {
	for j, e := range l[i+1:] {
		if e.kind == "start" {
			return e.pid, i + 1 + j
		}
	}
	return 0, -1
}

// check checks the event log so far (see eventLog.check).
func (f *family) check() {
	f.t.Helper()
	f.checked = true
	f.read().check(f.t)
}

// check verifies the whole log: no run starts while a run of another
// process is open, no task runs twice at once in one process, every run
// ends (or its process was killed), and a process that exits or dies
// starts nothing more.
func (l eventLog) check(t *testing.T) {
	t.Helper()
	open := make(map[int]map[string]bool) // pid → its running tasks
	gone := make(map[int]bool)
	for i, e := range l {
		switch e.kind {
		case "start":
			if gone[e.pid] {
				t.Errorf("event %d: %d started %s after it exited", i, e.pid, e.task)
			}
			for pid, tasks := range open {
				if pid != e.pid && len(tasks) > 0 {
					t.Errorf("event %d: %d started %s while %d was running %v", i, e.pid, e.task, pid, tasks)
				}
			}
			if open[e.pid][e.task] {
				t.Errorf("event %d: %d started %s twice at once", i, e.pid, e.task)
			}
			if open[e.pid] == nil {
				open[e.pid] = make(map[string]bool)
			}
			open[e.pid][e.task] = true
		case "end":
			if !open[e.pid][e.task] {
				t.Errorf("event %d: %d ended %s, which it had not started", i, e.pid, e.task)
			}
			delete(open[e.pid], e.task)
		case "killed":
			delete(open, e.pid) // its runs died with it
			gone[e.pid] = true
		case "exit":
			if len(open[e.pid]) > 0 {
				t.Errorf("event %d: %d exited while running %v", i, e.pid, open[e.pid])
			}
			gone[e.pid] = true
		}
	}
}
