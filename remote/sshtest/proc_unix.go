//go:build unix

package sshtest

import (
	"os/exec"
	"syscall"
	"time"
)

// prepareCmd puts sshd into its own process group and (on Linux) asks the
// kernel to send it SIGTERM if the test binary dies without running its
// cleanups.
func prepareCmd(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	setPdeathsig(cmd.SysProcAttr)
}

// waitGonePids waits until none of pids exists any more (zombies count as
// gone) and reports whether that happened within timeout.
func waitGonePids(pids []int, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for {
		alive := false
		for _, p := range pids {
			if running(p) {
				alive = true
				break
			}
		}
		if !alive {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}
