// Pins a Helm 3 build (the chart supports Helm 3.18+ as well as Helm 4): `go build` of
// helm.sh/helm/v3/cmd/helm at the required module version. Built by scripts/lib/tools/.

//go:build tools

package tools

import _ "helm.sh/helm/v3/cmd/helm"
