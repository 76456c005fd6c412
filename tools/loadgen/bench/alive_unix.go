//go:build unix

package bench

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"syscall"
)

// alive tells whether a process exists and is not a zombie: a server that
// died but was not reaped by the shell that started it still answers
// kill -0.
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	if err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	stat, rerr := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if rerr != nil {
		return true // no procfs (macOS): kill -0 is all there is
	}
	// The state follows the parenthesised command name, which may itself
	// contain parentheses.
	if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) {
		return stat[i+2] != 'Z' && stat[i+2] != 'X'
	}
	return true
}
