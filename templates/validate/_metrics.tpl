{{/*
Rules of the metrics (global.metrics, templates/_metrics.tpl): the ServiceMonitor needs the metrics,
the upstream chart's ServiceMonitor is refused, and Backstage's metrics port is the chart's.
*/}}

{{/*
The metrics values.
Usage:  {{ include "backstage-keycloak.validate.metrics" . | fromJsonArray }}
Params: . the umbrella context.
*/}}
{{- define "backstage-keycloak.validate.metrics" -}}
{{- $errs := list -}}
{{- $g := .Values.global -}}
{{- $m := $g.metrics | default dict -}}
{{- $sm := $m.serviceMonitor | default dict -}}
{{- $bs := .Values.backstage | default dict -}}
{{- $b := $bs.backstage | default dict -}}
{{- $ports := include "backstage-keycloak.metrics.ports" . | fromYaml -}}
{{- if and $sm.enabled (not $m.enabled) -}}
{{- $errs = append $errs "global.metrics.serviceMonitor.enabled=true needs global.metrics.enabled=true: without it there is no metrics Service to scrape; set global.metrics.enabled=true too (and networkPolicy.metricsFrom to your Prometheus)" -}}
{{- end -}}
{{- if ((($bs.metrics | default dict).serviceMonitor | default dict).enabled) -}}
{{- $errs = append $errs "backstage.metrics.serviceMonitor.enabled=true: the upstream chart's ServiceMonitor scrapes the main Service port, which is oauth2-proxy's login (or, in the native modes, Backstage's own port without /metrics); set it to false and use global.metrics.enabled=true with global.metrics.serviceMonitor.enabled=true, which scrape the metrics ports" -}}
{{- end -}}
{{- /* the container ports: the chart's item first, no user port in its place */ -}}
{{- $host := include "backstage-keycloak.pod.host" "extraPorts" -}}
{{- $hosted := false -}}
{{- range $i, $p := ($b.extraPorts | default list) -}}
{{- if and (kindIs "map" $p) (eq (toString $p.name) $host) -}}{{- $hosted = true -}}
{{- else if and $hosted (kindIs "map" $p) (or (has (toString $p.name) (list "health" "metrics")) (has (toString $p.containerPort) (list "7008" (toString $ports.backstage)))) -}}
{{- $errs = append $errs (printf "backstage.backstage.extraPorts[%d] (%s %v) takes the name or number of a port the chart's first item prints (health 7008, metrics %v): choose another name and number" $i (toString $p.name) $p.containerPort $ports.backstage) -}}
{{- end -}}
{{- end -}}
{{- if and $m.enabled (not $hosted) -}}
{{- $errs = append $errs (printf "global.metrics.enabled=true needs the port metrics (%v) on the Backstage container, which the chart's item of backstage.backstage.extraPorts prints, but your values replace that list: copy the default entry from the chart's values.yaml into yours, first, and append your ports after it" $ports.backstage) -}}
{{- end -}}
{{- /* the listener is the chart's to start and place */ -}}
{{- range $i, $e := ($g.extraEnvVars | default list) -}}
{{- $name := "" -}}{{- if kindIs "map" $e -}}{{- $name = toString $e.name -}}{{- end -}}
{{- if or (eq $name "BACKSTAGE_METRICS_HOST") (and (eq $name "BACKSTAGE_METRICS_PORT") (not $m.enabled)) -}}
{{- $errs = append $errs (printf "global.extraEnvVars[%d] %s would start or move Backstage's metrics listener behind the chart's back (no Service, no NetworkPolicy rule): remove it and set global.metrics.enabled=true" $i $name) -}}
{{- end -}}
{{- end -}}
{{- toJson $errs -}}
{{- end -}}
