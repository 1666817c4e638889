// Pins the kwok and kwokctl builds: `go build` of sigs.k8s.io/kwok/cmd/{kwok,kwokctl} at the
// required module version. Built by scripts/lib/tools/ into the tools cache; see README "Tools".

//go:build tools

package tools

import (
	_ "sigs.k8s.io/kwok/cmd/kwok"
	_ "sigs.k8s.io/kwok/cmd/kwokctl"
)
