module github.com/inferencex/inferencex-go/tools/gpumon

go 1.26

require (
	github.com/NVIDIA/go-nvml v0.13.4-1
	github.com/inferencex/inferencex-go/pkg v0.0.0
)

replace github.com/inferencex/inferencex-go/pkg => ../../pkg
