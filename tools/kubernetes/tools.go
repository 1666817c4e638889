// Pins the Kubernetes control-plane builds: `go build` of k8s.io/kubernetes/cmd/{kube-apiserver,
// kube-controller-manager,kube-scheduler} at the required module version. k8s.io/kubernetes points
// its k8s.io/* staging modules at ./staging with replace directives, which only apply inside that
// repository; go.mod here requires and replaces each of them with the matching published v0.x.y.
// Built by scripts/lib/tools.ts into the tools cache; see README "Tools".

//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
)
