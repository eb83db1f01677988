//go:build unix && !linux

package media

import (
	"os/exec"
	"syscall"
)

// ownProcessGroup puts ffmpeg in a process group of its own, so that cancelling kills it and
// anything it started.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}
