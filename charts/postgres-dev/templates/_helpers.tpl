{{/*
Name of the dev PostgreSQL objects: <release>-postgres-dev (also its Service host name).
Usage: {{ include "postgres-dev.fullname" . }}
*/}}
{{- define "postgres-dev.fullname" -}}
{{- printf "%s-postgres-dev" (.Release.Name | trunc 50 | trimSuffix "-") -}}
{{- end -}}

{{/*
Selector labels of the dev PostgreSQL pod.
Usage: {{ include "postgres-dev.selectorLabels" . | nindent 6 }}
*/}}
{{- define "postgres-dev.selectorLabels" -}}
app.kubernetes.io/name: postgres-dev
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
