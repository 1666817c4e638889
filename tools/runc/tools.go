// Pins the runc build for the kind node image. Built by scripts/kind/native-tools.ts with cgo and
// libseccomp linked statically (tags seccomp netgo osusergo), not by the pure-Go tools mechanism.

//go:build tools

package tools

import (
	_ "github.com/opencontainers/runc"
)
