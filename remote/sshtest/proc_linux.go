package sshtest

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func setPdeathsig(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGTERM }

// stat returns the state, the parent pid and the process group of pid
// from /proc/<pid>/stat.
func stat(pid int) (state byte, ppid, pgid int, ok bool) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, 0, false
	}
	// "pid (comm) state ppid ...": comm may contain spaces and ')'.
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, 0, 0, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 3 || len(f[0]) != 1 {
		return 0, 0, 0, false
	}
	ppid, err1 := strconv.Atoi(f[1])
	pgid, err2 := strconv.Atoi(f[2])
	if err1 != nil || err2 != nil {
		return 0, 0, 0, false
	}
	return f[0][0], ppid, pgid, true
}

// descendants returns the pids of all processes below pid: sshd's
// per-connection processes call setsid, so they leave sshd's process group,
// but they stay its children.
func descendants(pid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	children := map[int][]int{}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if _, ppid, _, ok := stat(p); ok {
			children[ppid] = append(children[ppid], p)
		}
	}
	var out []int
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children[p] {
			out = append(out, c)
			queue = append(queue, c)
		}
	}
	return out
}

// running reports whether pid exists and is not a zombie.
func running(pid int) bool {
	state, _, _, ok := stat(pid)
	return ok && state != 'Z' && state != 'X'
}

// killTree kills pid and every process below it with SIGKILL and returns
// the pids it found below pid.
//
// A plain walk over the tree is not enough: a session shell that is being
// killed may just be forking a child that the walk does not see, and that
// orphan would survive. So the tree is frozen first: SIGSTOP to every
// process found, a wait until all of them are really stopped (kill only
// queues the signal), and another walk, until a walk finds nothing new.
// Every process group led by a member of the tree (each session runs in
// one, made by setsid) is stopped and killed as a whole, which also reaches
// children that were re-parented before they could be listed.
func killTree(pid int) []int {
	_ = syscall.Kill(pid, syscall.SIGSTOP) // no new connections
	waitStopped([]int{pid})
	seen := map[int]bool{}
	var all []int
	for round := 0; round < 100; round++ {
		var fresh []int
		for _, p := range descendants(pid) {
			if seen[p] {
				continue
			}
			seen[p] = true
			fresh = append(fresh, p)
			_ = syscall.Kill(p, syscall.SIGSTOP)
			if _, _, pgid, ok := stat(p); ok && pgid == p {
				_ = syscall.Kill(-p, syscall.SIGSTOP)
			}
		}
		if len(fresh) == 0 {
			break
		}
		all = append(all, fresh...)
		waitStopped(fresh)
	}
	for _, p := range all {
		if _, _, pgid, ok := stat(p); ok && pgid == p {
			_ = syscall.Kill(-p, syscall.SIGKILL)
		}
		_ = syscall.Kill(p, syscall.SIGKILL)
	}
	_ = syscall.Kill(-pid, syscall.SIGKILL) // sshd's own group (Setpgid)
	_ = syscall.Kill(pid, syscall.SIGKILL)
	return all
}

// waitStopped waits up to a second until every process in pids is stopped
// ('T'), a zombie or gone.
func waitStopped(pids []int) {
	deadline := time.Now().Add(time.Second)
	for _, p := range pids {
		for {
			state, _, _, ok := stat(p)
			if !ok || state == 'T' || state == 't' || state == 'Z' || state == 'X' || time.Now().After(deadline) {
				break
			}
			time.Sleep(time.Millisecond)
		}
	}
}
