// Pins the local-path-provisioner build (the kind node's default StorageClass). v0.0.30 is the newest
// release the Go module proxy serves (v0.0.34 answers 403). Built by scripts/lib/tools/.

//go:build tools

package tools

import (
	_ "github.com/rancher/local-path-provisioner"
)
