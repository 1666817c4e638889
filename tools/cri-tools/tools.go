// Pins the crictl build for the kind node image (sigs.k8s.io/cri-tools/cmd/crictl).
// Built by scripts/lib/tools/ (specs in scripts/lib/tools/pins.ts).

//go:build tools

package tools

import (
	_ "sigs.k8s.io/cri-tools/cmd/crictl"
)
