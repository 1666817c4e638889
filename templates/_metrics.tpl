{{/*
Metrics (global.metrics; docs/monitoring.md). Two ports of the Backstage pod answer Prometheus
without a login:
  oauth2-metrics 44180  oauth2-proxy's own metrics listener (proxy modes; templates/_sidecar.tpl)
  metrics        9464   Backstage's, with global.metrics.enabled: the backend's OpenTelemetry meters
                        through the Prometheus exporter (backstage/packages/backend/src/metrics.ts),
                        started by the env BACKSTAGE_METRICS_PORT (templates/_pod.tpl)
With global.metrics.enabled the chart renders the Service "<release>-backstage-metrics" with both
(metrics-service.yaml) and, with global.metrics.serviceMonitor.enabled, a ServiceMonitor for it
(servicemonitor.yaml). The NetworkPolicy admits both ports only from networkPolicy.metricsFrom.
The upstream chart's own ServiceMonitor (backstage.metrics.serviceMonitor) scrapes the main Service
port, which is oauth2-proxy's login, so validate/_metrics.tpl refuses it.
*/}}

{{/*
The metrics ports, as a YAML map {backstage, proxy} of containerPort numbers (constant).
Usage:  {{ $p := include "backstage-keycloak.metrics.ports" . | fromYaml }}
Params: . any context.
*/}}
{{- define "backstage-keycloak.metrics.ports" -}}
{{- toYaml (dict "backstage" 9464 "proxy" 44180) -}}
{{- end -}}

{{/*
"true" when Backstage exports metrics (global.metrics.enabled), "" otherwise.
Usage:  {{ if include "backstage-keycloak.metrics.enabled" . }}...{{ end }}
Params: . the chart context (umbrella or subchart).
*/}}
{{- define "backstage-keycloak.metrics.enabled" -}}
{{- if ((.Values.global.metrics | default dict).enabled) -}}true{{- end -}}
{{- end -}}

{{/*
Name of the metrics Service: "<Backstage's fullname>-metrics" (usually "<release>-backstage-metrics").
Usage:  {{ include "backstage-keycloak.metrics.serviceName" . }}
Params: . the umbrella context.
*/}}
{{- define "backstage-keycloak.metrics.serviceName" -}}
{{- printf "%s-metrics" (include "backstage-keycloak.backstage.fullname" . | trunc 55 | trimSuffix "-") -}}
{{- end -}}

{{/*
Labels of the metrics Service, which the ServiceMonitor selects it by (the upstream chart's Service
has other ones).
Usage:  {{ include "backstage-keycloak.metrics.serviceSelector" . | nindent 4 }}
Params: . the umbrella context.
*/}}
{{- define "backstage-keycloak.metrics.serviceSelector" -}}
app.kubernetes.io/name: backstage-keycloak
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: metrics
{{- end -}}

{{/*
The metrics endpoints of the Backstage pod, as a YAML list of {name, port, targetPort}: oauth2-proxy's
(proxy modes) and Backstage's. The Service exposes each; the ServiceMonitor scrapes each on /metrics.
Usage:  {{ range include "backstage-keycloak.metrics.endpoints" . | fromYamlArray }}...{{ end }}
Params: . the umbrella context.
*/}}
{{- define "backstage-keycloak.metrics.endpoints" -}}
{{- $p := include "backstage-keycloak.metrics.ports" . | fromYaml -}}
{{- $out := list -}}
{{- if include "backstage-keycloak.proxyMode" . -}}
{{- $out = append $out (dict "name" "oauth2-proxy-metrics" "port" $p.proxy "targetPort" "oauth2-metrics") -}}
{{- end -}}
{{- $out = append $out (dict "name" "backstage-metrics" "port" $p.backstage "targetPort" "metrics") -}}
{{- toYaml $out -}}
{{- end -}}
