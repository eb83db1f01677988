package media

import (
	"context"
	"os/exec"
	"time"
)

// The tools are looked up on PATH: the deployment installs Debian's ffmpeg package, and a
// different build can be put first on PATH without a setting.
const (
	ffmpegBin  = "ffmpeg"
	ffprobeBin = "ffprobe"
)

// waitDelay bounds how long Wait waits for ffmpeg's pipes to close after it has been killed.
const waitDelay = 5 * time.Second

// command prepares a tool run: never through a shell, in its own process group (killed as a
// whole when ctx ends), with the tail of its stderr kept for the error.
func command(ctx context.Context, name string, args []string) (*exec.Cmd, *stderrTail) {
	cmd := exec.CommandContext(ctx, name, args...)
	ownProcessGroup(cmd)
	cmd.WaitDelay = waitDelay
	stderr := newStderrTail()
	cmd.Stderr = stderr
	return cmd, stderr
}
