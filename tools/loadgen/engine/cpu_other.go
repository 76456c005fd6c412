//go:build !unix

package engine

import "time"

// cpuTime is not measured off Unix; results then report 0 CPU seconds.
func cpuTime() time.Duration { return 0 }
