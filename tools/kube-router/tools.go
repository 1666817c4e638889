// Pins the kube-router build, the kind node's pod network (bridge CNI + NetworkPolicy enforcement).
// v2.1.0 is the only v2 release the Go module proxy serves. Its go.mod predates module graph pruning,
// so `go mod tidy` here had to choose versions for packages of github.com/docker/docker (otel,
// go-ansiterm, backoff/v4) that kube-router's go.mod does not list; they are fixed in go.mod/go.sum.
// Built by scripts/lib/tools/ (specs in scripts/lib/tools/pins.ts).

//go:build tools

package tools

import (
	_ "github.com/cloudnativelabs/kube-router/v2/cmd/kube-router"
)
