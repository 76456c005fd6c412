package main

import "runtime/debug"

// moduleVersion is the module version the binary was built from, or
// "devel" for a workspace build.
func moduleVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}
