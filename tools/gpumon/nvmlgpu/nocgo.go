//go:build !cgo

package nvmlgpu

import (
	"errors"

	"github.com/inferencex/inferencex-go/tools/gpumon/monitor"
)

// Available tells whether this gpumon was built with NVML (cgo): not this
// one.
const Available = false

// ErrNoCgo is why this build has no NVIDIA backend.
var ErrNoCgo = errors.New("NVML: this gpumon was built without cgo (CGO_ENABLED=0), so it cannot load libnvidia-ml.so.1; build it with a C compiler")

// Backend is absent without cgo.
type Backend struct{ monitor.Backend }

// Devices describes the GPUs (none here).
func (b *Backend) Devices() string { return "" }

// Lib stands for nvml.Interface.
type Lib struct{}

// New is the library (none here).
func New() Lib { return Lib{} }

// Open always fails without cgo.
func Open(Lib, monitor.Clock) (*Backend, error) { return nil, ErrNoCgo }
