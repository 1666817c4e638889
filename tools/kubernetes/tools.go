// Pins the Kubernetes builds: `go build` of k8s.io/kubernetes/cmd/{kube-apiserver,
// kube-controller-manager,kube-scheduler} (api tier and kind node) and {kubelet,kubeadm,kubectl,
// kube-proxy} (kind node) at the required module version. k8s.io/kubernetes points
// its k8s.io/* staging modules at ./staging with replace directives, which only apply inside that
// repository; go.mod here requires and replaces each of them with the matching published v0.x.y.
// Built by scripts/lib/tools/ into the tools cache; see README "Tools".

//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"

	// The kind node (scripts/kind): node agent, bootstrapper, CLI and service proxy.
	_ "k8s.io/kubernetes/cmd/kube-proxy"
	_ "k8s.io/kubernetes/cmd/kubeadm"
	_ "k8s.io/kubernetes/cmd/kubectl"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
