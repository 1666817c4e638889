// Pins the CoreDNS build (the DNS server kubeadm deploys) for the kind node image.
// Built by scripts/lib/tools/ (specs in scripts/lib/tools/pins.ts).

//go:build tools

package tools

import (
	_ "github.com/coredns/coredns"
)
