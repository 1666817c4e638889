// Pins the helm build: `go build` of helm.sh/helm/v4/cmd/helm at the required module version.
// Built by scripts/lib/tools/ into the tools cache; see README "Tools".

//go:build tools

package tools

import _ "helm.sh/helm/v4/cmd/helm"
