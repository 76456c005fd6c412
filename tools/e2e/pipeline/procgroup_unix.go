//go:build unix

package pipeline

import (
	"os/exec"
	"syscall"
)

// setProcessGroup puts the step in its own process group and makes a
// cancellation kill the group: a step's servers must not outlive it.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}
