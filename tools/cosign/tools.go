// Pins the signing tool: `go build` of sigstore/cosign's cmd/cosign at the required module version.
// Used by `npm run release` (signatures and SBOM attestations) and the release test. Built by
// scripts/lib/tools/ into the tools cache; see tools/README.md.

//go:build tools

package tools

import _ "github.com/sigstore/cosign/v3/cmd/cosign"
