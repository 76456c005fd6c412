package dataset

import (
	"os"
	"runtime"
	"strconv"
	"strings"
)

// MaxAutoStreams is the most padding streams --random-num-workers 0 picks,
// upstream's cap on its worker processes.
const MaxAutoStreams = 8

// PaddingStreamsFor resolves --random-num-workers to RandomOptions'
// PaddingStreams as upstream main's client resolves its worker count: a
// positive value is taken as is, anything else is min(CPUs online, 8),
// counting every CPU the machine has online (Python's os.cpu_count), not
// only those this process may run on. On the GPU nodes, which have more
// than 8, that is 8.
func PaddingStreamsFor(numWorkers int) int {
	if numWorkers > 0 {
		return numWorkers
	}
	return min(onlineCPUs(), MaxAutoStreams)
}

// onlineCPUs counts the CPUs the kernel has online
// (/sys/devices/system/cpu/online, as glibc's sysconf does), or the Go
// runtime's count where that file is missing.
func onlineCPUs() int {
	if b, err := os.ReadFile("/sys/devices/system/cpu/online"); err == nil {
		if n := countCPUList(strings.TrimSpace(string(b))); n > 0 {
			return n
		}
	}
	return max(runtime.NumCPU(), 1)
}

// countCPUList counts the CPUs of a kernel CPU list such as "0-3,8,10-11";
// 0 when it cannot be read.
func countCPUList(s string) int {
	n := 0
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil || a < 0 {
			return 0
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a {
				return 0
			}
		}
		// No machine has a million CPUs: such a list is not the kernel's
		// (and summing it could overflow).
		if b-a >= maxCPUs || n+b-a+1 > maxCPUs {
			return 0
		}
		n += b - a + 1
	}
	return n
}

// maxCPUs bounds a believable CPU list.
const maxCPUs = 1 << 20
