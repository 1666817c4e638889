// Pins the CNI plugin builds for the kind node image: bridge, ptp, loopback, host-local, portmap.
// Built by scripts/lib/tools/ (specs in scripts/lib/tools/pins.ts) as cni-<plugin>.

//go:build tools

package tools

import (
	_ "github.com/containernetworking/plugins/plugins/main/bridge"
	_ "github.com/containernetworking/plugins/plugins/main/ptp"
	_ "github.com/containernetworking/plugins/plugins/main/loopback"
	_ "github.com/containernetworking/plugins/plugins/ipam/host-local"
	_ "github.com/containernetworking/plugins/plugins/meta/portmap"
)
