//go:build unix && !linux

package sshtest

import "syscall"

func setPdeathsig(*syscall.SysProcAttr) {}

// killTree kills sshd's process group. Outside Linux it does not look for
// the per-connection processes (they run in sessions of their own), so open
// connections may outlive Stop there. The harness targets Debian.
func killTree(pid int) []int {
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	_ = syscall.Kill(pid, syscall.SIGKILL)
	return nil
}

// running reports whether pid exists.
func running(pid int) bool { return syscall.Kill(pid, 0) == nil }
