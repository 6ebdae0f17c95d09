//go:build unix

package f2btest

import (
	"os/exec"
	"syscall"
)

// prepareCmd puts fail2ban-server into its own process group, so that
// killGroup also reaches the shell commands its actions run, and (on Linux)
// asks the kernel to send it SIGTERM if the test binary dies without
// running its cleanups.
func prepareCmd(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	setPdeathsig(cmd.SysProcAttr)
}

// killGroup sends sig to the process group led by the started server.
func killGroup(cmd *exec.Cmd, sig syscall.Signal) {
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, sig)
	}
}
