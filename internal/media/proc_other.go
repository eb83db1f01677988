//go:build !unix

package media

import "os/exec"

// ownProcessGroup leaves exec's default, killing the process itself, where there are no
// process groups.
func ownProcessGroup(cmd *exec.Cmd) {}
