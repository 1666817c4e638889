// Pins the containerd build for the kind node image: containerd, containerd-shim-runc-v2 and ctr
// at the required module version (pure Go, CGO_ENABLED=0: the btrfs snapshotter, which needs cgo,
// is left out). Built by scripts/lib/tools/ (specs in scripts/lib/tools/pins.ts).

//go:build tools

package tools

import (
	_ "github.com/containerd/containerd/v2/cmd/containerd"
	_ "github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2"
	_ "github.com/containerd/containerd/v2/cmd/ctr"
)
