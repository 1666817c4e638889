{{/*
Whether this render can read the cluster, and so whether `lookup` finds what the chart stored.

`lookup` answers an empty map, without an error, wherever Helm has no cluster: `helm template`
(what Argo CD runs), `helm install/upgrade --dry-run=client`, `helm lint`. An empty answer for an
object that must exist therefore means "no cluster". Two probes, cheapest in permissions first:
  1. the ConfigMap kube-root-ca.crt of the release namespace, which Kubernetes (1.21 and later)
     publishes in every namespace; namespaced, so an installer bound to the namespace only (Flux
     multi-tenancy, a namespace-admin RoleBinding) can read it: Helm needs the same access to
     manage the chart's own ConfigMaps;
  2. only when 1 found nothing (the release namespace does not exist yet, e.g. `helm install
     --create-namespace`, which renders before it creates the namespace): the Namespace
     kube-system, which every cluster has. This probe is cluster-scoped: an installer that may not
     read Namespaces gets Helm's lookup error here, never a wrong answer.
`helm install/upgrade` (also --dry-run=server) and Flux's helm-controller read the cluster.
Returns "true" or "".
Usage:  {{ if include "backstage-keycloak.clusterReadable" . }}...{{ end }}
Params: . the chart context (umbrella or subchart; reads .Release only).
*/}}
{{- define "backstage-keycloak.clusterReadable" -}}
{{- if lookup "v1" "ConfigMap" .Release.Namespace "kube-root-ca.crt" -}}true
{{- else if lookup "v1" "Namespace" "" "kube-system" -}}true
{{- end -}}
{{- end -}}
