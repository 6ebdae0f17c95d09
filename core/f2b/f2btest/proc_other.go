//go:build !unix

package f2btest

import (
	"os/exec"
	"syscall"
)

// prepareCmd does nothing: fail2ban runs only on Unix systems, and Start
// skips or fails before it gets here.
func prepareCmd(*exec.Cmd) {}

// killGroup kills the started server.
func killGroup(cmd *exec.Cmd, _ syscall.Signal) {
	if cmd.Process != nil {
		_ = cmd.Process.Kill()
	}
}
