//go:build unix && !linux

package f2btest

import "syscall"

func setPdeathsig(*syscall.SysProcAttr) {}
