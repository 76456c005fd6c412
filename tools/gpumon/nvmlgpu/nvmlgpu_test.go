//go:build cgo

package nvmlgpu

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock"
)

// fakeNVML is go-nvml's generated mock with GPUs of the given power (mW)
// and counters (mJ; 0 for a GPU without one).
func fakeNVML(powerMW []uint32, energyMJ []uint64, initRet nvml.Return) *mock.Interface {
	var devs []nvml.Device
	for i := range powerMW {
		i := i
		devs = append(devs, &mock.Device{
			GetUUIDFunc:       func() (string, nvml.Return) { return "GPU-" + string(rune('a'+i)), nvml.SUCCESS },
			GetPowerUsageFunc: func() (uint32, nvml.Return) { return powerMW[i], nvml.SUCCESS },
			GetTotalEnergyConsumptionFunc: func() (uint64, nvml.Return) {
				if energyMJ[i] == 0 {
					return 0, nvml.ERROR_NOT_SUPPORTED
				}
				return energyMJ[i], nvml.SUCCESS
			},
		})
	}
	return &mock.Interface{
		InitFunc:           func() nvml.Return { return initRet },
		ShutdownFunc:       func() nvml.Return { return nvml.SUCCESS },
		ErrorStringFunc:    func(r nvml.Return) string { return "error " + string(rune('0'+int(r)%10)) },
		DeviceGetCountFunc: func() (int, nvml.Return) { return len(devs), nvml.SUCCESS },
		DeviceGetHandleByIndexFunc: func(i int) (nvml.Device, nvml.Return) {
			return devs[i], nvml.SUCCESS
		},
	}
}

func TestReadsPowerAndCounter(t *testing.T) {
	now := time.UnixMilli(1796404503108)
	clock := func() time.Time { return now }
	b, err := Open(fakeNVML([]uint32{81382, 700123}, []uint64{2377699, 0}, nvml.SUCCESS), clock)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.Devices(), "2 GPU(s)") || !strings.Contains(b.Devices(), "without an energy counter") {
		t.Errorf("devices: %s", b.Devices())
	}
	s, errs := b.Read(clock)
	if len(errs) != 0 || len(s) != 2 {
		t.Fatalf("%v %v", s, errs)
	}
	if s[0].PowerW != 81.382 || !s[0].HasEnergy || s[0].EnergyJ != 2377.699 || s[0].UUID != "GPU-a" || s[0].UnixMilli != 1796404503108 {
		t.Errorf("GPU 0: %+v", s[0])
	}
	if s[1].PowerW != 700.123 || s[1].HasEnergy || s[1].Index != 1 {
		t.Errorf("GPU 1 (no counter): %+v", s[1])
	}
	if err := b.Close(); err != nil {
		t.Error(err)
	}
}

func TestReadFailuresAreReported(t *testing.T) {
	lib := fakeNVML([]uint32{1000}, []uint64{5}, nvml.SUCCESS)
	b, err := Open(lib, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	b.devs[0].dev.(*mock.Device).GetPowerUsageFunc = func() (uint32, nvml.Return) { return 0, nvml.ERROR_GPU_IS_LOST }
	s, errs := b.Read(time.Now)
	if len(s) != 0 || len(errs) != 1 || !strings.Contains(errs[0].Error(), "GPU 0 power") {
		t.Errorf("%v %v", s, errs)
	}
}

func TestNoDriver(t *testing.T) {
	if _, err := Open(fakeNVML(nil, nil, nvml.ERROR_LIBRARY_NOT_FOUND), time.Now); !errors.Is(err, ErrNoDriver) {
		t.Errorf("library not found: %v", err)
	}
	if _, err := Open(fakeNVML(nil, nil, nvml.ERROR_DRIVER_NOT_LOADED), time.Now); err == nil || !strings.Contains(err.Error(), "initialising") {
		t.Errorf("driver not loaded: %v", err)
	}
	if _, err := Open(fakeNVML(nil, nil, nvml.SUCCESS), time.Now); err == nil || !strings.Contains(err.Error(), "no GPU") {
		t.Errorf("no GPUs: %v", err)
	}
}

// TestRealLibrary opens the real NVML: on a machine without a driver it
// must say so, not crash; on one with GPUs it must read them.
func TestRealLibrary(t *testing.T) {
	b, err := Open(New(), time.Now)
	if err != nil {
		if !errors.Is(err, ErrNoDriver) && !strings.Contains(err.Error(), "NVML") {
			t.Fatalf("without GPUs: %v", err)
		}
		t.Logf("no NVIDIA GPU here: %v", err)
		return
	}
	defer b.Close()
	s, errs := b.Read(time.Now)
	if len(s) == 0 {
		t.Fatalf("no readings: %v", errs)
	}
	t.Logf("%s: %+v", b.Devices(), s[0])
}
