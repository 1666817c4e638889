// Pins the SBOM generator: `go build` of anchore/syft's cmd/syft at the required module version.
// Used by `npm run release` (one SPDX SBOM per image and for the chart). Built by
// scripts/lib/tools/ into the tools cache; see tools/README.md.

//go:build tools

package tools

import _ "github.com/anchore/syft/cmd/syft"
