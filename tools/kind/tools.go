// Pins the kind build: `go build` of sigs.k8s.io/kind at the required module version.
// Built by scripts/lib/tools/ into the tools cache; see README "Tools".

//go:build tools

package tools

import _ "sigs.k8s.io/kind"
