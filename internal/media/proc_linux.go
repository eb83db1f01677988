package media

import (
	"os/exec"
	"syscall"
)

// ownProcessGroup puts ffmpeg in a process group of its own, so that cancelling kills it and
// anything it started, and asks the kernel to kill it if the worker itself dies: an orphaned
// ffmpeg would go on burning the CPU for an encode nobody waits for, while the retried job
// starts a second one. (Linux sends that signal when the thread that started ffmpeg ends; Go
// ends threads only under goroutines that lock one and exit, which this package never does.)
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}
