// Pins the OCI registry build: `go build` of distribution's cmd/registry at the required module
// version. Built by scripts/lib/tools/ into the tools cache; see tools/README.md.

//go:build tools

package tools

import _ "github.com/distribution/distribution/v3/cmd/registry"
