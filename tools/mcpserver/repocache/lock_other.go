//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package repocache

import "context"

// lockFile is a no-op where flock is not available: servers sharing a cache
// there may clone or fetch the same repository twice, which wastes time but
// stays correct because clones and trees are built in temporary folders and
// renamed into place.
func lockFile(ctx context.Context, path string) (func(), error) { return func() {}, ctx.Err() }
